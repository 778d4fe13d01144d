"""Import time of a package with and without the import hook.

A generated package holds a provider module, 50 modules that fire probes and
50 plain modules without probes (about 90-100 lines each: imports, constants,
a dataclass or a plain class, a store class, functions).  Each measurement is a fresh interpreter that imports
the 50 plain modules, then the provider and the 50 probe modules, timing each
group with ``perf_counter`` (interpreter start-up and the import of tracers
itself are not counted).  Configurations:

    plain   plain Python, no hook
    off     hook installed, TRACERS unset
    on      hook installed, TRACERS=usdt (armed, idle): the provider module
            loads the backend and its three providers' objects (which another
            live process keeps loaded, as in a service of several processes)

Each configuration imports its own copy of the package, so its bytecode cache
holds only what it wrote itself ("cold": every __pycache__ removed before the
run; "warm": caches left from earlier runs).  The "+std pyc" rows add standard
pyc files for every module, as ``pip install`` (compileall) leaves them.
Configurations are interleaved run by run (in a shuffled order); medians and
minimums are reported, as wall time and as CPU time.  With tracing off, the
cached code of the probe modules is compared with their source compiled with
the probe lines blanked.  Each configuration's last run is checked for the
hook and the gates it should have (and no other): the script exits 1 after
its report if one did not, and refuses at once an interpreter whose start-up
installs the hook (a ``sitecustomize.py`` of its environment), with which
"plain Python" would not be plain.

    python benchmarks/import_time.py            # about a minute
    python benchmarks/import_time.py --quick
    python benchmarks/import_time.py --instructions   # also instructions (valgrind), warm caches

Timings of a few tens of milliseconds move by several percent from run to run
on a shared machine.  ``--instructions`` also counts the instructions each
warm configuration executes (valgrind's callgrind), which the machine's load
hardly moves: each group's count is the difference between a child that
stops before that group and one that stops after it (with ``os._exit``, so
that neither the checks after the imports nor the exit is counted).
"""
from __future__ import annotations

import argparse
import compileall
import marshal
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from types import CodeType
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, child_env, instructions, load, machine, median, run_json, table, verdict  # noqa: E402

PACKAGE = "tracers_bench_pkg"
MODULES = 50
STDLIB_USED = ("os", "re", "json", "logging", "dataclasses", "typing", "collections", "functools")

# --------------------------------------------------------------------------- generated package

PROVIDERS = textwrap.dedent('''\
    """Probes fired by the benchmark package."""
    from typing import Optional

    from tracers import I32, U64, tracer


    @tracer
    class StoreProbes:
        def put(store: str, key: str, size: int): ...
        def evicted(store: str, key: str): ...
        def hit(key: str): ...
        def miss(key: str): ...


    @tracer
    class ParseProbes:
        def line(module: str, number: int): ...
        def parsed(module: str, values: U64): ...


    @tracer
    class LoadProbes:
        def start(path: str): ...
        def done(path: str, records: I32, error: Optional[str]): ...
''')

# Lines starting with "@P " become probe statements in probe modules and are
# dropped from plain modules; "@D " lines only appear in dataclass variants,
# "@C " lines only in plain-class variants.
TEMPLATE = '''\
"""{kind} module {index}: records, a bounded store and parsers for {topic}."""
from __future__ import annotations

import json
import logging
import os
import re
from collections import OrderedDict
@D from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional
@P from tracers import probe
@P from .providers import LoadProbes, ParseProbes, StoreProbes

log = logging.getLogger(__name__)

_PATTERN = re.compile(r"^{topic}_(\\d+)\\s*=\\s*(-?\\d+)$")
DEFAULT_LIMIT = {limit}
NAME = "{topic}"


@D @dataclass
@D class Record:
@D     key: str
@D     value: int = 0
@D     tags: List[str] = field(default_factory=list)
@C class Record:
@C     __slots__ = ("key", "value", "tags")
@C
@C     def __init__(self, key: str, value: int = 0, tags: Optional[List[str]] = None) -> None:
@C         self.key = key
@C         self.value = value
@C         self.tags = tags or []

    def score(self) -> int:
        return self.value * (len(self.tags) + 1) + {index}

    def to_json(self) -> str:
        return json.dumps({{"key": self.key, "value": self.value, "tags": self.tags}})


class Store:
    """At most ``limit`` records, the oldest evicted first."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._items: "OrderedDict[str, Record]" = OrderedDict()
        self.limit = limit

    def put(self, record: Record) -> None:
        if len(self._items) >= self.limit:
            oldest, _ = self._items.popitem(last=False)
@P             probe(StoreProbes.evicted(NAME, oldest))
            log.debug("evicted %s", oldest)
        self._items[record.key] = record
@P         probe(StoreProbes.put(NAME, record.key, len(self._items)))

    def get(self, key: str) -> Optional[Record]:
        found = self._items.get(key)
        if found is None:
@P             probe(StoreProbes.miss(key))
            return None
@P         probe(StoreProbes.hit(key))
        return found

    def __len__(self) -> int:
        return len(self._items)


@lru_cache(maxsize=None)
def _weight(key: str) -> int:
    return sum(ord(c) for c in key) % {modulus}


def parse(text: str) -> List[int]:
    values = []
    for number, line in enumerate(text.splitlines()):
@P         probe(ParseProbes.line(NAME, number))
        match = _PATTERN.match(line.strip())
        if match:
            values.append(int(match.group(2)))
@P     probe(ParseProbes.parsed(NAME, len(values)))
    return values


def load(path: str) -> Store:
@P     probe(LoadProbes.start(path))
    store = Store()
    if not os.path.exists(path):
@P         probe(LoadProbes.done(path, 0, "missing"))
        return store
    with open(path) as file:
        for item in json.load(file):
            store.put(Record(item["key"], item.get("value", 0), item.get("tags", [])))
@P     probe(LoadProbes.done(path, len(store), None))
    return store


def summarize(records: Iterable[Record]) -> Dict[str, Any]:
    total = 0
    best: Optional[Record] = None
    for record in records:
        total += record.value + _weight(record.key)
        if best is None or record.score() > best.score():
            best = record
    return {{"module": NAME, "total": total, "best": best.key if best else None}}
'''

TOPICS = ("orders", "users", "stock", "prices", "routes", "events", "tickets", "files", "jobs", "metrics")


def module_source(index: int, probes: bool, rng: random.Random) -> str:
    dataclass_variant = index % 3 == 0
    lines = []
    for line in TEMPLATE.format(kind="probe" if probes else "plain", index=index, topic=TOPICS[index % 10],
                                limit=rng.randrange(50, 5000), modulus=rng.randrange(7, 997)).splitlines():
        marker, rest = line[:3], line[3:]
        if marker == "@P ":
            if probes:
                lines.append(rest)
        elif marker == "@D ":
            if dataclass_variant:
                lines.append(rest)
        elif marker == "@C " or line == "@C":
            if not dataclass_variant:
                lines.append(rest)
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def plain_names() -> list[str]:
    return [f"{PACKAGE}.plain_{i:02d}" for i in range(MODULES)]


def probe_names() -> list[str]:
    return [f"{PACKAGE}.providers"] + [f"{PACKAGE}.probed_{i:02d}" for i in range(MODULES)]


def generate(root: Path) -> None:
    package = root / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Generated benchmark package."""\n')
    (package / "_first.py").write_text('"""Imported before timing: creates the directory finder."""\n')
    (package / "providers.py").write_text(PROVIDERS)
    rng = random.Random(2024)
    for i in range(MODULES):
        (package / f"plain_{i:02d}.py").write_text(module_source(i, probes=False, rng=rng))
        (package / f"probed_{i:02d}.py").write_text(module_source(i, probes=True, rng=rng))


def blanked(source: str) -> str:
    """The source with every probe statement line replaced by an empty line."""
    return "\n".join("" if re.match(r"\s*probe\(", line) else line for line in source.splitlines()) + "\n"


# --------------------------------------------------------------------------- child

CHILD = '''
import importlib, json, os, sys, time
root, package, hook, plain, probed, stdlib = sys.argv[1], sys.argv[2], sys.argv[3] == "1", \\
    sys.argv[4].split(","), sys.argv[5].split(","), sys.argv[6].split(",")
stop = sys.argv[7] if len(sys.argv) > 7 else ""  # for counting instructions: "base", "plain" or "all" ends there
import tracers
if hook:
    import tracers.importhook
    tracers.importhook.install()
for name in stdlib:
    importlib.import_module(name)
sys.path.insert(0, root)
importlib.import_module(package + "._first")
if stop == "base":  # os._exit: what is counted is the imports, not the exit that follows them
    os._exit(0)
c0, t0 = time.process_time(), time.perf_counter()
for name in plain:
    importlib.import_module(name)
c1, t1 = time.process_time(), time.perf_counter()
if stop == "plain":
    os._exit(0)
for name in probed:
    importlib.import_module(name)
c2, t2 = time.process_time(), time.perf_counter()
if stop == "all":
    os._exit(0)
from tracers.importhook import TracersLoader
modules = [sys.modules[name] for name in plain + probed]
gates = sum(1 for m in modules for k in vars(m) if k.startswith("_tracers_gate_"))
hooked = sum(isinstance(m.__loader__, TracersLoader) for m in modules)
print(json.dumps({"plain": t1 - t0, "probed": t2 - t1, "cpu_plain": c1 - c0, "cpu_probed": c2 - c1, "gates": gates, "hooked": hooked}))
'''

# name: (label, hook, TRACERS value, standard pycs added)
CONFIGS: dict[str, tuple[str, bool, Optional[str], bool]] = {
    "plain": ("plain Python, no hook", False, None, False),
    "off": ("hook, tracing off", True, None, False),
    "on": ("hook, on (TRACERS=usdt)", True, "usdt", False),
    "off+std": ("hook, tracing off, +std pyc", True, None, True),
    "on+std": ("hook, on (usdt), +std pyc", True, "usdt", True),
}
Results = dict[tuple[str, str], list[dict[str, Any]]]  # (cache state, config) -> one dict per run
COLD = ["plain", "off", "on"]
WARM = ["plain", "off", "on", "off+std", "on+std"]


RUNTIME_DIR: dict[str, str] = {}  # TRACERS_RUNTIME_DIR of the children, made by main()


def count_instructions(root: Path, config: str) -> dict[str, int]:
    """Instructions each group's imports execute in ``config`` (warm caches), by differences of whole runs."""
    _, hook, mode, _ = CONFIGS[config]
    counts = {}
    for stop in ("base", "plain", "all"):
        args = [sys.executable, "-c", CHILD, str(root), PACKAGE, "1" if hook else "0", ",".join(plain_names()),
                ",".join(probe_names()), ",".join(STDLIB_USED), stop]
        counts[stop] = instructions(args, child_env(mode, RUNTIME_DIR), str(REPO))
    return {"plain": counts["plain"] - counts["base"], "probed": counts["all"] - counts["plain"],
            "all": counts["all"] - counts["base"]}


def report_instructions(counts: dict[str, dict[str, int]]) -> None:
    print("\nwarm caches, instructions executed by the imports (valgrind), ratio to plain Python:")
    rows = []
    for config, found in counts.items():
        rows.append([CONFIGS[config][0]] + [f"{found[group] / 1e6:.1f}M {found[group] / counts['plain'][group]:.3f}"
                                            for group, _ in GROUPS])
    print(table(["config", "modules without probes", "probe modules", "all"], rows))


def measure(root: Path, config: str) -> dict[str, Any]:
    _, hook, mode, _ = CONFIGS[config]
    args = ["-c", CHILD, str(root), PACKAGE, "1" if hook else "0", ",".join(plain_names()),
            ",".join(probe_names()), ",".join(STDLIB_USED)]
    return run_json(args, child_env(mode, RUNTIME_DIR))


HOLDER = """
import sys
import tracers.importhook
tracers.importhook.install()
sys.path.insert(0, sys.argv[1])
__import__(sys.argv[2] + ".providers")
print("ready", flush=True)
sys.stdin.read()
"""


def hold_providers(root: Path) -> subprocess.Popen[str]:
    """A live process that keeps the providers' objects loaded (another process of the same program)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root), PACKAGE], env=child_env("usdt", RUNTIME_DIR),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if holder.stdout is None or holder.stdout.readline().strip() != "ready":
        raise SystemExit("the process holding the providers' objects did not start")
    return holder


def clear_caches(root: Path) -> None:
    for pycache in root.rglob("__pycache__"):
        shutil.rmtree(pycache)


# --------------------------------------------------------------------------- bytecode identity


_POSITION_FIELDS = ("co_firstlineno", "co_linetable")


def _code_differences(a: CodeType, b: CodeType, where: str = "<module>") -> list[str]:
    """Fields that differ between two code objects, recursively."""
    found = []
    for field in ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_flags",
                  "co_argcount", "co_kwonlyargcount", "co_posonlyargcount", "co_stacksize",
                  "co_exceptiontable", "co_name", "co_qualname") + _POSITION_FIELDS:
        if getattr(a, field, None) != getattr(b, field, None):
            found.append(f"{where}.{field}")
    consts_a, consts_b = a.co_consts, b.co_consts
    if len(consts_a) != len(consts_b):
        return found + [f"{where}.co_consts (length)"]
    for x, y in zip(consts_a, consts_b):
        if isinstance(x, CodeType) and isinstance(y, CodeType):
            found += _code_differences(x, y, f"{where}/{x.co_name}")
        elif type(x) is not type(y) or x != y:
            found.append(f"{where}.co_consts")
    return found


def check_identical_bytecode(root: Path) -> tuple[bool, list[str]]:
    """Compare what the hook caches with tracing off against the source with probe lines blanked.

    Returns whether the bytecode (instructions, constants, names, flags) is
    identical, and lines describing what was compared and what differs.
    """
    from _tracers_importhook._loader import read_pyc
    from tracers.importhook import _cache

    code_diffs: list[str] = []
    position_diffs: list[str] = []
    checked = sites = 0
    package = root / PACKAGE
    for path in sorted(package.glob("probed_*.py")):
        source = path.read_text()
        sites += sum(1 for line in source.splitlines() if re.match(r"\s*probe\(", line))
        expected = compile(blanked(source), str(path), "exec", dont_inherit=True)
        tagged = _cache.tagged_path(str(path), enabled=False)
        data = read_pyc(tagged, path.stat())
        if data is None:
            return False, [f"no tracing-off cache file for {path.name} ({tagged})"]
        for difference in _code_differences(marshal.loads(data), expected):
            kind = position_diffs if difference.endswith(_POSITION_FIELDS) else code_diffs
            kind.append(f"{path.name}: {difference}")
        checked += 1
    lines = [f"compared the cached code of {checked} modules ({sites} probe statements) with their "
             f"source compiled with the probe lines blanked"]
    for label, found in (("bytecode", code_diffs), ("position tables", position_diffs)):
        if found:
            shown = "; ".join(found[:3]) + (" ..." if len(found) > 3 else "")
            lines.append(f"{label}: {len(found)} code objects differ: {shown}")
        else:
            lines.append(f"{label}: identical")
    return not code_diffs, lines


# --------------------------------------------------------------------------- parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 runs per configuration instead of 15")
    parser.add_argument("--runs", type=int, help="runs per configuration and cache state")
    parser.add_argument("--keep", action="store_true", help="keep and print the generated directory")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions executed with warm caches (needs valgrind)")
    options = parser.parse_args()
    if options.instructions and shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind: apt-get install valgrind")
    runs = options.runs or (5 if options.quick else 15)
    sys.path.insert(0, str(REPO))
    refuse_a_hooked_baseline()

    base = Path(tempfile.mkdtemp(prefix="tracers-bench-import-"))
    holder = None
    try:
        runtime = base / "runtime"
        runtime.mkdir(mode=0o700)
        RUNTIME_DIR["TRACERS_RUNTIME_DIR"] = str(runtime)
        roots = {config: base / config for config in CONFIGS}
        for root in roots.values():
            generate(root)
        holder = hold_providers(roots["plain"])
        sample = (roots["plain"] / PACKAGE / "probed_00.py").read_text()
        print(f"import time: {MODULES} probe modules (+ provider module) and {MODULES} plain modules, "
              f"~{len(sample.splitlines())} lines each, {runs} runs per cell;\n{machine()}; {load()} at the start")

        results: Results = {}
        rng = random.Random(7)
        for state in ("cold", "warm"):
            configs = COLD if state == "cold" else WARM
            if state == "warm":
                for config in configs:
                    if CONFIGS[config][3]:
                        compileall.compile_dir(str(roots[config]), quiet=1)
                    measure(roots[config], config)  # fills the cache this configuration reads
            for run in range(runs):
                order = list(configs)
                rng.shuffle(order)
                for config in order:
                    if state == "cold":
                        clear_caches(roots[config])
                    results[state, config] = results.get((state, config), []) + [measure(roots[config], config)]
                print(f"  {state} run {run + 1}/{runs}", file=sys.stderr, flush=True)

        counts = {config: count_instructions(roots[config], config) for config in WARM} if options.instructions else {}
        identical, details = check_identical_bytecode(roots["off"])
        checked = report(results, runs)
        print(f"{load()} at the end (above the CPU count the timings are less reliable)")
        print()
        print(f"tracing off, identical bytecode: {verdict(identical)}")
        for line in details:
            print(f"    {line}")
        verdicts(results)
        if counts:
            report_instructions(counts)
        if options.keep:
            print(f"generated packages kept in {base}")
        if not checked:
            raise SystemExit("a check FAILED (above): some configuration did not run as its name says, so its "
                             "ratios mean nothing")
    finally:
        if holder is not None and holder.stdin is not None:
            holder.stdin.close()
            holder.wait(timeout=60)
        if not options.keep:
            shutil.rmtree(base, ignore_errors=True)


GROUPS = (("plain", "plain"), ("probed", "probe"), ("all", "all"))


def _stat(results: Results, state: str, config: str, group: str, how: str) -> float:
    """Import time of a group: ``how`` is "median" or "min" of wall time, or "cpu" (median CPU time).

    Group "all" adds the two groups run by run.
    """
    prefix = "cpu_" if how == "cpu" else ""
    runs = results[state, config]
    if group == "all":
        values = [r[prefix + "plain"] + r[prefix + "probed"] for r in runs]
    else:
        values = [r[prefix + group] for r in runs]
    return min(values) if how == "min" else median(values)


def _ratio(results: Results, state: str, config: str, group: str, how: str) -> float:
    return _stat(results, state, config, group, how) / _stat(results, state, "plain", group, how)


def report(results: Results, runs: int) -> bool:
    """Print the table; whether every configuration had the hook and gates exactly where expected."""
    rows = []
    checked = True
    for state, configs in (("cold", COLD), ("warm", WARM)):
        for config in configs:
            row = [f"{state:4}  {CONFIGS[config][0]}"]
            for group, _ in GROUPS:
                if group != "all":
                    row += [f"{_stat(results, state, config, group, how) * 1e3:.1f}" for how in ("median", "min")]
                row += [f"{_ratio(results, state, config, group, how):.3f}" for how in ("median", "min", "cpu")]
            sanity = results[state, config][-1]
            ok = ((sanity["gates"] > 0) == (CONFIGS[config][2] is not None)
                  and (sanity["hooked"] > 0) == CONFIGS[config][1])
            rows.append(row + ["ok" if ok else "FAILED"])
            checked = checked and ok
    headers = ["cache config"]
    for group, label in GROUPS:
        if group != "all":
            headers += [f"{label} ms", "min"]
        headers += [f"{label} ratio", "min", "cpu"]
    print()
    print(table(headers + ["check"], rows))
    print()
    print("plain / probe / all: the 50 modules without probes, the 51 probe modules (incl. the provider module), both.")
    print("ms: median wall time over the runs, min: minimum; ratio: median against the median of plain Python in")
    print("the same cache state, min: the same with minimums, cpu: the same with the median CPU time (process_time,")
    print("which excludes time the process waited for a CPU); check: hook and gates present exactly where expected")
    return checked


def refuse_a_hooked_baseline() -> None:
    """Stop at once if this interpreter installs the import hook as it starts (a ``sitecustomize.py``
    or ``.pth`` file of its environment; the children's ``TRACERS*`` variables are dropped): plain
    Python, the baseline, would have it too."""
    code = "import sys; print(any(type(f).__name__ == 'TracersFinder' for f in sys.meta_path))"
    done = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, check=True)
    if done.stdout.strip() != "False":
        raise SystemExit(f"{sys.executable} installs the import hook as it starts (its environment's "
                         f"sitecustomize.py?): plain Python would not be plain; run this with an interpreter "
                         f"whose start-up does not install it")


# Warm-cache targets per configuration: (group, label, ratio at most).
TARGETS = {
    "off": (("probed", "probe modules", 1.02), ("all", "all", 1.02), ("plain", "modules without probes", 1.02)),
    "on": (("probed", "probe modules", 1.25), ("all", "all", 1.10), ("plain", "modules without probes", 1.02)),
}


def verdicts(results: Results) -> None:
    print("warm-cache targets: PASS/MISS when the median and the minimum wall-time ratios agree, UNSURE when they")
    print("disagree (noise: rerun on a quieter machine); [min, cpu] ratios in brackets:")
    for config in ("off", "on", "off+std", "on+std"):
        parts = []
        for group, label, target in TARGETS[config.split("+")[0]]:
            med, low, cpu = (_ratio(results, "warm", config, group, how) for how in ("median", "min", "cpu"))
            judged = verdict(med <= target) if (med <= target) == (low <= target) else "UNSURE"
            parts.append(f"{label} {med:.3f} [{low:.3f}, {cpu:.3f}] {judged} (<= {target})")
        print(f"  {CONFIGS[config][0]:28}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
