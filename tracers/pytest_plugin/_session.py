"""A pytest run with a tracing mode: fixed, with the hook installed, before conftest files load.

Application modules imported by conftest files and tests are rewritten by the
import hook; test modules and conftest files, which pytest's assertion
rewriting owns, are rewritten by it together with their asserts (see
:mod:`._assertions`).  In record mode each test starts with no events.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Optional

import pytest

from .. import _config
from .._errors import ConfigError
from ..importhook import install, uninstall
from . import _assertions
from ._events import FiredEvents


class Session:
    """The tracing state of one pytest run; registered as a pytest plugin while it lasts."""

    def __init__(self, mode: _config.Mode, value: str, source: str) -> None:
        self.mode = mode
        self.value = value
        self.source = source
        self.rewrites_tests = False
        self._undo: list[Callable[[], None]] = []

    def fired_events(self) -> FiredEvents:
        """The ``tracers_events`` fixture's value; a test that needs it is skipped in another mode."""
        if self.mode.backend != "record":
            pytest.skip(f"tracers_events needs the record mode; this run traces with "
                        f"{self.value!r} (from {self.source}); run pytest with --tracers=record")
        return FiredEvents()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: Any) -> None:
        """Each test starts with no recorded events (its fixtures' events count as its own)."""
        if self.mode.backend == "record":
            from ..runtime import record
            record.clear()

    def pytest_report_header(self, config: Any) -> str:
        state = f"on, backend {self.mode.backend}" if self.mode.enabled else "off"
        line = f"tracers: {state} (from {self.source}), import hook installed"
        if self.rewrites_tests:
            line += ", probes in test modules rewritten with their asserts"
        if self.mode.backend == "record":
            from ..runtime import record
            line += f", record limit {record.limit():,}"
        return line

    def stop(self) -> None:
        while self._undo:
            self._undo.pop()()


def start_session(config: Any, value: str, source: str, limit: Optional[tuple[str, str]]) -> Session:
    """Fix the tracing mode, install the hook and compose with pytest's assertion rewriting."""
    try:
        mode = _config.parse_mode(value, _config.parse_strict(os.environ.get(_config.ENV_STRICT)))
    except ConfigError as problem:
        raise pytest.UsageError(f"tracers: {value!r} from {source} is not valid: {problem}") from None
    fixed = _config._current
    if fixed is not None and fixed[:2] != mode[:2]:
        raise pytest.UsageError(
            f"tracers: {source} asks for tracing mode {value!r}, but this process already fixed its mode "
            f"({'off' if not fixed.enabled else fixed.backend}, from TRACERS={os.environ.get(_config.ENV_MODE, '')!r}) "
            f"before the plugin started, in code run by sitecustomize.py, a .pth file, '-p' or PYTEST_PLUGINS; "
            f"set TRACERS={value} in the environment instead")
    session = Session(mode, value, source)
    config.add_cleanup(session.stop)
    exported = os.environ.get(_config.ENV_MODE)
    _config.launch(value)  # children started by the tests inherit the mode
    session._undo.append(lambda: _restore_environ(_config.ENV_MODE, exported))
    if limit is not None:
        _set_record_limit(*limit)
    if install().owner:
        session._undo.append(uninstall)
    undo = _assertions.compose(mode.enabled)
    if undo is not None:
        session.rewrites_tests = True
        session._undo.append(undo)
    config.pluginmanager.register(session, "tracers-session")
    return session


def _set_record_limit(value: str, source: str) -> None:
    from ..runtime import record
    try:
        record.set_limit(int(str(value).replace("_", "")))
    except ValueError:
        raise pytest.UsageError(f"tracers: {value!r} from {source} is not valid: use a whole number of "
                                f"events of at least 1 (default {record.DEFAULT_LIMIT})") from None


def _restore_environ(name: str, value: Optional[str]) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
