"""Every kind of malformed @tracer class fails at class creation, naming file:line, probe and fix."""
import json
import re
import sys
import textwrap
from pathlib import Path

import pytest

from tracers import ProbeDefinitionError

pytestmark = pytest.mark.filterwarnings("error")


def define(tmp_path: Path, body: str, name: str = "probes_mod") -> dict:
    """Execute ``body`` as a module file so errors carry a real file and line."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    namespace: dict = {"__name__": name}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


CASES = [
    # (label, class body line, expected line offset, pattern in message)
    ("float", "def e(x: float): ...", r"argument 'x': unsupported annotation float; annotate it with int, bool"),
    ("list", "def e(x: list): ...", r"argument 'x': unsupported annotation list"),
    ("missing", "def e(x): ...", r"argument 'x' has no annotation"),
    ("self", "def e(self, x: int): ...", r"probes take no 'self'; remove 'self'"),
    ("cls", "def e(cls): ...", r"probes take no 'cls'"),
    ("args", "def e(*args: int): ...", r"\*args is not allowed"),
    ("kwargs", "def e(**kw: int): ...", r"\*\*kwargs is not allowed"),
    ("default", "def e(x: int = 3): ...", r"arguments cannot have defaults; remove the default"),
    ("kwonly", "def e(x: int, *, y: int): ...", r"keyword-only arguments are not allowed"),
    ("body", "def e(x: int): return x", r"the body must be empty; write only a docstring, '...' or 'pass'"),
    ("body-const", "def e(x: int): return 1", r"the body must be empty"),
    ("return", "def e(x: int) -> int: ...", r"a probe definition returns ProbeCall; write '-> ProbeCall'"),
    ("return-static", "@staticmethod\n    def e(x: int) -> str: ...", r"a probe definition returns ProbeCall"),
    ("static-self", "@staticmethod\n    def e(self, x: int) -> ProbeCall: ...", r"probes take no 'self'"),
    ("static-float", "@staticmethod\n    def e(x: float) -> ProbeCall: ...", r"argument 'x': unsupported annotation"),
    ("static-body", "@staticmethod\n    def e(x: int) -> ProbeCall: print(x)", r"the body must be empty"),
    ("union", "def e(x: Union[int, str]): ...", r"only Optional\[X\] is allowed"),
    ("optional-float", "def e(x: Optional[float]): ...", r"unsupported annotation float"),
    ("dunder", "def __init__(x: int): ...", r"special methods are not probes"),
    ("non-ascii", "def grüße(x: int): ...", r"not a C identifier"),
    ("classmethod", "@classmethod\n    def e(cls, x: int): ...", r"is a classmethod, not a probe definition"),
    ("property", "@property\n    def e(x: int): ...", r"is a property, not a probe definition"),
    ("constant", "LIMIT = 3", r"is a int, not a probe definition"),
    # The same argument names and annotations as `fine`: what a provider learns from one
    # probe's arguments spares no other probe its own checks.
    ("same-signature-dunder", "def __call__(a: int): ...", r"special methods are not probes"),
    ("same-signature-non-ascii", "def grüße(a: int): ...", r"the probe name is not a C identifier"),
    ("same-signature-args", "def e(a: int, *rest): ...", r"\*args is not allowed"),
    ("same-signature-kwargs", "def e(a: int, **rest): ...", r"\*\*kwargs is not allowed"),
    ("same-signature-default", "def e(a: int = 3): ...", r"arguments cannot have defaults"),
    ("same-signature-body", "def e(a: int): return a", r"the body must be empty"),
    ("same-signature-body-call", "def e(a: int): print(a)", r"the body must be empty"),
    ("same-signature-docstring-and-call", 'def e(a: int):\n        "Doc."\n        print(a)',
     r"the body must be empty"),
    ("async", "async def e(a: int): ...", r"an async def is not a probe definition; declare it with 'def'"),
]


@pytest.mark.parametrize("label,line,pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_probe_is_reported_with_file_line_and_fix(tmp_path, label, line, pattern):
    source = f"""\
from typing import Optional, Union
from tracers import ProbeCall, tracer

@tracer
class Bad:
    def fine(a: int): ...
    {line}
"""
    with pytest.raises(ProbeDefinitionError) as caught:
        define(tmp_path, source)
    message = str(caught.value)
    assert re.search(pattern, message), message
    assert isinstance(caught.value, TypeError)
    location = re.match(r"(.+):(\d+): ", message)
    assert location and location.group(1) == str(tmp_path / "probes_mod.py"), message
    # the bad definition (7, or 8 after a decorator), or the class statement (4) for non-functions
    assert int(location.group(2)) in (4, 7, 8), message


def test_probes_sharing_a_signature_share_its_description(tmp_path):
    source = '''\
from tracers import tracer

@tracer
class Same:
    def first(a: int, b: str): ...
    def second(a: int, b: str):
        """Doc."""
    def other(a: int, b: bytes): ...
'''
    provider = define(tmp_path, source)["Same"]
    first, second, other = (getattr(provider, name).spec for name in ("first", "second", "other"))
    assert (second.name, second.lineno, second.filename) == ("second", 6, str(tmp_path / "probes_mod.py"))
    assert [(a.name, a.type.display) for a in second.args] == [("a", "int"), ("b", "str")]
    assert second.args == first.args
    assert [(a.name, a.type.display) for a in other.args] == [("a", "int"), ("b", "bytes")]
    assert type(second) is type(first) and second == type(second)("second", first.args, second.filename, 6)


def test_a_signature_like_the_last_one_is_described_by_its_own_annotations_and_module(tmp_path):
    """Each probe is compared with the one before it: the same argument names do not make the same signature."""
    (tmp_path / "elsewhere.py").write_text('Kind = int\n\ndef borrowed(a: "Kind"): ...\n')
    sys.path.insert(0, str(tmp_path))
    try:
        source = '''\
import elsewhere
from tracers import tracer

Kind = str

@tracer
class Alike:
    def first(a: int): ...
    def second(a: str): ...
    def third(a: str): ...
    def fourth(a: "Kind"): ...
    fifth = elsewhere.borrowed
    def sixth(a: "Kind"): ...
    def seventh(a: int): ...
'''
        provider = define(tmp_path, source, "alike_mod")["Alike"]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("elsewhere", None)
    kinds = [getattr(provider, name).spec.args[0].type.display
             for name in ("first", "second", "third", "fourth", "fifth", "sixth", "seventh")]
    assert kinds == ["int", "str", "str", "str", "int", "str", "int"]


def test_a_signature_an_earlier_provider_declared_is_described_by_what_it_says_here(tmp_path):
    """Providers share what a signature of plain types describes, and nothing else: a string
    annotation means what its own module makes of it, and each definition still passes its own checks."""
    define(tmp_path, '''\
from tracers import I8, tracer

Kind = I8

@tracer
class NarrowFirst:
    def first(a: int, b: str): ...
    def named(a: "Kind"): ...
''', "narrow_mod")
    source = '''\
from tracers import tracer

Kind = bool

@tracer
class Later:
    def same(a: int, b: str): ...
    def swapped(b: int, a: str): ...
    def other(a: bool, b: str): ...
    def named(a: "Kind"): ...
'''
    later = define(tmp_path, source, "later_mod")["Later"]
    described = {name: [(a.name, a.type.display) for a in getattr(later, name).spec.args]
                 for name in ("same", "swapped", "other", "named")}
    assert described == {"same": [("a", "int"), ("b", "str")], "swapped": [("b", "int"), ("a", "str")],
                         "other": [("a", "bool"), ("b", "str")], "named": [("a", "bool")]}
    assert later.same.spec.lineno == 7 and later.same.spec.filename == str(tmp_path / "later_mod.py")


@pytest.mark.parametrize("line,pattern", [
    ("def e(a: int, b: str): return a", r"later_mod.py:5: probe Again.e: the body must be empty"),
    ("def e(a: int, b: str = 'x'): ...", r"later_mod.py:5: probe Again.e: arguments cannot have defaults"),
    ("def e(a: int, b: str, *rest): ...", r"later_mod.py:5: probe Again.e: \*args is not allowed"),
    ("def __init__(a: int, b: str): ...", r"later_mod.py:5: probe Again.__init__: special methods are not probes"),
    ("def e(self, a: int): ...", r"later_mod.py:5: probe Again.e: probes take no 'self'"),
], ids=["body", "default", "args", "dunder", "self"])
def test_a_signature_an_earlier_provider_declared_spares_no_check_of_the_definition(tmp_path, line, pattern):
    """The first probe of a provider, whose signature an earlier provider declared (or refused)."""
    # Before's f has the annotations of a definition that also takes 'self'.
    define(tmp_path, "from tracers import tracer\n\n@tracer\nclass Before:\n    def e(a: int, b: str): ...\n"
           "    def f(a: int): ...\n", "before_mod")
    with pytest.raises(ProbeDefinitionError, match="probes take no 'self'"):
        define(tmp_path, "from tracers import tracer\n\n@tracer\nclass Refused:\n    def e(self, a: int): ...\n",
               "refused_mod")
    with pytest.raises(ProbeDefinitionError, match=pattern):
        define(tmp_path, f"from tracers import tracer\n\n@tracer\nclass Again:\n    {line}\n", "later_mod")


# Annotations equal to int and to None that mean neither.
LOOK_ALIKES = '''\
from tracers import tracer

class LikeInt:
    def __eq__(self, other):
        return other is int or isinstance(other, LikeInt)
    def __hash__(self):
        return hash(int)

class LikeNone:
    def __eq__(self, other):
        return other is None or isinstance(other, LikeNone)
    def __hash__(self):
        return hash(None)
'''


@pytest.mark.parametrize("line,pattern", [
    ("def e(a: LikeInt(), b: str): ...", r"probe After.e: argument 'a': unsupported annotation"),
    ("def e(a: int, b: str) -> LikeNone(): ...", r"probe After.e: a probe definition returns ProbeCall"),
    ("def e(self, a: Lazy()): ...", r"probe After.e: probes take no 'self'"),
    ("def e(a: Lazy()): return 1", r"probe After.e: the body must be empty"),
], ids=["equal-to-int", "equal-to-none", "lazy-self", "lazy-body"])
def test_only_the_plain_types_themselves_are_described_for_every_provider(tmp_path, line, pattern):
    """An annotation equal to int (or a return annotation equal to None) is not int: a signature an
    earlier provider declared with int does not describe it. Telling them apart runs none of its code."""
    source = LOOK_ALIKES + f'''\

class Lazy:
    @property
    def __class__(self):
        raise RuntimeError("not ready")

@tracer
class Before:
    def e(a: int, b: str): ...
    def f(a: int): ...
    def g(a: int, b: str) -> None: ...

@tracer
class After:
    {line}
'''
    with pytest.raises(ProbeDefinitionError, match=pattern):
        define(tmp_path, source, "after_mod")


@pytest.mark.parametrize("before,line,pattern", [
    ("def d(a: int): ...", "def e(a: LikeInt()): ...", r"probe Within.e: argument 'a': unsupported annotation"),
    ("def d(a: int) -> None: ...", "def e(a: int) -> LikeNone(): ...",
     r"probe Within.e: a probe definition returns ProbeCall"),
    ("def d(a: int) -> None: ...", "def e(a: LikeInt()) -> None: ...",
     r"probe Within.e: argument 'a': unsupported annotation"),
], ids=["equal-to-int", "equal-to-none", "equal-to-int-with-a-return"])
def test_a_probe_whose_annotations_only_equal_the_last_probes_is_checked_on_its_own(tmp_path, before, line, pattern):
    """Within one provider too: the probe declared just before, with int (or -> None), does not
    describe a probe whose annotation is an object equal to it."""
    source = LOOK_ALIKES + f'''\

@tracer
class Within:
    {before}
    {line}
'''
    with pytest.raises(ProbeDefinitionError, match=pattern):
        define(tmp_path, source, "within_mod")


@pytest.mark.parametrize("future", [False, True], ids=["objects", "strings"])
def test_an_annotation_equal_to_a_width_type_keeps_its_own_meaning(tmp_path, future):
    """``Annotated[int, (8, False)]`` equals ``U8`` (whose width is a tuple): each probe is described
    as it is when declared alone, whichever comes first."""
    source = '''\
from typing import Annotated
from tracers import U8, tracer

Plain = Annotated[int, (8, False)]

@tracer
class Both:
    def plain_first(a: Plain): ...
    def u8_second(a: U8): ...
    def u8_first(b: U8): ...
    def plain_second(b: Plain): ...

@tracer
class Alone:
    def plain(a: Plain): ...

@tracer
class AloneU8:
    def u8(a: U8): ...
'''
    if future:
        source = "from __future__ import annotations\n" + source
    namespace = define(tmp_path, source, "widths_mod")
    both, alone, alone_u8 = namespace["Both"], namespace["Alone"], namespace["AloneU8"]

    def display(probe):
        return [arg.type.display for arg in probe.spec.args]

    assert display(alone_u8.u8) == ["U8"]
    assert display(both.u8_second) == display(both.u8_first) == ["U8"]
    assert display(both.plain_first) == display(both.plain_second) == display(alone.plain)


def test_annotations_assigned_in_another_order_are_matched_by_name(tmp_path):
    """A definition whose ``__annotations__`` was assigned by hand, keys out of parameter order,
    holding the probe before's two objects swapped between its parameters (equal to each other,
    meaning different types), is described by what each parameter is annotated with."""
    source = '''\
from typing import Annotated
from tracers import U8, tracer

class Width8:  # equal to U8's width; unhashable, so that typing makes a new Annotated of it
    __hash__ = None
    def __eq__(self, other):
        return other == (8, False)

Plain = Annotated[int, Width8()]  # equal to U8, and not U8

def swapped(a, b): ...
swapped.__annotations__ = {"b": Plain, "a": U8}

class Both:
    def first(a: Plain, b: U8): ...
    second = swapped

Both = tracer(Both)

@tracer
class Alone:
    def second(a: U8, b: Plain): ...
'''
    namespace = define(tmp_path, source, "reordered_mod")
    both, alone = namespace["Both"], namespace["Alone"]

    def display(probe):
        return [(arg.name, arg.type.display) for arg in probe.spec.args]

    assert display(both.second) == display(alone.second)
    assert display(both.second) != display(both.first)


def test_a_signature_whose_annotations_cannot_be_compared_describes_each_probe(tmp_path):
    """Telling whether a signature's annotations are alike compares them with each other: one
    whose comparison raises is taken as alike, and each probe is still described as declared."""
    source = '''\
from typing import Annotated
from tracers import U8, tracer

class Refuses:
    def __eq__(self, other):
        raise RuntimeError("not comparable")
    __hash__ = object.__hash__

Odd = Annotated[int, Refuses()]

@tracer
class Odds:
    def first(a: Odd, b: U8): ...
    def second(a: Odd, b: U8): ...
'''
    odds = define(tmp_path, source, "refuses_mod")["Odds"]
    assert [[(arg.name, arg.type.display) for arg in probe.spec.args] for probe in (odds.first, odds.second)] == [
        [("a", "int"), ("b", "U8")]] * 2


def test_a_string_annotation_naming_a_keyword_means_what_eval_makes_of_it(tmp_path):
    """A global called ``None`` (set through ``globals()``) is not what ``-> None`` names: eval gives the
    constant. And builtins that are neither a dict nor a module are left to eval, which refuses them."""
    source = '''\
from __future__ import annotations
from tracers import tracer

globals()["None"] = int
globals()["True"] = str

@tracer
class Keywords:
    def e(a: int) -> None: ...
'''
    namespace = define(tmp_path, source, "keywords_mod")
    assert [(a.name, a.type.display) for a in namespace["Keywords"].e.spec.args] == [("a", "int")]
    with pytest.raises(ProbeDefinitionError, match=r"probe Odd.e: argument 'a': .*True"):
        define(tmp_path, source.replace("class Keywords:\n    def e(a: int) -> None: ...",
                                        "class Odd:\n    def e(a: True): ..."), "keywords_true_mod")
    odd_builtins = '''\
from __future__ import annotations
import types
from tracers import tracer

class Odd:
    def e(a: int): ...

__builtins__ = types.SimpleNamespace(int=int)
Odd = tracer(Odd)
'''
    with pytest.raises(ProbeDefinitionError, match=r"probe Odd.e: argument 'a': ") as raised:
        define(tmp_path, odd_builtins, "odd_builtins_mod")
    try:
        eval("int", {"__builtins__": __import__("types").SimpleNamespace(int=int)})  # noqa: S307 - the test's own
    except Exception as by_eval:  # noqa: BLE001 - whatever eval raises, the declaration names it
        assert str(by_eval) in str(raised.value)
    else:
        pytest.fail("eval accepted builtins that are a SimpleNamespace")


def test_signatures_shared_by_providers_are_bounded_and_later_ones_still_described(python):
    """A program that makes providers without end, each with signatures of its own, keeps a bounded
    number of them for every provider; the others are described as before, per provider."""
    script = textwrap.dedent('''\
        import json
        from tracers import _provider, tracer

        def provider(i):
            namespace = {"tracer": tracer}
            exec(f"@tracer(provider='p{i}')\\nclass P:\\n    def e(a{i}: int): ...\\n    def f(b: bool, a{i}: str): ...\\n"
                 f"    def g(a{i}: int): ...\\n", namespace)
            return namespace["P"]

        made = [provider(i) for i in range(_provider._DESCRIBED_MOST + 100)]
        last = made[-1]
        print(json.dumps({"kept": len(_provider._described), "most": _provider._DESCRIBED_MOST,
                          "last": [str(last.e), str(last.f), str(last.g)]}))
    ''')
    done = python(script, env={"TRACERS": "off"}, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["kept"] == found["most"]
    n = found["most"] + 99
    assert found["last"] == [f"<probe p{n}:e(a{n}: int)>", f"<probe p{n}:f(b: bool, a{n}: str)>",
                             f"<probe p{n}:g(a{n}: int)>"]


def test_an_annotation_whose_comparison_fails_gets_the_unsupported_annotation_error(tmp_path):
    """Compared with the last probe's, it raises: the probe is described on its own, and refused clearly."""
    source = '''\
from tracers import tracer

class Loud:
    def __eq__(self, other):
        raise RuntimeError("not comparable")
    __hash__ = None

loud = Loud()

@tracer
class Mixed:
    def first(a: int): ...
    def second(a: loud): ...
'''
    with pytest.raises(ProbeDefinitionError, match=r"loud_mod.py:13: probe Mixed.second: argument 'a': unsupported "):
        define(tmp_path, source, "loud_mod")


def test_too_many_arguments(tmp_path):
    args = ", ".join(f"a{i}: int" for i in range(13))
    with pytest.raises(ProbeDefinitionError, match=r":5: probe Big.e: has 13 arguments; USDT allows at most 12"):
        define(tmp_path, f"from tracers import tracer\n\n@tracer\nclass Big:\n    def e({args}): ...\n")
    args12 = ", ".join(f"a{i}: int" for i in range(12))
    namespace = define(tmp_path, f"from tracers import tracer\n\n@tracer\nclass Ok:\n    def e({args12}): ...\n", "ok12")
    assert len(namespace["Ok"].e.spec.args) == 12


def test_bytes_take_two_of_the_twelve_arguments(tmp_path):
    """A bytes value reaches the tracer as its address and its length."""
    args = ", ".join(["blob: bytes"] + [f"a{i}: int" for i in range(10)])
    with pytest.raises(ProbeDefinitionError,
                       match=r":5: probe Big.e: needs 13 USDT arguments \(each bytes value takes two"):
        define(tmp_path, f"from tracers import tracer\n\n@tracer\nclass Big:\n    def e({args}, extra: bool): ...\n")
    namespace = define(tmp_path, f"from tracers import tracer\n\n@tracer\nclass Ok:\n    def e({args}): ...\n", "ok11")
    assert len(namespace["Ok"].e.spec.args) == 11


def test_duplicate_probe_names(tmp_path):
    source = """\
from tracers import tracer

@tracer
class Twice:
    def e(a: int): ...
    def f(a: int): ...
    def e(b: str): ...
"""
    with pytest.raises(ProbeDefinitionError, match=r"probes_mod.py:7: probe Twice.e: is defined twice \(first at line 5\)"):
        define(tmp_path, source)


ORDERED_FAULTS = [
    # (label, the class body's lines from line 5, the line named (3: the class's decorator), pattern): the
    # fault declared first is reported, whether a name defined twice or a non-definition comes after it or before it.
    ("bad-then-twice", ["def d(a: float): ...", "def e(a: int): ...", "def e(b: str): ..."],
     5, r"probe Ordered.d: argument 'a': unsupported annotation float"),
    ("twice-then-bad", ["def e(a: int): ...", "def e(b: str): ...", "def d(a: float): ..."],
     6, r"probe Ordered.e: is defined twice \(first at line 5\)"),
    ("twice-bad-second", ["def e(a: int): ...", "def e(b: float): ..."],
     6, r"probe Ordered.e: is defined twice \(first at line 5\)"),
    ("bad-then-constant", ["def d(a: int, b): ...", "LIMIT = 3"], 5, r"probe Ordered.d: argument 'b' has no annotation"),
    ("bad-then-classmethod", ["def d(self, a: int): ...", "@classmethod", "def e(cls): ..."],
     5, r"probe Ordered.d: probes take no 'self'"),
    ("classmethod-then-bad", ["@classmethod", "def e(cls): ...", "def d(self, a: int): ..."],
     5, r"probe Ordered.e: is a classmethod, not a probe definition"),
    ("constant-then-bad", ["LIMIT = 3", "def d(a: float): ..."], 3, r"probe Ordered.LIMIT: is a int, not a probe"),
    ("dunder-then-constant", ["def __init__(a: int): ...", "LIMIT = 3"], 5, r"special methods are not probes"),
    ("bad-then-twice-then-constant", ["def d(a: list): ...", "def e(a: int): ...", "def e(a: int): ...", "LIMIT = 3"],
     5, r"probe Ordered.d: argument 'a': unsupported annotation list"),
    ("twice-then-constant", ["def e(a: int): ...", "LIMIT = 3", "def e(a: int): ..."],
     7, r"probe Ordered.e: is defined twice \(first at line 5\)"),
]


@pytest.mark.parametrize("label,lines,line,pattern", ORDERED_FAULTS, ids=[c[0] for c in ORDERED_FAULTS])
def test_the_fault_declared_first_is_reported(tmp_path, label, lines, line, pattern):
    source = "from tracers import tracer\n\n@tracer\nclass Ordered:\n" + "".join(f"    {text}\n" for text in lines)
    with pytest.raises(ProbeDefinitionError) as caught:
        define(tmp_path, source)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'probes_mod.py'}:{line}: "), message
    assert re.search(pattern, message), message


@pytest.mark.parametrize("provider", ["my-app", "1app", "", "app name"])
def test_invalid_provider_name(tmp_path, provider):
    source = f"""\
from tracers import tracer

@tracer(provider={provider!r})
class P:
    def e(a: int): ...
"""
    with pytest.raises(ProbeDefinitionError, match=r"probes_mod.py:\d+: provider P: provider name .* is not a C identifier"):
        define(tmp_path, source)


def test_no_probes_and_bases(tmp_path):
    with pytest.raises(ProbeDefinitionError, match="declares no probes"):
        define(tmp_path, "from tracers import tracer\n\n@tracer\nclass Empty:\n    '''nothing'''\n")
    with pytest.raises(ProbeDefinitionError, match="cannot have base classes"):
        define(tmp_path, "from tracers import tracer\n\nclass B: pass\n\n@tracer\nclass D(B):\n    def e(a: int): ...\n", "m2")


def test_not_a_class():
    from tracers import tracer

    with pytest.raises(ProbeDefinitionError, match="decorates a class"):
        tracer(lambda: None)  # type: ignore[arg-type]


def test_valid_definitions_and_names(tmp_path):
    source = '''\
from __future__ import annotations
from typing import Optional
from tracers import tracer, I8, I16, I32, I64, U8, U16, U32, U64

@tracer
class HTTPServerProbes:
    """User doc."""
    def every(a: int, b: bool, c: str, d: bytes, e: I8, f: I16, g: I32, h: I64, i: U8, j: U16, k: U32): ...
    def maybe(a: Optional[int], b: Optional[str], c: Optional[U8]) -> None:
        """A docstring body is fine."""
    def nothing():
        pass

@tracer(provider="myapp")
class Net:
    def request(method: str, status: int, size: int): ...
'''
    namespace = define(tmp_path, source)
    server = namespace["HTTPServerProbes"]
    assert server.__tracers_provider__.name == "http_server_probes"
    assert namespace["Net"].__tracers_provider__.name == "myapp"
    every = server.every.spec
    assert [a.type.display for a in every.args] == [
        "int", "bool", "str", "bytes", "I8", "I16", "I32", "int", "U8", "U16", "U32"]  # I64 is int
    assert [(a.type.size, a.type.signed) for a in every.args[4:]] == [
        (1, True), (2, True), (4, True), (8, True), (1, False), (2, False), (4, False)]
    assert [a.type.display for a in server.maybe.spec.args] == ["Optional[int]", "Optional[str]", "Optional[U8]"]
    assert server.nothing.spec.args == ()
    assert every.lineno == 8 and every.filename == str(tmp_path / "probes_mod.py")
    assert server.__doc__.startswith("User doc.")
    assert re.search(r"usdt:/\S+/http_server_probes-[0-9a-f]{16}\.so:http_server_probes:every ", server.__doc__)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="X | None needs Python 3.10")
def test_pep604_optional(tmp_path):
    namespace = define(tmp_path, "from tracers import tracer\n\n@tracer\nclass P:\n    def e(a: str | None): ...\n")
    assert namespace["P"].e.spec.args[0].type.display == "Optional[str]"


def test_static_form_and_its_return_annotation(tmp_path):
    """``@staticmethod`` and ``-> ProbeCall`` (also as a string, even when ProbeCall is imported
    for type checkers only) declare the same probes as the self-less form."""
    source = '''\
from __future__ import annotations
from typing import TYPE_CHECKING, Optional
import tracers
from tracers import U16, tracer

if TYPE_CHECKING:
    from tracers import ProbeCall

@tracer
class Mixed:
    @staticmethod
    def typed(a: U16, b: Optional[str]) -> ProbeCall: ...
    @staticmethod
    def dotted(a: int) -> tracers.ProbeCall:
        """Doc."""
    @staticmethod
    def returns_none(a: bytes) -> None: ...
    def bare(a: bool): ...
'''
    provider = define(tmp_path, source)["Mixed"]
    specs = {name: [(a.name, a.type.display) for a in getattr(provider, name).spec.args]
             for name in ("typed", "dotted", "returns_none", "bare")}
    assert specs == {"typed": [("a", "U16"), ("b", "Optional[str]")], "dotted": [("a", "int")],
                     "returns_none": [("a", "bytes")], "bare": [("a", "bool")]}
    assert provider.typed.spec.lineno == 11  # the decorator's line, as Python counts it


def test_wrapped_definitions_are_read_as_declared(tmp_path):
    """A definition under a ``functools.wraps`` wrapper (beartype's, a tool's), plain or inside
    ``@staticmethod``, declares what the wrapped function declares; a wrapper with a body of its
    own is not mistaken for the definition, and a wrapped definition with a body is refused."""
    source = '''\
import functools
from tracers import ProbeCall, U8, tracer

def checked(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper

@tracer
class Wrapped:
    @checked
    def plain(a: U8, b: str): ...
    @staticmethod
    @checked
    def static(c: bytes) -> ProbeCall: ...
    @staticmethod
    def bare(d: int) -> ProbeCall: ...
'''
    provider = define(tmp_path, source)["Wrapped"]
    specs = {name: [(a.name, a.type.display) for a in getattr(provider, name).spec.args]
             for name in ("plain", "static", "bare")}
    assert specs == {"plain": [("a", "U8"), ("b", "str")], "static": [("c", "bytes")], "bare": [("d", "int")]}
    refused = source.replace("def static(c: bytes) -> ProbeCall: ...", "def static(c: bytes) -> ProbeCall: print(c)")
    with pytest.raises(ProbeDefinitionError, match=r"probe Wrapped\.static: the body must be empty"):
        define(tmp_path, refused, name="refused_mod")


def test_string_annotations_mean_what_eval_makes_of_them(tmp_path):
    """Under ``from __future__ import annotations`` names are looked up without ``eval``:
    globals before builtins, dotted names attribute by attribute, and the same errors."""
    from tracers._types import arg_type_of

    source = '''\
from __future__ import annotations
import tracers
import tracers as t
from typing import Optional

bytes = str  # a global shadows the builtin
Port = t.U16

@tracer_decorator
class Shadowed:
    def e(a: bytes, b: bool, c: Port, d: tracers.U8, e: t.I32, f: Optional[Port], g: int): ...
'''
    namespace = define(tmp_path, source.replace("@tracer_decorator", "@tracers.tracer"))
    spec = namespace["Shadowed"].e.spec
    expected = [arg_type_of(eval(text, namespace)).display  # noqa: S307 - the test's own text
                for text in ("bytes", "bool", "Port", "tracers.U8", "t.I32", "Optional[Port]", "int")]
    assert [a.type.display for a in spec.args] == expected == ["str", "bool", "U16", "U8", "I32", "Optional[U16]",
                                                               "int"]
    for annotation, error in (("Nope", NameError), ("t.Nope", AttributeError), ("tracers.U8.nope", AttributeError)):
        with pytest.raises(error) as by_eval:
            eval(annotation, namespace)  # noqa: S307 - the test's own text
        bad = source.replace("@tracer_decorator", "@tracers.tracer").replace("g: int", f"g: {annotation}")
        with pytest.raises(ProbeDefinitionError) as raised:
            define(tmp_path, bad, name=f"bad_{error.__name__}_{annotation.count('.')}")
        assert f"argument 'g': {by_eval.value}" in str(raised.value), (str(raised.value), str(by_eval.value))
