"""The ``lttng`` backend: every fired probe is an LTTng-UST event of the Python domain.

Events go through LTTng's own Python agent (the ``lttngust`` package and
``liblttng-ust-python-agent``), so the usual LTTng commands select them::

    lttng create demo
    lttng enable-event --python 'tracers.*'          # or 'tracers.<provider>.*'
    lttng start
    TRACERS=lttng python app.py
    lttng stop && lttng view                          # or: babeltrace2 TRACE_DIR

Event format
------------
Each probe ``<provider>.<probe>`` is a Python-domain event whose logger name is
``tracers.<provider>.<probe>``; ``lttng list --python`` lists these names while
the program runs.  In the trace it is an ``lttng_python:event`` record:

* ``logger_name``: ``tracers.<provider>.<probe>``;
* ``msg``: a JSON object holding every argument by name, in declaration order,
  as it was fired (after conversion): integers as JSON numbers, ``bool`` as
  ``true``/``false``, ``None`` as ``null``, ``str`` as a JSON string, and
  ``bytes`` as a JSON string with one character per byte (U+0000 to U+00FF,
  written ``\\u00XX`` outside printable ASCII), so
  ``json.loads(msg)[name].encode("latin-1")`` gives the bytes back;
* ``funcName``/``lineno``: the function and line that fired the probe;
* ``int_loglevel``: 10 (``logging.DEBUG``), so ``--loglevel`` filters keep them
  only when DEBUG is included; ``asctime``, ``thread`` and ``threadName`` as
  the logging module would fill them.

A ``babeltrace2`` line (wrapped here) looks like::

    [04:19:26.999968726] (+0.000014762) vm lttng_python:event: { cpu_id = 0 },
    { asctime = "2026-11-26 04:19:26,999", msg = "{\\"greeting\\":\\"hello\\",\\"name\\":\\"world #0\\"}",
    logger_name = "tracers.simple_probes.greeting", funcName = "greet", lineno = 24,
    int_loglevel = 10, thread = 1883102080, threadName = "MainThread" }

babeltrace2's text output escapes string fields C-style (``\\"``, ``\\\\``,
``\\xHH``); undo that before ``json.loads``, or read ``msg`` as it is with the
``bt2`` Python bindings.

Finding the agent
-----------------
``import lttngust`` is tried first (a virtual environment or Python that has
it on its path).  Otherwise the package is loaded by path from the places
Linux distributions install it (:data:`AGENT_DIRS`), under the name
``lttngust``, without adding those directories to ``sys.path``.  When it is
missing the backend reports which package to install, and tracers falls back
to ``noop`` with one warning.

Loading the agent connects it to the session daemons whose ``agent.port``
files exist (``/var/run/lttng`` for root's, ``$LTTNG_HOME/.lttng`` or
``~/.lttng`` for the user's) and waits until they have registered it, up to
``LTTNG_UST_PYTHON_REGISTER_TIMEOUT`` milliseconds (default 5000): with no
port file it returns at once; with a live daemon it takes a few milliseconds;
with a stale port file (daemon gone) the first provider's import waits the
whole timeout.  Waiting is what lets events fired right at start-up reach a
session that is already set up.

Gate and cost
-------------
The agent attaches its logging handler to the root logger while some session
has Python-domain events enabled, and detaches it when none has.  All probes
share one gate: a list that holds that handler from the agent's attaching it
to its detaching it, kept up to date by thin wrappers around the root logger's
``addHandler`` and ``removeHandler`` (they call the originals first).  An
application that reconfigures logging (``dictConfig``, ``basicConfig(force=True)``)
removes the agent's handler, which stops the agent from tracing the
application's log records, but not this backend's events: they do not go
through the handler.  With no session listening the gate is an empty list,
whose truth test runs in C: a probe site costs a few nanoseconds, as with
``noop``.  A fired probe costs a few microseconds (conversion, the JSON
message, the call site, one ``ctypes`` call), about twice the ``record``
backend.  Which events a session
wants (``tracers.*``, one provider, a filter, a log level) is decided by
LTTng-UST in C: a probe fired while only other Python events are enabled is
converted and dropped there.

Fired events never go through ``logging``: no ``LogRecord`` is made and no
handler of the application sees them.  The agent's own handler still sends
the application's log records to sessions that enable their logger names; the
agent sets the root logger's level to ``NOTSET`` when it starts, which this
backend undoes when it is the one that loaded the agent (an application that
wants its own logging traced imports ``lttngust`` itself, first).
"""
from __future__ import annotations

import ctypes
import glob
import importlib
import importlib.util
import logging
import os
import sys
import threading
import time
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any, Callable, Optional, Sequence

from .. import _report
from .._errors import BackendError
from .._spec import ProbeSpec, ProviderSpec
from ._backend import ProbeBinding
from ._convert import normaliser

AGENT_PACKAGE = "lttngust"
_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
#: Directories searched, in order, for the ``lttngust`` package when
#: ``import lttngust`` fails; the current Python's version comes first.
AGENT_DIRS: tuple[str, ...] = (
    "/usr/lib/python3/dist-packages",  # Debian, Ubuntu
    f"/usr/lib64/python{_VERSION}/site-packages",  # Fedora, RHEL, openSUSE
    f"/usr/lib/python{_VERSION}/site-packages",  # Fedora (noarch), Arch
    f"/usr/local/lib/python{_VERSION}/site-packages",  # built from source
    f"/usr/local/lib/python{_VERSION}/dist-packages",
    "/usr/lib64/python3*/site-packages",
    "/usr/lib/python3*/site-packages",
    "/usr/local/lib64/python3*/site-packages",
    "/usr/local/lib/python3*/site-packages",
    "/usr/local/lib/python3*/dist-packages",
)
#: What ``logging`` level the events carry (``lttng enable-event --loglevel``).
LEVEL = logging.DEBUG
EVENT_PREFIX = "tracers."

_INSTALL = {
    "debian": ("apt-get install python3-lttngust", "apt-get install liblttng-ust-python-agent{major}"),
    "fedora": ("dnf install python3-lttngust", "dnf install lttng-ust"),
    "suse": ("zypper install python3-lttngust", "zypper install lttng-ust"),
}
_DISTRO_FAMILY = {"debian": "debian", "ubuntu": "debian", "fedora": "fedora", "rhel": "fedora",
                  "centos": "fedora", "suse": "suse", "opensuse": "suse"}


class Agent:
    """LTTng's Python agent, loaded and running in this process."""

    def __init__(self, package: Any, handler_class: type, library: ctypes.CDLL) -> None:
        self.package = package
        self.handler_class = handler_class
        self.library = library
        # py_tracepoint(asctime, msg, logger_name, funcName, lineno, int_loglevel, thread,
        # threadName): char * and unsigned int. Called with bytes and small ints only, which
        # ctypes passes as such without argtypes, at a third of the cost of declared ones.
        tracepoint = library.py_tracepoint
        tracepoint.restype = None
        self.tracepoint: Callable[..., None] = tracepoint
        #: The gate of every probe: holds the agent's handler from the agent's attaching it
        #: to the root logger (a session enabled Python events) to its detaching it.
        self.listening: list[logging.Handler] = []
        self._lock = threading.Lock()

    def watch(self, root: logging.Logger) -> None:
        """Open :attr:`listening` when the agent adds its handler to ``root``, close it when the agent removes it.

        The agent's handler is only ever added by the agent.  It is also
        removed by whatever clears the root logger's handlers (``dictConfig``,
        ``basicConfig(force=True)``): such a removal leaves the gate as it is,
        since the session still wants the events and they do not need the handler.
        """
        added, removed = root.addHandler, root.removeHandler
        handler_class = self.handler_class
        listen = self._listen

        def addHandler(hdlr: logging.Handler) -> None:  # noqa: N802 - the name it replaces
            added(hdlr)
            if isinstance(hdlr, handler_class):
                listen(hdlr, True)

        def removeHandler(hdlr: logging.Handler) -> None:  # noqa: N802
            removed(hdlr)
            if isinstance(hdlr, handler_class) and _called_by_agent():
                listen(hdlr, False)

        addHandler.__doc__, removeHandler.__doc__ = added.__doc__, removed.__doc__
        root.addHandler = addHandler  # type: ignore[method-assign]
        root.removeHandler = removeHandler  # type: ignore[method-assign]
        for handler in list(root.handlers):  # an agent the application started already listening
            if isinstance(handler, handler_class):
                listen(handler, True)

    @staticmethod
    def unwatch(root: logging.Logger) -> None:
        """Give ``root`` its own ``addHandler`` and ``removeHandler`` back."""
        for name in ("addHandler", "removeHandler"):
            vars(root).pop(name, None)

    def _listen(self, handler: logging.Handler, on: bool) -> None:
        with self._lock:
            present = any(h is handler for h in self.listening)
            if on and not present:
                self.listening.append(handler)
            elif not on and present:
                self.listening[:] = [h for h in self.listening if h is not handler]


def _called_by_agent() -> bool:
    """Whether the agent's own code (its enable/disable commands) is on the caller's stack."""
    module = AGENT_PACKAGE + ".agent"
    frame: Any = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == module:
            return True
        frame = frame.f_back
    return False


class LttngBackend:
    name = "lttng"

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        bindings = {}
        for probe in provider.probes:
            logger = event_name(provider.name, probe.name)
            logging.getLogger(logger)  # so that `lttng list --python` shows the event
            fire = _firer(self.agent.tracepoint, f"{provider.name}:{probe.name}", logger,
                          normaliser(probe, strict), message_builder(probe))
            bindings[probe.name] = ProbeBinding(self.agent.listening, fire)
        return bindings


def event_name(provider: str, probe: str) -> str:
    """The logger name a probe's events carry: ``tracers.<provider>.<probe>``."""
    return f"{EVENT_PREFIX}{provider}.{probe}"


# -- the payload -------------------------------------------------------------

# How each kind of converted value is written in the message (``{v}``: the value).
_JSON_VALUE = {
    "int": "_int({v})",
    "bool": "('true' if {v} else 'false')",
    "str": "_str({v})",
    "bytes": "_ascii({v}.decode('latin-1'))",
}
_JSON_NAMESPACE = {"_int": int.__repr__, "_str": encode_basestring, "_ascii": encode_basestring_ascii}


def message_builder(probe: ProbeSpec) -> Callable[[Sequence[Any]], bytes]:
    """Return a function that turns converted argument values into the event's JSON message.

    The function is generated per probe (one expression, no loop), which
    makes it about three times as fast as a generic one.  Lone surrogates in a
    ``str`` become ``\\udcXX`` escapes, which JSON reads back as the same
    characters, so the message is always valid UTF-8.
    """
    if not probe.args:
        empty = b"{}"
        return lambda values: empty
    names = [f"v{i}" for i in range(len(probe.args))]
    parts = []
    for i, (arg, name) in enumerate(zip(probe.args, names)):
        key = ("{" if i == 0 else ",") + encode_basestring(arg.name) + ":"
        value = _JSON_VALUE[arg.type.kind].format(v=name)
        parts.append(f"{key!r} + ('null' if {name} is None else {value})")
    source = (f"def message(values):\n"
              f"    {', '.join(names)}, = values\n"
              f"    return ({' + '.join(parts)} + '}}').encode('utf-8', 'backslashreplace')\n")
    namespace: dict[str, Any] = dict(_JSON_NAMESPACE)
    exec(compile(source, f"<tracers.lttng message of {probe.name}>", "exec"), namespace)  # noqa: S102
    message: Callable[[Sequence[Any]], bytes] = namespace["message"]
    return message


_clock: tuple[int, bytes] = (-1, b"")  # the last millisecond formatted, and its text


def _asctime() -> bytes:
    """The time as ``logging`` formats ``%(asctime)s``, e.g. ``2024-05-01 12:00:00,123``."""
    global _clock
    millisecond = int(time.time() * 1000)
    clock = _clock
    if clock[0] != millisecond:
        second, fraction = divmod(millisecond, 1000)
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)).encode()
        clock = _clock = (millisecond, b"%s,%03d" % (text, fraction))
    return clock[1]


_failed_emits: set[str] = set()


def _firer(tracepoint: Callable[..., None], label: str, logger: str,
           normalise: Callable[[tuple[Any, ...]], tuple[Any, ...]],
           message: Callable[[Sequence[Any]], bytes]) -> Callable[..., None]:
    logger_name = logger.encode()
    get_ident = threading.get_ident
    current_thread = threading.current_thread
    getframe = sys._getframe

    def fire(*args: Any) -> None:
        values = normalise(args)  # a bad value raises here, and the caller reports it
        try:
            # the function and line that fired: the first caller outside tracers
            frame = _report.user_frame(getframe(1))
            if frame is None:
                function, line = b"", 0
            else:
                function, line = frame.f_code.co_name.encode("utf-8", "backslashreplace"), frame.f_lineno or 0
            tracepoint(_asctime(), message(values), logger_name, function, line, LEVEL,
                       get_ident() & 0xFFFFFFFF,
                       current_thread().name.encode("utf-8", "backslashreplace"))
        except Exception as problem:  # never reaches the traced program
            if label not in _failed_emits:
                _failed_emits.add(label)
                _report.warn(f"tracers: probe {label} not emitted to LTTng: {problem!r}")

    return fire


# -- loading the agent ---------------------------------------------------------


def _distro_family() -> Optional[str]:
    try:
        with open("/etc/os-release", encoding="utf-8") as release:
            fields = dict(line.rstrip("\n").split("=", 1) for line in release if "=" in line)
    except OSError:
        return None
    words = " ".join(fields.get(key, "").strip("\"'") for key in ("ID", "ID_LIKE")).lower().split()
    for word in words:
        if word in _DISTRO_FAMILY:
            return _DISTRO_FAMILY[word]
    return None


def install_hint(what: int, major: str = "1") -> str:
    """The command that installs the agent package (0) or its C library (1) here."""
    family = _distro_family()
    if family is not None:
        return _INSTALL[family][what].format(major=major)
    return " or ".join(commands[what].format(major=major) for commands in _INSTALL.values())


def find_agent_dir() -> Optional[str]:
    """The directory that holds the ``lttngust`` package, or None."""
    try:
        spec = importlib.util.find_spec(AGENT_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    for pattern in AGENT_DIRS:
        for parent in sorted(glob.glob(pattern), reverse=True):
            candidate = os.path.join(parent, AGENT_PACKAGE)
            if os.path.isfile(os.path.join(candidate, "__init__.py")) and \
                    os.path.isfile(os.path.join(candidate, "agent.py")):
                return candidate
    return None


def _open_library(loghandler: Any, version: Any) -> ctypes.CDLL:
    major = str(getattr(version, "__soname_major__", "1"))
    name = getattr(getattr(loghandler, "_Handler", None), "_LIB_NAME", f"liblttng-ust-python-agent.so.{major}")
    try:
        library = ctypes.CDLL(name)
        library.py_tracepoint  # noqa: B018 - fails early if the symbol is missing
    except (OSError, AttributeError) as problem:
        raise BackendError(f"LTTng's Python agent library {name} cannot be loaded ({problem}); "
                           f"install it: {install_hint(1, major)}") from None
    return library


def _forget_agent_modules() -> None:
    for name in [n for n in sys.modules if n == AGENT_PACKAGE or n.startswith(AGENT_PACKAGE + ".")]:
        del sys.modules[name]


def load_agent() -> Agent:
    """Load (or adopt) LTTng's Python agent and watch its handler on the root logger.

    Raises :class:`~tracers.BackendError` naming what to install when the
    agent package or its library is missing.
    """
    root = logging.getLogger()
    running = sys.modules.get(AGENT_PACKAGE)
    if running is not None and getattr(running, "agent", None) is not None:
        # The application imported the agent itself: use it as it is.
        loghandler = importlib.import_module(AGENT_PACKAGE + ".loghandler")
        version = importlib.import_module(AGENT_PACKAGE + ".version")
        agent = Agent(running, loghandler._Handler, _open_library(loghandler, version))
        agent.watch(root)
        return agent
    where = find_agent_dir()
    if where is None:
        raise BackendError(f"LTTng's Python agent (the {AGENT_PACKAGE!r} package) is not installed; "
                           f"install it: {install_hint(0)} (searched sys.path and {', '.join(AGENT_DIRS)})")
    spec = importlib.util.spec_from_file_location(
        AGENT_PACKAGE, os.path.join(where, "__init__.py"), submodule_search_locations=[where])
    if spec is None or spec.loader is None:
        raise BackendError(f"cannot load LTTng's Python agent from {where}")
    package = importlib.util.module_from_spec(spec)
    sys.modules[AGENT_PACKAGE] = package
    try:
        # The package's __init__ starts the agent, so check the library first.
        version = importlib.import_module(AGENT_PACKAGE + ".version")
        loghandler = importlib.import_module(AGENT_PACKAGE + ".loghandler")
        agent = Agent(package, loghandler._Handler, _open_library(loghandler, version))
    except BaseException:
        _forget_agent_modules()
        raise
    level = root.level
    agent.watch(root)  # before the agent starts: it may attach its handler while registering
    try:
        spec.loader.exec_module(package)  # connects, registers, waits for the session daemons
    except BaseException:
        Agent.unwatch(root)
        _forget_agent_modules()
        raise
    if root.level != level:
        root.setLevel(level)  # the agent lowers it to NOTSET: keep the application's logging as it was
    return agent


_failure: Optional[BackendError] = None


def create() -> LttngBackend:
    global _failure
    if _failure is not None:
        raise _failure
    try:
        return LttngBackend(load_agent())
    except BackendError as problem:
        _failure = problem
        raise
    except (ImportError, OSError, SyntaxError) as problem:
        _failure = BackendError(f"cannot load LTTng's Python agent: {problem}")
        raise _failure from problem
