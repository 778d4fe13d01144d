"""Module-global gates that rewritten call sites test.

The import hook gives every probe used at module scope one global name that
starts as a :class:`LazyGate`. The first truth test resolves the probe and
rebinds that global to the probe's own gate, whose truth test is done in C
(for USDT, the kernel-maintained semaphore itself), so later tests cost about
as much as ``if flag:``.
"""
from __future__ import annotations

import builtins
from typing import Any

from . import _report


class LazyGate:
    __slots__ = ("_namespace", "_slot", "_chain")

    def __init__(self, namespace: dict[str, Any], slot: str, chain: tuple[str, ...]) -> None:
        self._namespace = namespace
        self._slot = slot
        self._chain = chain

    def __bool__(self) -> bool:
        try:
            gate = self._resolve()
        except Exception as problem:  # never break the traced program
            _report.fire_failed(".".join(self._chain), problem)
            return False
        self._namespace[self._slot] = gate
        return bool(gate)

    def _resolve(self) -> Any:
        head, *rest = self._chain
        if head in self._namespace:
            target = self._namespace[head]
        else:
            try:
                target = getattr(builtins, head)
            except AttributeError:
                raise NameError(f"name {head!r} is not defined") from None
        for name in rest:
            target = getattr(target, name)
        try:
            return target.gate
        except AttributeError:
            raise TypeError(f"{'.'.join(self._chain)} is not a probe of a @tracer class") from None

    def __repr__(self) -> str:
        return f"<unresolved gate of {'.'.join(self._chain)}>"
