"""Cost of USDT probes: armed idle, firing under bpftrace, provider load time.

Every measurement runs in child processes with TRACERS=usdt and the import
hook, objects in a private runtime directory made for the run, and is
reported against a baseline timed in the same process:

* armed idle: a rewritten call site while no tracer is attached, against the
  raw truth test of a ``ctypes.c_uint16`` on the same semaphore, a bare
  ``if flag:`` on a module global, ``logging.debug`` below its level and,
  where libstapsdt is installed, python-stapsdt's ``probe.fire()``;
* firing: the same call site while bpftrace is attached and counting, against
  a raw ctypes call of the same stub (a ``CFUNCTYPE`` at its address) given
  the same values, which encodes the string at each call as the probe must;
  and, for comparison, the raw call given bytes encoded once before the loop.
  Each timing is the minimum over many short runs (500 calls), which a busy
  machine interrupts less often than long ones;
* loading: defining a provider of 1, 100, 1,000 and 10,000 probes (``int``
  and ``str`` arguments), the second provider of a process (steady state),
  both when its object must be written and when it already exists (another
  live process of the user loaded it); python-stapsdt's ``Provider``,
  ``add_probe`` and ``load`` side by side where libstapsdt is installed;
* the first provider of a process, written and existing, which also pays for
  importing the backend (ctypes included) and opening the runtime directory.
  Its target, 2 ms, was set on a machine where ``python -c pass`` took 7 ms
  in a clean virtual environment; the same run times that ``-c pass`` in
  turn with the first provider, and reports the first provider's time over
  it against 2/7, which holds on a machine slower or faster than that one;
  then, in the first place, the same first provider step by step: each
  module it imports timed over the ones before, then the provider itself.

The loading and first-provider parts run once per runtime directory place
(``--places``): by default one in ``/dev/shm``, a tmpfs like the
``/run/user/UID`` that systemd gives ``$XDG_RUNTIME_DIR``, and one in the
temporary directory, a disk file system on many machines (and where
``~/.cache/tracers`` lives when ``$XDG_RUNTIME_DIR`` is unset).  Writing a
file costs several times more on a journaled disk file system; libstapsdt
writes its objects to memory (``memfd_create``).

With ``--instructions``, the ``load`` and ``first`` parts also count the
instructions executed (valgrind's callgrind, median of 3 runs, a fixed hash
seed), which the machine's load hardly moves: the first provider of a
process (one probe, object written in a runtime directory of its own),
alone and with its first probe looked up, and one provider of 1, 100 and
1,000 probes after a first one (declared, as every provider here, by code
with ``from __future__ import annotations``: their annotations are strings),
and of 1 and 100 probes whose annotations are not strings; each count is a
child that defines the providers and leaves with ``os._exit`` minus the
same child that only makes the classes (so the process's exit is not
counted). Instructions are counted
with the runtime directory in the first place only: the file system's work
is in system calls, which valgrind does not count.

    python benchmarks/usdt.py            # needs root, bpftrace and tracefs for the firing part
    python benchmarks/usdt.py --quick
    python benchmarks/usdt.py --only load,first
    python benchmarks/usdt.py --only load,first --instructions   # also instructions (valgrind)

python-stapsdt (PyPI ``stapsdt``) needs libstapsdt, which Debian does not
package: build it from its repository (``make``; it needs libelf-dev), then
run with ``PYTHONPATH=DIR_WITH_STAPSDT LD_LIBRARY_PATH=DIR_WITH_LIBSTAPSDT``.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (REPO, child_env, environment, filesystem_type, instructions, load, machine,  # noqa: E402
                     make_venv, median, run_json, table, timed, verdict)

MODULE = "tracers_bench_usdt"
SOURCE = textwrap.dedent('''\
    import logging
    from tracers import probe, tracer

    @tracer
    class Bench:
        def event(name: str, count: int): ...

    flag = False
    log = logging.getLogger("bench")
    log.setLevel(logging.WARNING)

    def run_baseline(count, name):
        for i in range(count):
            n = i + 1

    def run_probe(count, name):
        for i in range(count):
            n = i + 1
            probe(Bench.event(name, i))

    def run_flag(count, name):
        for i in range(count):
            n = i + 1
            if flag:
                Bench.event.fire(name, i)

    semaphore = None  # set by the benchmark: a c_uint16 of its own on the probe's semaphore

    def run_semaphore(count, name):
        for i in range(count):
            n = i + 1
            if semaphore:
                Bench.event.fire(name, i)

    def run_logging(count, name):
        for i in range(count):
            n = i + 1
            log.debug("event %s %d", name, i)

    def run_direct(count, name, stub):
        for i in range(count):
            n = i + 1
            stub(name.encode(), i)

    def run_direct_encoded(count, name, stub):
        encoded = name.encode()
        for i in range(count):
            n = i + 1
            stub(encoded, i)
''')
SIZES = (1, 100, 1_000, 10_000)


def _interleaved(functions: dict[str, Callable[[], None]], count: int, repeats: int) -> dict[str, float]:
    """Minimum ns per iteration of each function, timed in rotating order."""
    names = list(functions)
    best = {name: float("inf") for name in names}
    gc.collect()
    gc.disable()
    for rep in range(repeats):
        for name in names[rep % len(names):] + names[:rep % len(names)]:
            start = time.perf_counter_ns()
            functions[name]()
            best[name] = min(best[name], (time.perf_counter_ns() - start) / count)
    gc.enable()
    return best


def _import_bench(directory: str) -> Any:
    import tracers.importhook

    tracers.importhook.install()
    sys.path.insert(0, directory)
    return __import__(MODULE)


def _raw_semaphore(gate: Any) -> Any:
    """A ``ctypes.c_uint16`` of our own on the probe's semaphore."""
    import ctypes

    return ctypes.c_uint16.from_address(ctypes.addressof(gate))


def _raw_stub(fire: Any) -> Any:
    """A plain ctypes function pointer at the probe's stub, taking the C values themselves."""
    import ctypes

    stub = fire.__globals__["fast"]  # the generated fire function's own pointer at the stub
    address = ctypes.cast(stub, ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int64)(address)


def child_idle(directory: str, count: int, repeats: int) -> dict[str, Any]:
    module = _import_bench(directory)
    gate = module.Bench.event.gate
    module.semaphore = _raw_semaphore(gate)  # a module global, as the rewritten site's gate is
    functions = {
        "baseline": lambda: module.run_baseline(count, "request"),
        "probe": lambda: module.run_probe(count, "request"),
        "semaphore": lambda: module.run_semaphore(count, "request"),
        "flag": lambda: module.run_flag(count, "request"),
        "logging": lambda: module.run_logging(count, "request"),
    }
    stapsdt_probe = _stapsdt_probe()
    if stapsdt_probe is not None:
        def run_stapsdt() -> None:
            fire = stapsdt_probe.fire
            for i in range(count):
                fire("request", i)
        functions["stapsdt"] = run_stapsdt
    for function in functions.values():
        function()
    result = _interleaved(functions, count, repeats)
    result["gate type"] = type(gate).__name__
    return result


def _stapsdt() -> Any:
    try:
        import stapsdt
    except (ImportError, OSError):
        return None
    return stapsdt


def _stapsdt_probe() -> Any:
    stapsdt = _stapsdt()
    if stapsdt is None:
        return None
    provider = stapsdt.Provider("bench_stapsdt")
    probe = provider.add_probe("event", stapsdt.ArgTypes.uint64, stapsdt.ArgTypes.int64)
    provider.load()
    probe._keep = provider
    return probe


def child_fire(directory: str, count: int, repeats: int) -> dict[str, Any]:
    module = _import_bench(directory)
    from tracers.runtime import backend

    loaded = backend("usdt").loaded[-1]
    print(json.dumps({"pid": os.getpid(), "object": loaded.path}), flush=True)
    deadline = time.monotonic() + 60
    while not module.Bench.event.gate and time.monotonic() < deadline:
        time.sleep(0.05)
    module.Bench.event.fire("warm", 0)  # the first event makes the probe's fire function
    stub = _raw_stub(module.Bench.event.fire)
    functions = {
        "probe": lambda: module.run_probe(count, "request"),
        "direct": lambda: module.run_direct(count, "request", stub),
        "direct encoded": lambda: module.run_direct_encoded(count, "request", stub),
    }
    for function in functions.values():
        function()
    result = _interleaved(functions, count, repeats)
    result["attached"] = bool(module.Bench.event.gate)
    return result


def _provider_class(name: str, size: int, strings: bool = True) -> type:
    """A class of ``size`` probes with an int and a str argument, as a module would declare it:
    with ``from __future__ import annotations`` (its annotations are strings) unless not ``strings``."""
    source = ("from __future__ import annotations\n" if strings else "") + f"class {name}:\n" + "".join(
        f"    def p{i}(a: int, b: str): ...\n" for i in range(size))
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{name}>", "exec", dont_inherit=True), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def _class_name(size: int, rep: int, tag: str) -> str:
    return f"Load{size}R{rep}{tag}"


def child_hold(sizes: list[int], reps: int, tag: str) -> None:
    """Define the providers a measuring child will define again, and keep them loaded until stdin closes."""
    from tracers import tracer

    for size in sizes:
        for rep in range(reps):
            tracer(_provider_class(_class_name(size, rep, tag), size))
    print("ready", flush=True)
    sys.stdin.read()


def child_load(sizes: list[int], reps: int, tag: str) -> dict[str, Any]:
    """Milliseconds of each provider definition, after a first provider (steady state)."""
    from tracers import tracer

    tracer(_provider_class(f"Warm{tag}", 1))
    timings: dict[str, list[float]] = {}
    for size in sizes:
        for rep in range(reps):
            cls = _provider_class(_class_name(size, rep, tag), size)
            start = time.perf_counter()
            tracer(cls)
            timings.setdefault(str(size), []).append((time.perf_counter() - start) * 1000)
    stapsdt = _stapsdt()
    if stapsdt is not None:
        keep = [stapsdt.Provider(f"warm_{tag.lower()}")]
        keep[0].add_probe("p", stapsdt.ArgTypes.int64)
        keep[0].load()
        for size in sizes:
            for rep in range(reps):
                start = time.perf_counter()
                provider = stapsdt.Provider(f"stap{size}r{rep}{tag.lower()}")
                for i in range(size):
                    provider.add_probe(f"p{i}", stapsdt.ArgTypes.int64, stapsdt.ArgTypes.uint64)
                provider.load()
                timings.setdefault(f"stapsdt {size}", []).append((time.perf_counter() - start) * 1000)
                keep.append(provider)
    return {"timings": timings, "gc": gc.get_stats()}


def child_first(tag: str) -> dict[str, Any]:
    """Milliseconds of the first provider of a process (one probe), backend import included."""
    from tracers import tracer

    cls = _provider_class(f"First{tag}", 1)
    start = time.perf_counter()
    tracer(cls)
    elapsed = (time.perf_counter() - start) * 1000
    return {"ms": elapsed, "modules": sorted(m for m in sys.modules if m.startswith(("ctypes", "tracers.runtime")))}


# What the first provider of a process imports, in an order in which each comes after what it needs.
FIRST_STEPS = ("tracers.runtime", "tracers.runtime.usdt", "_ctypes", "tracers.runtime.usdt._elf",
               "tracers.runtime.usdt._store", "tracers.runtime.usdt._backend", "_blake2")


def child_steps(tag: str) -> dict[str, float]:
    """Milliseconds of each of the first provider's imports (over the ones before), then of the provider."""
    from tracers import tracer

    cls = _provider_class(f"Steps{tag}", 1)
    took: dict[str, float] = {}
    for name in FIRST_STEPS:
        start = time.perf_counter()
        try:
            __import__(name)
        except ImportError:  # _blake2, where Python was built without it: the provider's step imports hashlib
            continue
        took[name] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    tracer(cls)
    took["the provider (declaration, directory, object, dlopen, sweep)"] = (time.perf_counter() - start) * 1000
    return took


def child_count(size: int, count: int, step: str, strings: bool) -> None:
    """Define a first provider, then ``count`` of ``size`` probes, up to ``step``; leave without exit handlers.

    ``step``: ``classes`` (only make the classes), ``first`` (define the first
    provider), ``lookup`` (and look its probe up), ``load`` (and define the others).
    """
    from tracers import tracer

    first = _provider_class("CountFirst", 1)
    others = [_provider_class(_class_name(size, rep, "Count"), size, strings) for rep in range(count)]
    if step != "classes":
        tracer(first)
        if step == "lookup":
            first.p0  # type: ignore[attr-defined]
        if step == "load":
            for cls in others:
                tracer(cls)
    os._exit(0)


# (probes, providers per child, string annotations): the last two as a module without
# ``from __future__ import annotations`` declares them.
COUNTED_LOADS = ((1, 20, True), (100, 5, True), (1_000, 2, True), (1, 20, False), (100, 5, False))


def count_instructions(env: dict[str, str], parts: set[str], place: Path) -> dict[str, float]:
    """Millions of instructions of the first provider, with its first lookup, and of one provider of each size."""
    def count(size: int, number: int, step: str, strings: bool = True) -> int:
        runtime = tempfile.mkdtemp(prefix="tracers-bench-count-", dir=place)  # its own: every first provider writes
        try:
            args = [sys.executable, __file__, "--child", "count", "--sizes", str(size), "--reps", str(number),
                    "--step", step, *([] if strings else ["--annotations", "objects"])]
            # A fixed hash seed: with a random one, the same run's count moves by a few hundred thousand.
            fixed = {**env, "TRACERS_RUNTIME_DIR": runtime, "PYTHONHASHSEED": "0"}
            return instructions(args, fixed, str(REPO), runs=3)
        finally:
            shutil.rmtree(runtime, ignore_errors=True)

    found: dict[str, float] = {}
    if "first" in parts:
        classes = count(1, 0, "classes")
        found["first"] = (count(1, 0, "first") - classes) / 1e6
        found["first and its lookup"] = (count(1, 0, "lookup") - classes) / 1e6
    if "load" in parts:
        for size, number, strings in COUNTED_LOADS:
            defined = count(size, number, "load", strings) - count(size, number, "first", strings)
            found[f"one provider of {size}" + ("" if strings else ", annotations not strings")] = defined / number / 1e6
    return found


def report_instructions(counts: dict[str, float]) -> None:
    print("\ninstructions executed (valgrind, median of 3 runs), millions:")
    print(table(["", "instructions"], [[name, f"{value:.2f}"] for name, value in counts.items()]))


def _fire_under_bpftrace(directory: str, count: int, repeats: int, env: dict[str, str]) -> dict[str, Any]:
    if shutil.which("bpftrace") is None:
        raise SystemExit("bpftrace is not installed: apt-get install bpftrace")
    args = [sys.executable, __file__, "--child", "fire", "--dir", directory,
            "--count", str(count), "--repeats", str(repeats)]
    app = subprocess.Popen(args, env=env, cwd=str(REPO), stdout=subprocess.PIPE, text=True)
    tracer = None
    try:
        hello = json.loads(app.stdout.readline())  # type: ignore[union-attr]
        program = f"usdt:{hello['object']}:bench:event {{ @fired = count(); }}"
        tracer = subprocess.Popen(["bpftrace", "-p", str(hello["pid"]), "-e", program],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        output, _ = app.communicate(timeout=600)
        return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]
    finally:
        if tracer is not None:
            tracer.terminate()
            tracer.wait(timeout=30)
        app.kill()


class Holder:
    """A live process that keeps the given providers' objects loaded (so that they exist)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, *args], env=env, cwd=str(REPO),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if line.strip() != "ready":
            self.close()
            raise RuntimeError("the holding process did not start")

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def measure_loads(env: dict[str, str], reps: int, runs: int) -> dict[str, dict[str, float]]:
    """Median milliseconds per provider size: written, existing, and python-stapsdt's."""
    found: dict[str, dict[str, list[float]]] = {"written": {}, "exists": {}, "stapsdt": {}}
    sizes = ",".join(map(str, SIZES))
    for run in range(runs):
        written = run_json([__file__, "--child", "load", "--sizes", sizes, "--reps", str(reps),
                            "--tag", f"W{run}"], env)
        holder = Holder(["--child", "hold", "--sizes", sizes, "--reps", str(reps), "--tag", f"E{run}"], env)
        try:
            exists = run_json([__file__, "--child", "load", "--sizes", sizes, "--reps", str(reps),
                               "--tag", f"E{run}"], env)
        finally:
            holder.close()
        for key, values in written["timings"].items():
            target = found["stapsdt"] if key.startswith("stapsdt") else found["written"]
            target.setdefault(key.split()[-1], []).extend(values)
        for key, values in exists["timings"].items():
            if not key.startswith("stapsdt"):
                found["exists"].setdefault(key, []).extend(values)
            else:
                found["stapsdt"].setdefault(key.split()[-1], []).extend(values)
        print(f"  load run {run + 1}/{runs}", file=sys.stderr, flush=True)
    return {kind: {size: median(values) for size, values in by_size.items()} for kind, by_size in found.items()}


def measure_first(env: dict[str, str], runs: int, plain: Path) -> dict[str, float]:
    """Median milliseconds of the first provider of a process (object written, and existing), and of
    ``python -c pass`` in the clean virtual environment ``plain``, timed in turn with them."""
    written, exists, bare = [], [], []
    for run in range(runs):
        bare.append(timed([str(plain), "-c", "pass"], environment(), str(plain.parent))[0] * 1000)
        written.append(run_json([__file__, "--child", "first", "--tag", f"Fw{run}"], env)["ms"])
        holder = Holder(["--child", "hold", "--sizes", "", "--reps", "0", "--tag", "", "--first", f"Fe{run}"], env)
        try:
            exists.append(run_json([__file__, "--child", "first", "--tag", f"Fe{run}"], env)["ms"])
        finally:
            holder.close()
    return {"written": median(written), "exists": median(exists), "-c pass": median(bare)}


def measure_steps(env: dict[str, str], runs: int) -> dict[str, float]:
    """Median milliseconds of each step of the first provider, each child's object written anew."""
    found: dict[str, list[float]] = {}
    for run in range(runs):
        for step, ms in run_json([__file__, "--child", "steps", "--tag", f"S{run}"], env).items():
            found.setdefault(step, []).append(ms)
    return {step: median(values) for step, values in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="idle,fire,load,first", help="comma-separated parts to run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=50_000, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="", help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="", help=argparse.SUPPRESS)
    parser.add_argument("--first", default="", help=argparse.SUPPRESS)
    parser.add_argument("--step", default="", help=argparse.SUPPRESS)
    parser.add_argument("--annotations", default="strings", help=argparse.SUPPRESS)
    parser.add_argument("--places", default=f"/dev/shm,{tempfile.gettempdir()}",
                        help="comma-separated directories to make the runtime directory in, in turn, for the "
                             "load and first parts (default: %(default)s)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions of the load and first parts (valgrind)")
    options = parser.parse_args()
    repeats = options.repeats or (20 if options.quick else 100)
    sizes = [int(s) for s in options.sizes.split(",") if s]
    if options.child == "idle":
        print(json.dumps(child_idle(options.dir, options.count, repeats)))
        return
    if options.child == "fire":
        print(json.dumps(child_fire(options.dir, options.count // 100, repeats * 10)))
        return
    if options.child == "load":
        print(json.dumps(child_load(sizes, options.reps, options.tag)))
        return
    if options.child == "first":
        print(json.dumps(child_first(options.tag)))
        return
    if options.child == "steps":
        print(json.dumps(child_steps(options.tag)))
        return
    if options.child == "count":
        child_count(sizes[0], options.reps, options.step, options.annotations == "strings")
        return
    if options.child == "hold":
        if options.first:
            from tracers import tracer

            tracer(_provider_class(f"First{options.first}", 1))
        child_hold(sizes, options.reps, options.tag)
        return

    parts = set(options.only.split(","))
    print(f"USDT probe costs; {machine()}; {load()} at the start")
    places = [Path(tempfile.mkdtemp(prefix="tracers-bench-runtime-", dir=base or None))
              for base in options.places.split(",")]
    scratch = tempfile.mkdtemp(prefix="tracers-bench-venv-")
    try:
        for place in places:
            place.chmod(0o700)
        env = child_env("usdt", {"TRACERS_RUNTIME_DIR": str(places[0])})
        with tempfile.TemporaryDirectory(prefix="tracers-bench-usdt-") as directory:
            Path(directory, f"{MODULE}.py").write_text(SOURCE)
            base = [__file__, "--dir", directory, "--count", str(options.count), "--repeats", str(repeats)]
            if "idle" in parts:
                report_idle(run_json(base + ["--child", "idle"], env))
            if "fire" in parts:
                report_fire(_fire_under_bpftrace(directory, options.count, repeats, env))
        plain: Path | None = None  # a clean virtual environment in scratch, for python -c pass
        for place in places:
            where = f"runtime directory in {place.parent} ({filesystem_type(place)})"
            env = child_env("usdt", {"TRACERS_RUNTIME_DIR": str(place)})
            if "load" in parts:
                report_loads(measure_loads(env, reps=2 if options.quick else 3, runs=1 if options.quick else 3),
                             where)
            if "first" in parts:
                plain = make_venv(Path(scratch, "plain")) if plain is None else plain
                report_first(measure_first(env, runs=5 if options.quick else 15, plain=plain), where)
                if place == places[0]:
                    report_steps(measure_steps(env, runs=5 if options.quick else 21), where)
        if options.instructions and parts & {"load", "first"}:  # system calls are not counted: one place is enough
            env = child_env("usdt", {"TRACERS_RUNTIME_DIR": str(places[0])})
            report_instructions(count_instructions(env, parts, places[0].parent))
    finally:
        for place in [*places, scratch]:
            shutil.rmtree(place, ignore_errors=True)
    print(f"\n{load()} at the end")


def report_idle(idle: dict[str, Any]) -> None:
    over = {k: idle[k] - idle["baseline"] for k in ("probe", "semaphore", "flag", "logging", "stapsdt") if k in idle}
    rows = [["loop without probe (baseline)", f"{idle['baseline']:.1f}", ""],
            ["armed idle call site (semaphore 0)", f"{idle['probe']:.1f}", f"{over['probe']:+.1f}"],
            ["raw c_uint16 truth test, same semaphore", f"{idle['semaphore']:.1f}", f"{over['semaphore']:+.1f}"],
            ["bare 'if flag:' on a module global", f"{idle['flag']:.1f}", f"{over['flag']:+.1f}"],
            ["logging.debug below its level", f"{idle['logging']:.1f}", f"{over['logging']:+.1f}"]]
    if "stapsdt" in idle:
        rows.append(["python-stapsdt probe.fire(), idle", f"{idle['stapsdt']:.1f}", f"{over['stapsdt']:+.1f}"])
    print(f"\narmed idle (gate: {idle['gate type']}), ns per iteration (minimum over repeats):")
    print(table(["", "ns", "over baseline"], rows))
    ratio = idle["probe"] / idle["semaphore"]
    print(f"armed idle / raw c_uint16 loop: {ratio:.3f} (target: equal) {verdict(ratio <= 1.02)}")
    print(f"armed idle vs logging.debug below level: {idle['probe'] / idle['logging']:.2f}x the time")
    if "stapsdt" not in idle:
        print("python-stapsdt: not importable here (see the module docstring); not measured")


def report_fire(fire: dict[str, Any]) -> None:
    ratio = fire["probe"] / fire["direct"]
    target = 1.2 if sys.version_info >= (3, 11) else 1.3
    print(f"\nfiring with bpftrace attached (attached: {fire['attached']}), ns per call:")
    print(table(["", "ns"], [["rewritten call site, probe fires", f"{fire['probe']:.0f}"],
                             ["raw ctypes call of the stub, string encoded at the call", f"{fire['direct']:.0f}"],
                             ["raw ctypes call of the stub, bytes encoded before the loop",
                              f"{fire['direct encoded']:.0f}"]]))
    print(f"firing / raw stub: {ratio:.3f} (target <= {target}) {verdict(ratio <= target)}")
    print(f"firing / raw stub given bytes encoded before the loop: {fire['probe'] / fire['direct encoded']:.3f}")


def report_loads(loads: dict[str, dict[str, float]], where: str) -> None:
    stapsdt = loads["stapsdt"]
    print(f"\nprovider load, second provider of a process, {where}, ms (medians):")
    rows = []
    for size in map(str, SIZES):
        written, exists = loads["written"][size], loads["exists"][size]
        other = stapsdt.get(size)
        judged = ("" if other is None else
                  f"{written / other:.2f} / {exists / other:.2f} {verdict(max(written, exists) <= other)}")
        rows.append([size, f"{written:.2f}", f"{exists:.2f}", "-" if other is None else f"{other:.2f}", judged])
    print(table(["probes", "object written", "object exists", "python-stapsdt", "ratios (<= 1)"], rows))
    if not stapsdt:
        print("python-stapsdt: not importable here (see the module docstring); not measured")


def report_first(first: dict[str, float], where: str) -> None:
    bare = first["-c pass"]
    print("\nfirst provider of a process (one probe; imports the backend and ctypes, opens the runtime "
          f"directory), {where}, ms (medians); python -c pass in a clean virtual environment, timed in "
          f"turn: {bare:.2f} ms (the target's machine: {_TARGET_MACHINE_PASS_MS} ms):")
    scaled = _FIRST_TARGET_MS / _TARGET_MACHINE_PASS_MS
    print(table(["object", "ms", "target", "ms / (-c pass ms)", f"target (2/7 = {scaled:.3f})"], [
        [kind, f"{first[kind]:.2f}", f"<= {_FIRST_TARGET_MS} {verdict(first[kind] <= _FIRST_TARGET_MS)}",
         f"{first[kind] / bare:.3f}", f"<= {scaled:.3f} {verdict(first[kind] / bare <= scaled)}"]
        for kind in ("written", "exists")]))


def report_steps(steps: dict[str, float], where: str) -> None:
    print(f"\nthe first provider step by step (each import over the ones before, then the provider), {where}, "
          "ms (medians; the sum of medians is not the median of sums):")
    rows = [[step, f"{ms:.3f}"] for step, ms in steps.items()]
    print(table(["step", "ms"], rows + [["sum", f"{sum(steps.values()):.3f}"]]))


_FIRST_TARGET_MS = 2
_TARGET_MACHINE_PASS_MS = 7  # python -c pass, clean virtual environment, where the 2 ms target was set


if __name__ == "__main__":
    main()
