from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Outer_inner = _tracers_LazyGate(globals(), '_tracers_gate_0_Outer_inner', ('Outer', 'inner'))
_tracers_gate_1_Outer_declared = _tracers_LazyGate(globals(), '_tracers_gate_1_Outer_declared', ('Outer', 'declared'))
_tracers_gate_2_Outer_enclosing = _tracers_LazyGate(globals(), '_tracers_gate_2_Outer_enclosing', ('Outer', 'enclosing'))
_tracers_gate_3_Outer_method = _tracers_LazyGate(globals(), '_tracers_gate_3_Outer_method', ('Outer', 'method'))
from tracers import probe
from app.probes import Outer


def outer(Local):
    if (_tracers_event := Local.start).gate:
        _tracers_event.fire()

    def inner():
        if (_tracers_event := Local.inner).gate:
            _tracers_event.fire()
        if _tracers_gate_0_Outer_inner:
            Outer.inner.fire()

    def rebinding():
        nonlocal Local
        Local = None
        if (_tracers_event := Local.rebound).gate:
            _tracers_event.fire()

    def shadowing():
        probe = print
        probe(Local.shadowed())

    return inner


def declares_global():
    Outer = None

    def inner():
        global Outer
        if _tracers_gate_1_Outer_declared:
            Outer.declared.fire()

    return inner


def enclosing_global():
    global Outer
    Outer = None

    def inner():
        if _tracers_gate_2_Outer_enclosing:
            Outer.enclosing.fire()

    return inner


class Holder:
    Outer = object()

    def method(self):
        if _tracers_gate_3_Outer_method:
            Outer.method.fire()
