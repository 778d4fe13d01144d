"""The tracers pytest plugin, as pytest loads it (entry point ``tracers`` of ``pytest11``).

It lives outside the ``tracers`` package so that loading it imports nothing
of tracers: until a run asks for a tracing mode (``--tracers=MODE``, the
``tracers`` ini option, or ``TRACERS`` in the environment) it only adds its
options and the ``tracers_events`` fixture.  When one is asked for, it fixes
the mode and installs the import hook before conftest files and test modules
are imported (see :mod:`tracers.pytest_plugin`).
"""
from __future__ import annotations

import os
from typing import Any, Optional

import pytest

_SESSION: Any = pytest.StashKey()

ENABLE_HINT = ("run pytest with --tracers=record, or add 'tracers = record' to pytest's ini options "
               "([pytest] in pytest.ini, [tool.pytest.ini_options] in pyproject.toml)")


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("tracers", "tracers probes")
    group.addoption(
        "--tracers", dest="tracers_mode", metavar="MODE", default=None,
        help="trace this run in MODE (record, off, on, usdt, lttng, stapsdt, noop), with tracers' import "
             "hook installed before conftest files and tests are imported; record keeps the events for the "
             "tracers_events fixture. Default: the TRACERS variable, else the 'tracers' ini option, else "
             "the plugin does nothing.",
    )
    group.addoption(
        "--tracers-record-limit", dest="tracers_record_limit", metavar="N", default=None,
        help="keep at most N events in record mode (default: TRACERS_RECORD_LIMIT, else the "
             "'tracers_record_limit' ini option, else 100000)",
    )
    parser.addini("tracers", "the tracing mode of test runs (as --tracers)", default="")
    parser.addini("tracers_record_limit", "events kept in record mode (as --tracers-record-limit)", default="")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    requested = _requested_mode(early_config)
    if requested is None:
        return  # not used: nothing of tracers is imported
    from tracers import ConfigError

    value, source = requested
    try:
        from tracers.pytest_plugin import start_session

        session = start_session(early_config, value, source, _record_limit(early_config))
    except ConfigError as problem:  # e.g. TRACERS_RECORD_LIMIT, read when the record backend loads
        raise pytest.UsageError(f"tracers: {problem}") from None
    early_config.stash[_SESSION] = session


def _requested_mode(config: Any) -> Optional[tuple[str, str]]:
    """The mode asked for and where it came from: the option, then ``TRACERS``, then the ini file."""
    option = config.known_args_namespace.tracers_mode
    if option is not None:
        return option, "--tracers"
    variable = os.environ.get("TRACERS", "")
    if variable.strip():
        return variable, "TRACERS"
    ini = str(config.getini("tracers") or "")
    if ini.strip():
        return ini, "the 'tracers' ini option"
    return None


def _record_limit(config: Any) -> Optional[tuple[str, str]]:
    option = config.known_args_namespace.tracers_record_limit
    if option is not None:
        return option, "--tracers-record-limit"
    ini = str(config.getini("tracers_record_limit") or "")
    if ini.strip():
        return ini, "the 'tracers_record_limit' ini option"
    return None  # the record backend reads TRACERS_RECORD_LIMIT itself


@pytest.fixture
def tracers_events(request: Any) -> Any:
    """The probes fired during this test (the run must be in record mode).

    ``assert_fired(Provider.event, *args, times=None, **named)``,
    ``assert_not_fired(...)``, ``of(Provider.event)`` and ``args(Provider.event)``
    select and check them; see :class:`tracers.pytest_plugin.FiredEvents`.
    """
    session = request.config.stash.get(_SESSION, None)
    if session is None:
        pytest.fail(f"the tracers_events fixture needs the record mode: {ENABLE_HINT}", pytrace=False)
    return session.fired_events()
