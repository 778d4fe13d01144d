"""A probe reads like its declaration: docstring in help(), declared signature, names and source."""
import inspect
import pydoc
import sys
import textwrap

import pytest

SOURCE = '''\
from typing import Optional
from tracers import ProbeCall, U32, tracer

@tracer(provider="intro")
class Intro:
    """Probes of the introspection test."""

    @staticmethod
    def request(method: str, status: int, size: U32) -> ProbeCall:
        """A request was answered: its method, status and body size."""

    def bare(name: Optional[str], flag: bool):
        """Declared without self."""

    @staticmethod
    def undocumented(a: int) -> ProbeCall: ...
'''


@pytest.fixture(scope="module")
def intro(tmp_path_factory):
    path = tmp_path_factory.mktemp("intro") / "intro_probes.py"
    path.write_text(SOURCE)
    namespace = {"__name__": "intro_probes"}
    exec(compile(SOURCE, str(path), "exec"), namespace)
    return namespace["Intro"]


def test_docstrings(intro):
    assert intro.request.__doc__ == "A request was answered: its method, status and body size."
    assert intro.bare.__doc__ == "Declared without self."
    assert intro.undocumented.__doc__ is None
    text = pydoc.render_doc(intro, renderer=pydoc.plaintext)
    assert "A request was answered: its method, status and body size." in text
    assert "Declared without self." in text
    assert "Probes of the introspection test." in text


def test_signatures_are_the_declared_ones(intro):
    from tracers import ProbeCall, U32

    signature = inspect.signature(intro.request)
    assert list(signature.parameters) == ["method", "status", "size"]
    assert [p.annotation for p in signature.parameters.values()] == [str, int, U32]
    assert signature.return_annotation is ProbeCall
    assert str(inspect.signature(intro.bare)) == "(name: Optional[str], flag: bool)"


def test_names_module_and_source(intro):
    probe = intro.request
    assert (probe.__name__, probe.__qualname__, probe.__module__) == ("request", "Intro.request", "intro_probes")
    assert intro.bare.__qualname__ == "Intro.bare"
    assert inspect.getsource(probe).lstrip().startswith("@staticmethod\n    def request(method: str")
    assert repr(probe) == "<probe intro:request(method: str, status: int, size: U32)>"
    assert type(probe).__doc__.startswith("One probe of a provider")  # the class keeps its own


def test_annotations_as_strings_stay_strings(tmp_path):
    """With postponed annotations the signature shows them as written (evaluate with eval_str=True)."""
    path = tmp_path / "future_probes.py"
    path.write_text("from __future__ import annotations\n" + SOURCE.replace('"intro"', '"intro_future"'))
    namespace = {"__name__": "future_probes"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    signature = inspect.signature(namespace["Intro"].request)
    assert [p.annotation for p in signature.parameters.values()] == ["str", "int", "U32"]


def test_importing_tracers_does_not_import_inspect(python):
    code = textwrap.dedent("""\
        import sys
        from tracers import ProbeCall, tracer
        @tracer
        class P:
            @staticmethod
            def e(a: int) -> ProbeCall:
                '''Doc.'''
        print(P.e.__doc__, "inspect" in sys.modules)
    """)
    for mode in ("0", "record"):
        # -S: no site-packages .pth files (coverage's, in CI, imports inspect itself)
        result = python(["-S", "-c", code], env={"TRACERS": mode})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "Doc. False"


@pytest.mark.skipif(sys.version_info < (3, 10), reason="eval_str is Python 3.10+")
def test_eval_str_gives_the_types(tmp_path):
    from tracers import U32

    path = tmp_path / "future_probes2.py"
    path.write_text("from __future__ import annotations\n" + SOURCE.replace('"intro"', '"intro_eval_str"'))
    namespace = {"__name__": "future_probes2"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    signature = inspect.signature(namespace["Intro"].request, eval_str=True)
    assert [p.annotation for p in signature.parameters.values()] == [str, int, U32]
