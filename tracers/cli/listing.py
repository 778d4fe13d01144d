"""``python -m tracers list``: providers, probes and ready-made bpftrace lines."""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import sys
from typing import Iterator, Optional

from .._docs import BPFTRACE_MAX_ARGS, bpftrace_program
from .._spec import ProviderSpec, provider_from_dict

_OBJECT = re.compile(r"/tracers-\d+-\d+-[A-Za-z0-9_]+-\d+\.so$")


def list_target(target: Optional[str], pid: Optional[int]) -> int:
    if pid is not None:
        found = list(_providers_of_process(pid))
        if not found:
            print(f"tracers list: process {pid} has no tracers probe objects loaded "
                  f"(is it running with tracing on, TRACERS=usdt or auto?)", file=sys.stderr)
            return 1
        for spec, path in found:
            _print(spec, path, pid)
        return 0
    assert target is not None
    specs = _providers_of_module(target)
    if specs is None:
        print(f"tracers list: {target!r} is neither a file nor an importable module", file=sys.stderr)
        return 2
    if not specs:
        print(f"tracers list: {target} defines no @tracer providers", file=sys.stderr)
        return 1
    for spec in specs:
        _print(spec, None, None)
    return 0


def _print(spec: ProviderSpec, path: Optional[str], pid: Optional[int]) -> None:
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


def _providers_of_module(target: str) -> Optional[list[ProviderSpec]]:
    """Import the file or module (tracing off: nothing is loaded) and collect its providers."""
    os.environ.pop("TRACERS", None)
    if os.path.isfile(target):
        directory = os.path.dirname(os.path.abspath(target))
        sys.path.insert(0, directory)
        spec = importlib.util.spec_from_file_location("__tracers_list__", target)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError:
            return None
    found = []
    for value in vars(module).values():
        provider = getattr(value, "__tracers_provider__", None)
        if isinstance(value, type) and isinstance(provider, ProviderSpec) and provider not in found:
            found.append(provider)
    return found
