# requires: 3.11
# sites: 2
from tracers import probe
from app.probes import Group


def run(tasks):
    try:
        tasks.run()
    except* ValueError as errors:
        probe(Group.failed(len(errors.exceptions)))
    except* KeyError:
        probe(Group.missing())
