"""Start-up cost of a library that rewrites its own modules: ``install(packages=[__name__])``.

A generated package (20 modules with probes, 20 without, about 60 lines
each) is imported in fresh interpreters with warm bytecode caches, round-robin
over the configurations; each process times ``import benchlib`` itself
(``tracers`` included, which the library imports in every configuration).
Ratios are against the same package whose ``__init__.py`` does not install
the hook (its probes then run through the fallback).

    python benchmarks/library_hook.py            # about half a minute
    python benchmarks/library_hook.py --quick
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import child_env, load, machine, median, run_json, table, verdict  # noqa: E402

MODULES = 20
INSTALL = "import tracers.importhook\ntracers.importhook.install(packages=[__name__])\n"
GLOBAL = "import tracers.importhook; tracers.importhook.install()\n"

# name: (label, what the package's __init__ starts with, a global install first (as sitecustomize.py would)?)
CONFIGS = {
    "plain": ("__init__ without the hook (probes use the fallback)", "", False),
    "import": ("__init__ imports tracers.importhook, no install", "import tracers.importhook\n", False),
    "scoped": ("__init__: install(packages=[__name__])", INSTALL, False),
    "global": ("global install() first (timed), then the same __init__", INSTALL, True),
}

CHILD = """
import json, sys, time
sys.path.insert(0, {directory!r})
start = time.perf_counter()
{global_install}import benchlib
elapsed = time.perf_counter() - start
print(json.dumps({{"ms": elapsed * 1000, "hooked": type(benchlib.probes_0.__loader__).__name__ == "TracersLoader",
                   "parser": "tracers.importhook._compile" in sys.modules}}))
"""


def _module(index: int, probes: bool) -> str:
    body = [f'"""Module {index} of the benchmark library."""', "from tracers import probe, tracer" if probes else "",
            ""]
    if probes:
        body += ["@tracer", f"class Probes{index}:", "    def step(name: str, n: int): ...", ""]
    for f in range(10):
        body += [f"def function_{f}(name, n):", "    total = 0", "    for i in range(n):", "        total += i * 2"]
        if probes:
            body.append(f"        probe(Probes{index}.step(name, i))")
        body += ["    return total", ""]
    return "\n".join(body) + "\n"


def _write_package(root: Path, prologue: str) -> None:
    package = root / "benchlib"
    package.mkdir(parents=True)
    imports = "".join(f"from . import probes_{i}, plain_{i}\n" for i in range(MODULES))
    (package / "__init__.py").write_text(prologue + imports)
    for i in range(MODULES):
        (package / f"probes_{i}.py").write_text(_module(i, True))
        (package / f"plain_{i}.py").write_text(_module(i, False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--runs", type=int, help="processes per configuration (default 25; quick 7)")
    options = parser.parse_args()
    runs = options.runs or (7 if options.quick else 25)
    print(f"library start-up: import of a package of {2 * MODULES} modules, {runs} processes per configuration, "
          f"round-robin, warm caches, tracing off;\n{machine()}; {load()} at the start")
    results: dict[str, list[dict]] = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="tracers-bench-") as directory:
        codes = {}
        for name, (_, prologue, global_install) in CONFIGS.items():
            root = Path(directory, name)
            _write_package(root, prologue)
            codes[name] = textwrap.dedent(CHILD).format(directory=str(root),
                                                        global_install=GLOBAL if global_install else "")
            run_json(["-c", codes[name]], child_env())  # warm the caches
        for _ in range(runs):
            for name in CONFIGS:
                results[name].append(run_json(["-c", codes[name]], child_env()))

    base = min(r["ms"] for r in results["plain"])
    rows = []
    for name, (label, prologue, _) in CONFIGS.items():
        ms = min(r["ms"] for r in results[name])
        checks = all(r["hooked"] == (prologue == INSTALL) and not r["parser"] for r in results[name])
        rows.append([label, f"{ms:.2f}", f"{median(r['ms'] for r in results[name]):.2f}", f"{ms - base:+.2f}",
                     f"{ms / base:.3f}", "ok" if checks else "FAILED: hook state or parser loaded"])
    print()
    print(table(["configuration", "min ms", "median ms", "vs plain ms", "ratio", "checks"], rows))
    print()
    print("ms to import the package in a fresh process (tracers included); the minimum over the processes")
    print("escapes the time other processes take on a busy machine; differences and ratios use the minimums;")
    print("checks: its probe modules are rewritten exactly when it installs the hook, and no warm start compiles")
    print(f"{load()} at the end (above the CPU count the timings are less reliable)")
    scoped = min(r["ms"] for r in results["scoped"])
    imported = min(r["ms"] for r in results["import"])
    print(f"verdict: {verdict(scoped - imported <= 1.0)} (install(packages=...) and rewriting cost "
          f"{scoped - imported:+.2f} ms beyond importing tracers.importhook ({imported - base:+.2f} ms), "
          f"target at most +1 ms)")


if __name__ == "__main__":
    main()
