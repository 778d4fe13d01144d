"""The one place that decides whether tracing is on and with which backend.

The mode is read from the environment once per process (``TRACERS``,
``TRACERS_STRICT``); ``python -m tracers run`` sets the same variables before
anything reads them, so child processes inherit the mode.
"""
from __future__ import annotations

import os
from typing import NamedTuple, Optional

from ._errors import ConfigError

ENV_MODE = "TRACERS"
ENV_STRICT = "TRACERS_STRICT"

BACKENDS = ("noop", "record", "usdt", "lttng", "stapsdt")
_OFF_WORDS = ("", "0", "off")
_AUTO_WORDS = ("1", "on", "auto")


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
    valid = ", ".join(("0", "off", "1", "on", "auto") + BACKENDS)
    raise ConfigError(
        f"{ENV_MODE}={value!r} is not a valid value; use one of: {valid} "
        f"(unset means off)"
    )


def parse_strict(value: Optional[str]) -> bool:
    word = (value or "").strip().lower()
    if word in _OFF_WORDS:
        return False
    if word in ("1", "on", "true", "yes"):
        return True
    raise ConfigError(f"{ENV_STRICT}={value!r} is not valid; use 1 or 0")


_current: Optional[Mode] = None


def current() -> Mode:
    """The process's mode, read from the environment on first use."""
    global _current
    if _current is None:
        _current = parse_mode(
            os.environ.get(ENV_MODE), parse_strict(os.environ.get(ENV_STRICT))
        )
    return _current


def launch(value: str) -> Mode:
    """Fix the mode from a CLI flag and export it so child processes inherit it.

    Called by ``python -m tracers run`` before the program starts.
    """
    global _current
    strict = parse_strict(os.environ.get(ENV_STRICT))
    _current = parse_mode(value, strict)
    os.environ[ENV_MODE] = value
    return _current
