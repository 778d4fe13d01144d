"""Start-up of a process that cannot write bytecode caches, with and without ``tracers compile``.

A service often runs as a user of its own over code that root installed: it
cannot write the ``__pycache__`` directories, so whatever the hook does not
find cached it parses, rewrites and compiles at every start.  This script
generates ``import_time.py``'s package (a provider module, 50 modules that
fire probes, 50 plain ones), in two copies:

    standard   the standard pycs only, as ``pip install`` (compileall) leaves them
    compiled   the same, plus ``python -m tracers compile`` of the package

and times whole processes that install the hook and import every module of
the package, with ``PYTHONDONTWRITEBYTECODE=1`` (a process that writes no
cache), A (standard) and B (compiled) in turn, with tracing off and on
(``noop``, which loads no object: the difference is the import's alone).

    python benchmarks/compile_ahead.py            # about a minute
    python benchmarks/compile_ahead.py --pairs 41
"""
from __future__ import annotations

import argparse
import compileall
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, child_env, load, machine, median, table, timed  # noqa: E402
from import_time import PACKAGE, generate, plain_names, probe_names  # noqa: E402

CHILD = "import tracers.importhook; tracers.importhook.install()\n" + "".join(
    f"import {name}\n" for name in [*plain_names(), *probe_names()])


def prepare(root: Path, ahead: bool) -> Path:
    """A copy of the package with its standard pycs, and with ``tracers compile``'s if ``ahead``."""
    generate(root)
    compileall.compile_dir(str(root / PACKAGE), quiet=1)
    if ahead:
        subprocess.run([sys.executable, "-m", "tracers", "compile", "-q", str(root / PACKAGE)],
                       env=child_env(), check=True, stdout=subprocess.DEVNULL)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=21, help="timed pairs per mode (default 21)")
    options = parser.parse_args()
    print(f"a process that writes no bytecode, importing {len(plain_names())} plain modules and "
          f"{len(probe_names())} with probes; {machine()}; {load()} at the start; {options.pairs} pairs per line")
    rows = []
    with tempfile.TemporaryDirectory(prefix="tracers-bench-ahead-") as temporary:
        standard = prepare(Path(temporary) / "standard", ahead=False)
        compiled = prepare(Path(temporary) / "compiled", ahead=True)
        args = [sys.executable, "-c", CHILD]
        for mode in ("off", "noop"):
            def env(root: Path) -> dict[str, str]:
                return child_env(None if mode == "off" else mode, {
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTHONPATH": f"{root}:{REPO}"})

            runs = []
            for index in range(options.pairs + 2):  # the first two pairs warm the machine up
                first, second = (standard, compiled) if index % 2 else (compiled, standard)
                times = {first: timed(args, env(first), str(REPO)), second: timed(args, env(second), str(REPO))}
                if index >= 2:
                    runs.append((times[standard][0], times[compiled][0]))
            a, b = median(r[0] for r in runs), median(r[1] for r in runs)
            rows.append([f"tracing {'off' if mode == 'off' else 'on (noop)'}", f"{a * 1e3:.1f}", f"{b * 1e3:.1f}",
                         f"{(a - b) * 1e3:+.1f}", f"{median(r[0] / r[1] for r in runs):.3f}"])
    print(table(["", "standard pycs only ms", "with tracers compile ms", "difference ms", "ratio"], rows))
    print(f"ms: median wall time of the whole process; ratio: median of the pairs' ratios; {load()} at the end")


if __name__ == "__main__":
    main()
