from tracers import probe
from app.probes import Group


def run(tasks):
    try:
        tasks.run()
    except* ValueError as errors:
        pass
    except* KeyError:
        pass
