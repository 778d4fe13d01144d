from tracers import probe
from app.probes import Call


def calls(args, options, P):
    pass
