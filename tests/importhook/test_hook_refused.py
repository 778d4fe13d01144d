"""Constructs in probe arguments whose effect reaches outside the probe (``yield``,
``await``, ``:=``) would make the program depend on the tracing mode: the hook
refuses them at import with ``tracers.ProbeSyntaxError`` naming the file, the
line and the fix, the same error in every mode; plain Python imports them."""
from __future__ import annotations

import json

import pytest

from hook_support import HOOK

# Each module declares its own provider (one process imports them all; names must differ).
HEADER = "from tracers import probe, tracer\n\n@tracer(provider=__name__)\nclass P:\n    def e(a: int): ...\n\n"

# name -> (body, the text the error points at, words the message must hold)
REFUSED = {
    "yield_in_a_generator": ("def gen():\n    yield 1\n    probe(P.e((yield)))\n", "yield)", "'yield'"),
    "only_yield_in_the_probe": ("def gen():\n    probe(P.e((yield 1)))\n", "yield 1", "generator"),
    "yield_from": ("def gen(xs):\n    probe(P.e((yield from xs)))\n", "yield from", "'yield from'"),
    "await": ("async def f(g):\n    probe(P.e(await g()))\n", "await g()", "suspend"),
    "async_comprehension": ("async def f(xs):\n    probe(P.e(len([x async for x in xs])))\n",
                            "[x async", "'async for'"),
    "await_in_the_iterable_of_a_generator": (
        "async def f(g):\n    probe(P.e(sum(x for x in await g())))\n", "await g()", "'await'"),
    "walrus": ("def f():\n    probe(P.e((y := 1)))\n    return y\n", "y := 1", "':='"),
    "walrus_in_a_comprehension": ("def f(xs):\n    probe(P.e(len([(last := x) for x in xs])))\n",
                                  "last := x", "':='"),
    "walrus_in_a_generator": ("def f(xs):\n    probe(P.e(sum((last := x) for x in xs)))\n", "last := x", "':='"),
    "walrus_in_a_lambda_default": ("def f():\n    probe(P.e((lambda v=(y := 1): v)()))\n", "y := 1", "':='"),
    "walrus_at_module_level": ("probe(P.e((n := 2)))\n", "n := 2", "':='"),
    "on_a_later_line": ("def f():\n    probe(P.e(\n        1 +\n        (y := 2),\n    ))\n", "y := 2", "':='"),
    "first_of_two": ("def f(g):\n    probe(P.e((a := 1)))\n    probe(P.e((b := 2)))\n", "a := 1", "':='"),
}

# Inside a lambda body or lazily in a generator expression they stay inside the probe.
ALLOWED = {
    "yield_in_a_lambda": "def f():\n    probe(P.e(len(list((lambda: (yield 1))()))))\n",
    "walrus_in_a_lambda": "def f():\n    probe(P.e((lambda: (y := 3))()))\n",
    "await_in_a_generator": "async def f(g):\n    probe(P.e(len(str(x for x in [1] if await g()))))\n",
    "async_for_in_a_generator": "async def f(xs):\n    probe(P.e(len(str(x async for x in xs))))\n",
    "not_a_probe_site": "def f(log):\n    log((y := 1))\n    return y\n",
}

ATTEMPT = """
    import json, sys
    names = sys.argv[1:]
    {hook}
    found = []
    for name in names:
        try:
            __import__(name)
        except SyntaxError as error:
            found.append([type(error).__module__ + "." + type(error).__qualname__, error.filename, error.lineno,
                          error.offset, error.text, error.msg, str(error), error.__context__ is None])
        else:
            found.append("imported")
    print(json.dumps(found))
"""


def _write(py, cases):
    for name, case in cases.items():
        body = case[0] if isinstance(case, tuple) else case
        (py.root / f"{name}.py").write_text(HEADER + body)
    return sorted(cases)


def _expected_place(name):
    """Line and 1-based column of the refused construct, found in the source text."""
    body, marker, _ = REFUSED[name]
    lines = (HEADER + body).splitlines()
    number = next(index for index, line in enumerate(lines, 1) if marker in line)
    return number, lines[number - 1].index(marker) + 1, lines[number - 1] + "\n"


def test_plain_python_imports_them(py):
    names = _write(py, REFUSED)
    assert json.loads(py.code(ATTEMPT.format(hook=""), *names).stdout) == ["imported"] * len(names)


@pytest.mark.parametrize("mode", [None, "noop", "record"])
def test_refused_at_import_naming_the_place_and_the_fix(py, mode):
    names = _write(py, REFUSED)
    found = json.loads(py.code(ATTEMPT.format(hook=HOOK), *names, tracers=mode).stdout)
    for name, got in zip(names, found):
        kind, filename, line, offset, text, message, shown, no_context = got
        path = str(py.root / f"{name}.py")
        assert kind == "tracers._errors.ProbeSyntaxError", name
        assert (line, offset, text) == _expected_place(name), name
        assert filename == path
        assert shown.endswith(f" ({name}.py, line {line})")
        assert REFUSED[name][2] in message and "before the probe statement" in message, name
        assert no_context


def test_the_error_is_the_same_in_every_mode(py):
    names = _write(py, REFUSED)
    outputs = {mode: py.code(ATTEMPT.format(hook=HOOK), *names, tracers=mode).stdout
               for mode in (None, "off", "noop", "record")}
    assert len(set(outputs.values())) == 1


@pytest.mark.parametrize("mode", [None, "record"])
def test_allowed_where_the_effect_stays_inside(py, mode):
    names = _write(py, ALLOWED)
    assert json.loads(py.code(ATTEMPT.format(hook=HOOK), *names, tracers=mode).stdout) == ["imported"] * len(names)


def test_run_and_show_report_it_like_a_syntax_error(py):
    (py.root / "script.py").write_text(HEADER + REFUSED["walrus"][0])
    line, offset, text = _expected_place("walrus")
    for mode in (None, "record"):
        ran = py.run(["-m", "tracers", "run", "script.py"], tracers=mode, check=1)
        assert f'script.py", line {line}' in ran.stderr
        assert ran.stderr.rstrip().splitlines()[-1].startswith("tracers._errors.ProbeSyntaxError: ")
        shown = py.run(["-m", "tracers", "show", "script.py"], tracers=mode, check=1)
        assert shown.stdout == ""
        assert f'script.py", line {line}\n    {text.strip()}\n' in shown.stderr
        assert "Traceback" not in shown.stderr
