# sites: 5
from tracers import probe
from app.probes import Model


class User:
    """A user."""

    probe(Model.defined("User"))

    class Meta:
        probe(Model.meta())


class Rebinding:
    Model = Model.subclass()
    probe(Model.subclassed())


class Shadowing:
    probe = staticmethod(print)
    probe(Model.shadowed())


def factory(Model):
    class Local:
        probe(Model.local())
    return Local


class BindsLater:
    probe(Model.early())
    probe = staticmethod(print)


class ImportsToo:
    from tracers import probe
    probe(Model.imported())
