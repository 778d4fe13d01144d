from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0__Service__Audit_defined = _tracers_LazyGate(globals(), '_tracers_gate_0__Service__Audit_defined', ('_Service__Audit', 'defined'))
_tracers_gate_1__Service__Audit_run = _tracers_LazyGate(globals(), '_tracers_gate_1__Service__Audit_run', ('_Service__Audit', 'run'))
_tracers_gate_2___Audit_outside = _tracers_LazyGate(globals(), '_tracers_gate_2___Audit_outside', ('__Audit', 'outside'))
from tracers import probe
from app.probes import Audit as _Service__Audit, Audit as __Audit


class Service:
    if _tracers_gate_0__Service__Audit_defined:
        __Audit.defined.fire()

    def run(self):
        if _tracers_gate_1__Service__Audit_run:
            __Audit.run.fire(self.__name)
        if (_tracers_event := self.__probes.local).gate:
            _tracers_event.fire()

    class _Nested:
        def run(self):
            probe(__Audit.nested())


def outside():
    if _tracers_gate_2___Audit_outside:
        __Audit.outside.fire()
