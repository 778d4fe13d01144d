from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Job_started = _tracers_LazyGate(globals(), '_tracers_gate_0_Job_started', ('Job', 'started'))
_tracers_gate_1_Job_failed = _tracers_LazyGate(globals(), '_tracers_gate_1_Job_failed', ('Job', 'failed'))
_tracers_gate_2_Job_finished = _tracers_LazyGate(globals(), '_tracers_gate_2_Job_finished', ('Job', 'finished'))
_tracers_gate_3_Job_clean = _tracers_LazyGate(globals(), '_tracers_gate_3_Job_clean', ('Job', 'clean'))
from tracers import probe
from app.probes import Job


def run(job):
    try:
        if _tracers_gate_0_Job_started:
            Job.started.fire(job.id)
        job.run()
    except KeyError as error:
        if _tracers_gate_1_Job_failed:
            Job.failed.fire(job.id, str(error))
        raise
    finally:
        job.close()
        if _tracers_gate_2_Job_finished:
            Job.finished.fire(job.id)


def retry(job):
    try:
        job.run()
    except RuntimeError as Problem:
        if (_tracers_event := Problem.reported).gate:
            _tracers_event.fire(job.id)
    else:
        if _tracers_gate_3_Job_clean:
            Job.clean.fire(job.id)
