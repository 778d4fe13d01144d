from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_T_plain = _tracers_LazyGate(globals(), '_tracers_gate_0_T_plain', ('T', 'plain'))
from tracers import probe
from app.probes import T


def generic[T](value: T) -> T:
    if (_tracers_event := T.checked).gate:
        _tracers_event.fire()
    return value


class Box[T]:
    def get(self):
        if (_tracers_event := T.got).gate:
            _tracers_event.fire()


def plain():
    if _tracers_gate_0_T_plain:
        T.plain.fire()
