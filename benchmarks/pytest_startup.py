"""pytest start-up with the tracers plugin installed but unused, against pytest without it.

A generated project (test modules that do not use tracers) is collected with
``python -m pytest --collect-only -q`` in fresh interpreters, round-robin over
the configurations, with warm bytecode caches; the table gives the median wall
time of each and its ratio to ``-p no:tracers`` (the plugin not even
imported).  ``-X importtime`` also gives what loading the plugin's module
costs by itself, and a test of the project reports whether anything of
``tracers`` was imported.

    python benchmarks/pytest_startup.py            # about a minute
    python benchmarks/pytest_startup.py --quick
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import child_env, load, machine, median, table, verdict  # noqa: E402

CONFIGS = {
    "without": ("plugin not loaded (-p no:tracers)", ["-p", "no:tracers"]),
    "unused": ("plugin loaded, unused (the default)", []),
    "off": ("plugin used: --tracers=off", ["--tracers=off"]),
    "record": ("plugin used: --tracers=record", ["--tracers=record"]),
}
MODULES, TESTS = 30, 10


def _write_project(root: Path) -> None:
    (root / "pytest.ini").write_text("[pytest]\n")
    for m in range(MODULES):
        tests = "".join(f"def test_{t}():\n    assert {t} + 1 > {t}\n\n" for t in range(TESTS))
        (root / f"test_module_{m}.py").write_text(f"import os\n\n{tests}")


def _pytest(root: Path, args: list[str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args]
    done = subprocess.run(command, cwd=str(root), env=child_env(), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def _plugin_import() -> int:
    """Microseconds to import the plugin's module once pytest is loaded (median of 7 processes).

    pytest loads plugins with importlib.import_module, which -X importtime does not report, so the
    module is imported directly here, after pytest.
    """
    found = []
    for _ in range(7):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import pytest; import _tracers_pytestplugin"],
                              env=child_env(), capture_output=True, text=True, timeout=60)
        for line in done.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[2].strip() == "_tracers_pytestplugin":
                found.append(int(parts[1]))
    if not found:
        raise RuntimeError("-X importtime did not report _tracers_pytestplugin")
    return int(median(found))


def _tracers_modules_of_an_unused_run(root: Path) -> list[str]:
    (root / "test_report.py").write_text(
        "import json, sys\n\ndef test_report():\n"
        "    print('TRACERS-MODULES', json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'tracers')))\n")
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_report.py"],
                              cwd=str(root), env=child_env(), capture_output=True, text=True, timeout=300)
    finally:
        (root / "test_report.py").unlink()
    line = next((line for line in done.stdout.splitlines() if "TRACERS-MODULES" in line), None)
    if line is None:
        raise RuntimeError(f"no report from the project's test:\n{done.stdout}\n{done.stderr}")
    return list(json.loads(line.split("TRACERS-MODULES", 1)[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--runs", type=int, help="runs per configuration (default 25; quick 7)")
    options = parser.parse_args()
    runs = options.runs or (7 if options.quick else 25)

    print(f"pytest start-up: --collect-only of {MODULES} modules x {TESTS} tests, {runs} runs per configuration, "
          f"round-robin, warm caches;\n{machine()}; {load()} at the start")
    times: dict[str, list[float]] = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="tracers-bench-") as directory:
        root = Path(directory)
        _write_project(root)
        for _, args in CONFIGS.values():  # warm the bytecode caches of every configuration
            _pytest(root, args)
        for _ in range(runs):
            for name, (_, args) in CONFIGS.items():
                start = time.perf_counter()
                _pytest(root, args)
                times[name].append((time.perf_counter() - start) * 1000)
        tracers_modules = _tracers_modules_of_an_unused_run(root)
    plugin_us = _plugin_import()

    base, base_min = median(times["without"]), min(times["without"])
    rows = [[label, f"{median(times[name]):.1f}", f"{min(times[name]):.1f}", f"{median(times[name]) / base:.3f}",
             f"{min(times[name]) / base_min:.3f}"]
            for name, (label, _) in CONFIGS.items()]
    print()
    print(table(["configuration", "median ms", "min ms", "median ratio", "min ratio"], rows))
    print()
    print(f"importing _tracers_pytestplugin after pytest (-X importtime, cumulative, median): {plugin_us} us; "
          f"tracers modules imported by an unused run: {tracers_modules or 'none'}")
    print(f"{load()} at the end (above the CPU count the timings are less reliable)")
    ratio = median(times["unused"]) / base
    print(f"verdict: unused plugin {verdict(not tracers_modules and plugin_us < 1000)} "
          f"(nothing of tracers imported, plugin module {plugin_us} us; wall-time ratio {ratio:.3f})")


if __name__ == "__main__":
    main()
