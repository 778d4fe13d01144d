"""What happens when a probe cannot fire: a warning once, or an error in strict mode."""
from __future__ import annotations

import os
import sys
import threading
import warnings
from types import FrameType
from typing import Optional

from . import _config
from ._errors import ProbeArgumentError

_warned: set[str] = set()
_lock = threading.Lock()


def fire_failed(label: str, problem: BaseException) -> None:
    """Report that ``label`` (``provider:probe``) was not fired.

    Strict mode raises so tests see the mistake; otherwise the event is
    dropped and the first failure per probe is warned about.
    """
    message = f"tracers: probe {label} not fired: {problem}"
    if _config.current().strict:
        raise ProbeArgumentError(message) from problem
    with _lock:
        if label in _warned:
            return
        _warned.add(label)
    warn(message)


def warn(message: str) -> None:
    """Warn at the first caller outside tracers (the user's line)."""
    warnings.warn(message, RuntimeWarning, stacklevel=_user_stacklevel())


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_frame(frame: Optional[FrameType]) -> Optional[FrameType]:
    """The first frame, from ``frame`` outwards, whose code is not tracers' own."""
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


def _user_stacklevel() -> int:
    """The stack level of the first caller outside tracers, for the warning's location."""
    level, frame = 1, sys._getframe(1)
    target = user_frame(frame)
    while frame is not target and frame.f_back is not None:
        frame = frame.f_back
        level += 1
    return level
