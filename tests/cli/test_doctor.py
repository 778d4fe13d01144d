"""python -m tracers doctor: platform, auto backend, tools, tracefs, runtime directory."""
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
    assert f"runtime directory: {tmp_path / 'run'}: usable (private, writable)" in out
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
    assert f"runtime directory: {blocker / 'run'}: unusable: cannot create the runtime directory" in result.stdout
    assert "mode: invalid: TRACERS='bogus' is not a valid value" in result.stdout
