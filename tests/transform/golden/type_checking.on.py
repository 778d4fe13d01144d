from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Known_fourth = _tracers_LazyGate(globals(), '_tracers_gate_0_Known_fourth', ('Known', 'fourth'))
from typing import TYPE_CHECKING
import typing
import tracers

if TYPE_CHECKING:
    from tracers import probe
    from app.probes import Typed
else:
    from app.probes import Known

if typing.TYPE_CHECKING:
    import tracers as t


def f(x):
    probe(Known.first(x))
    t.probe(Known.second(x))
    tracers.probe(Typed.third(x))
    if _tracers_gate_0_Known_fourth:
        Known.fourth.fire(x)
