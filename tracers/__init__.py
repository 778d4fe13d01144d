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
# Here rather than in a module of its own: the rewriting loader's cache tags name it, and each
# module a hooked process imports for that costs its start-up (pyproject.toml reads it here too).
__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Optional

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
    from ._provider import ProbeCall as _ProbeCall
    from ._types import I8, I16, I32, I64, U8, U16, U32, U64

    # What a probe definition is declared to return and probe() takes. For
    # type checkers it includes None, so that the definition's empty body
    # passes mypy --strict ([empty-body]) with no plugin; the arguments of
    # Provider.event(...) are still checked at every probe(...) call.
    ProbeCall = Optional[_ProbeCall]

__all__ = [
    "tracer", "probe", "Probe", "ProbeCall",
    "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64",
    "TracersError", "ProbeDefinitionError", "ConfigError", "ProbeArgumentError", "BackendError",
    "ProbeSyntaxError",
    "__version__",
]

if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all __getattr__
    # The module that defines each name of the API, imported on first use: every
    # process that installs the import hook imports this package, and most of them
    # never declare a provider.
    _HOMES = {"probe": "_fire", "tracer": "_provider", "Probe": "_provider", "ProbeCall": "_provider"}
    _HOMES.update(dict.fromkeys(("I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64"), "_types"))
    _HOMES.update(dict.fromkeys(("TracersError", "ProbeDefinitionError", "ConfigError", "ProbeArgumentError",
                                 "BackendError", "ProbeSyntaxError"), "_errors"))

    def __getattr__(name):
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = globals()[name] = getattr(__import__(f"{__name__}.{home}", fromlist=[name]), name)
        return value

    def __dir__():
        return sorted(set(globals()) | set(__all__))
