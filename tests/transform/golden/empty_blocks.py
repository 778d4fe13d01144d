# sites: 15
from tracers import probe
from app.probes import Flow


def branches(x):
    if x:
        probe(Flow.taken())
    elif x is None:
        probe(Flow.none())
    else:
        probe(Flow.skipped())


def loops(items):
    for item in items:
        probe(Flow.item(item))
    else:
        probe(Flow.exhausted())
    while items:
        probe(Flow.waiting())
        probe(Flow.still_waiting())
    else:
        probe(Flow.done())


def contexts(lock):
    with lock:
        probe(Flow.locked())


def handlers():
    try:
        probe(Flow.trying())
    except ValueError:
        probe(Flow.failed())
    else:
        probe(Flow.succeeded())
    finally:
        probe(Flow.cleaned())


def only_probe():
    probe(Flow.only())


class OnlyProbe:
    probe(Flow.class_only())
