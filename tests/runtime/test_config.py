"""TRACERS and TRACERS_STRICT are read in one place; bad values are start-up errors."""
import pytest

from tracers import ConfigError
from tracers._config import BACKENDS, parse_mode, parse_strict


@pytest.mark.parametrize("value", [None, "", "0", "off", "OFF", " off "])
def test_off_values(value):
    mode = parse_mode(value)
    assert not mode.enabled and mode.backend is None and mode.tag == "off"


@pytest.mark.parametrize("value", ["1", "on", "auto", "AUTO"])
def test_auto_values(value):
    mode = parse_mode(value)
    assert mode.enabled and mode.backend == "auto" and mode.tag == "on"


@pytest.mark.parametrize("name", BACKENDS)
def test_backend_names(name):
    assert parse_mode(name).backend == name


def test_unknown_value_lists_valid_ones():
    with pytest.raises(ConfigError) as caught:
        parse_mode("dtrace")
    message = str(caught.value)
    assert "TRACERS='dtrace' is not a valid value" in message
    for word in ("off", "on", "auto", "noop", "record", "usdt", "lttng", "stapsdt"):
        assert word in message


def test_strict():
    assert parse_strict("1") and not parse_strict(None) and not parse_strict("0")
    with pytest.raises(ConfigError, match="TRACERS_STRICT"):
        parse_strict("maybe")


def test_unknown_value_fails_at_start_up(python):
    result = python("from tracers import tracer\n@tracer\nclass P:\n    def e(a: int): ...\n",
                    env={"TRACERS": "bogus"})
    assert result.returncode == 1
    assert "ConfigError: TRACERS='bogus' is not a valid value" in result.stderr


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
