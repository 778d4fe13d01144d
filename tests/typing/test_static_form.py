"""The README's declaration form (``@staticmethod def e(...) -> ProbeCall: ...``)
with real checkers: pyright (basic and strict) and ``mypy --strict``, with no
plugin, accept it, the examples and the README's first example with no
diagnostic at all, and report every deliberate mistake of
``cases/static_form_mistakes.py`` with exactly the announced rule on exactly
its line. The same files run, and fire, under tracers.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from typecheck_support import CASES, EXAMPLES, REPO, Found, expected, run_mypy, run_pyright  # noqa: E402

GOOD = CASES / "static_form.py"
MISTAKES = CASES / "static_form_mistakes.py"
README_EXAMPLE = "readme_example.py"


def readme_example(tmp: Path) -> Path:
    """The README's first Python block, as a file of its own."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block, "README.md has no python block"
    path = tmp / README_EXAMPLE
    path.write_text(block.group(1))
    return path


def example_files() -> List[Path]:
    return sorted(EXAMPLES.rglob("*.py"))


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Found]:
    """Every checker's diagnostics on the good files, the mistakes and the examples (one run each)."""
    tmp = tmp_path_factory.mktemp("checkers")
    files = [GOOD, MISTAKES, readme_example(tmp)]
    results = {
        "pyright-basic": run_pyright(tmp, files + example_files(), "basic"),
        "pyright-strict": run_pyright(tmp, files + example_files(), "strict"),
        "mypy": run_mypy(tmp, files, plugin=False),
        "mypy-plugin": run_mypy(tmp, files, plugin=True),
    }
    # The examples as mypy sees them from the repository (packages, and app.py next to worker.py).
    results["mypy-examples"] = run_mypy(tmp, [Path("examples")], plugin=False, cwd=REPO)
    return results


CHECKERS = ["pyright-basic", "pyright-strict", "mypy", "mypy-plugin"]


@pytest.mark.parametrize("checker", CHECKERS)
def test_the_readme_form_has_no_diagnostics(checked: Dict[str, Found], checker: str) -> None:
    found = checked[checker]
    assert found.get(GOOD.name, set()) == set(), found
    assert found.get(README_EXAMPLE, set()) == set(), found


@pytest.mark.parametrize("checker", ["pyright-basic", "pyright-strict", "mypy-examples"])
def test_the_examples_have_no_diagnostics(checked: Dict[str, Found], checker: str) -> None:
    found = {name: pairs for name, pairs in checked[checker].items()
             if name not in (GOOD.name, MISTAKES.name, README_EXAMPLE)}
    assert found == {}


@pytest.mark.parametrize("checker", CHECKERS)
def test_each_mistake_is_reported_on_its_line(checked: Dict[str, Found], checker: str) -> None:
    want = expected(MISTAKES, checker)
    assert len({line for line, _ in want}) >= 12, "the case file lost its expectations"
    assert checked[checker].get(MISTAKES.name, set()) == want


def _run(args: List[str], **env: str) -> "subprocess.CompletedProcess[str]":
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
    full_env["PYTHONPATH"] = str(REPO)
    full_env.update(env)
    return subprocess.run([sys.executable, *args], env=full_env, capture_output=True, text=True, timeout=120)


FIRED = [
    "simple_probes started ()",
    "simple_probes hello ('world',)",
    "simple_probes greeting ('hello', 'world')",
    "simple_probes optional_greeting ('hello', None)",
    "myapp request ('GET', 200, 4)",
    "myapp widths (-1, -2, -3, -4, 5, 6, None)",
    "myapp raw (True, b'body', None, None)",
    "myapp raw (False, b'', b'body', 7)",
    "simple_probes hello ('again',)",
]


@pytest.mark.parametrize("how", [[], ["-m", "tracers", "run", "--backend", "record"]], ids=["fallback", "hook"])
def test_the_checked_form_fires(how: List[str]) -> None:
    done = _run([*how, str(GOOD)], TRACERS="record")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == FIRED
    if how:
        assert done.stderr == ""
    else:  # one warning says that the script's probes were not rewritten, and how to do it
        assert done.stderr.count("RuntimeWarning") == 1 and "python -m tracers run" in done.stderr, done.stderr
