"""Argument checking shared by backends that work on normalised Python values."""
from __future__ import annotations

from .._spec import ProbeSpec

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any, Callable


def normaliser(probe: ProbeSpec, strict: bool) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Return a function that checks the argument count and normalises each value.

    It raises :class:`TypeError` or :class:`ValueError` naming the argument
    (``size: expected U32, got float``) when a value cannot be fired.
    """
    converters = tuple(arg.type.converter(strict, arg.name) for arg in probe.args)
    expected = len(converters)

    def normalise(values: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(values) != expected:
            raise TypeError(f"{probe.signature} takes {expected} arguments, got {len(values)}")
        return tuple([convert(value) for convert, value in zip(converters, values)])

    return normalise
