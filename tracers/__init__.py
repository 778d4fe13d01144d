"""tracers: permanent, typed probes that compile away when tracing is off.

Declare a provider with :func:`tracer`, fire with :func:`probe`::

    @tracer
    class SimpleProbes:
        @staticmethod
        def greeting(greeting: str, name: str) -> ProbeCall: ...

    probe(SimpleProbes.greeting("hello", "world"))

(PYTEST_DONT_REWRITE: pytest marks a plugin's packages for assertion rewriting
and warns about those already imported, as this one is when the hook is
installed at start-up.)
"""
from typing import TYPE_CHECKING

from ._errors import (
    BackendError,
    ConfigError,
    ProbeArgumentError,
    ProbeDefinitionError,
    ProbeSyntaxError,
    TracersError,
)
from ._fire import probe
from ._provider import Probe, tracer
from ._types import I8, I16, I32, I64, U8, U16, U32, U64
from ._version import __version__

if TYPE_CHECKING:
    from typing import Optional

    from ._provider import ProbeCall as _ProbeCall

    # What a probe definition is declared to return and probe() takes. For
    # type checkers it includes None, so that the definition's empty body
    # passes mypy --strict ([empty-body]) with no plugin; the arguments of
    # Provider.event(...) are still checked at every probe(...) call.
    ProbeCall = Optional[_ProbeCall]
else:
    from ._provider import ProbeCall

__all__ = [
    "tracer", "probe", "Probe", "ProbeCall",
    "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64",
    "TracersError", "ProbeDefinitionError", "ConfigError", "ProbeArgumentError", "BackendError",
    "ProbeSyntaxError",
    "__version__",
]
