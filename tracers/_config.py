"""The one place that decides whether tracing is on and with which backend.

The mode is read from the environment once per process (``TRACERS``,
``TRACERS_STRICT``); ``python -m tracers run`` sets the same variables before
anything reads them, so child processes inherit the mode. A value that is not
valid stops ``run`` before the program starts; inside a program (the hook's
``install()``, or the first provider) it is reported in one line and that
setting is off: tracing never stops the traced program.
"""
from __future__ import annotations

import os
import sys
from typing import NamedTuple, Optional

from ._errors import ConfigError

ENV_MODE = "TRACERS"
ENV_STRICT = "TRACERS_STRICT"

BACKENDS = ("noop", "record", "usdt", "lttng", "stapsdt")
_OFF_WORDS = ("", "0", "off", "no", "false")
_ON_WORDS = ("1", "on", "yes", "true")
_AUTO_WORDS = _ON_WORDS + ("auto",)


class Mode(NamedTuple):
    """Whether probes are compiled in, and which backend fires them."""

    enabled: bool
    backend: Optional[str]  # a name from BACKENDS or "auto"; None when off
    strict: bool = False

    @property
    def tag(self) -> str:
        """The part of the bytecode cache tag that depends on the mode."""
        return "on" if self.enabled else "off"


def parse_mode(value: Optional[str], strict: bool = False) -> Mode:
    """Interpret a ``TRACERS`` value; an unknown one is a :class:`ConfigError`."""
    word = (value or "").strip().lower()
    if word in _OFF_WORDS:
        return Mode(False, None, strict)
    if word in _AUTO_WORDS:
        return Mode(True, "auto", strict)
    if word in BACKENDS:
        return Mode(True, word, strict)
    valid = ", ".join(_OFF_WORDS[1:] + _AUTO_WORDS + BACKENDS)
    raise ConfigError(f"{ENV_MODE}={value!r} is not a valid value; use one of: {valid} (unset means off)")


def parse_strict(value: Optional[str]) -> bool:
    """Interpret a ``TRACERS_STRICT`` value; an unknown one is a :class:`ConfigError`."""
    word = (value or "").strip().lower()
    if word in _OFF_WORDS:
        return False
    if word in _ON_WORDS:
        return True
    valid = ", ".join(_OFF_WORDS[1:] + _ON_WORDS)
    raise ConfigError(f"{ENV_STRICT}={value!r} is not a valid value; use one of: {valid} (unset means off)")


def from_environment() -> Mode:
    """The mode the environment asks for; a bad value is a :class:`ConfigError`."""
    return parse_mode(os.environ.get(ENV_MODE), parse_strict(os.environ.get(ENV_STRICT)))


_current: Optional[Mode] = None


def current() -> Mode:
    """The process's mode, read from the environment on first use.

    A bad value is reported once, in one line on stderr, and that setting is
    off (a typo in ``TRACERS`` must not stop the program it was meant to trace).
    """
    global _current
    if _current is None:
        try:
            strict = parse_strict(os.environ.get(ENV_STRICT))
        except ConfigError as problem:
            _say(f"{problem}; strict mode is off")
            strict = False
        try:
            _current = parse_mode(os.environ.get(ENV_MODE), strict)
        except ConfigError as problem:
            _say(f"{problem}; tracing is off")
            _current = Mode(False, None, strict)
    return _current


def _say(line: str) -> None:
    if sys.stderr is not None:
        sys.stderr.write(f"tracers: {line}\n")


def launch(value: str) -> Mode:
    """Fix the mode from a CLI flag and export it so child processes inherit it.

    Called by ``python -m tracers run`` before the program starts.
    """
    global _current
    strict = parse_strict(os.environ.get(ENV_STRICT))
    _current = parse_mode(value, strict)
    os.environ[ENV_MODE] = value
    return _current
