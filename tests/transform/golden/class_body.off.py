from tracers import probe
from app.probes import Model


class User:
    """A user."""

    class Meta:
        pass


class Rebinding:
    Model = Model.subclass()


class Shadowing:
    probe = staticmethod(print)
    probe(Model.shadowed())


def factory(Model):
    class Local:
        pass
    return Local


class BindsLater:
    probe(Model.early())
    probe = staticmethod(print)


class ImportsToo:
    from tracers import probe
