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
import re
import sys
from types import ModuleType
from typing import Any, Iterator, Optional, Sequence

from .._docs import BPFTRACE_MAX_ARGS, bpftrace_program
from .._spec import ProviderSpec, provider_from_dict
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
    print(f"provider {spec.name}  ({spec.qualname} in {spec.module})")
    if path:
        print(f"  object: {path}")
    for probe in spec.probes:
        print(f"  {probe.signature}")
        program = bpftrace_program(spec.name, probe, path or "*").replace("'", "'\\''")
        print(f"    bpftrace -p {pid if pid is not None else 'PID'} -e '{program}'")
        if len(probe.args) > BPFTRACE_MAX_ARGS:
            print(f"    (bpftrace shows the first {BPFTRACE_MAX_ARGS} arguments; "
                  f"gdb reads all: break -probe-stap {spec.name}:{probe.name}, print $_probe_argN)")


def provider_json(spec: ProviderSpec, path: Optional[str]) -> dict[str, Any]:
    """One provider as ``--json`` shows it; ``object`` is the loaded USDT object, if any."""
    return {
        "provider": spec.name, "class": spec.qualname, "module": spec.module, "object": path,
        "probes": [{"name": probe.name, "file": probe.filename, "line": probe.lineno,
                    "args": [{"name": arg.name, "type": arg.type.display} for arg in probe.args]}
                   for probe in spec.probes],
    }


def _print_json(found: Sequence[tuple[ProviderSpec, Optional[str]]]) -> None:
    json.dump({"providers": [provider_json(spec, path) for spec, path in found]}, sys.stdout, indent=2)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- a running process

_OBJECT = re.compile(r"/tracers-\d+-\d+-[A-Za-z0-9_]+-\d+\.so$")


def _list_process(pid: int, as_json: bool) -> int:
    found = list(_providers_of_process(pid))
    if as_json:
        _print_json(found)
    else:
        for spec, path in found:
            _print_text(spec, path, pid)
    if not found:
        print(f"tracers list: process {pid} has no tracers probe objects loaded "
              f"(is it running with tracing on, TRACERS=usdt or auto?)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _providers_of_process(pid: int) -> Iterator[tuple[ProviderSpec, str]]:
    try:
        with open(f"/proc/{pid}/maps") as maps:
            lines = maps.read().splitlines()
    except OSError as problem:
        print(f"tracers list: cannot read the mappings of process {pid}: {problem.strerror}", file=sys.stderr)
        return
    seen = set()
    for line in lines:
        fields = line.split(None, 5)
        path = fields[5].strip() if len(fields) == 6 else ""
        if not _OBJECT.search(path) or path in seen:
            continue
        seen.add(path)
        try:
            with open(path[: -len(".so")] + ".json") as file:
                data = json.load(file)
        except (OSError, ValueError):
            continue
        yield provider_from_dict(data["provider"]), path


# ---------------------------------------------------------------- files, modules and packages

def _list_modules(target: str, as_json: bool) -> int:
    os.environ.pop("TRACERS", None)  # tracing off: providers are created, no backend is loaded
    try:
        found, failures = _providers_of_target(resolve(target))
    except TargetError as problem:
        print(f"tracers list: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if as_json:
        _print_json([(spec, None) for spec in found])
    else:
        for spec in found:
            _print_text(spec, None, None)
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
