from tracers._gate import LazyGate as _tracers_LazyGate
_tracers_gate_0_Model_defined = _tracers_LazyGate(globals(), '_tracers_gate_0_Model_defined', ('Model', 'defined'))
_tracers_gate_1_Model_meta = _tracers_LazyGate(globals(), '_tracers_gate_1_Model_meta', ('Model', 'meta'))
_tracers_gate_2_Model_imported = _tracers_LazyGate(globals(), '_tracers_gate_2_Model_imported', ('Model', 'imported'))
from tracers import probe
from app.probes import Model


class User:
    """A user."""

    if _tracers_gate_0_Model_defined:
        Model.defined.fire("User")

    class Meta:
        if _tracers_gate_1_Model_meta:
            Model.meta.fire()


class Rebinding:
    Model = Model.subclass()
    if Model.subclassed.gate:
        Model.subclassed.fire()


class Shadowing:
    probe = staticmethod(print)
    probe(Model.shadowed())


def factory(Model):
    class Local:
        if Model.local.gate:
            Model.local.fire()
    return Local


class BindsLater:
    probe(Model.early())
    probe = staticmethod(print)


class ImportsToo:
    from tracers import probe
    if _tracers_gate_2_Model_imported:
        Model.imported.fire()
