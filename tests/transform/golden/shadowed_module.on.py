from tracers import probe
from app.probes import P

probe(P.event(1))


def f():
    probe(P.event(2))


if DEBUG:
    probe = print
