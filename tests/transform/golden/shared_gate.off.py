from tracers import probe
import app.probes
from app.probes import Net, Disk


def a():
    pass


def b():
    pass
