"""bcc's tplist, given only a pid, finds every probe of a running example."""
from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

from tracers._provider import snake_case

SIMPLE = Path(__file__).resolve().parents[2] / "examples" / "simple.py"


def declared_probes() -> set:
    """(provider, probe) pairs of the example's @tracer classes, read from its source."""
    found = set()
    for node in ast.parse(SIMPLE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef) and any(
                isinstance(d, ast.Name) and d.id == "tracer" for d in node.decorator_list):
            found |= {(snake_case(node.name), f.name) for f in node.body if isinstance(f, ast.FunctionDef)}
    return found


def test_tplist_lists_every_probe_of_a_running_example(traced, tplist_path, maps) -> None:
    expected = declared_probes()
    assert len(expected) == 4
    process = traced(None, "--forever", "--interval", "0.1", script=SIMPLE)
    process.expect(r"^hello world #0$")  # the provider is loaded and firing (or not) in its loop
    objects = maps(process.pid)
    assert len(objects) == 1, objects
    (path,) = objects

    result = subprocess.run([tplist_path, "-p", str(process.pid)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    listed = []
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(\S+) (\w+):(\w+)", line.strip())
        assert match, line
        # tplist names the file through the process's root: /proc/PID/root/<path>.
        # (The interpreter or libc may carry SDT probes of their own: not ours.)
        if match.group(1) in (path, f"/proc/{process.pid}/root{path}"):
            listed.append((match.group(2), match.group(3)))
        else:
            assert "/tracers-" not in match.group(1), line
    assert sorted(listed) == sorted(expected)
    assert process.popen.poll() is None, process.describe()
