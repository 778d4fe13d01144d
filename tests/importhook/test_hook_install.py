"""install(), uninstall(), the context manager, and the warning about earlier imports."""
from __future__ import annotations

import json
import shutil

from hook_support import EXAMPLES

STATE = """
    import sys
    from importlib.machinery import PathFinder
    import tracers.importhook as hook

    def finders():
        return [f for f in sys.meta_path if isinstance(f, hook.TracersFinder)]

    def just_before_path_finder():
        index = sys.meta_path.index(finders()[0])
        return sys.meta_path[index + 1] is PathFinder
"""


def test_install_is_idempotent_and_sits_just_before_path_finder(py):
    got = py.result(STATE + """
    import json
    assert finders() == [] and not hook.installed()
    first = hook.install()
    second = hook.install()
    print(json.dumps([len(finders()), hook.installed(), just_before_path_finder(), first.owner, second.owner,
                      sys.meta_path.index(finders()[0]) == sys.meta_path.index(PathFinder) - 1]))
    """)
    assert got == [1, True, True, True, False, True]


def test_install_goes_before_path_finder_even_with_other_finders_around(py):
    got = py.result(STATE + """
    import json
    class Mine:
        def find_spec(self, *args):
            return None
    sys.meta_path.append(Mine())
    sys.meta_path.insert(0, Mine())
    hook.install()
    print(json.dumps([just_before_path_finder(), type(sys.meta_path[-1]).__name__]))
    """)
    assert got == [True, "Mine"]


def test_a_finder_moved_after_path_finder_still_lets_a_missing_module_fail_as_usual(py):
    """Another tool may reorder sys.meta_path: asking the later finders must not reach this one again."""
    got = py.result(STATE + """
    import json
    hook.install()
    finder = finders()[0]
    sys.meta_path.remove(finder)
    sys.meta_path.append(finder)
    try:
        import no_such_module_anywhere
    except ModuleNotFoundError as error:
        print(json.dumps([type(error).__name__, error.name]))
    """)
    assert got == ["ModuleNotFoundError", "no_such_module_anywhere"]


def test_uninstall_removes_the_finder_and_keeps_rewritten_modules(py):
    py.write({
        "a.py": "from tracers import probe, tracer\n@tracer\nclass A:\n    def e(x: int): ...\nprobe(A.e(1))\n",
        "b.py": "from tracers import probe\n",
    })
    got = py.result(STATE + """
    import json
    hook.install()
    import a
    hook.uninstall()
    hook.uninstall()  # harmless twice
    import b
    print(json.dumps([finders(), hook.installed(), type(a.__loader__).__name__, type(b.__loader__).__name__,
                      sorted(n for n in vars(a) if n.startswith("_tracers_gate"))]))
    """, tracers="record")
    assert got == [[], False, "TracersLoader", "SourceFileLoader", ["_tracers_gate_0_A_e"]]


def test_context_manager_uninstalls_on_exit(py):
    got = py.result(STATE + """
    import json
    with hook.install() as installation:
        inside = [len(finders()), hook.installed(), installation.owner]
        with hook.install() as nested:  # already installed: leaves it alone
            pass
        after_nested = hook.installed()
    try:
        with hook.install():
            raise KeyError("x")
    except KeyError:
        pass
    print(json.dumps([inside, nested.owner, after_nested, hook.installed(), finders()]))
    """)
    assert got == [[1, True, True], False, True, False, []]


def test_reinstall_after_uninstall(py):
    got = py.result(STATE + """
    import json
    hook.install(); hook.uninstall(); hook.install()
    print(json.dumps([len(finders()), hook.installed(), just_before_path_finder()]))
    """)
    assert got == [1, True, True]


EARLY = {
    "early.py": """
        from tracers import probe, tracer

        @tracer
        class Early:
            def e(x: int): ...

        def go():
            probe(Early.e(1))
        """,
    "early_alias.py": "import tracers as t\nfrom early import Early\n\ndef go():\n    t.probe(Early.e(2))\n",
    "uses_importhook.py": "import tracers.importhook\n# mentions probe( in a comment only\n",
    "provider_only.py": "from tracers import tracer\n\n@tracer\nclass Only:\n    def e(x: int): ...\n",
    "unrelated.py": "X = 1\n",
}

WARNINGS = """
    import json, warnings
    import early, early_alias, uses_importhook, provider_only, unrelated
    import tracers.importhook
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracers.importhook.install()
    print(json.dumps([[w.category.__name__, str(w.message), w.filename] for w in caught]))
"""


def test_modules_that_fire_probes_imported_before_install_are_named(py):
    py.write(EARLY)
    caught = py.result(WARNINGS)
    assert sorted(message.split("'")[1] for _, message, _ in caught) == ["early", "early_alias"]
    assert all(kind == "RuntimeWarning" for kind, _, _ in caught)
    assert all(filename == "<string>" for _, _, filename in caught)  # points at the install() call
    assert "before tracers.importhook.install()" in caught[0][1]


def test_no_warning_when_nothing_fired_probes_before_install(py):
    py.write(EARLY)
    assert py.result(WARNINGS.replace("import early, early_alias, ", "import ")) == []


def test_sitecustomize_example_installs_without_warnings(py):
    """The documented way to activate the hook must not warn about itself."""
    site = py.root / "site"
    shutil.copytree(EXAMPLES / "sitecustomize", site, ignore=shutil.ignore_patterns("__pycache__"))
    done = py.run(["-W", "error", str(site / "app.py")], tracers="record", path=[site])
    assert done.stdout == "3\n"
    assert done.stderr == ""
    got = py.result(
        """
        import json, sys, worker
        from tracers.runtime import record
        worker.work(2)
        print(json.dumps([type(worker.__loader__).__name__, [list(e.args) for e in record.events()]]))
        """,
        tracers="record", path=[site],
    )
    assert got == ["TracersLoader", [[0, False], [1, True]]]


def test_sitecustomize_snippet_installs_without_warnings(py):
    done = py.run(["-m", "tracers", "sitecustomize"])
    site = py.root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(done.stdout)
    py.write({"mod.py": "from tracers import probe, tracer\n@tracer\nclass S:\n    def e(x: int): ...\nprobe(S.e(3))\n"})
    check = py.run(["-W", "error", "-c", "import json, mod; print(json.dumps(type(mod.__loader__).__name__))"],
                   tracers="record", path=[site])
    assert json.loads(check.stdout) == "TracersLoader"
    assert check.stderr == ""


LATE = {"late.py": """
    from tracers import probe, tracer

    @tracer
    class Late:
        def closed(n: int): ...

    def close():
        probe(Late.closed(1))
        print("closed", flush=True)
"""}


def test_a_module_an_earlier_exit_handler_imports_is_rewritten(py):
    """An exit handler registered before install() runs after the hook's own (they run last in,
    first out): the hook must still be there for what it imports, as a library's install() finds it."""
    py.write(LATE)
    done = py.code("""
        import atexit

        def at_exit():
            import late
            late.close()
            print("loader", type(late.__loader__).__name__, flush=True)

        atexit.register(at_exit)
        import tracers.importhook
        tracers.importhook.install()
    """, tracers="record")
    assert done.stdout.split() == ["closed", "loader", "TracersLoader"]
    assert done.stderr == ""


def test_a_module_a_finalizer_imports_at_shutdown_loads_as_without_the_hook_and_says_nothing(py):
    """The hook leaves after the last exit handler; a reference cycle's finalizer, which the
    interpreter's shutdown collection calls later, imports a module as Python would without it:
    its probe fires through the fallback, with no warning whose advice cannot apply."""
    py.write(LATE)
    done = py.code("""
        import tracers.importhook
        tracers.importhook.install()

        class Resource:
            def __del__(self):
                import late
                late.close()

        resource = Resource()
        resource.cycle = resource
        del resource
    """, tracers="record")
    assert done.stdout.split() == ["closed"]
    assert done.stderr == ""
