# sites: 4
"""Module docstring."""
from tracers import probe
from app.probes import Doc


def documented():
    """Function docstring."""
    probe(Doc.function())


class Documented:
    """Class docstring."""
    probe(Doc.klass())

    def method(self):
        """Method docstring."""
        probe(Doc.method())


def string_after_probe():
    probe(Doc.before_string())
    "Not a docstring while the probe is here."
