"""Helpers shared by the benchmark scripts: child processes, clean virtual environments, statistics, tables."""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent


def child_env(tracers: Optional[str] = None, extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The environment of a measured child: repo importable, tracing mode as given.

    Every ``TRACERS*`` variable of the caller is dropped, as are variables that
    change how Python imports or caches bytecode.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TRACERS")
        and key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONOPTIMIZE",
                        "PYTHONSTARTUP", "PYTHONPROFILEIMPORTTIME", "PYTHONHASHSEED")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    if tracers is not None:
        env["TRACERS"] = tracers
    env.update(extra or {})
    return env


def run_json(args: Sequence[str], env: Mapping[str, str], timeout: float = 300) -> Any:
    """Run ``python ARGS...`` and parse the last line of its stdout as JSON."""
    done = subprocess.run([sys.executable, *args], env=dict(env), cwd=str(REPO),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"child {' '.join(args[:3])}... failed ({done.returncode}):\n{done.stderr}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError(f"child printed nothing; stderr:\n{done.stderr}")
    return json.loads(lines[-1])


def instructions(args: Sequence[str], env: Mapping[str, str], cwd: str, runs: int = 1) -> int:
    """Median count of instructions executed by ``args`` (valgrind's callgrind), over ``runs`` runs."""
    counts = []
    for _ in range(runs):
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *args],
                              env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        found = [line.rsplit(":", 1)[1] for line in done.stderr.splitlines() if "Collected :" in line]
        if done.returncode != 0 or not found:
            raise SystemExit(f"valgrind run of {' '.join(args[:3])}... failed ({done.returncode}):\n"
                             f"{done.stderr[-2000:]}")
        counts.append(int(found[-1].strip()))
    return int(median(counts))


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table; the first column is left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def machine() -> str:
    return (f"Python {platform.python_version()} ({platform.python_implementation()}) on "
            f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")


def filesystem_type(path: Path) -> str:
    """The type of the file system holding ``path`` (``tmpfs``, ``ext4`` ...), from /proc/self/mounts."""
    real = os.path.realpath(path)
    found, longest = "unknown", -1
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1].encode().decode("unicode_escape")  # spaces are written \040
            inside = real == point or real.startswith(point.rstrip("/") + "/")
            if inside and len(point) > longest:
                found, longest = fields[2], len(point)
    return found


def load() -> str:
    """The 1-minute load average: above the CPU count, other work competes for the CPUs."""
    try:
        return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    except OSError:
        return "load average unknown"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# Whole processes in clean virtual environments (start-up figures).

_DROPPED = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX",
            "PYTHONPROFILEIMPORTTIME", "PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "COVERAGE_PROCESS_START")


def make_venv(path: Path, repo: Optional[Path] = None, sitecustomize: Optional[str] = None,
              comment_pth: bool = False, compile_sitecustomize: bool = True) -> Path:
    """A virtual environment without pip (so without pip's or setuptools' ``.pth`` files).

    ``repo``: a checkout whose tracers is copied in as a wheel installs it;
    ``sitecustomize``: the text of a ``sitecustomize.py`` to add, compiled unless
    ``compile_sitecustomize`` is false (a file written by hand, which no process could cache);
    ``comment_pth``: add ``comment.pth``, a ``.pth`` file holding only a comment
    (what any ``.pth`` file costs Python's start-up, whatever it holds).
    """
    import compileall  # here: the measuring children that import this module must not carry its imports

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    if repo is not None:
        shutil.copytree(repo / "tracers", site / "tracers", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(repo / "_tracers_importhook", site / "_tracers_importhook",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("tracers-importhook.pth", "_tracers_pytestplugin.py"):
            shutil.copy2(repo / name, site / name)
    if sitecustomize is not None and compile_sitecustomize:
        (site / "sitecustomize.py").write_text(sitecustomize)
    if comment_pth:
        (site / "comment.pth").write_text("# a .pth file that adds no path and runs no code\n")
    compileall.compile_dir(str(site), quiet=1)
    if sitecustomize is not None and not compile_sitecustomize:
        (site / "sitecustomize.py").write_text(sitecustomize)
    ours = {"tracers-importhook.pth", *(["comment.pth"] if comment_pth else [])}
    leftover = sorted(p.name for p in site.glob("*.pth") if p.name not in ours)
    if leftover:
        raise SystemExit(f"{site} holds other .pth files: {leftover}")
    return python


def environment(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    """The caller's environment without tracing modes or variables that change how Python starts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS") and k not in _DROPPED}
    env.update(extra or {})
    return env


def timed(args: Sequence[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``args`` (which must succeed)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read() if process.stderr else b""
    if process.stderr:
        process.stderr.close()
    if process.returncode != 0 or errors:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{errors.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime
