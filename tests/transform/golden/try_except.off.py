from tracers import probe
from app.probes import Job


def run(job):
    try:
        job.run()
    except KeyError as error:
        raise
    finally:
        job.close()


def retry(job):
    try:
        job.run()
    except RuntimeError as Problem:
        pass
    else:
        pass
