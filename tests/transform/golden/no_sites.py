# sites: 0
"""A module that declares probes but never fires them."""
from __future__ import annotations

from tracers import tracer


@tracer
class SimpleProbes:
    def greeting(greeting: str, name: str): ...


def describe(probe):
    return f"{probe}"
