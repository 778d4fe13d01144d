"""``python -m tracers run`` caches the rewritten ``__main__`` and keeps plain Python's meaning.

Plain Python compiles the script at every run: its compile warnings come out
each time, and an edited script runs as edited.  ``run`` keeps the rewritten
code in a tagged pyc beside the script, so that a program started again
loads neither the parser nor the rewriter; a script whose compiling warns is
compiled at every run, as Python does.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Optional

from startup_support import REPO, clean_environment

SCRIPT = textwrap.dedent("""\
    import json, sys
    from tracers import probe, tracer
    from tracers.runtime import record

    @tracer
    class Cached:
        def ran(value: int): ...

    probe(Cached.ran(VALUE))
    print(json.dumps({"events": [list(e.args) for e in record.events()],
                      "parser": "tracers.importhook._compile" in sys.modules}))
""")


def run(path: Path, extra: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    env = clean_environment(**(extra or {}))
    return subprocess.run([sys.executable, "-m", "tracers", "run", "--backend", "record", path.name],
                          cwd=str(path.parent), env=env, capture_output=True, text=True, timeout=60)


def test_a_second_run_uses_the_cached_code_and_an_edit_is_seen(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(SCRIPT.replace("VALUE", "1"))
    first, second = run(script), run(script)
    assert (first.returncode, first.stderr, second.returncode, second.stderr) == (0, "", 0, "")
    assert json.loads(first.stdout) == {"events": [[1]], "parser": True}
    assert json.loads(second.stdout) == {"events": [[1]], "parser": False}
    assert [p.name for p in (tmp_path / "__pycache__").iterdir() if "tracers" in p.name]  # the tagged pyc
    script.write_text(SCRIPT.replace("VALUE", "22"))  # another size: stale
    assert json.loads(run(script).stdout) == {"events": [[22]], "parser": True}


def test_compile_warnings_come_out_at_every_run(tmp_path: Path) -> None:
    script = tmp_path / "warns.py"
    script.write_text(SCRIPT.replace("VALUE", "1") + "flag = 1 is 1\n")  # SyntaxWarning: "is" with a literal
    for _ in range(3):
        done = run(script)
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("SyntaxWarning") == 1, done.stderr
        assert json.loads(done.stdout)["events"] == [[1]]


def test_warnings_turned_into_errors_stop_the_script_as_python_does(tmp_path: Path) -> None:
    script = tmp_path / "warns.py"
    script.write_text(SCRIPT.replace("VALUE", "1") + "flag = 1 is 1\n")
    plain = subprocess.run([sys.executable, "-W", "error::SyntaxWarning", str(script)], capture_output=True,
                           text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    traced = run(script, {"PYTHONWARNINGS": "error::SyntaxWarning"})
    assert plain.returncode == traced.returncode == 1
    assert plain.stderr.splitlines()[-1] == traced.stderr.splitlines()[-1]
    assert "SyntaxError" in traced.stderr
