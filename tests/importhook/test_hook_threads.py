"""Concurrent imports through the hook."""
from __future__ import annotations

import pytest

from hook_support import HOOK

THREADS = 8

PROVIDER = """
from tracers import tracer

@tracer(provider="par")
class Par:
    def loaded(index: int): ...
    def called(index: int, twice: int): ...
"""

WORKER = """
from tracers import probe
from shared import Par
import time

INDEX = {index}
probe(Par.loaded(INDEX))
time.sleep(0.01)  # keep imports overlapping

def call():
    probe(Par.called(INDEX, INDEX * 2))
    return INDEX
"""

RACE = f"""
    import importlib, json, sys, threading
    {HOOK}
    barrier = threading.Barrier({THREADS})
    results, errors = {{}}, []

    def load(index):
        try:
            barrier.wait()
            module = importlib.import_module(f"mod{{index}}")
            results[index] = [module.call(), type(module.__loader__).__name__]
        except BaseException as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=load, args=(i,)) for i in range({THREADS})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = []
    if "tracers.runtime.record" in sys.modules:
        from tracers.runtime import record
        events = sorted([e.probe, list(e.args)] for e in record.events())
    print(json.dumps([errors, sorted(results.items()), events]))
"""


@pytest.mark.parametrize("mode", [None, "record"])
def test_threads_import_different_hooked_modules(py, mode):
    files = {"shared.py": PROVIDER}
    files.update({f"mod{i}.py": WORKER.format(index=i) for i in range(THREADS)})
    py.write(files)
    expected_results = [[i, [i, "TracersLoader"]] for i in range(THREADS)]
    expected_events = sorted([["loaded", [i]] for i in range(THREADS)] + [["called", [i, 2 * i]] for i in range(THREADS)])
    for attempt in ("compiling", "from the cache"):
        errors, results, events = py.result(RACE, tracers=mode)
        assert errors == [], attempt
        assert results == expected_results, attempt
        assert events == (expected_events if mode else []), attempt
    assert len(list((py.root / "__pycache__").glob("mod*.opt-tracers*.pyc"))) == THREADS
    assert not list((py.root / "__pycache__").glob("*.tmp"))
