"""The declaration form the README leads with: clean in pyright (basic and strict) and mypy --strict.

Also run as a program (tests/typing/test_static_form.py) to check that what
the checkers accept is what tracers accepts and fires.
"""
from typing import Callable, Optional

import tracers as t
from tracers import I8, I16, I32, I64, U8, U16, U32, U64, ProbeCall, probe, tracer
from tracers.runtime import record


@tracer
class SimpleProbes:
    """Greetings."""

    @staticmethod
    def hello(who: str) -> ProbeCall: ...

    @staticmethod
    def greeting(greeting: str, name: str) -> ProbeCall:
        """A docstring is an empty body too."""

    @staticmethod
    def optional_greeting(greeting: str, name: Optional[str]) -> ProbeCall:
        pass

    @staticmethod
    def started() -> ProbeCall: ...


@t.tracer(provider="myapp")
class Net:
    @staticmethod
    def request(method: str, status: int, size: U32) -> ProbeCall: ...

    @staticmethod
    def widths(a: I8, b: I16, c: I32, d: I64, e: U8, f: U16, g: Optional[U64]) -> ProbeCall: ...

    @staticmethod
    def raw(flag: bool, data: bytes, maybe: Optional[bytes], n: Optional[int]) -> ProbeCall: ...


def serve(body: bytes, name: Optional[str]) -> None:
    probe(SimpleProbes.started())
    probe(SimpleProbes.hello("world"))
    probe(SimpleProbes.greeting("hello", name="world"))
    probe(SimpleProbes.optional_greeting("hello", name))
    t.probe(Net.request("GET", 200, len(body)))
    probe(Net.widths(-1, -2, -3, -4, 5, 6, None))
    probe(Net.raw(True, body, None, None))
    probe(Net.raw(False, b"", body, 7))


def main() -> None:
    as_callable: Callable[[str], ProbeCall] = SimpleProbes.hello
    with record.capture() as fired:
        serve(b"body", None)
        probe(as_callable("again"))
    for event in fired:
        print(event.provider, event.probe, event.args)


if __name__ == "__main__":
    main()
