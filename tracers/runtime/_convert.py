"""Argument checking shared by backends that work on normalised Python values."""
from __future__ import annotations

from typing import Any, Callable

from .._spec import ProbeSpec


def normaliser(probe: ProbeSpec, strict: bool) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Return a function that checks the argument count and normalises each value."""
    types = tuple(arg.type for arg in probe.args)
    expected = len(types)

    def normalise(values: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(values) != expected:
            raise TypeError(f"{probe.signature} takes {expected} arguments, got {len(values)}")
        return tuple(t.normalise(v, strict) for t, v in zip(types, values))

    return normalise
