"""The Rust crate's simple example: three probes fired in a loop with a counter.

    python -m tracers run --backend record examples/simple.py --count 3
    TRACERS=usdt python -m tracers run examples/simple.py --forever   # then attach bpftrace
"""
import argparse
import time
from typing import Optional

from tracers import ProbeCall, probe, tracer


@tracer
class SimpleProbes:
    @staticmethod
    def hello(who: str) -> ProbeCall: ...

    @staticmethod
    def greeting(greeting: str, name: str) -> ProbeCall: ...

    @staticmethod
    def optional_greeting(greeting: str, name: Optional[str]) -> ProbeCall: ...

    @staticmethod
    def counter(count: int) -> ProbeCall: ...


def greet(count: int) -> str:
    name = f"world #{count}"
    probe(SimpleProbes.hello(name))
    probe(SimpleProbes.greeting("hello", name))
    probe(SimpleProbes.optional_greeting("hello", name if count % 2 else None))
    probe(SimpleProbes.counter(count))
    return f"hello {name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3, help="iterations (default 3)")
    parser.add_argument("--forever", action="store_true", help="loop until interrupted")
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between iterations")
    options = parser.parse_args()
    count = 0
    while options.forever or count < options.count:
        print(greet(count), flush=True)
        count += 1
        if options.interval:
            time.sleep(options.interval)


if __name__ == "__main__":
    main()
