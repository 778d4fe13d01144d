"""Cost of one probe call site, per call, in each tracing configuration.

A generated module holds a small function without a probe (the baseline), the
same function with one ``probe(Bench.event(name, i))`` statement (a str and an
int argument), and the same function guarded by a bare ``if flag:`` on a
module global.  Each configuration runs in its own interpreter, which times
many short loops (a few milliseconds each) of the baseline and of the
configuration's function, interleaved, and reports the minimum per call over
the loops: short loops let the minimum escape the time slices lost to other
processes on a busy machine.  Ratios are against that same process's baseline.

    python benchmarks/call_site.py            # about half a minute
    python benchmarks/call_site.py --quick    # a few seconds
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import child_env, load, machine, median, run_json, table, verdict  # noqa: E402

MODULE = "tracers_bench_call_site"

SOURCE = textwrap.dedent('''\
    """Call sites measured by benchmarks/call_site.py."""
    from tracers import probe, tracer


    @tracer
    class Bench:
        def event(name: str, count: int): ...


    flag = False


    def baseline(name, i):
        n = i + 1
        return n


    def with_probe(name, i):
        n = i + 1
        probe(Bench.event(name, i))
        return n


    def with_flag(name, i):
        n = i + 1
        if flag:
            Bench.event.fire(name, i)
        return n


    # one loop per function, so that each call in a loop specialises for one callee
    def run_baseline(count, name):
        for i in range(count):
            baseline(name, i)


    def run_with_probe(count, name):
        for i in range(count):
            with_probe(name, i)


    def run_with_flag(count, name):
        for i in range(count):
            with_flag(name, i)
''')

# name: (label, import hook?, TRACERS value or None, function measured)
CONFIGS: dict[str, tuple[str, bool, Any, str]] = {
    "off": ("hook, tracing off (TRACERS unset)", True, None, "with_probe"),
    "idle": ("hook, on idle (TRACERS=noop)", True, "noop", "with_probe"),
    "record": ("hook, on record (TRACERS=record)", True, "record", "with_probe"),
    "flag": ("bare 'if flag:' on a module global", False, None, "with_flag"),
    "fallback-off": ("no hook, fallback (TRACERS unset)", False, None, "with_probe"),
    "fallback-noop": ("no hook, fallback (TRACERS=noop)", False, "noop", "with_probe"),
}
ORDER = ["off", "idle", "flag", "record", "fallback-off", "fallback-noop"]
RECORD_COUNT, RECORD_REPEATS = 20_000, 30  # TRACERS=record: events kept at once, and fewer loops


# --------------------------------------------------------------------------- child


def child(config: str, directory: str, count: int, repeats: int) -> dict[str, Any]:
    _, hook, _, function_name = CONFIGS[config]
    if hook:
        import tracers.importhook

        tracers.importhook.install()
    sys.path.insert(0, directory)
    module = __import__(MODULE)
    checks = _checks(module, config, hook)

    record: Any = None
    if config == "record":
        from tracers.runtime import record as record_module

        record = record_module
        count, repeats = min(count, RECORD_COUNT), min(repeats, RECORD_REPEATS)

    base: Callable[..., None] = module.run_baseline
    measured: Callable[..., None] = getattr(module, f"run_{function_name}")

    def timed(run: Callable[..., None]) -> float:
        start = time.perf_counter_ns()
        run(count, "request")
        elapsed = time.perf_counter_ns() - start
        if record is not None:
            record.clear()
        return elapsed / count

    for _ in range(2):  # warm up: specialise the bytecode, resolve lazy gates
        base(min(count, 20_000), "request")
        measured(min(count, 20_000), "request")
    if config in ("idle", "record"):
        gate = [value for name, value in vars(module).items() if name.startswith("_tracers_gate_")][0]
        checks["gate rebound to a bool"] = type(gate) is bool
    if record is not None:
        checks["recorded"] = len(record.events()) == 2 * min(count, 20_000)
        record.clear()

    # with tracing on but idle, also time the bare flag test in this same process: the fairest comparison
    functions = {"base": base, "measured": measured}
    if config == "idle":
        functions["flag"] = module.run_with_flag
        module.run_with_flag(min(count, 20_000), "request")
    names = list(functions)
    times: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc.disable()
    for rep in range(repeats):
        for name in names[rep % len(names):] + names[:rep % len(names)]:  # rotate the order
            times[name].append(timed(functions[name]))
    gc.enable()
    return {"config": config, "count": count, "repeats": repeats, "checks": checks, **times}


def _checks(module: Any, config: str, hook: bool) -> dict[str, bool]:
    """Confirm that the process is in the state the configuration names."""
    from tracers.importhook import TracersLoader

    checks = {"hooked": isinstance(module.__loader__, TracersLoader) == hook}
    gates = [name for name in vars(module) if name.startswith("_tracers_gate_")]
    if config == "off":
        # the probe statement is deleted: the function compiles like the baseline
        checks["same bytecode as baseline"] = module.with_probe.__code__.co_code == module.baseline.__code__.co_code
        checks["no gates"] = not gates
    elif config in ("idle", "record"):
        checks["gate defined"] = len(gates) == 1
    return checks


# --------------------------------------------------------------------------- parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer iterations and repeats")
    parser.add_argument("--count", type=int, help="calls per timed loop (default 50,000)")
    parser.add_argument("--repeats", type=int, help="timed loops per function (default 200; quick 30)")
    parser.add_argument("--json", action="store_true", help="also print the raw results as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    options = parser.parse_args()
    count = options.count or 50_000
    repeats = options.repeats or (30 if options.quick else 200)

    if options.child:
        print(json.dumps(child(options.child, options.dir, count, repeats)))
        return

    print(f"call site cost: {repeats} timed loops of {count:,} calls per function, interleaved with the baseline "
          f"(TRACERS=record: {min(repeats, RECORD_REPEATS)} x {min(count, RECORD_COUNT):,});\n"
          f"{machine()}; {load()} at the start")
    results = {}
    with tempfile.TemporaryDirectory(prefix="tracers-bench-") as directory:
        Path(directory, f"{MODULE}.py").write_text(SOURCE)
        for config in ORDER:
            _, _, mode, _ = CONFIGS[config]
            # a fresh copy of the cache state: each process compiles the module itself
            for pycache in Path(directory).glob("__pycache__"):
                for file in pycache.iterdir():
                    file.unlink()
            args = [__file__, "--child", config, "--dir", directory, "--count", str(count),
                    "--repeats", str(repeats)]
            results[config] = run_json(args, child_env(mode))
            print(f"  measured {config}", file=sys.stderr, flush=True)

    rows = []
    summary = {}
    for config in ORDER:
        result = results[config]
        base, measured = min(result["base"]), min(result["measured"])
        summary[config] = (base, measured)
        failed = [name for name, ok in result["checks"].items() if not ok]
        median_ratio = median(result["measured"]) / median(result["base"])
        rows.append([
            CONFIGS[config][0],
            f"{base:.1f}",
            f"{measured:.1f}",
            f"{measured - base:+.1f}",
            f"{measured / base:.3f}",
            f"{median_ratio:.3f}",
            "ok" if not failed else "FAILED: " + ", ".join(failed),
        ])
    print()
    print(table(["configuration", "baseline ns", "config ns", "overhead ns", "ratio", "median ratio", "checks"],
                rows))
    print()
    print("ns per call, minimum over the timed loops; baseline = the same function without the probe statement,")
    print("timed in the same process; ratio = config / baseline (minimums); median ratio = the same with medians")
    print(f"{load()} at the end (above the CPU count the timings are less reliable)")

    off_base, off = summary["off"]
    idle_base, idle = summary["idle"]
    flag = min(results["idle"]["flag"])  # the bare flag test timed in the on-idle process itself
    off_ratio, idle_ratio, flag_ratio = off / off_base, idle / idle_base, flag / idle_base
    print(f"in the on-idle process, bare 'if flag:' took {flag:.1f} ns (ratio {flag_ratio:.3f}, "
          f"overhead {flag - idle_base:+.1f} ns) against the gate's {idle:.1f} ns")
    off_ok = off_ratio <= 1.02 and all(results["off"]["checks"].values())
    idle_ok = idle_ratio <= flag_ratio + 0.02
    print(f"verdict: off {verdict(off_ok)} (ratio {off_ratio:.3f}, target <= 1.02 and identical bytecode); "
          f"on-idle {verdict(idle_ok)} (ratio {idle_ratio:.3f}, target <= bare 'if flag:' {flag_ratio:.3f} + 0.02)")
    if options.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
