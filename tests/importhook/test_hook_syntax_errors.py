"""A hooked module with a syntax error fails exactly as it would without the hook."""
from __future__ import annotations

import json

import pytest

from hook_support import HOOK

HEADER = "from tracers import probe, tracer\n\n@tracer\nclass P:\n    def e(a: int): ...\n\nprobe(P.e(1))\n"

# name -> module source; each mentions tracers and probe so that it takes the rewriting path.
BAD = {
    "unclosed": HEADER + "x = (1,\n",
    "bad_token": HEADER + "def f(:\n    probe(P.e(2))\n",
    "indent": HEADER + "def f():\n    probe(P.e(1))\n      y = 2\n",
    "dedent": HEADER + "if True:\n        x = 1\n    y = 2\n",
    "tab": HEADER + "if True:\n        x = 1\n\ty = 2\n",
    "return_at_module_level": HEADER + "return 5\n",
    "nonlocal_at_module_level": HEADER + "nonlocal x\n",
    "yield_outside": HEADER + "x = 1\nyield x\n",
    "await_outside": HEADER + "def f():\n    probe(P.e(1))\n    await g()\n",
    "break_outside": HEADER + "def f():\n    probe(P.e(1))\n    break\n",
    "global_after_use": HEADER + "def f():\n    probe(P.e(1))\n    x = 1\n    global x\n",
    "late_future": HEADER + "from __future__ import annotations\n",
    "braces": '"""doc"""\nfrom __future__ import braces\nfrom tracers import probe\n',
    "duplicate_argument": HEADER + "def f(a, a):\n    probe(P.e(a))\n",
    "in_a_probe_argument": HEADER + "def f():\n    probe(P.e((yield from)))\n",
    "nonlocal_missing": HEADER + "def f():\n    def g():\n        nonlocal zzz\n        probe(P.e(1))\n",
    # Errors only in code that a probe statement holds: deleting it (off) or
    # rewriting it (on) must not hide them.
    "global_after_use_in_a_probe": HEADER + "x = 0\ndef f():\n    probe(P.e(x))\n    global x\n",
    "nonlocal_after_use_in_a_probe": HEADER + (
        "def outer():\n    x = 0\n    def inner():\n        probe(P.e(x))\n        nonlocal x\n    return inner\n"),
    "global_probe_after_use": HEADER + "def f():\n    probe(P.e(1))\n    global probe\n",
    "await_in_a_plain_def": HEADER + "def f(g):\n    probe(P.e(await g()))\n",
    "async_comprehension_in_a_plain_def": HEADER + "def f(xs):\n    probe(P.e([x async for x in xs]))\n",
    "yield_in_a_comprehension": HEADER + "def f(xs):\n    probe(P.e([(yield x) for x in xs]))\n",
    "walrus_in_a_comprehension_iterable": HEADER + "def f():\n    probe(P.e([x for x in (y := [1])]))\n",
    "yield_at_module_level": HEADER + "probe(P.e((yield)))\n",
    "repeated_keyword": HEADER + "def f():\n    probe(P.e(a=1, a=2))\n",
}

# Imports each bad module twice (plain, then with the hook) and prints what both raised.
COMPARE = """
    import json, sys
    names = sys.argv[1:]
    FIELDS = ("filename", "lineno", "offset", "msg", "text", "end_lineno", "end_offset")

    def attempt(name):
        try:
            __import__(name)
        except SyntaxError as error:
            sys.modules.pop(name, None)
            return [type(error).__name__, error.__context__ is None, *(getattr(error, f, None) for f in FIELDS)]
        return "imported"

    plain = [attempt(n) for n in names]
    {hook}
    hooked = [attempt(n) for n in names]
    import good
    loaders = [type(good.__loader__).__name__]
    print(json.dumps([plain, hooked, loaders]))
"""


@pytest.mark.parametrize("mode", [None, "record"])
def test_syntax_errors_match_plain_python(py, mode):
    files = {f"{name}.py": source for name, source in BAD.items()}
    files["good.py"] = HEADER
    for name, source in files.items():
        (py.root / name).write_text(source)
    names = sorted(BAD)
    done = py.code(COMPARE.format(hook=HOOK), *names, tracers=mode, env={"PYTHONDONTWRITEBYTECODE": "1"})
    plain, hooked, loaders = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaders == ["TracersLoader"]  # the hook is active for the second round
    for name, mine, theirs in zip(names, hooked, plain):
        assert theirs != "imported", f"{name} is not a syntax error"
        assert mine == theirs, name
        assert theirs[2] == str(py.root / f"{name}.py")
        assert theirs[1] is True, f"{name}: plain Python raised it with a context?"


def test_syntax_error_types_are_kept(py):
    """IndentationError and TabError stay those subclasses (checked in the table above too)."""
    for name in ("indent", "tab", "unclosed"):
        (py.root / f"{name}.py").write_text(BAD[name])
    done = py.code(
        f"""
        import json
        {HOOK}
        kinds = []
        for name in ("indent", "tab", "unclosed"):
            try:
                __import__(name)
            except SyntaxError as error:
                kinds.append(type(error).__name__)
        print(json.dumps(kinds))
        """
    )
    assert json.loads(done.stdout) == ["IndentationError", "TabError", "SyntaxError"]


def test_compile_rewritten_raises_from_the_source_without_a_chained_context(tmp_path):
    from tracers.importhook._compile import compile_rewritten
    source = HEADER + "return 5\n"
    path = tmp_path / "mod.py"
    path.write_text(source)
    for enabled in (False, True):
        with pytest.raises(SyntaxError) as caught:
            compile_rewritten(source.encode(), str(path), enabled=enabled)
        error = caught.value
        assert (error.filename, error.lineno, error.text) == (str(path), 8, "return 5\n")
        assert error.__context__ is None
        with pytest.raises(SyntaxError) as plain:
            compile(source, str(path), "exec")
        assert (error.msg, error.offset) == (plain.value.msg, plain.value.offset)


def test_a_syntax_error_does_not_poison_the_cache(py):
    (py.root / "later.py").write_text(HEADER + "return 5\n")
    script = f"""
        {HOOK}
        import later
        print(later.P.e.name)
    """
    assert "SyntaxError" in py.code(script, tracers="record", check=1).stderr
    assert not (py.root / "__pycache__").exists()
    (py.root / "later.py").write_text(HEADER + "X = 5\n")
    assert py.code(script, tracers="record").stdout == "e\n"
