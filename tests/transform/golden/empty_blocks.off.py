from tracers import probe
from app.probes import Flow


def branches(x):
    if x:
        pass
    elif x is None:
        pass
    else:
        pass


def loops(items):
    for item in items:
        pass
    else:
        pass
    while items:
        pass
    else:
        pass


def contexts(lock):
    with lock:
        pass


def handlers():
    try:
        pass
    except ValueError:
        pass
    else:
        pass
    finally:
        pass


def only_probe():
    pass


class OnlyProbe:
    pass
