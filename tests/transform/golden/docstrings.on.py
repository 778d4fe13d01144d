"""Module docstring."""
from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Doc_function = _tracers_LazyGate(globals(), '_tracers_gate_0_Doc_function', ('Doc', 'function'))
_tracers_gate_1_Doc_klass = _tracers_LazyGate(globals(), '_tracers_gate_1_Doc_klass', ('Doc', 'klass'))
_tracers_gate_2_Doc_method = _tracers_LazyGate(globals(), '_tracers_gate_2_Doc_method', ('Doc', 'method'))
_tracers_gate_3_Doc_before_string = _tracers_LazyGate(globals(), '_tracers_gate_3_Doc_before_string', ('Doc', 'before_string'))
from tracers import probe
from app.probes import Doc


def documented():
    """Function docstring."""
    if _tracers_gate_0_Doc_function:
        Doc.function.fire()


class Documented:
    """Class docstring."""
    if _tracers_gate_1_Doc_klass:
        Doc.klass.fire()

    def method(self):
        """Method docstring."""
        if _tracers_gate_2_Doc_method:
            Doc.method.fire()


def string_after_probe():
    if _tracers_gate_3_Doc_before_string:
        Doc.before_string.fire()
    "Not a docstring while the probe is here."
