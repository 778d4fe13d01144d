"""A reader that leaves early (``tracers list ... | head``) ends the command quietly, with status 141."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.mark.parametrize("args", [
    ["list", str(EXAMPLES / "simple.py")],
    ["list", str(EXAMPLES / "shop"), "--json"],
    ["show", str(EXAMPLES / "simple.py"), "--on", "--diff"],
    ["doctor"],
    ["doctor", "--json"],
    ["sitecustomize"],
], ids=lambda args: " ".join(a if "/" not in a else Path(a).name for a in args))
def test_output_into_a_pipe_nobody_reads(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write
    try:
        result = subprocess.run([sys.executable, "-m", "tracers", *args], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, env=clean_env(), timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr


def test_list_into_head(tmp_path):
    """The shell pipeline itself, with more output than a pipe holds, so the writer meets the closed end."""
    probes = "\n".join(f"    def event_{n}(first: str, second: int): ..." for n in range(600))
    (tmp_path / "many.py").write_text(f"from tracers import tracer\n\n@tracer\nclass Many:\n{probes}\n")
    script = f'"{sys.executable}" -m tracers list many.py | head -n 1; echo "status ${{PIPESTATUS[0]}}"'
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env=clean_env(), timeout=60)
    assert result.stdout.splitlines() == ["provider many  (Many in many)", "status 141"], result.stderr
    assert result.stderr == ""
