# sites: 3
from tracers import probe
from .probes import SimpleProbes

probe(SimpleProbes.greeting("hello", "world"))


def greet(name):
    probe(SimpleProbes.greeting("hello", name))
    return name


def farewell(name):
    probe(SimpleProbes.farewell(name))
