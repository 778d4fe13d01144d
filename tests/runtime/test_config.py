"""TRACERS and TRACERS_STRICT are read in one place. A bad value stops ``run`` before the
program starts; inside a program it is one clean line on stderr, at install() or at the
first provider, and that setting is off."""
import textwrap

import pytest

from tracers import ConfigError
from tracers._config import BACKENDS, parse_mode, parse_strict

ACCEPTED = "0, off, no, false, 1, on, yes, true, auto, noop, record, usdt, lttng, stapsdt (unset means off)"


@pytest.mark.parametrize("value", [None, "", "0", "off", "OFF", " off ", "no", "false", "False"])
def test_off_values(value):
    mode = parse_mode(value)
    assert not mode.enabled and mode.backend is None and mode.tag == "off"


@pytest.mark.parametrize("value", ["1", "on", "auto", "AUTO", "yes", "true", "True"])
def test_auto_values(value):
    mode = parse_mode(value)
    assert mode.enabled and mode.backend == "auto" and mode.tag == "on"


@pytest.mark.parametrize("name", BACKENDS)
def test_backend_names(name):
    assert parse_mode(name).backend == name


def test_unknown_value_lists_valid_ones():
    with pytest.raises(ConfigError) as caught:
        parse_mode("dtrace")
    assert str(caught.value) == f"TRACERS='dtrace' is not a valid value; use one of: {ACCEPTED}"


@pytest.mark.parametrize("value,strict", [("1", True), ("yes", True), ("TRUE", True), ("on", True),
                                          (None, False), ("0", False), ("no", False), ("false", False)])
def test_strict_takes_the_same_words(value, strict):
    assert parse_strict(value) is strict


def test_bad_strict_value_lists_valid_ones():
    with pytest.raises(ConfigError) as caught:
        parse_strict("maybe")
    assert str(caught.value) == (
        "TRACERS_STRICT='maybe' is not a valid value; use one of: 0, off, no, false, 1, on, yes, true "
        "(unset means off)")


PROGRAM = textwrap.dedent("""\
    from tracers import ProbeCall, probe, tracer

    @tracer
    class P:
        @staticmethod
        def e(a: int) -> ProbeCall: ...

    probe(P.e(1))
    print("ran", bool(P.e))  # the probe's gate: closed, tracing is off
""")


@pytest.mark.parametrize("value", ["usdtt", "true!"])
def test_bad_value_in_a_program_is_one_line_and_tracing_stays_off(python, value):
    result = python(PROGRAM, env={"TRACERS": value})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran False\n"
    assert result.stderr == f"tracers: TRACERS={value!r} is not a valid value; use one of: {ACCEPTED}; tracing is off\n"


def test_bad_value_is_reported_at_install(python, tmp_path):
    (tmp_path / "probes_mod.py").write_text(PROGRAM)
    code = textwrap.dedent("""\
        import sys
        import tracers.importhook
        tracers.importhook.install()
        print("installed", file=sys.stderr)
        import probes_mod
    """)
    result = python(code, env={"TRACERS": "usdtt", "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran False\n"
    assert result.stderr.splitlines() == [
        f"tracers: TRACERS='usdtt' is not a valid value; use one of: {ACCEPTED}; tracing is off", "installed"]


def test_bad_value_with_the_hook_in_sitecustomize(python, tmp_path):
    (tmp_path / "sitecustomize.py").write_text("import tracers.importhook\ntracers.importhook.install()\n")
    (tmp_path / "probes_mod.py").write_text(PROGRAM)
    result = python(["-c", "import probes_mod"], env={"TRACERS": "true!", "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran False\n"
    assert result.stderr == f"tracers: TRACERS='true!' is not a valid value; use one of: {ACCEPTED}; tracing is off\n"


def test_bad_value_stops_run_before_the_program(python, tmp_path):
    script = tmp_path / "app.py"
    script.write_text(PROGRAM)
    result = python(["-m", "tracers", "run", str(script)], env={"TRACERS": "usdtt"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"tracers: TRACERS='usdtt' is not a valid value; use one of: {ACCEPTED}\n"
    bad_strict = python(["-m", "tracers", "run", "--backend", "record", str(script)], env={"TRACERS_STRICT": "sure"})
    assert bad_strict.returncode == 2
    assert bad_strict.stderr.startswith("tracers: TRACERS_STRICT='sure' is not a valid value; use one of: 0, off")


@pytest.mark.parametrize("value,enabled", [("true", True), ("Yes", True), ("no", False), ("FALSE", False)])
def test_yes_and_no_words_under_run(python, tmp_path, value, enabled):
    script = tmp_path / "app.py"
    script.write_text("import tracers._config as config\nprint(config.current().enabled)\n")
    result = python(["-m", "tracers", "run", str(script)], env={"TRACERS": value})
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{enabled}\n", "")


def test_bad_strict_value_in_a_program_is_one_line(python):
    result = python(PROGRAM.replace("probe(P.e(1))", "probe(P.e('not an int'))"),
                    env={"TRACERS": "record", "TRACERS_STRICT": "sure"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran True\n"  # tracing is on (record); only strict mode is off
    lines = result.stderr.splitlines()
    assert lines[0] == ("tracers: TRACERS_STRICT='sure' is not a valid value; use one of: "
                        "0, off, no, false, 1, on, yes, true (unset means off); strict mode is off")
    assert "RuntimeWarning: tracers: probe p:e not fired: a: expected int, got str" in lines[1]


def test_run_command_sets_mode_for_children(python, tmp_path):
    script = tmp_path / "child.py"
    script.write_text("import os, subprocess, sys\n"
                      "print(os.environ['TRACERS'])\n"
                      "print(subprocess.run([sys.executable, '-c', 'import tracers._config as c; print(c.current())'],"
                      " capture_output=True, text=True).stdout.strip())\n")
    result = python(["-m", "tracers", "run", "--backend", "record", str(script)])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "record"
    assert lines[1] == "Mode(enabled=True, backend='record', strict=False)"
