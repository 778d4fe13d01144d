"""The one place that decides whether tracing is on and with which backend.

The mode is read from the environment once per process (``TRACERS``,
``TRACERS_STRICT``); ``python -m tracers run`` sets the same variables before
anything reads them, so child processes inherit the mode. A value that is not
valid stops ``run`` before the program starts; inside a program (the hook's
``install()``, or the first provider) it is reported in one line and that
setting is off: tracing never stops the traced program.
"""
import os
import sys

from ._record import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Optional

ENV_MODE = "TRACERS"
ENV_STRICT = "TRACERS_STRICT"

BACKENDS = ("noop", "record", "usdt", "lttng", "stapsdt")
_OFF_WORDS = ("", "0", "off", "no", "false")
_ON_WORDS = ("1", "on", "yes", "true")
_AUTO_WORDS = _ON_WORDS + ("auto",)


class Mode(NamedTuple):
    """Whether probes are compiled in, and which backend fires them."""

    enabled: bool
    backend: "Optional[str]"  # a name from BACKENDS or "auto"; None when off
    strict: bool = False

    @property
    def tag(self) -> str:
        """The part of the bytecode cache tag that depends on the mode."""
        return "on" if self.enabled else "off"


def parse_mode(value: "Optional[str]", strict: bool = False) -> "Mode":
    """Interpret a ``TRACERS`` value; an unknown one is a :class:`ConfigError`."""
    mode = _mode_of(value, strict)
    if mode is None:
        raise _config_error(_mode_problem(value))
    return mode


def parse_strict(value: "Optional[str]") -> bool:
    """Interpret a ``TRACERS_STRICT`` value; an unknown one is a :class:`ConfigError`."""
    strict = _strict_of(value)
    if strict is None:
        raise _config_error(_strict_problem(value))
    return strict


def _mode_of(value: "Optional[str]", strict: bool) -> "Optional[Mode]":
    """The mode a ``TRACERS`` value means, or None when it means nothing."""
    word = (value or "").strip().lower()
    if word in _OFF_WORDS:
        return Mode(False, None, strict)
    if word in _AUTO_WORDS:
        return Mode(True, "auto", strict)
    if word in BACKENDS:
        return Mode(True, word, strict)
    return None


def _strict_of(value: "Optional[str]") -> "Optional[bool]":
    """What a ``TRACERS_STRICT`` value means, or None when it means nothing."""
    word = (value or "").strip().lower()
    if word in _OFF_WORDS:
        return False
    if word in _ON_WORDS:
        return True
    return None


def _mode_problem(value: "Optional[str]") -> str:
    valid = ", ".join(_OFF_WORDS[1:] + _AUTO_WORDS + BACKENDS)
    return f"{ENV_MODE}={value!r} is not a valid value; use one of: {valid} (unset means off)"


def _strict_problem(value: "Optional[str]") -> str:
    valid = ", ".join(_OFF_WORDS[1:] + _ON_WORDS)
    return f"{ENV_STRICT}={value!r} is not a valid value; use one of: {valid} (unset means off)"


def _config_error(message: str) -> "Exception":
    from ._errors import ConfigError  # only for a bad value: every start-up with the hook imports this module

    return ConfigError(message)


def from_environment() -> "Mode":
    """The mode the environment asks for; a bad value is a :class:`ConfigError`."""
    return parse_mode(os.environ.get(ENV_MODE), parse_strict(os.environ.get(ENV_STRICT)))


_current: "Optional[Mode]" = None


def current() -> "Mode":
    """The process's mode, read from the environment on first use.

    A bad value is reported once, in one line on stderr, and that setting is
    off (a typo in ``TRACERS`` must not stop the program it was meant to trace).
    """
    global _current
    if _current is None:
        strict_value = os.environ.get(ENV_STRICT)
        strict = _strict_of(strict_value)
        if strict is None:
            _say(f"{_strict_problem(strict_value)}; strict mode is off")
            strict = False
        value = os.environ.get(ENV_MODE)
        mode = _mode_of(value, strict)
        if mode is None:
            _say(f"{_mode_problem(value)}; tracing is off")
            mode = Mode(False, None, strict)
        _current = mode
    return _current


def _say(line: str) -> None:
    if sys.stderr is not None:
        sys.stderr.write(f"tracers: {line}\n")


def launch(value: str) -> "Mode":
    """Fix the mode from a CLI flag and export it so child processes inherit it.

    Called by ``python -m tracers run`` before the program starts.
    """
    global _current
    strict = parse_strict(os.environ.get(ENV_STRICT))
    _current = parse_mode(value, strict)
    os.environ[ENV_MODE] = value
    return _current
