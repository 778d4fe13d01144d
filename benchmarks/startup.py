"""Whole-process start-up cost of tracers, in clean virtual environments.

Five virtual environments are made in a temporary directory from the Python
that runs this script, with no ``.pth`` file but tracers' own:

    plain      nothing installed
    installed  tracers copied into site-packages as a wheel installs it
               (the package, the hook's finder ``_tracers_importhook``,
               ``tracers-importhook.pth``, the pytest entry module), bytecode
               compiled
    hooked     the same, plus a ``sitecustomize.py`` that installs the import
               hook (the lines ``python -m tracers sitecustomize`` prints)
    uncompiled the same, without the bytecode of ``sitecustomize.py``: what a
               process that cannot write site-packages pays when the file
               was written by hand (``sitecustomize --write`` compiles it)
    by name    the same, with ``import tracers.importhook;
               tracers.importhook.install()`` in its ``sitecustomize.py``
    comment    nothing installed but a ``.pth`` file that holds only a
               comment: what Python's ``site`` spends on any ``.pth`` file
               (3.13 decodes each as ``utf-8-sig``, importing that codec)

A line also imports a module of the program that holds no probe site, as
most processes on a machine with the hook in ``sitecustomize.py`` do:
that is where the finder hands a module to tracers' loader.

Each line of the report runs two commands in turn, A B A B ..., as fresh
processes, and gives the median of each command's wall time and CPU time
(user + system, the kernel's accounting of the finished child) and the median
of the A/B ratios pair by pair, which stays meaningful while the machine's
speed drifts.  Tracing mode variables are unset unless a line sets them; USDT
objects go to a private runtime directory made for the run, where another
process of the same program keeps ``hello.py``'s provider object loaded (a
service of several processes), except on the line that says otherwise.
``python -m`` of an empty module shows what Python's own ``-m`` costs, which
``python -m tracers run`` pays before any of tracers runs; the ``tracers``
command that ``pip`` installs (a script in the environment's ``bin``, written
here as pip writes it) runs the same code without it.

    python benchmarks/startup.py                 # a few minutes
    python benchmarks/startup.py --pairs 41 --only 1,2
    python benchmarks/startup.py --repo DIR      # measure another checkout
    python benchmarks/startup.py --importtime    # also: where the time goes (-X importtime)
    python benchmarks/startup.py --instructions  # also: instructions executed (valgrind), per line

Wall and CPU time move with the machine's load; the number of instructions a
process executes (counted by valgrind's callgrind, median of 3 runs) hardly
does, so ``--instructions`` adds the A/B ratio of those counts to each line:
it tells a change of a few percent apart from noise.  It leaves out what
instructions do not show (system calls, page faults, cache misses).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (REPO, environment, instructions, load, machine, make_venv, median, table, timed,  # noqa: E402
                     verdict)

HELLO = textwrap.dedent('''\
    from tracers import probe, tracer


    @tracer
    class Hello:
        def greeted(name: str, count: int): ...


    probe(Hello.greeted("world", 1))
    print("hello, world")
''')

# Another process of the same program: it keeps hello.py's provider object loaded, so that the
# object already exists when each timed run defines the provider.
HOLDER = HELLO.replace('probe(Hello.greeted("world", 1))\nprint("hello, world")',
                       'import sys\nprint("ready", flush=True)\nsys.stdin.read()')

BY_NAME = "import tracers.importhook\ntracers.importhook.install()\n"

# The console script pip (26) writes for pyproject.toml's [project.scripts] tracers = "tracers.cli:main".
CONSOLE_SCRIPT = textwrap.dedent('''\
    #!{python}
    import sys
    from tracers.cli import main
    if __name__ == '__main__':
        sys.argv[0] = sys.argv[0].removesuffix('.exe')
        sys.exit(main())
''')


def console_script(python: Path) -> Path:
    """The ``tracers`` command of the virtual environment of ``python``, as pip installs it."""
    script = python.parent / "tracers"
    script.write_text(CONSOLE_SCRIPT.format(python=python))
    script.chmod(0o755)
    return script


def sitecustomize_lines(repo: Path) -> str:
    """What ``python -m tracers sitecustomize`` of ``repo`` prints."""
    return subprocess.run([sys.executable, "-m", "tracers", "sitecustomize"],
                          env=environment({"PYTHONPATH": str(repo)}), cwd=str(repo), check=True,
                          capture_output=True, text=True).stdout


class Pair:
    """Two commands timed in turn; figures are medians, ratios are taken pair by pair."""

    def __init__(self, label: str, a: Sequence[str], b: Sequence[str], env_a: dict[str, str],
                 env_b: dict[str, str], cwd: str, target: Optional[float] = None) -> None:
        self.label, self.a, self.b, self.env_a, self.env_b, self.cwd = label, a, b, env_a, env_b, cwd
        self.target = target
        self.runs: list[tuple[tuple[float, float], tuple[float, float]]] = []
        self.instructions: Optional[tuple[int, int]] = None

    def count_instructions(self) -> None:
        self.instructions = (instructions(self.a, self.env_a, self.cwd, runs=3),
                             instructions(self.b, self.env_b, self.cwd, runs=3))

    def run(self, pairs: int, warmup: int = 2) -> None:
        for _ in range(warmup):
            timed(self.a, self.env_a, self.cwd)
            timed(self.b, self.env_b, self.cwd)
        for index in range(pairs):
            if index % 2:  # alternate who goes first
                b = timed(self.b, self.env_b, self.cwd)
                a = timed(self.a, self.env_a, self.cwd)
            else:
                a = timed(self.a, self.env_a, self.cwd)
                b = timed(self.b, self.env_b, self.cwd)
            self.runs.append((a, b))

    def row(self) -> list[str]:
        wall_a, cpu_a = (median(r[0][i] for r in self.runs) for i in (0, 1))
        wall_b, cpu_b = (median(r[1][i] for r in self.runs) for i in (0, 1))
        wall_ratio = self.ratio(0)
        cpu_ratio = self.ratio(1)
        judged = "" if self.target is None else f"<= {self.target:.2f} {verdict(wall_ratio <= self.target)}"
        counted = "" if self.instructions is None else f"{self.instructions[0] / self.instructions[1]:.3f}"
        return [self.label, f"{wall_a * 1e3:.2f}", f"{wall_b * 1e3:.2f}", f"{(wall_a - wall_b) * 1e3:+.2f}",
                f"{wall_ratio:.3f}", f"{cpu_ratio:.3f}", counted, judged]

    def ratio(self, index: int) -> float:
        return median(a[index] / b[index] for a, b in self.runs)


def importtime(python: Path, code: str, env: dict[str, str], cwd: str, runs: int = 9) -> dict[str, tuple[int, int]]:
    """Per module, the minimum self and cumulative microseconds of ``-X importtime`` over ``runs``."""
    best: dict[str, tuple[int, int]] = {}
    for _ in range(runs):
        done = subprocess.run([str(python), "-X", "importtime", "-c", code], env=env, cwd=cwd,
                              capture_output=True, text=True, check=True)
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, total, name = line[len("import time:"):].split("|")
            key = name.rstrip()
            found = (int(own), int(total))
            best[key] = tuple(map(min, best.get(key, found), found))  # type: ignore[assignment]
    return best


def show_importtime(python: Path, code: str, env: dict[str, str], cwd: str, baseline: set[str]) -> None:
    """The modules ``code`` imports beyond ``python -c pass``, as ``-X importtime`` nests them."""
    found = importtime(python, code, env, cwd)
    print(f"\n-X importtime of {code!r} (minimum of 9 runs, us; modules beyond 'python -c pass'):")
    rows = [[name, str(own), str(total)] for name, (own, total) in found.items() if name.strip() not in baseline]
    print(table(["module", "self", "cumulative"], rows) if rows else "  (none)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=25, help="timed pairs per line (default 25)")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to install (default: this one)")
    parser.add_argument("--importtime", action="store_true", help="also show what each start-up imports")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions executed (needs valgrind; about a minute more per line)")
    parser.add_argument("--only", help="comma-separated line numbers (1-based) to measure, e.g. 1,3")
    options = parser.parse_args()
    repo = options.repo.resolve()

    print(f"start-up in clean virtual environments; {machine()}; {load()} at the start; "
          f"{options.pairs} pairs per line")
    with tempfile.TemporaryDirectory(prefix="tracers-bench-startup-") as temporary:
        base = Path(temporary)
        plain = make_venv(base / "plain")
        installed = make_venv(base / "installed", repo)
        hooked = make_venv(base / "hooked", repo, sitecustomize_lines(repo))
        by_name = make_venv(base / "by-name", repo, BY_NAME)
        uncompiled = make_venv(base / "uncompiled", repo, sitecustomize_lines(repo), compile_sitecustomize=False)
        comment_pth = make_venv(base / "comment-pth", comment_pth=True)
        work = base / "work"
        work.mkdir()
        (work / "hello.py").write_text(HELLO)
        runtime = base / "runtime"
        runtime.mkdir(mode=0o700)
        off = environment()
        no_bytecode = environment({"PYTHONDONTWRITEBYTECODE": "1"})
        usdt = environment({"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": str(runtime)})
        alone = base / "runtime-alone"
        alone.mkdir(mode=0o700)
        usdt_alone = environment({"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": str(alone)})
        (work / "empty.py").write_text("")
        (work / "plain_module.py").write_text("VALUE = 1\n")  # a module of the program, with no probe site
        cwd = str(work)
        p, i, h = str(plain), str(installed), str(hooked)
        command = str(console_script(installed))
        lines = [
            Pair("hook from sitecustomize, off: -c pass / plain -c pass", [h, "-c", "pass"], [p, "-c", "pass"],
                 off, off, cwd, 1.10),
            Pair("the same / installed, no sitecustomize (the .pth in both)", [h, "-c", "pass"], [i, "-c", "pass"],
                 off, off, cwd),
            Pair("hook from sitecustomize, off: -c 'import plain_module' (no probe site) / plain, the same",
                 [h, "-c", "import plain_module"], [p, "-c", "import plain_module"], off, off, cwd),
            Pair("-c 'import tracers' / -c pass", [i, "-c", "import tracers"], [i, "-c", "pass"], off, off, cwd, 1.15),
            Pair("TRACERS=usdt -m tracers run hello.py / hello.py", [i, "-m", "tracers", "run", "hello.py"],
                 [i, "hello.py"], usdt, off, cwd, 1.40),
            Pair("the same, object written and removed at exit", [i, "-m", "tracers", "run", "hello.py"],
                 [i, "hello.py"], usdt_alone, off, cwd),
            Pair("TRACERS=usdt tracers run hello.py (the command pip installs) / hello.py", [command, "run", "hello.py"],
                 [i, "hello.py"], usdt, off, cwd),
            Pair("python -m of an empty module / python of that file (Python's own -m)", [p, "-m", "empty"],
                 [p, "empty.py"], off, off, cwd),
            Pair("hello.py (one provider, off) / -c pass", [i, "hello.py"], [i, "-c", "pass"], off, off, cwd),
            Pair("tracers-importhook.pth, variable unset: -c pass / plain", [i, "-c", "pass"], [p, "-c", "pass"],
                 off, off, cwd),
            Pair("a .pth file holding only a comment: -c pass / plain (Python's own cost of any .pth)",
                 [str(comment_pth), "-c", "pass"], [p, "-c", "pass"], off, off, cwd),
            Pair("hook from sitecustomize by the package's name (tracers.importhook), off / plain",
                 [str(by_name), "-c", "pass"], [p, "-c", "pass"], off, off, cwd),
            Pair("hook from sitecustomize.py without its bytecode, written by none (-B), off / plain",
                 [str(uncompiled), "-c", "pass"], [p, "-c", "pass"], no_bytecode, no_bytecode, cwd),
        ]
        if options.only:
            lines = [lines[int(n) - 1] for n in options.only.split(",")]
        (work / "holder.py").write_text(HOLDER)
        holder = subprocess.Popen([i, "holder.py"], env=usdt, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        try:
            if holder.stdout is None or holder.stdout.readline().strip() != "ready":
                raise SystemExit("the process holding hello.py's provider object did not start")
            if options.instructions and shutil.which("valgrind") is None:
                raise SystemExit("--instructions needs valgrind: apt-get install valgrind")
            for line in lines:
                line.run(options.pairs)
                if options.instructions:
                    line.count_instructions()
                print(f"  done: {line.label}", file=sys.stderr, flush=True)
        finally:
            if holder.stdin:
                holder.stdin.close()
            holder.wait(timeout=60)
        print()
        print(table(["A / B", "A ms", "B ms", "A-B ms", "wall ratio", "cpu ratio", "instructions ratio",
                     "target (wall)"],
                    [line.row() for line in lines]))
        print("ms: median wall time; ratios: median of the A/B ratios of each pair (wall, and CPU = user + system);"
              " instructions: A's count / B's (--instructions)")
        print(f"{load()} at the end")

        if options.importtime:
            baseline = set(importtime(plain, "pass", off, cwd, runs=1))
            baseline = {name.strip() for name in baseline}
            show_importtime(hooked, "pass", off, cwd, baseline)
            show_importtime(installed, "import tracers", off, cwd, baseline)
            show_importtime(installed, "import hello", off, cwd, baseline)
            show_importtime(installed, "import runpy, sys; sys.argv[1:] = ['run', 'hello.py']; "
                            "runpy.run_module('tracers', run_name='__main__')", usdt, cwd, baseline)


if __name__ == "__main__":
    main()
