from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Group_failed = _tracers_LazyGate(globals(), '_tracers_gate_0_Group_failed', ('Group', 'failed'))
_tracers_gate_1_Group_missing = _tracers_LazyGate(globals(), '_tracers_gate_1_Group_missing', ('Group', 'missing'))
from tracers import probe
from app.probes import Group


def run(tasks):
    try:
        tasks.run()
    except* ValueError as errors:
        if _tracers_gate_0_Group_failed:
            Group.failed.fire(len(errors.exceptions))
    except* KeyError:
        if _tracers_gate_1_Group_missing:
            Group.missing.fire()
