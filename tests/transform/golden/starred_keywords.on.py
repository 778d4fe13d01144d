from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Call_starred = _tracers_LazyGate(globals(), '_tracers_gate_0_Call_starred', ('Call', 'starred'))
_tracers_gate_1_Call_keyword = _tracers_LazyGate(globals(), '_tracers_gate_1_Call_keyword', ('Call', 'keyword'))
_tracers_gate_2_Call_both = _tracers_LazyGate(globals(), '_tracers_gate_2_Call_both', ('Call', 'both'))
from tracers import probe
from app.probes import Call


def calls(args, options, P):
    if _tracers_gate_0_Call_starred:
        probe(Call.starred(*args))
    if _tracers_gate_1_Call_keyword:
        probe(Call.keyword(1, size=2))
    if _tracers_gate_2_Call_both:
        probe(Call.both(0, *args, **options))
    if (_tracers_event := P.local).gate:
        probe(_tracers_event(*args))
