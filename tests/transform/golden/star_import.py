# sites: 2
import tracers
from app.probes import *
from tracers import probe


def f(x):
    probe(Imported.before(x))
    tracers.probe(Imported.after(x))
    probe(FromStar.event(x))
