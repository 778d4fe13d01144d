"""A third-party test suite passes test by test the same with the hook off, on, and without it.

more-itertools, pinned, from its source distribution (which carries its tests),
fetched with pip.  Its suite runs three times in fresh interpreters: without
tracers, with the hook installed and tracing off, and with the hook installed
and ``TRACERS=record``; every test (and subtest) must have the same outcome in
all three, and the hook must really have loaded the package.
"""
from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "importhook"))
from hook_support import unavailable  # noqa: E402

PACKAGE, VERSION = "more-itertools", "10.7.0"

# Runs the suite in the current directory; writes the outcomes to argv[1].
DRIVER = """
import json, sys
if sys.argv[2] == "hook":
    import tracers.importhook
    tracers.importhook.install()
import pytest

class Outcomes:
    def __init__(self):
        self.seen = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.seen.append([report.nodeid, report.when, report.outcome])

outcomes = Outcomes()
code = pytest.main(["-q", "-p", "no:cacheprovider", "tests"], plugins=[outcomes])
import more_itertools.more
with open(sys.argv[1], "w") as file:
    json.dump({"exit": int(code), "outcomes": outcomes.seen,
               "loader": type(more_itertools.more.__loader__).__name__}, file)
"""


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    """The pinned source distribution, unpacked."""
    folder = tmp_path_factory.mktemp("sdist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         f"{PACKAGE}=={VERSION}", "-d", str(folder)], capture_output=True, text=True, timeout=300)
    archives = list(folder.glob("*.tar.gz"))
    if done.returncode != 0 or len(archives) != 1:
        unavailable(f"cannot download the {PACKAGE} {VERSION} sdist: {done.stderr[-1000:]}")
    with tarfile.open(archives[0]) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(folder, filter="data")
        else:  # Pythons before the extraction filters: the pinned archive is known
            archive.extractall(folder)
    root = folder / f"{PACKAGE.replace('-', '_')}-{VERSION}"
    assert (root / "tests").is_dir()
    return root


def _run(suite: Path, hook: bool, tracers: str = "") -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TRACERS", "COVERAGE_PROCESS", "PYTEST_", "PYTHON"))}
    env["PYTHONPATH"] = str(REPO)  # tracers from this checkout; the suite imports the package from its own tree
    if tracers:
        env["TRACERS"] = tracers
    out = suite / f"outcomes-{'hook' if hook else 'plain'}-{tracers or 'off'}.json"
    done = subprocess.run([sys.executable, "-c", DRIVER, str(out), "hook" if hook else "plain"],
                          cwd=str(suite), env=env, capture_output=True, text=True, timeout=600)
    assert out.exists(), f"the suite did not finish:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return json.loads(out.read_text())


def test_more_itertools_suite_has_identical_outcomes_with_and_without_the_hook(suite):
    plain = _run(suite, hook=False)
    off = _run(suite, hook=True)
    on = _run(suite, hook=True, tracers="record")
    assert plain["exit"] == 0 and len(plain["outcomes"]) > 500  # the suite really ran, and passes
    assert plain["loader"] == "SourceFileLoader"
    assert off["loader"] == on["loader"] == "TracersLoader"  # the hook really loaded the package
    reference = collections.Counter(map(tuple, plain["outcomes"]))
    for name, run in (("hook, tracing off", off), ("hook, TRACERS=record", on)):
        got = collections.Counter(map(tuple, run["outcomes"]))
        assert got == reference, f"{name}: {sorted((got - reference).items())[:10]} / {sorted((reference - got).items())[:10]}"
        assert run["exit"] == plain["exit"]
