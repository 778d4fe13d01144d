"""Cost of a probe site that runs through the runtime fallback (no import hook), side by side
with an empty loop and with ``logging`` below its level.

A generated module holds one loop per statement: ``pass`` (the empty loop),
``log.debug("event %s %d", name, i)`` on a logger whose level is INFO, the
module-level ``logging.debug(...)`` (root logger at WARNING), and
``probe(Bench.event(name, i))`` (a str and an int argument).  Each
configuration runs in its own interpreter, which times many short loops of
each statement, interleaved, and keeps the minimum per iteration.  The
module is imported without the hook except in the 'hook, off' reference.

    python benchmarks/fallback.py            # about half a minute
    python benchmarks/fallback.py --quick    # a few seconds
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import child_env, load, machine, run_json, table, verdict  # noqa: E402

MODULE = "tracers_bench_fallback"

SOURCE = textwrap.dedent('''\
    """Loops measured by benchmarks/fallback.py."""
    import logging

    from tracers import probe, tracer

    log = logging.getLogger("tracers_bench")
    log.setLevel(logging.INFO)  # debug is below its level


    @tracer
    class Bench:
        def event(name: str, count: int): ...


    def run_empty(count, name):
        for i in range(count):
            pass


    def run_logger_debug(count, name):
        for i in range(count):
            log.debug("event %s %d", name, i)


    def run_logging_debug(count, name):
        for i in range(count):
            logging.debug("event %s %d", name, i)


    def run_probe(count, name):
        for i in range(count):
            probe(Bench.event(name, i))
''')

STATEMENTS = ["empty", "logger_debug", "logging_debug", "probe"]
LABELS = {
    "empty": "empty loop",
    "logger_debug": "log.debug(...) below its level",
    "logging_debug": "logging.debug(...) below its level",
    "probe": "probe(Bench.event(name, i))",
}

# name: (label, import hook?, TRACERS value or None)
CONFIGS: dict[str, tuple[str, bool, Any]] = {
    "fallback-off": ("no hook, tracing off (TRACERS unset)", False, None),
    "fallback-noop": ("no hook, on idle (TRACERS=noop)", False, "noop"),
    "fallback-usdt": ("no hook, on idle (TRACERS=usdt, no tracer attached)", False, "usdt"),
    "hook-off": ("reference: hook, tracing off (statement deleted)", True, None),
}
ORDER = list(CONFIGS)


def child(config: str, directory: str, count: int, repeats: int) -> dict[str, Any]:
    _, hook, _ = CONFIGS[config]
    warnings.simplefilter("ignore")  # the one fallback warning, with tracing on
    if hook:
        import tracers.importhook

        tracers.importhook.install()
    sys.path.insert(0, directory)
    module = __import__(MODULE)
    import logging

    logging.debug("configures the root logger once, as a program's first logging.debug call does")
    loops = {name: getattr(module, f"run_{name}") for name in STATEMENTS}
    for loop in loops.values():  # warm up: specialise the bytecode
        loop(min(count, 20_000), "request")
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    gc.collect()
    gc.disable()
    for rep in range(repeats):
        for name in STATEMENTS[rep % len(STATEMENTS):] + STATEMENTS[:rep % len(STATEMENTS)]:
            start = time.perf_counter_ns()
            loops[name](count, "request")
            times[name].append((time.perf_counter_ns() - start) / count)
    gc.enable()
    from tracers.importhook import TracersLoader

    off = CONFIGS[config][2] is None
    checks = {"hooked": isinstance(module.__loader__, TracersLoader) == hook,
              "probe gate": bool(module.Bench.event.gate) is False,
              "off call gives None": (module.Bench.event("request", 1) is None) == off}
    return {"config": config, "times": times, "checks": checks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--count", type=int, help="iterations per timed loop (default 50,000)")
    parser.add_argument("--repeats", type=int, help="timed loops per statement (default 150; quick 20)")
    parser.add_argument("--json", action="store_true", help="also print the raw results as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    options = parser.parse_args()
    count = options.count or 50_000
    repeats = options.repeats or (20 if options.quick else 150)

    if options.child:
        print(json.dumps(child(options.child, options.dir, count, repeats)))
        return

    print(f"fallback probe site vs logging: {repeats} timed loops of {count:,} iterations per statement, "
          f"interleaved;\n{machine()}; {load()} at the start")
    results = {}
    with tempfile.TemporaryDirectory(prefix="tracers-bench-") as directory:
        Path(directory, f"{MODULE}.py").write_text(SOURCE)
        for config in ORDER:
            args = [__file__, "--child", config, "--dir", directory, "--count", str(count),
                    "--repeats", str(repeats)]
            results[config] = run_json(args, child_env(CONFIGS[config][2]))
            print(f"  measured {config}", file=sys.stderr, flush=True)

    rows = []
    for config in ORDER:
        best = {name: min(values) for name, values in results[config]["times"].items()}
        failed = [name for name, ok in results[config]["checks"].items() if not ok]
        empty, logger = best["empty"], best["logger_debug"]
        rows.append([
            CONFIGS[config][0],
            f"{empty:.1f}", f"{logger:.1f}", f"{best['logging_debug']:.1f}", f"{best['probe']:.1f}",
            f"{best['probe'] / empty:.2f}",
            f"{best['probe'] / logger:.2f}",
            f"{(best['probe'] - empty) / (logger - empty):.2f}",
            "ok" if not failed else "FAILED: " + ", ".join(failed),
        ])
    print()
    print(table(["configuration", "empty ns", "log.debug ns", "logging.debug ns", "probe ns",
                 "probe/empty", "probe/log.debug", "net ratio", "checks"], rows))
    print()
    print("ns per loop iteration, minimum over the timed loops, all timed in the configuration's own process;")
    print("net ratio = (probe - empty) / (log.debug - empty): the statement's own cost against log.debug's")
    print(f"{load()} at the end (above the CPU count the timings are less reliable)")
    off = {name: min(values) for name, values in results["fallback-off"]["times"].items()}
    ratio = off["probe"] / off["logger_debug"]
    print(f"verdict: fallback, tracing off: {verdict(ratio <= 1.0)} "
          f"({off['probe']:.1f} ns vs log.debug {off['logger_debug']:.1f} ns: ratio {ratio:.2f}, target <= 1.00)")
    if options.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
