"""Every module of the running interpreter's standard library goes through the
transform unchanged: it has no probes, so both modes must hand back an equal
tree that still compiles. The scope analysis, which ``rewrite`` only runs when
something looks like a probe, is run over every module too, as a check that it
copes with a large body of real-world syntax."""
import ast
import sysconfig
import time
import warnings
from pathlib import Path

from tracers.importhook._scopes import build_scopes
from tracers.importhook._transform import rewrite

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _compilable_modules():
    """Parsed trees of the stdlib files that compile; others (test data) are skipped."""
    for path in sorted(STDLIB.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_bytes(), str(path))
            compile(tree, str(path), "exec")
        except (SyntaxError, ValueError):
            continue
        yield path, tree


def test_stdlib_passes_through_unchanged() -> None:
    started = time.perf_counter()
    checked, failures = 0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. invalid escape sequences in old modules
        for path, tree in _compilable_modules():
            original = ast.dump(tree)
            for enabled in (False, True):
                result = rewrite(tree, enabled=enabled)
                if result.sites or ast.dump(result.tree) != original:
                    failures.append(f"{path} (enabled={enabled})")
                compile(result.tree, str(path), "exec")
            build_scopes(tree)  # must not raise
            checked += 1
    print(f"checked {checked} stdlib modules in {time.perf_counter() - started:.1f}s")
    assert not failures
    assert checked > 500
