"""Run pyright and mypy as a user would, and read their diagnostics as (line, rule) pairs.

The package is found by path (pyright's ``extraPaths``, mypy's ``MYPYPATH``):
the editable install that ``pip install -e .`` makes is an import hook that
neither checker follows, and a plain install would check an older copy.
Pyright is pointed at this interpreter with ``--pythonpath``, so it checks
for the Python version the tests run on.

Expected diagnostics are written in the checked files themselves, on the
offending line::

    probe(P.e(1))  # expect: pyright[reportArgumentType] mypy[arg-type]

``strict[...]`` lists what pyright's strict mode adds to ``pyright[...]``, and
``plugin[...]`` replaces ``mypy[...]`` when the tracers mypy plugin is on.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple

from prerequisites import unavailable

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
EXAMPLES = REPO / "examples"
PYRIGHT_VERSION = "1.1.414"  # the version .ci/run installs

Found = Dict[str, Set[Tuple[int, str]]]  # file name -> {(line, rule)}

MYPY_CONFIG = """\
[mypy]
{plugins}
[mypy-tracers.*]
ignore_errors = True
"""

_MYPY_LINE = re.compile(r"^(?P<file>[^:\s]+\.py):(?P<line>\d+): error: .*\[(?P<code>[a-z0-9-]+)\]$")
_EXPECT = re.compile(r"#\s*expect:(?P<spec>.*)$")
_RULES = re.compile(r"(?P<tool>pyright|strict|mypy|plugin)\[(?P<rules>[^\]]*)\]")


def pyright_command() -> List[str]:
    """``pyright`` from $PYRIGHT or PATH (``npm install -g pyright@VERSION``)."""
    found = os.environ.get("PYRIGHT") or shutil.which("pyright")
    if not found:
        unavailable(f"pyright is not installed (npm install -g pyright@{PYRIGHT_VERSION})")
    return [str(found)]


def run_pyright(tmp: Path, files: Iterable[Path], mode: str) -> Found:
    """Check ``files`` with pyright in ``mode`` ("basic" or "strict"); errors and warnings by file."""
    config = {
        "typeCheckingMode": mode,
        "extraPaths": [str(REPO), str(EXAMPLES / "sitecustomize")],  # the package; app.py's sibling
    }
    config_file = tmp / f"pyright-{mode}.json"
    config_file.write_text(json.dumps(config))
    done = subprocess.run(
        [*pyright_command(), "--outputjson", "--pythonpath", sys.executable, "--project", str(config_file),
         *map(str, files)],
        capture_output=True, text=True, timeout=600, cwd=tmp)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"pyright failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}") from None
    found: Found = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] in ("error", "warning"):
            rule = diagnostic.get("rule", diagnostic["message"])
            line = diagnostic["range"]["start"]["line"] + 1
            found.setdefault(Path(diagnostic["file"]).name, set()).add((line, rule))
    return found


def run_mypy(tmp: Path, files: Iterable[Path], plugin: bool, cwd: Optional[Path] = None) -> Found:
    """Check ``files`` with ``mypy --strict``, with or without the tracers plugin; errors by file."""
    config = tmp / ("mypy-plugin.ini" if plugin else "mypy.ini")
    config.write_text(MYPY_CONFIG.format(plugins="plugins = tracers.mypy" if plugin else ""))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))  # the plugin
    env["MYPYPATH"] = str(REPO)  # the package
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config), "--no-incremental",
         "--cache-dir", str(tmp / ".mypy_cache"), "--show-error-codes", "--no-color-output",
         "--no-error-summary", "--hide-error-context", *map(str, files)],
        cwd=cwd or tmp, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert "INTERNAL ERROR" not in output and done.returncode in (0, 1), output
    found: Found = {}
    for line in output.splitlines():
        match = _MYPY_LINE.match(line)
        if match:
            found.setdefault(Path(match["file"]).name, set()).add((int(match["line"]), match["code"]))
        elif ": error:" in line:
            raise AssertionError(f"a mypy error without an error code: {line}")
    return found


def expected(path: Path, checker: str) -> Set[Tuple[int, str]]:
    """The (line, rule) pairs a file's ``# expect:`` comments announce for one checker.

    ``checker`` is "pyright-basic", "pyright-strict", "mypy" or "mypy-plugin".
    """
    pairs: Set[Tuple[int, str]] = set()
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        comment = _EXPECT.search(text)
        if comment is None:
            continue
        rules = {m["tool"]: [r.strip() for r in m["rules"].split(",") if r.strip()]
                 for m in _RULES.finditer(comment["spec"])}
        if checker.startswith("pyright"):
            names = rules.get("pyright", []) + (rules.get("strict", []) if checker == "pyright-strict" else [])
        else:
            names = rules.get("plugin", rules.get("mypy", [])) if checker == "mypy-plugin" else rules.get("mypy", [])
        pairs.update((number, name) for name in names)
    return pairs
