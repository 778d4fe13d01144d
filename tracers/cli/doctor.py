"""``python -m tracers doctor``: what tracing can do on this machine, and why.

The report is a list of facts. Each fact is a small function that gathers
JSON-ready data, and one that words that data as lines of text; ``--json``
prints the data of all facts as one object, the default prints the text.
Adding a fact is writing those two functions and adding one entry to FACTS.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from typing import Any, Callable, NamedTuple, Optional

from .. import _config, __version__
from .._errors import BackendError, ConfigError
from ..runtime import backend_note, choose_auto

TOOLS = (
    ("bpftrace", ("bpftrace",), "apt-get install bpftrace"),
    ("tplist", ("tplist-bpfcc", "tplist"), "apt-get install bpfcc-tools"),
    ("gdb", ("gdb",), "apt-get install gdb"),
    ("lttng", ("lttng",), "apt-get install lttng-tools python3-lttngust babeltrace2"),
    ("babeltrace2", ("babeltrace2",), "apt-get install babeltrace2"),
    ("readelf", ("readelf",), "apt-get install binutils"),
    ("perf", ("perf",), "apt-get install linux-perf"),
)
TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
MOUNT_TRACEFS = "mount -t tracefs nodev /sys/kernel/tracing"

Data = Any  # what json.dumps accepts


class Fact(NamedTuple):
    key: str  # its key in the --json object
    gather: Callable[[], Data]
    text: Callable[[Data], list[str]]  # the lines of the text report


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the facts as one JSON object")
    parser.epilog = "exit status: 0 (the report says what is missing)."


def main(options: argparse.Namespace) -> int:
    return doctor(options.json)


def doctor(as_json: bool = False) -> int:
    """Print the facts as text (or as JSON)."""
    facts = gather()
    if as_json:
        json.dump(facts, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for fact in FACTS:
            for line in fact.text(facts[fact.key]):
                print(line)
    return 0


def gather() -> dict[str, Data]:
    """Every fact's data, by key, in report order."""
    return {fact.key: fact.gather() for fact in FACTS}


def _tracers() -> Data:
    return {"version": __version__, "python": platform.python_version(), "executable": sys.executable}


def _tracers_text(data: Data) -> list[str]:
    return [f"tracers {data['version']} on Python {data['python']} ({data['executable']})"]


def _platform() -> Data:
    return {"system": sys.platform, "machine": platform.machine(), "kernel": platform.release()}


def _platform_text(data: Data) -> list[str]:
    return [f"platform: {data['system']} {data['machine']}, kernel {data['kernel']}"]


def _mode() -> Data:
    value = os.environ.get(_config.ENV_MODE)
    try:
        mode = _config.from_environment()
    except ConfigError as error:
        return {"TRACERS": value, "valid": False, "enabled": None, "backend": None, "note": None, "error": str(error)}
    note = backend_note(mode.backend or "")[2:] or None
    return {"TRACERS": value, "valid": True, "enabled": mode.enabled, "backend": mode.backend, "note": note,
            "error": None}


def _mode_text(data: Data) -> list[str]:
    if not data["valid"]:
        return [f"mode: invalid: {data['error']}"]
    note = f", {data['note']}" if data["note"] else ""
    state = f"on, backend {data['backend']}{note}" if data["enabled"] else "off"
    return [f"mode: {state} (TRACERS={data['TRACERS'] or ''!r})"]


def _auto_backend() -> Data:
    name, reason = choose_auto()
    return {"name": name, "reason": reason}


def _auto_backend_text(data: Data) -> list[str]:
    return [f"auto backend: {data['name']}: {data['reason']}"]


def _tools() -> Data:
    return {label: {"path": next((shutil.which(c) for c in commands if shutil.which(c)), None), "install": install}
            for label, commands, install in TOOLS}


def _tools_text(data: Data) -> list[str]:
    return ["tools:"] + [f"  {label:12} {tool['path'] or 'missing (' + tool['install'] + ')'}"
                         for label, tool in data.items()]


def _tracefs() -> Data:
    mounted: Optional[str] = next((path for path in TRACEFS if os.path.ismount(path)), None)
    return {"mounted": mounted is not None, "path": mounted, "fix": None if mounted else MOUNT_TRACEFS}


def _tracefs_text(data: Data) -> list[str]:
    return [f"tracefs: mounted at {data['path']}" if data["mounted"] else f"tracefs: not mounted ({data['fix']})"]


def _runtime_directory() -> Data:
    import warnings

    from ..runtime.usdt import _store

    with warnings.catch_warnings(record=True) as warned:  # a skipped directory is part of the report
        warnings.simplefilter("always")
        try:
            directory = _store.open_runtime_dir()
        except BackendError as problem:
            return {"path": _store.runtime_dir(), "usable": False, "problem": str(problem), "notes": []}
    os.close(directory.fd)
    return {"path": directory.path, "usable": True, "problem": None, "notes": [str(w.message) for w in warned]}


def _runtime_directory_text(data: Data) -> list[str]:
    state = ("usable (its whole path checked: private, writable only by root or you)" if data["usable"]
             else f"unusable: {data['problem']}")
    return [f"runtime directory: {data['path']}: {state}"] + [f"  {note}" for note in data["notes"]]


def _lttng_agent() -> Data:
    from ..runtime import lttng

    found = lttng.find_agent_dir()
    return {"path": found, "install": None if found else lttng.install_hint(0)}


def _lttng_agent_text(data: Data) -> list[str]:
    return [f"lttng python agent: {'found in ' + data['path'] if data['path'] else 'missing (' + data['install'] + ')'}"]




def _import_hook() -> Data:
    """Whether this interpreter's start-up installs the hook, and which files mention it."""
    from .. import importhook

    sources = _hook_sources()
    return {"active": importhook.installed(), "sources": sources,
            "without_bytecode": [path for path in sources if path.endswith(".py") and not _bytecode_current(path)]}


def _import_hook_text(data: Data) -> list[str]:
    sources = ", ".join(data["sources"])
    if data["active"]:
        state = f"active in this interpreter (installed by {sources or 'code run at start-up'})"
    elif sources:
        state = f"not active, although {sources} mention the import hook: check that it calls install()"
    else:
        state = ("not active: no sitecustomize.py, usercustomize.py or .pth file of this interpreter installs it "
                 "(python -m tracers sitecustomize --write, or run programs with python -m tracers run)")
    lines = [f"import hook: {state}"]
    for path in data["without_bytecode"]:
        lines.append(f"import hook: {path} has no up-to-date bytecode: each process that cannot write "
                     f"{os.path.join(os.path.dirname(path), '__pycache__')} compiles it at start-up (about 1 ms); "
                     f"python -m tracers sitecustomize --write {os.path.dirname(path)} compiles it")
    return lines


def _hook_sources() -> list[str]:
    """sitecustomize/usercustomize modules and .pth files (on sys.path) that mention the hook."""
    found = []
    for name in ("sitecustomize", "usercustomize"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and _mentions_hook(path):
            found.append(path)
    for directory in dict.fromkeys(sys.path):
        try:  # tracers' own .pth installs the hook only when TRACERS_IMPORTHOOK asks (run sets it)
            names = sorted(n for n in os.listdir(directory or ".") if n.endswith(".pth")
                           and n != "tracers-importhook.pth")
        except OSError:
            continue
        found += [path for path in (os.path.join(directory, n) for n in names) if _mentions_hook(path)]
    return found


def _bytecode_current(path: str) -> bool:
    """Whether the import system would read ``path``'s cached bytecode rather than compile the file."""
    from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash

    from _tracers_importhook._loader import source_stamp

    try:
        with open(cache_from_source(path), "rb") as cached:
            header = cached.read(16)
        source = os.stat(path)
    except (OSError, NotImplementedError):  # no such file, or an interpreter that caches no bytecode
        return False
    if len(header) < 16 or header[:4] != MAGIC_NUMBER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & 0b01:  # hash-based (PEP 552): checked against the source only when flagged so
        if not flags & 0b10:
            return True
        with open(path, "rb") as file:
            return header[8:16] == source_hash(file.read())
    return header[8:16] == source_stamp(source)


def _mentions_hook(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError:
        return False
    return "_tracers_importhook" in text or "tracers.importhook" in text  # the finder, by either name


FACTS = (
    Fact("tracers", _tracers, _tracers_text),
    Fact("platform", _platform, _platform_text),
    Fact("mode", _mode, _mode_text),
    Fact("import_hook", _import_hook, _import_hook_text),
    Fact("auto_backend", _auto_backend, _auto_backend_text),
    Fact("tools", _tools, _tools_text),
    Fact("tracefs", _tracefs, _tracefs_text),
    Fact("runtime_directory", _runtime_directory, _runtime_directory_text),
    Fact("lttng_agent", _lttng_agent, _lttng_agent_text),
)
