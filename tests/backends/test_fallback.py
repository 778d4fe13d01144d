"""A backend that cannot work here falls back to noop with one warning; the program runs on."""
import os
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "simple.py"


def test_unwritable_runtime_directory_runs_the_example_with_one_warning(python, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = python(["-m", "tracers", "run", "--backend", "usdt", str(EXAMPLE), "--count", "3"],
                    env={"TRACERS_RUNTIME_DIR": str(blocker / "run")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["hello world #0", "hello world #1", "hello world #2"]
    assert result.stderr.count("Warning") == 1, result.stderr
    assert "tracers: backend 'usdt' unavailable, probes will not fire: " in result.stderr
    assert f"{blocker}, on the runtime directory's path, is not a directory" in result.stderr
    assert f"{EXAMPLE}:" in result.stderr  # the warning points at the user's file


def test_two_providers_warn_once(python, tmp_path):
    code = ("from tracers import tracer\n"
            "@tracer\nclass A:\n    def e(a: int): ...\n"
            "@tracer\nclass B:\n    def e(a: int): ...\n"
            "print(bool(A.e), bool(B.e))\n")
    result = python(code, env={"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": os.devnull + "/run"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"
    assert result.stderr.count("RuntimeWarning") == 1, result.stderr
