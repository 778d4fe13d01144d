"""``probe()``: the statement the import hook rewrites, and its runtime fallback.

Code that was not rewritten (imported without the hook) evaluates
``Provider.event(args)`` and calls ``probe()`` on the result.  With tracing
off that costs no more than ``logger.debug`` below its level: the event, a C
call, returns ``None`` and ``probe()`` returns at once.  With tracing on, an
event whose gate is closed returns the shared
:data:`~tracers._provider.IDLE_CALL`, and the first such call in each module
warns that the module was not rewritten, and how to install the hook.
"""
import sys

from . import _report
from ._provider import IDLE_CALL, ProbeCall

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any, Optional

    from ._provider import Probe


def probe(call: "Optional[ProbeCall]") -> None:  # Optional: see tracers.ProbeCall
    """Fire ``Provider.event(args)`` if something listens.

    With the import hook this call never runs: the statement is deleted when
    tracing is off, and becomes a guard plus a direct fire when it is on.
    Without the hook the arguments were already evaluated; this fires them.
    ``None`` (what ``Provider.event(args)`` gives with tracing off) fires nothing.
    """
    if call is None or call is IDLE_CALL:
        return
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


def fallback_call(target: "Probe", args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "ProbeCall":
    """``Provider.event(args)`` with tracing on: the call ``probe()`` fires.

    Called from ``Probe.__call__``, so the caller's frame is two levels up.
    """
    try:
        caller: Optional[FrameType] = sys._getframe(2)
    except ValueError:  # called from C with no Python caller
        caller = None
    _check_module(caller)
    if not target.gate:
        return IDLE_CALL
    if not kwargs:
        return ProbeCall(target, args)
    names = [a.name for a in target.spec.args]
    values = list(args)
    for name in names[len(args):]:
        if name not in kwargs:
            return ProbeCall(target, args, f"missing argument {name!r}")
        values.append(kwargs.pop(name))
    if kwargs:
        return ProbeCall(target, args, f"unexpected keyword arguments {sorted(kwargs)}")
    return ProbeCall(target, tuple(values))


_checked_modules: "dict[Optional[str], object]" = {}
_rewritten_files: "set[str]" = set()


def note_rewritten(filename: str) -> None:
    """Record that another loader (pytest's, through the plugin) rewrote this file's probes."""
    _rewritten_files.add(filename)


def note_warned(module: str) -> None:
    """Record that ``module`` was already named in a warning about its fallback probes."""
    _checked_modules.setdefault(module, True)


def _check_module(frame: "Optional[FrameType]") -> None:
    """Warn once per module whose probe statements run through this fallback."""
    if frame is None:
        return
    namespace = frame.f_globals
    module = namespace.get("__name__")
    if module in _checked_modules:
        return
    token = object()  # no lock: a probe may fire in a signal handler while another call is here
    if _checked_modules.setdefault(module, token) is not token:
        return
    if module == "__main__" and not namespace.get("__file__"):
        return  # python -c or stdin: nothing could have rewritten it
    if sys.is_finalizing():
        return  # imported by a finalizer at shutdown, after the hook left (see _tracers_importhook)
    if _was_rewritten(namespace):
        return  # a rewritten module whose call is not a plain probe statement
    if module == "__main__":
        fix = f"run it with 'python -m tracers run {namespace.get('__file__') or 'SCRIPT'}'"
    else:
        fix = ("activate the import hook before it is imported: tracers.importhook.install() in "
               "sitecustomize.py ('python -m tracers sitecustomize --write'), 'python -m tracers run', "
               "or, in a library, tracers.importhook.install(packages=[__name__]) in its __init__.py")
    _report.warn(f"tracers: module {module!r} fires probes through the slower runtime fallback "
                 f"because its probe() statements were not rewritten at import; {fix}")


def _was_rewritten(namespace: "dict[str, Any]") -> bool:
    if "_tracers_LazyGate" in namespace:  # the prologue of a rewritten module with gates
        return True
    loader = type(namespace.get("__loader__"))
    if loader.__name__ == "TracersLoader" and loader.__module__ == "_tracers_importhook._loader":
        return True
    return namespace.get("__file__") in _rewritten_files
