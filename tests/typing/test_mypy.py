"""mypy with the ``tracers.mypy`` plugin: the self-less form passes ``--strict``,
and so does the README's ``@staticmethod`` form (alone or mixed with it), with
``.fire``/``.gate`` known; wrong probe calls are reported at the call site.

Each case file is checked by ``python -m mypy`` in a subprocess; expected errors
are written in the case sources as ``# E: <text>`` on the offending line.
"""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

pytest.importorskip("mypy")

from mypy.version import __version__ as _mypy_version  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MYPY_VERSION = tuple(int(part) for part in re.findall(r"\d+", _mypy_version)[:2])

WITH_PLUGIN = """\
[mypy]
plugins = tracers.mypy

[mypy-tracers.*]
ignore_errors = True
"""

WITHOUT_PLUGIN = """\
[mypy]

[mypy-tracers.*]
ignore_errors = True
"""

# The self-less form (the README's second form, for mypy with the plugin).
DOCUMENTED = """\
from typing import Optional

from tracers import tracer, probe, U32


@tracer
class SimpleProbes:
    def hello(who: str): ...
    def greeting(greeting: str, name: str): ...
    def optional_greeting(greeting: str, name: Optional[str]): ...


@tracer(provider="myapp")
class Net:
    def request(method: str, status: int, size: U32): ...


probe(SimpleProbes.greeting("hello", "world"))
probe(Net.request("GET", 200, 512))
"""

GOOD_MORE = """\
from __future__ import annotations

from typing import Callable, Optional

from typing_extensions import assert_type

import tracers as t
from tracers import I8, I16, I32, I64, U8, U16, U32, U64, Probe, ProbeCall, probe, tracer


@t.tracer()
class Widths:
    \"\"\"Every width alias.\"\"\"

    def signed(a: I8, b: I16, c: I32, d: I64): ...
    def unsigned(a: U8, b: U16, c: U32, d: Optional[U64]):
        \"\"\"A docstring is an empty body too.\"\"\"
    def plain(flag: bool, data: bytes, text: Optional[str], n: Optional[int]) -> None:
        pass


@tracer(provider="my_app")
class App:
    def event(name: str, count: int): ...


def fire_all(count: int, name: Optional[str]) -> None:
    t.probe(Widths.signed(-1, 2, 3, count))
    t.probe(Widths.unsigned(1, 2, 3, None))
    probe(Widths.plain(True, b"x", name, None))
    probe(Widths.plain(False, b"", None, count))
    probe(App.event(name="n", count=1))
    probe(App.event("n", count=count))


assert_type(App.event("a", 1), ProbeCall)
assert_type(App.event.fire("a", 1), None)
as_callable: Callable[[str, int], ProbeCall] = App.event
as_probe: Probe = App.event
label: str = App.event.label
if App.event.gate:
    App.event.fire("a", 1)
"""

# mypy before 1.18 reports "Method must have at least one argument" while
# analysing the class body, before any plugin hook can run.
NO_ARGUMENTS = """\
from tracers import probe, tracer


@tracer
class Lifecycle:
    def started(): ...
    def stopped():
        \"\"\"No arguments, no annotations: still fully typed.\"\"\"


probe(Lifecycle.started())
probe(Lifecycle.stopped())
"""

BAD_CALLS = """\
from typing import Callable, Optional

import tracers as t
from tracers import U32, ProbeCall, probe, tracer


@tracer
class SimpleProbes:
    def hello(who: str): ...
    def greeting(greeting: str, name: str): ...
    def optional_greeting(greeting: str, name: Optional[str]): ...


@tracer(provider="myapp")
class Net:
    def request(method: str, status: int, size: U32): ...


probe(SimpleProbes.greeting("hello", 5))  # E: Argument 2 to "greeting" of "SimpleProbes" has incompatible type "int"; expected "str"  [arg-type]
probe(SimpleProbes.hello())  # E: Missing positional argument "who" in call to "hello" of "SimpleProbes"  [call-arg]
probe(SimpleProbes.hello("a", "b"))  # E: Too many arguments for "hello" of "SimpleProbes"  [call-arg]
probe(42)  # E: Argument 1 to "probe" has incompatible type "int"; expected "ProbeCall | None"  [arg-type]
t.probe("hello")  # E: Argument 1 to "probe" has incompatible type "str"; expected "ProbeCall | None"  [arg-type]
probe(SimpleProbes.greeting)  # E: Argument 1 to "probe" has incompatible type
probe(SimpleProbes.greeting("a", None))  # E: Argument 2 to "greeting" of "SimpleProbes" has incompatible type "None"; expected "str"  [arg-type]
probe(SimpleProbes.greeting(greeting="a", nam="b"))  # E: Unexpected keyword argument "nam" for "greeting" of "SimpleProbes"
t.probe(Net.request("GET", 200, "512"))  # E: Argument 3 to "request" of "Net" has incompatible type "str"; expected "int"  [arg-type]
probe(SimpleProbes.optional_greeting("a", 1))  # E: Argument 2 to "optional_greeting" of "SimpleProbes" has incompatible type "int"; expected "str | None"  [arg-type]
SimpleProbes.greeting.fire("a", 1)  # E: Argument 2 to "greeting" of "SimpleProbes" has incompatible type "int"; expected "str"  [arg-type]
SimpleProbes.greeting.fire(greeting="a", name="b")  # E: Unexpected keyword argument "greeting" for "greeting" of "SimpleProbes"  [call-arg]
narrow: Callable[[str], ProbeCall] = SimpleProbes.greeting  # E: Incompatible types in assignment
"""

BAD_DEFINITIONS = """\
from typing import List, Union

from tracers import tracer


class Base: ...


@tracer
class Defs(Base):  # E: provider Defs: a @tracer class cannot have base classes
    limit = 3  # E: provider Defs: only probe definitions are allowed
    def with_self(self, a: int): ...  # E: probe Defs.with_self: probes take no 'self'
    def returns(a: int) -> int: ...  # E: probe Defs.returns: a probe definition returns ProbeCall
    def star(*a: int): ...  # E: probe Defs.star: *args is not allowed
    def kw_only(*, a: int): ...  # E: probe Defs.kw_only: keyword-only arguments are not allowed
    def default(a: int = 1): ...  # E: probe Defs.default: arguments cannot have defaults
    def listed(a: List[int]): ...  # E: probe Defs.listed: argument 'a' has an unsupported annotation
    def union(a: Union[int, str]): ...  # E: probe Defs.union: argument 'a' has an unsupported annotation
    def body(a: int):  # E: probe Defs.body: the body must be empty
        print(a)
    def untyped(a): ...  # E: Function is missing a type annotation for one or more
    def __call__(a: int): ...  # E: probe Defs.__call__: special methods are not probes


@tracer(provider="not-c")  # E: provider Empty: provider name 'not-c' is not a C identifier
class Empty:  # E: provider Empty: declares no probes
    pass
"""

# Both forms in one provider: with the plugin, the static form gets the runtime view too.
MIXED = """\
from typing import Callable, Optional

from typing_extensions import assert_type

from tracers import Probe, ProbeCall, probe, tracer


@tracer
class Mixed:
    @staticmethod
    def typed(name: str, size: Optional[int]) -> ProbeCall:
        \"\"\"Checked without the plugin too.\"\"\"
    def bare(name: str): ...


probe(Mixed.typed("a", None))
probe(Mixed.bare("b"))
assert_type(Mixed.typed("a", 1), ProbeCall)
assert_type(Mixed.bare("a"), ProbeCall)
as_probe: Probe = Mixed.typed
as_callable: Callable[[str, Optional[int]], ProbeCall] = Mixed.typed
if Mixed.typed.gate:
    Mixed.typed.fire("a", 2)
"""

MIXED_BAD = """\
from typing import List

from tracers import ProbeCall, probe, tracer


@tracer
class Static:
    @staticmethod
    def fine(a: int) -> ProbeCall: ...
    @staticmethod
    def listed(a: List[int]) -> ProbeCall: ...  # E: probe Static.listed: argument 'a' has an unsupported annotation
    @staticmethod
    def returns(a: int) -> int: ...  # E: probe Static.returns: a probe definition returns ProbeCall
    @staticmethod
    def with_self(self, a: int) -> ProbeCall: ...  # E: probe Static.with_self: probes take no 'self'
    @classmethod  # E: provider Static: only probe definitions are allowed here
    def cls_method(cls, a: int) -> ProbeCall: ...


Static.fine.fire("x")  # E: Argument 1 to "fine" of "Static" has incompatible type "str"; expected "int"  [arg-type]
probe(Static.fine())  # E: Missing positional argument "a" in call to "fine" of "Static"  [call-arg]
"""

# A provider in its own module, used from another: the second run reads the
# provider module from mypy's cache, so the plugin's recorded data must survive.
CACHED_PROBES = """\
from typing import Optional

from tracers import tracer


@tracer
class Cached:
    def hit(key: str, size: Optional[int]): ...
"""

CACHED_FIRST_USER = """\
from cached_probes import Cached
from tracers import probe

probe(Cached.hit("k", None))
"""

CACHED_SECOND_USER = """\
from typing_extensions import assert_type

from cached_probes import Cached
from tracers import ProbeCall, probe

assert_type(Cached.hit("k", 1), ProbeCall)
probe(Cached.hit("k", "big"))  # E: Argument 2 to "hit" of "Cached" has incompatible type "str"; expected "int | None"  [arg-type]
probe(Cached.hit())  # E: Missing positional arguments "key", "size" in call to "hit" of "Cached"  [call-arg]
"""

_ERROR_LINE = re.compile(r"^(?P<file>[^:\s]+\.py):(?P<line>\d+): (?P<severity>error|note): (?P<message>.*)$")


def run_mypy(tmp: Path, files: Dict[str, str], config: str = WITH_PLUGIN, *check: str,
             cache: str = "") -> Tuple[int, str]:
    """Write ``files`` into ``tmp`` and run ``mypy --strict`` on ``check`` (default: all)."""
    for name, source in files.items():
        (tmp / name).write_text(textwrap.dedent(source))
    (tmp / "mypy.ini").write_text(config)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))  # the plugin
    env["MYPYPATH"] = str(REPO)  # the package
    args = [sys.executable, "-m", "mypy", "--strict", "--config-file", "mypy.ini",
            "--show-error-codes", "--no-color-output", "--no-error-summary", "--hide-error-context",
            "--no-fast-exit",  # a normal exit, so coverage of the plugin is saved
            "--cache-dir", cache or str(tmp / ".mypy_cache")]
    if not cache:
        args.append("--no-incremental")
    done = subprocess.run([*args, *(check or sorted(files))], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=300)
    assert "INTERNAL ERROR" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done.returncode, done.stdout + done.stderr


def errors_by_file(output: str) -> Dict[str, Dict[int, List[str]]]:
    found: Dict[str, Dict[int, List[str]]] = {}
    for line in output.splitlines():
        match = _ERROR_LINE.match(line)
        if match and match["severity"] == "error":
            # Older mypy (or an older target version) spells "X | None" as "Optional[X]".
            message = re.sub(r"Optional\[([^\[\]]+)\]", r"\1 | None", match["message"])
            found.setdefault(match["file"], {}).setdefault(int(match["line"]), []).append(message)
    return found


def expected_errors(source: str) -> Dict[int, str]:
    return {number: line.split("# E: ", 1)[1].strip()
            for number, line in enumerate(textwrap.dedent(source).splitlines(), start=1) if "# E: " in line}


def assert_errors_match(name: str, source: str, output: str) -> None:
    """Every ``# E:`` line has that error, and no other line of the file has one."""
    actual = errors_by_file(output).get(name, {})
    expected = expected_errors(source)
    assert expected, f"{name} declares no expected errors"
    for line, text in expected.items():
        assert any(text in message for message in actual.get(line, [])), (
            f"{name}:{line}: expected an error containing {text!r}, got {actual.get(line)}\n{output}")
    unexpected = {line: messages for line, messages in actual.items() if line not in expected}
    assert not unexpected, f"{name}: unexpected errors {unexpected}\n{output}"


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("mypy_bad")
    code, output = run_mypy(tmp, {"bad_calls.py": BAD_CALLS, "bad_definitions.py": BAD_DEFINITIONS})
    assert code == 1, output
    return output


def test_documented_form_passes_strict(tmp_path: Path) -> None:
    code, output = run_mypy(tmp_path, {"documented.py": DOCUMENTED, "more.py": GOOD_MORE})
    assert (code, output.strip()) == (0, "")


@pytest.mark.skipif(MYPY_VERSION < (1, 18), reason="mypy < 1.18 rejects methods without arguments early")
def test_probe_without_arguments(tmp_path: Path) -> None:
    code, output = run_mypy(tmp_path, {"no_arguments.py": NO_ARGUMENTS})
    assert (code, output.strip()) == (0, "")


def test_both_forms_in_one_provider(tmp_path: Path) -> None:
    code, output = run_mypy(tmp_path, {"mixed.py": MIXED})
    assert (code, output.strip()) == (0, "")


def test_bad_static_definitions_are_reported(tmp_path: Path) -> None:
    code, output = run_mypy(tmp_path, {"mixed_bad.py": MIXED_BAD})
    assert code == 1, output
    assert_errors_match("mixed_bad.py", MIXED_BAD, output)


def test_bad_calls_are_reported(bad_run: str) -> None:
    assert_errors_match("bad_calls.py", BAD_CALLS, bad_run)


def test_bad_definitions_are_reported(bad_run: str) -> None:
    assert_errors_match("bad_definitions.py", BAD_DEFINITIONS, bad_run)


def test_provider_from_cache(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    files = {"cached_probes.py": CACHED_PROBES, "first.py": CACHED_FIRST_USER}
    code, output = run_mypy(tmp_path, files, WITH_PLUGIN, "first.py", cache=cache)
    assert (code, output.strip()) == (0, "")
    code, output = run_mypy(tmp_path, {"second.py": CACHED_SECOND_USER}, WITH_PLUGIN, "second.py", cache=cache)
    assert code == 1, output
    assert_errors_match("second.py", CACHED_SECOND_USER, output)


def test_without_the_plugin_definitions_are_rejected(tmp_path: Path) -> None:
    """The plugin is required: mypy alone treats the probes as methods missing ``self``."""
    code, output = run_mypy(tmp_path, {"documented.py": DOCUMENTED}, WITHOUT_PLUGIN)
    assert code == 1, output
    errors = errors_by_file(output)["documented.py"]
    for line in (8, 9, 10, 15):
        assert any("missing for a non-static method" in message for message in errors[line]), output
        assert any("missing a return type annotation" in message for message in errors[line]), output


def test_importing_tracers_does_not_import_mypy() -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", "import sys, tracers; print('mypy' in sys.modules)"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stdout + done.stderr
