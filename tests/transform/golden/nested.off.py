from tracers import probe
from app.probes import Outer


def outer(Local):

    def inner():
        pass

    def rebinding():
        nonlocal Local
        Local = None

    def shadowing():
        probe = print
        probe(Local.shadowed())

    return inner


def declares_global():
    Outer = None

    def inner():
        global Outer

    return inner


def enclosing_global():
    global Outer
    Outer = None

    def inner():
        pass

    return inner


class Holder:
    Outer = object()

    def method(self):
        pass
