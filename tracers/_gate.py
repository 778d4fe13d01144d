"""Module-global gates that rewritten call sites test.

The import hook gives every probe used at module scope one global name that
starts as a :class:`LazyGate`. The first truth test resolves the probe and
rebinds that global to the probe's own gate, whose truth test is done in C
(for USDT, the kernel-maintained semaphore itself), so later tests cost about
as much as ``if flag:``.
"""

import builtins
import sys

from . import _report

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any, Dict


class LazyGate:
    """A gate not resolved yet.

    It keeps only names: the probe is looked up in the globals of the code
    that tests the gate (the module's, or a copy of them, e.g. a function
    pickled by value), so the gate holds no reference to the module's
    namespace and pickles as what it is.
    """

    __slots__ = ("_slot", "_chain")

    def __init__(self, namespace: "Dict[str, Any]", slot: str, chain: tuple[str, ...]) -> None:
        self._slot = slot
        self._chain = chain

    def __bool__(self) -> bool:
        namespace = sys._getframe(1).f_globals  # the rewritten site's module
        try:
            gate = self._resolve(namespace)
        except Exception as problem:  # never break the traced program
            _report.fire_failed(".".join(self._chain), problem)
            return False
        if namespace.get(self._slot) is self:
            namespace[self._slot] = gate
        return bool(gate)

    def __reduce__(self) -> "tuple[Any, ...]":
        return (LazyGate, ({}, self._slot, self._chain))

    def _resolve(self, namespace: "Dict[str, Any]") -> "Any":
        head, *rest = self._chain
        if head in namespace:
            target = namespace[head]
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
