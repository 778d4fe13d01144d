"""Golden tests: each case under golden/ is rewritten and compared with the
hand-written expectation for that mode.

A case file may start with ``# sites: N`` (the expected site count, or
``# sites-on: N`` and ``# sites-off: M`` where the modes differ) and
``# requires: X.Y`` (the oldest Python whose grammar it uses).
"""
import ast
import re
import sys
from pathlib import Path

import pytest

from tracers.importhook._transform import rewrite

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(path.stem for path in GOLDEN.glob("*.py") if path.suffixes == [".py"])


def _header(source: str, key: str) -> str:
    match = re.search(rf"^# {key}: (\S+)$", source, re.MULTILINE)
    return match.group(1) if match else ""


def _normalised(source: str) -> str:
    return ast.unparse(ast.parse(source))


def test_cases_found() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("mode", ["on", "off"])
@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, mode: str) -> None:
    source = (GOLDEN / f"{case}.py").read_text()
    required = _header(source, "requires")
    if required and sys.version_info < tuple(map(int, required.split("."))):
        pytest.skip(f"syntax needs Python {required}")
    expected = (GOLDEN / f"{case}.{mode}.py").read_text()

    result = rewrite(ast.parse(source), enabled=mode == "on")

    assert ast.unparse(result.tree) == _normalised(expected)
    assert result.sites == int(_header(source, f"sites-{mode}") or _header(source, "sites"))
    compile(result.tree, f"{case}.{mode}.py", "exec")
