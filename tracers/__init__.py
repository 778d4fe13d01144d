"""tracers: permanent, typed probes that compile away when tracing is off.

Declare a provider with :func:`tracer`, fire with :func:`probe`::

    @tracer
    class SimpleProbes:
        def greeting(greeting: str, name: str): ...

    probe(SimpleProbes.greeting("hello", "world"))

(PYTEST_DONT_REWRITE: pytest marks a plugin's packages for assertion rewriting
and warns about those already imported, as this one is when the hook is
installed at start-up.)
"""
from ._errors import (
    BackendError,
    ConfigError,
    ProbeArgumentError,
    ProbeDefinitionError,
    TracersError,
)
from ._fire import probe
from ._provider import Probe, ProbeCall, tracer
from ._types import I8, I16, I32, I64, U8, U16, U32, U64
from ._version import __version__

__all__ = [
    "tracer", "probe", "Probe", "ProbeCall",
    "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64",
    "TracersError", "ProbeDefinitionError", "ConfigError", "ProbeArgumentError", "BackendError",
    "__version__",
]
