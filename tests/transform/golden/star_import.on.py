from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Imported_before = _tracers_LazyGate(globals(), '_tracers_gate_0_Imported_before', ('Imported', 'before'))
_tracers_gate_1_FromStar_event = _tracers_LazyGate(globals(), '_tracers_gate_1_FromStar_event', ('FromStar', 'event'))
import tracers
from app.probes import *
from tracers import probe


def f(x):
    if _tracers_gate_0_Imported_before:
        Imported.before.fire(x)
    tracers.probe(Imported.after(x))
    if _tracers_gate_1_FromStar_event:
        FromStar.event.fire(x)
