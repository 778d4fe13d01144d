from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Known_seen = _tracers_LazyGate(globals(), '_tracers_gate_0_Known_seen', ('Known', 'seen'))
from tracers import probe
from app.probes import Known


def f(x):
    if _tracers_gate_0_Known_seen:
        Known.seen.fire(x)
    probe(Missing.seen(x))
    return x


probe(Later.loaded())
