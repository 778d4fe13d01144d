"""Deliberate mistakes in the README's form: each line marked ``# expect:`` must
get exactly those diagnostics (pyright rule names, mypy error codes), and no
other line any. ``strict[...]`` lists what pyright's strict mode adds (a call
it rejects has an unknown type), ``plugin[...]`` what mypy reports instead with
the tracers plugin (which accepts the self-less form)."""
from typing import Optional

from tracers import U32, ProbeCall, probe, tracer


@tracer
class SimpleProbes:
    @staticmethod
    def hello(who: str) -> ProbeCall: ...

    @staticmethod
    def greeting(greeting: str, name: str) -> ProbeCall: ...

    @staticmethod
    def optional_greeting(greeting: str, name: Optional[str]) -> ProbeCall: ...


@tracer(provider="myapp")
class Net:
    @staticmethod
    def request(method: str, status: int, size: U32) -> ProbeCall: ...


probe(SimpleProbes.hello(1))  # expect: pyright[reportArgumentType] mypy[arg-type]
probe(SimpleProbes.hello(b"bytes"))  # expect: pyright[reportArgumentType] mypy[arg-type]
probe(SimpleProbes.greeting("hello"))  # expect: pyright[reportCallIssue] strict[reportUnknownArgumentType] mypy[call-arg]
probe(SimpleProbes.hello("a", "b"))  # expect: pyright[reportCallIssue] strict[reportUnknownArgumentType] mypy[call-arg]
probe(SimpleProbes.greeting("a", None))  # expect: pyright[reportArgumentType] mypy[arg-type]
probe(SimpleProbes.greeting(greeting="a", nam="b"))  # expect: pyright[reportCallIssue] strict[reportUnknownArgumentType] mypy[call-arg]
probe(SimpleProbes.optional_greeting("a", 1))  # expect: pyright[reportArgumentType] mypy[arg-type]
probe(Net.request("GET", 200, "512"))  # expect: pyright[reportArgumentType] mypy[arg-type]
probe(Net.request("GET", 2.5, 512))  # expect: pyright[reportArgumentType] mypy[arg-type]
probe(Net.request("GET", 200))  # expect: pyright[reportCallIssue] strict[reportUnknownArgumentType] mypy[call-arg]
probe(42)  # expect: pyright[reportArgumentType] mypy[arg-type]
probe(SimpleProbes.hello)  # expect: pyright[reportArgumentType] mypy[arg-type]


@tracer
class Forgotten:
    def e(a: int) -> ProbeCall: ...  # expect: pyright[reportSelfClsParameterName,reportGeneralTypeIssues] mypy[misc] plugin[]
