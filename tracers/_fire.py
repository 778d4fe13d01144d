"""``probe()``: the statement the import hook rewrites, and its runtime fallback."""
from __future__ import annotations

from typing import Optional

from . import _report
from ._provider import ProbeCall


def probe(call: Optional[ProbeCall]) -> None:  # Optional: see tracers.ProbeCall
    """Fire ``Provider.event(args)`` if something listens.

    With the import hook this call never runs: the statement is deleted when
    tracing is off, and becomes a guard plus a direct fire when it is on.
    Without the hook the arguments were already evaluated; this fires them.
    """
    if type(call) is not ProbeCall:
        raise TypeError(
            f"probe() takes a probe call such as probe(MyProvider.event(arg1, arg2)), "
            f"not {type(call).__name__}"
        )
    target = call.probe
    if target.gate:
        if call.problem is not None:
            _report.fire_failed(target.label, TypeError(call.problem))
        else:
            target.fire(*call.args)
