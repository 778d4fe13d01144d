import tracers
from app.probes import *
from tracers import probe


def f(x):
    tracers.probe(Imported.after(x))
