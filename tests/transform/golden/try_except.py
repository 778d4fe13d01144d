# sites: 5
from tracers import probe
from app.probes import Job


def run(job):
    try:
        probe(Job.started(job.id))
        job.run()
    except KeyError as error:
        probe(Job.failed(job.id, str(error)))
        raise
    finally:
        job.close()
        probe(Job.finished(job.id))


def retry(job):
    try:
        job.run()
    except RuntimeError as Problem:
        probe(Problem.reported(job.id))
    else:
        probe(Job.clean(job.id))
