# sites-on: 1
# sites-off: 3
from tracers import probe
from app.probes import Known


def f(x):
    probe(Known.seen(x))
    probe(Missing.seen(x))
    return x


probe(Later.loaded())
