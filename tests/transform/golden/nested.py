# sites: 7
from tracers import probe
from app.probes import Outer


def outer(Local):
    probe(Local.start())

    def inner():
        probe(Local.inner())
        probe(Outer.inner())

    def rebinding():
        nonlocal Local
        Local = None
        probe(Local.rebound())

    def shadowing():
        probe = print
        probe(Local.shadowed())

    return inner


def declares_global():
    Outer = None

    def inner():
        global Outer
        probe(Outer.declared())

    return inner


def enclosing_global():
    global Outer
    Outer = None

    def inner():
        probe(Outer.enclosing())

    return inner


class Holder:
    Outer = object()

    def method(self):
        probe(Outer.method())
