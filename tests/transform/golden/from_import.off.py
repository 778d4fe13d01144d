from tracers import probe
from .probes import SimpleProbes


def greet(name):
    return name


def farewell(name):
    pass
