"""Exceptions raised by tracers, each naming the place and the fix."""


class TracersError(Exception):
    """Base class of every error tracers raises on purpose."""


class ProbeDefinitionError(TracersError, TypeError):
    """A ``@tracer`` class is malformed; raised when the class is created."""


class ConfigError(TracersError, ValueError):
    """The launch configuration (``TRACERS``, CLI flags) is invalid."""


class ProbeArgumentError(TracersError, TypeError):
    """A probe was fired with arguments that do not fit its definition.

    Raised only in strict mode (``TRACERS_STRICT=1``); otherwise the event is
    dropped with a one-time warning so tracing never breaks the program.
    """


class BackendError(TracersError, RuntimeError):
    """A backend could not be loaded; the provider falls back to ``noop``."""


class ProbeSyntaxError(TracersError, SyntaxError):
    """A probe statement's arguments hold a construct whose effect would reach
    outside the probe (``yield``, ``await``, ``:=``); raised at import, in every
    tracing mode, naming the file, the line and the fix."""
