"""``python -m tracers show``: the source that really runs, per mode, or as a diff."""
from __future__ import annotations

import ast
import re

import pytest

SHOWN = '''\
"""Shown."""
import tracers
from tracers import probe, tracer


@tracer
class Shown:
    def seen(n: int): ...


def work(n):
    probe(Shown.seen(n))
    tracers.probe(Shown.seen(n + 1))
    return n * 2
'''


@pytest.fixture
def shown(py):
    py.write({"pkg/__init__.py": "", "pkg/shown.py": SHOWN})
    return py


def _probe_statements(text):
    return [line for line in text.splitlines() if re.match(r"\s*(tracers\.)?probe\(", line)]


def test_show_on_prints_the_guarded_source(shown):
    done = shown.run(["-m", "tracers", "show", "pkg/shown.py", "--on"])
    out = done.stdout
    ast.parse(out)  # valid Python
    assert _probe_statements(out) == []
    assert re.search(r"^    if _tracers_gate_0_Shown_seen:\n        Shown\.seen\.fire\(n\)$", out, re.M), out
    assert "Shown.seen.fire(n + 1)" in out
    assert "from tracers._gate import LazyGate as _tracers_LazyGate" in out
    assert "return n * 2" in out
    assert "2 probe site(s), tracing on" in done.stderr


def test_show_off_deletes_the_probe_statements(shown):
    done = shown.run(["-m", "tracers", "show", "pkg/shown.py", "--off"], tracers="record")
    out = done.stdout
    ast.parse(out)
    assert _probe_statements(out) == []
    assert "_tracers" not in out and ".fire(" not in out
    assert "def work(n):\n    return n * 2" in out
    assert "tracing off" in done.stderr


def test_show_a_module_by_name(shown):
    by_name = shown.run(["-m", "tracers", "show", "pkg.shown", "--on"])
    by_path = shown.run(["-m", "tracers", "show", "pkg/shown.py", "--on"])
    assert by_name.stdout == by_path.stdout
    assert "shown.py" in by_name.stderr


def test_show_mode_defaults_to_the_environment(shown):
    off = shown.run(["-m", "tracers", "show", "pkg.shown"])
    on = shown.run(["-m", "tracers", "show", "pkg.shown"], tracers="record")
    assert "_tracers_gate_" not in off.stdout and "tracing off" in off.stderr
    assert "_tracers_gate_" in on.stdout and "tracing on" in on.stderr
    bad = shown.run(["-m", "tracers", "show", "pkg.shown"], tracers="bogus", check=2)
    assert "TRACERS" in bad.stderr and "Traceback" not in bad.stderr


def test_show_diff_on(shown):
    out = shown.run(["-m", "tracers", "show", "pkg/shown.py", "--on", "--diff"]).stdout
    removed = [line[1:] for line in out.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert [line.strip() for line in removed] == ["probe(Shown.seen(n))", "tracers.probe(Shown.seen(n + 1))"]
    assert "    if _tracers_gate_0_Shown_seen:" in added
    assert "        Shown.seen.fire(n)" in added
    assert re.search(r"^--- .*shown\.py", out, re.M) and re.search(r"^\+\+\+ .*shown\.py", out, re.M)


def test_show_diff_off(shown):
    out = shown.run(["-m", "tracers", "show", "pkg/shown.py", "--off", "--diff"]).stdout
    removed = [line[1:].strip() for line in out.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == ["probe(Shown.seen(n))", "tracers.probe(Shown.seen(n + 1))"]
    assert added == []


@pytest.mark.parametrize("target", ["nosuch.py", "no_such_module", "no_such_package.mod", "pkg.nope"])
def test_show_unknown_target_exits_2(shown, target):
    done = shown.run(["-m", "tracers", "show", target], check=2)
    assert target in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_show_a_file_with_a_syntax_error(shown):
    shown.write({"broken.py": "from tracers import probe\nx = (1,\n"})
    done = shown.run(["-m", "tracers", "show", "broken.py"], check=1)
    assert "SyntaxError" in done.stderr and "broken.py" in done.stderr and "line 2" in done.stderr
    assert "Traceback" not in done.stderr


def test_show_conflicting_modes_is_a_usage_error(shown):
    done = shown.run(["-m", "tracers", "show", "pkg/shown.py", "--on", "--off"], check=2)
    assert "not allowed with" in done.stderr
