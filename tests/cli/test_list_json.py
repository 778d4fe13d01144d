"""``list --json``: one shape for a module and for a running process (``--pid``)."""
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SIMPLE = REPO / "examples" / "simple.py"

# What examples/simple.py declares, written out by hand.
SIMPLE_PROBES = [
    {"name": "hello", "line": 15, "args": [{"name": "who", "type": "str"}]},
    {"name": "greeting", "line": 18, "args": [{"name": "greeting", "type": "str"}, {"name": "name", "type": "str"}]},
    {"name": "optional_greeting", "line": 21,
     "args": [{"name": "greeting", "type": "str"}, {"name": "name", "type": "Optional[str]"}]},
    {"name": "counter", "line": 24, "args": [{"name": "count", "type": "int"}]},
]


def with_file(probes, path: Path):
    return [dict(probe, file=str(path)) for probe in probes]


def test_list_json_of_a_file(python, tmp_path):
    result = python(["-m", "tracers", "list", str(SIMPLE), "--json"], env={"TRACERS_RUNTIME_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    (provider,) = json.loads(result.stdout)["providers"]
    # The object this user's processes map with TRACERS=usdt (checked against a real one below).
    assert os.path.dirname(provider.pop("object")) == str(tmp_path)
    assert provider == {"provider": "simple_probes", "class": "SimpleProbes", "module": "simple", "pids": None,
                        "probes": with_file(SIMPLE_PROBES, SIMPLE)}


def test_list_json_with_nothing_found(python, tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("X = 1\n")
    result = python(["-m", "tracers", "list", str(plain), "--json"])
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"providers": []}
    assert "defines no @tracer providers" in result.stderr


def loaded_objects(pid: int) -> set:
    with open(f"/proc/{pid}/maps") as maps:
        return {line.split(None, 5)[5].strip() for line in maps
                if len(line.split(None, 5)) == 6 and re.search(r"/simple_probes-[0-9a-f]{16}\.so$", line.rstrip())}


def test_list_pid_json_has_the_same_shape_with_the_object(python, tmp_path):
    if not (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "aarch64")):
        pytest.skip("USDT objects are made on Linux x86_64 and aarch64 only")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
    env.update(PYTHONPATH=str(REPO), TRACERS_RUNTIME_DIR=str(tmp_path / "run"))
    app = subprocess.Popen([sys.executable, "-m", "tracers", "run", "--backend", "usdt", str(SIMPLE),
                            "--forever", "--interval", "0.05"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert app.stdout is not None
        assert app.stdout.readline() == "hello world #0\n"  # its probes are loaded by now
        result = python(["-m", "tracers", "list", "--pid", str(app.pid), "--json"])
        of_file = python(["-m", "tracers", "list", str(SIMPLE), "--json"],
                         env={"TRACERS_RUNTIME_DIR": str(tmp_path / "run")})
        objects = loaded_objects(app.pid)
    finally:
        app.kill()
        app.communicate(timeout=60)
    assert result.returncode == 0, result.stderr
    (provider,) = json.loads(result.stdout)["providers"]
    (path,) = objects
    # A process's object knows the provider's contract, not the class, module or lines that declared it.
    unplaced = [dict(probe, file=None, line=None) for probe in SIMPLE_PROBES]
    assert provider == {"provider": "simple_probes", "class": None, "module": None, "object": path,
                        "pids": [app.pid], "probes": unplaced}
    assert json.loads(of_file.stdout)["providers"][0]["object"] == path  # what list FILE promised
