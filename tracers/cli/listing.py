"""``python -m tracers list``: providers, probes and ready-made bpftrace lines.

A file or module is imported with tracing off, so no backend is loaded; a
package also imports each of its submodules.  ``--pid`` reads what a running
process has loaded.  Text and ``--json`` describe the same providers, in the
same shape for both sources.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import pkgutil
import sys
from types import ModuleType
from typing import Any, Optional, Sequence

from .._docs import expected_object_path, perf_commands, probe_commands
from .._spec import ProviderSpec
from . import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from ._target import Target, TargetError, describe_failure, import_target, resolve

EPILOG = """\
A package lists the providers of every submodule (each is imported; __main__
modules are not, as importing them would run the program). A submodule that
fails to import is named on one line and skipped.

exit status: 0 providers listed; 1 none found, or a module could not be
imported (the rest is still listed); 2 no such file, package or module."""


def configure(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("target", nargs="?", metavar="FILE_OR_MODULE",
                        help="a .py file (inside a package or not), a package directory or a dotted module name")
    source.add_argument("--pid", type=int, help="a running process with tracing on")
    parser.add_argument("--json", action="store_true",
                        help='print {"providers": [...]}: name, class, module, object, probes with their arguments')
    parser.epilog = EPILOG


def main(options: argparse.Namespace) -> int:
    if options.pid is not None:
        return _list_process(options.pid, options.json)
    return _list_modules(options.target, options.json)


# ---------------------------------------------------------------- output, shared by both sources

def _print_text(spec: ProviderSpec, path: Optional[str], pid: Optional[int]) -> None:
    origin = f"in process {pid}" if pid is not None else f"{spec.qualname} in {spec.module}"
    print(f"provider {spec.name}  ({origin})")
    if path:
        mapped = "mapped" if pid is not None else "what this user's processes map with TRACERS=usdt"
        print(f"  object: {path}  ({mapped})")
        print("  each bpftrace line traces every process that maps the object, later ones too; "
              "add -p PID for one process")
    for probe in spec.probes:
        print(f"  {probe.signature}")
        for line in probe_commands(spec.name, probe, path):
            print(f"    {line}")
    if path:
        print("  perf:")
        for line in perf_commands(spec.name, path):
            print(f"    {line}")


def provider_json(spec: ProviderSpec, path: Optional[str], pid: Optional[int] = None) -> dict[str, Any]:
    """One provider as ``--json`` shows it: ``object`` is its USDT object (the one mapped, for
    ``--pid``; the one this user's processes map, for a module); a process's object does not
    know the declaring class, module or lines (null)."""
    known = pid is None
    return {
        "provider": spec.name, "class": spec.qualname if known else None,
        "module": spec.module if known else None, "object": path,
        "pids": None if known else [pid],
        "probes": [{"name": probe.name, "file": probe.filename if known else None,
                    "line": probe.lineno if known else None,
                    "args": [{"name": arg.name, "type": arg.type.display} for arg in probe.args]}
                   for probe in spec.probes],
    }


def _print_json(found: Sequence[tuple[ProviderSpec, Optional[str]]], pid: Optional[int] = None) -> None:
    json.dump({"providers": [provider_json(spec, path, pid) for spec, path in found]}, sys.stdout, indent=2)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- a running process

def _list_process(pid: int, as_json: bool) -> int:
    from ..runtime.usdt._discover import ProcessUnreadable, objects_of_process

    try:
        objects, problems = objects_of_process(pid)
    except ProcessUnreadable as problem:
        print(f"tracers list: {problem}", file=sys.stderr)
        return EXIT_FAILED
    found = [(item.provider, item.path) for item in objects]
    if as_json:
        _print_json(found, pid)
    else:
        for spec, path in found:
            _print_text(spec, path, pid)
    for refusal in problems:
        print(f"tracers list: refused {refusal}", file=sys.stderr)
    if not found and not problems:
        print(f"tracers list: process {pid} has no tracers probe objects loaded "
              f"(is it running with tracing on, TRACERS=usdt or auto?)", file=sys.stderr)
    return EXIT_OK if found else EXIT_FAILED


# ---------------------------------------------------------------- files, modules and packages

def _list_modules(target: str, as_json: bool) -> int:
    os.environ.pop("TRACERS", None)  # tracing off: providers are created, no backend is loaded
    try:
        found, failures = _providers_of_target(resolve(target))
    except TargetError as problem:
        print(f"tracers list: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if as_json:
        _print_json([(spec, _expected_path(spec)) for spec in found])
    else:
        for spec in found:
            _print_text(spec, _expected_path(spec), None)
    for failure in failures:
        print(f"tracers list: cannot import {failure}", file=sys.stderr)
    if not found and not failures:
        print(f"tracers list: {target} defines no @tracer providers", file=sys.stderr)
    return EXIT_OK if found and not failures else EXIT_FAILED


def _providers_of_target(target: Target) -> tuple[list[ProviderSpec], list[str]]:
    """The providers the target's modules hold, and one line per module that failed to import."""
    found: list[ProviderSpec] = []
    failures: list[str] = []
    with contextlib.redirect_stdout(sys.stderr):  # what a module prints on import is not part of the listing
        try:
            module = import_target(target)
        except TargetError:
            raise
        except (Exception, SystemExit) as error:
            return found, [describe_failure(target.module, error)]
        _collect(module, found)
        if target.is_package:
            _collect_submodules(module, found, failures)
    return found, failures


def _collect_submodules(package: ModuleType, found: list[ProviderSpec], failures: list[str]) -> None:
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name.rpartition(".")[2] == "__main__":
            continue
        try:
            module = importlib.import_module(info.name)
        except (Exception, SystemExit) as error:
            failures.append(describe_failure(info.name, error))
            continue
        _collect(module, found)
        if info.ispkg:
            _collect_submodules(module, found, failures)


def _collect(module: ModuleType, found: list[ProviderSpec]) -> None:
    """Add the providers at the module's top level, each once: those it declares, then those it imports."""
    providers = []
    for value in list(vars(module).values()):
        provider = getattr(value, "__tracers_provider__", None)
        if isinstance(value, type) and isinstance(provider, ProviderSpec):
            providers.append(provider)
    providers.sort(key=lambda provider: provider.module != module.__name__)  # stable: declared ones first
    for provider in providers:
        if provider not in found:
            found.append(provider)


def _expected_path(spec: ProviderSpec) -> Optional[str]:
    try:
        return expected_object_path(spec)
    except Exception:  # a listing never fails for want of a path
        return None
