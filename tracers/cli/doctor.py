"""``python -m tracers doctor``: what tracing can do on this machine, and why."""
from __future__ import annotations

import os
import platform
import shutil
import sys

from .. import _config, __version__
from .._errors import BackendError, ConfigError
from ..runtime import choose_auto

TOOLS = (
    ("bpftrace", ("bpftrace",), "apt-get install bpftrace"),
    ("tplist", ("tplist-bpfcc", "tplist"), "apt-get install bpfcc-tools"),
    ("gdb", ("gdb",), "apt-get install gdb"),
    ("lttng", ("lttng",), "apt-get install lttng-tools python3-lttngust babeltrace2"),
    ("babeltrace2", ("babeltrace2",), "apt-get install babeltrace2"),
    ("readelf", ("readelf",), "apt-get install binutils"),
)
TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")


def doctor() -> int:
    """Print the platform, the mode, the backend ``auto`` picks, tools, tracefs and the runtime directory."""
    print(f"tracers {__version__} on Python {platform.python_version()} ({sys.executable})")
    print(f"platform: {sys.platform} {platform.machine()}, kernel {platform.release()}")
    try:
        mode = _config.current()
        state = f"on, backend {mode.backend}" if mode.enabled else "off"
        print(f"mode: {state} (TRACERS={os.environ.get('TRACERS', '')!r})")
    except ConfigError as error:
        print(f"mode: invalid: {error}")
    print(f"import hook: {_hook_status()}")
    name, reason = choose_auto()
    print(f"auto backend: {name}: {reason}")
    print("tools:")
    for label, commands, install in TOOLS:
        found = next((shutil.which(c) for c in commands if shutil.which(c)), None)
        print(f"  {label:12} {found if found else 'missing (' + install + ')'}")
    mounted = [path for path in TRACEFS if os.path.ismount(path)]
    print(f"tracefs: {'mounted at ' + mounted[0] if mounted else 'not mounted (mount -t tracefs nodev /sys/kernel/tracing)'}")
    print(f"runtime directory: {_runtime_dir_status()}")
    print(f"lttng python agent: {_lttng_agent_status()}")
    return 0


def _lttng_agent_status() -> str:
    from ..runtime import lttng

    found = lttng.find_agent_dir()
    return f"found in {found}" if found else f"missing ({lttng.install_hint(0)})"


def _runtime_dir_status() -> str:
    from ..runtime.usdt import _rundir

    path = _rundir.runtime_dir()
    try:
        _rundir.ensure_private(path)
    except BackendError as problem:
        return f"{path}: unusable: {problem}"
    return f"{path}: usable (private, writable)"


def _hook_status() -> str:
    """Whether this interpreter's start-up installs the hook, and which file does it."""
    from .. import importhook

    sources = _hook_sources()
    if importhook.installed():
        return f"active in this interpreter (installed by {', '.join(sources) or 'code run at start-up'})"
    if sources:
        return f"not active, although {', '.join(sources)} mention tracers.importhook: check that it calls install()"
    return ("not active: no sitecustomize.py, usercustomize.py or .pth file of this interpreter installs it "
            "(python -m tracers sitecustomize --write, or run programs with python -m tracers run)")


def _hook_sources() -> list[str]:
    """sitecustomize/usercustomize modules and .pth files (on sys.path) that mention the hook."""
    found = []
    for name in ("sitecustomize", "usercustomize"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and _mentions_hook(path):
            found.append(path)
    for directory in dict.fromkeys(sys.path):
        try:
            names = sorted(n for n in os.listdir(directory or ".") if n.endswith(".pth"))
        except OSError:
            continue
        found += [path for path in (os.path.join(directory, n) for n in names) if _mentions_hook(path)]
    return found


def _mentions_hook(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return "tracers.importhook" in file.read()
    except OSError:
        return False
