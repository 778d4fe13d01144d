"""python -m tracers doctor: platform, auto backend, tools, tracefs, runtime directory."""
import json
import os
import platform
import shutil
import sys

import pytest

IN_CI = bool(os.environ.get("CI"))
TOOLS = {"bpftrace": "bpftrace", "tplist": "tplist-bpfcc", "gdb": "gdb", "lttng": "lttng"}


def test_names_usdt_and_the_installed_tools(python, tmp_path):
    result = python(["-m", "tracers", "doctor"], env={"TRACERS_RUNTIME_DIR": str(tmp_path / "run")})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"platform: {sys.platform} {platform.machine()}" in out
    if sys.platform.startswith("linux") and platform.machine() in ("x86_64", "aarch64"):
        assert "auto backend: usdt: Linux on" in out
    for label, command in TOOLS.items():
        found = shutil.which(command)
        if found is None:
            if IN_CI:
                pytest.fail(f"{command} is not installed (.ci/run installs it)")
            continue
        assert any(line.split()[:2] == [label, found] for line in out.splitlines() if line.startswith("  ")), out
    assert f"runtime directory: {tmp_path / 'run'}: usable (its whole path checked: " in out
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o700


def test_says_what_is_missing_without_the_tools(python, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = python([os.path.realpath(sys.executable), "-m", "tracers", "doctor"][1:],
                    env={"PATH": str(empty), "TRACERS_RUNTIME_DIR": str(tmp_path / "run")})
    assert result.returncode == 0, result.stderr
    for label in TOOLS:
        line = next(line for line in result.stdout.splitlines() if line.split()[:1] == [label])
        assert "missing (apt-get install" in line, line


def test_reports_an_unusable_runtime_directory_and_a_bad_mode(python, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = python(["-m", "tracers", "doctor"],
                    env={"TRACERS_RUNTIME_DIR": str(blocker / "run"), "TRACERS": "bogus"})
    assert result.returncode == 0, result.stderr
    assert f"runtime directory: {blocker / 'run'}: unusable: {blocker}, on the runtime directory's path, " \
        "is not a directory" in result.stdout
    assert "mode: invalid: TRACERS='bogus' is not a valid value" in result.stdout


def test_json_holds_the_same_facts(python, tmp_path):
    run_dir = tmp_path / "run"
    env = {"TRACERS_RUNTIME_DIR": str(run_dir), "TRACERS": "usdt"}
    result = python(["-m", "tracers", "doctor", "--json"], env=env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert list(facts) == ["tracers", "platform", "mode", "import_hook", "auto_backend", "tools", "tracefs",
                           "runtime_directory", "lttng_agent"]
    assert facts["tracers"]["executable"] == sys.executable
    assert facts["tracers"]["python"] == platform.python_version()
    assert facts["platform"] == {"system": sys.platform, "machine": platform.machine(), "kernel": platform.release()}
    assert facts["mode"] == {"TRACERS": "usdt", "valid": True, "enabled": True, "backend": "usdt", "note": None,
                             "error": None}
    for label, command in TOOLS.items():
        assert facts["tools"][label]["path"] == shutil.which(command)
    mounted = next((p for p in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing") if os.path.ismount(p)), None)
    assert facts["tracefs"]["mounted"] is (mounted is not None) and facts["tracefs"]["path"] == mounted
    assert facts["runtime_directory"] == {"path": str(run_dir), "usable": True, "problem": None, "notes": []}

    text = python(["-m", "tracers", "doctor"], env=env).stdout
    assert f"auto backend: {facts['auto_backend']['name']}: {facts['auto_backend']['reason']}" in text.splitlines()


def test_json_of_a_bad_mode_and_missing_tools(python, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = python(["-m", "tracers", "doctor", "--json"],
                    env={"PATH": str(empty), "TRACERS": "bogus", "TRACERS_RUNTIME_DIR": str(tmp_path / "run")})
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    mode = facts["mode"]
    assert (mode["TRACERS"], mode["valid"], mode["enabled"]) == ("bogus", False, None)
    assert mode["error"].startswith("TRACERS='bogus' is not a valid value")
    for label in TOOLS:
        assert facts["tools"][label]["path"] is None
        assert facts["tools"][label]["install"].startswith("apt-get install ")
