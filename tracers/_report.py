"""What happens when a probe cannot fire: a warning once, or an error in strict mode.

Reporting never stops the traced program: it takes no lock (a probe may fire
from a signal handler that interrupted a report), and nothing it does raises
into the program, whatever the stack depth or the warnings filters.  Filters
apply to tracers' warnings as to any other (``ignore``, ``once``, ``default``,
``always``, ``module``), except that ``error`` cannot turn one into an
exception: such a warning is shown instead.  Strict mode (``TRACERS_STRICT``)
is the way to make argument mismatches raise.
"""
import os
import sys

from . import _config
from ._errors import ProbeArgumentError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import FrameType
    from typing import Dict, Optional

_reported: "Dict[str, object]" = {}


def fire_failed(label: str, problem: "BaseException") -> None:
    """Report that ``label`` (``provider:probe``) was not fired.

    Strict mode raises so tests see the mistake; otherwise the event is
    dropped and the first failure per probe is warned about.
    """
    if _config.current().strict:
        raise ProbeArgumentError(f"tracers: probe {label} not fired: {problem}") from problem
    try:
        if _first(label):
            warn(f"tracers: probe {label} not fired: {problem}")
    except Exception:  # e.g. RecursionError while formatting: the event is dropped all the same
        pass


def warn_once(message: str) -> None:
    """:func:`warn`, the first time this process reports ``message``."""
    if _first(message):
        warn(message)


def _first(key: str) -> bool:
    """Whether this is the first report of ``key``: ``setdefault`` is atomic, no lock needed."""
    token = object()
    return _reported.setdefault(key, token) is token


def warn(message: str) -> None:
    """Warn at the first caller outside tracers (the user's line); never raises."""
    try:
        import warnings  # not at start-up: most processes never warn

        level, frame = _user_stacklevel()
        try:
            warnings.warn(message, RuntimeWarning, stacklevel=level)
        except RuntimeWarning as raised:  # a filter's "error" action: show it, do not raise it
            filename, lineno = (frame.f_code.co_filename, frame.f_lineno) if frame is not None else ("sys", 1)
            warnings.showwarning(raised, RuntimeWarning, filename, lineno)
    except Exception:  # the stack is exhausted, or showing the warning failed: nothing to raise into the program
        pass


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: Where tracers' own code lies: the package, and the hook's finder installed beside it.
OWN_DIRECTORIES = (_PACKAGE_DIR,
                   os.path.join(os.path.dirname(os.path.dirname(_PACKAGE_DIR)), "_tracers_importhook", ""))


def user_frame(frame: "Optional[FrameType]") -> "Optional[FrameType]":
    """The first frame, from ``frame`` outwards, whose code is not tracers' own."""
    while frame is not None and frame.f_code.co_filename.startswith(OWN_DIRECTORIES):
        frame = frame.f_back
    return frame


def _user_stacklevel() -> "tuple[int, Optional[FrameType]]":
    """The stack level (for :func:`warnings.warn` called from :func:`warn`) of the
    first caller outside tracers, and that caller's frame."""
    level, frame = 1, sys._getframe(2)
    target = user_frame(frame)
    while frame is not target and frame.f_back is not None:
        frame = frame.f_back
        level += 1
    return level + 1, target
