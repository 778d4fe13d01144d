"""Module docstring."""
from tracers import probe
from app.probes import Doc


def documented():
    """Function docstring."""


class Documented:
    """Class docstring."""

    def method(self):
        """Method docstring."""


def string_after_probe():
    """Not a docstring while the probe is here."""
