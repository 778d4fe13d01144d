"""The tagged pyc cache: read without parsing, one file per mode, never in the way."""
from __future__ import annotations

import importlib.util
import marshal
import os
import sys

import pytest

from hook_support import HOOK

PROBED = """
    from tracers import probe, tracer

    @tracer
    class C:
        def hit(n: int): ...

    def f(n):
        probe(C.hit(n))
        return n + {delta}
"""

# Imports ``m`` with the hook and reports what happened. With NO_PARSE set the
# parser is replaced by a function that fails, so the import can only succeed
# by reading a cached pyc.
IMPORT_M = """
    import json, os, sys
    import tracers.importhook._compile as compile_module
    if os.environ.get("NO_PARSE"):
        def refuse(*args, **kwargs):
            raise AssertionError("parsed although a cached pyc should have been used")
        compile_module.parse_and_rewrite = refuse
    {hook}
    import m
    events = []
    result = m.f(1)
    if "tracers.runtime.record" in sys.modules:
        from tracers.runtime import record
        events = [list(e.args) for e in record.events()]
    print(json.dumps({{"result": result, "events": events, "loader": type(m.__loader__).__name__}}))
"""


def _import(py, tracers=None, no_parse=False, check=0, **env):
    extra = dict(env)
    if no_parse:
        extra["NO_PARSE"] = "1"
    done = py.code(IMPORT_M.format(hook=HOOK), tracers=tracers, env=extra, check=check)
    if check:
        return done
    import json
    return json.loads(done.stdout.strip().splitlines()[-1])


def _tag(enabled):
    from tracers.importhook import _cache
    return _cache.tag(enabled)


def _pycache(py):
    folder = py.root / "__pycache__"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _tagged_name(stem, enabled):
    return f"{stem}.{sys.implementation.cache_tag}.opt-{_tag(enabled)}.pyc"


def test_second_import_reads_the_tagged_pyc_without_parsing(py):
    py.write({"m.py": PROBED.format(delta=1)})
    done = _import(py, tracers="record", no_parse=True, check=1)
    assert "parsed although" in done.stderr  # the refusing parser is really in the way
    assert _pycache(py) == []
    assert _import(py, tracers="record") == {"result": 2, "events": [[1]], "loader": "TracersLoader"}
    assert _pycache(py) == [_tagged_name("m", True)]
    assert _import(py, tracers="record", no_parse=True) == {"result": 2, "events": [[1]], "loader": "TracersLoader"}


def test_tagged_path_is_cache_from_source_with_the_tag(py):
    from tracers.importhook import _cache
    source = str(py.root / "m.py")
    for enabled in (False, True):
        assert _cache.tagged_path(source, enabled) == importlib.util.cache_from_source(
            source, optimization=_cache.tag(enabled))
    assert _cache.tag(True) != _cache.tag(False)
    assert _cache.tag(True).isalnum() and _cache.tag(False).isalnum()


def test_each_mode_has_its_own_pyc(py):
    py.write({"m.py": PROBED.format(delta=1)})
    assert _import(py) == {"result": 2, "events": [], "loader": "TracersLoader"}
    assert _pycache(py) == [_tagged_name("m", False)]
    assert _import(py, tracers="record") == {"result": 2, "events": [[1]], "loader": "TracersLoader"}
    assert _pycache(py) == sorted([_tagged_name("m", False), _tagged_name("m", True)])
    # Both are now read from their own file: off still fires nothing, on still fires.
    assert _import(py, no_parse=True) == {"result": 2, "events": [], "loader": "TracersLoader"}
    assert _import(py, tracers="record", no_parse=True)["events"] == [[1]]


def test_the_mode_picks_the_file(py):
    """Swap the two files' contents: the on mode then runs what the off file holds."""
    py.write({"m.py": PROBED.format(delta=1)})
    _import(py, tracers="record")
    _import(py)
    on, off = (py.root / "__pycache__" / _tagged_name("m", mode) for mode in (True, False))
    on_code, off_code = on.read_bytes(), off.read_bytes()
    assert on_code != off_code
    on.write_bytes(off_code)
    off.write_bytes(on_code)
    assert _import(py, tracers="record", no_parse=True)["events"] == []


def test_editing_the_source_recompiles(py):
    py.write({"m.py": PROBED.format(delta=1)})
    assert _import(py, tracers="record")["result"] == 2
    pyc = py.root / "__pycache__" / _tagged_name("m", True)
    before = pyc.read_bytes()
    source = py.root / "m.py"
    source.write_text(source.read_text().replace("n + 1", "n + 100"))
    stat = source.stat()
    os.utime(source, (stat.st_atime, stat.st_mtime + 10))
    assert _import(py, tracers="record") == {"result": 101, "events": [[1]], "loader": "TracersLoader"}
    assert pyc.read_bytes() != before
    assert _import(py, tracers="record", no_parse=True)["result"] == 101


def test_unwritable_cache_directory_still_imports(py, tmp_path):
    """Writes really fail (even as root): the cache prefix lies under a regular file."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    py.write({"m.py": PROBED.format(delta=1), "plain.py": "X = 1\n"})
    for mode in (None, "record"):
        done = py.code(
            f"""
            import json, sys, warnings
            warnings.simplefilter("error")
            {HOOK}
            import m, plain
            print(json.dumps([m.f(1), plain.X, sys.pycache_prefix]))
            """,
            tracers=mode, env={"PYTHONPYCACHEPREFIX": str(blocker / "cache")},
        )
        assert done.stderr == ""
        import json
        assert json.loads(done.stdout) == [2, 1, str(blocker / "cache")]
    assert not (tmp_path / "__pycache__").exists()


def test_unwritable_directory_for_a_direct_cache_write(tmp_path):
    """_cache.write swallows every file system failure and leaves no temporary file."""
    from tracers.importhook import _cache
    source = tmp_path / "m.py"
    source.write_text("X = 1\n")
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    target = str(blocker / "__pycache__" / "m.pyc")
    _cache.write(target, compile("X = 1", "m.py", "exec"), source.stat())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "m.py"]


def test_dont_write_bytecode_writes_nothing(py):
    py.write({"m.py": PROBED.format(delta=1), "plain.py": "X = 1\n"})
    for mode in (None, "record"):
        assert _import(py, tracers=mode, PYTHONDONTWRITEBYTECODE="1")["result"] == 2
        py.code(f"{HOOK}; import plain", tracers=mode, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert _pycache(py) == []


def test_pycache_prefix_is_honoured(py, tmp_path):
    prefix = tmp_path / "prefix"
    py.write({"m.py": PROBED.format(delta=1)})
    assert _import(py, tracers="record", PYTHONPYCACHEPREFIX=str(prefix))["events"] == [[1]]
    assert _pycache(py) == []
    mirrored = prefix / str(tmp_path).lstrip(os.sep)
    assert sorted(p.name for p in mirrored.iterdir()) == [_tagged_name("m", True)]
    got = _import(py, tracers="record", no_parse=True, PYTHONPYCACHEPREFIX=str(prefix))
    assert got["events"] == [[1]]


@pytest.mark.parametrize("source", [
    "X = 1\n",
    "'''Mentions tracers and probe() in a docstring only.'''\nX = 1\n",
    # A provider module: imports tracers, defines probes, has no probe statement.
    '"""The app\'s probes."""\nfrom tracers import tracer\n\n@tracer\nclass Probes:\n    def e(a: int): ...\n\nX = 1\n',
], ids=["plain", "mentions", "provider-only"])
def test_modules_without_probes_get_exactly_the_standard_pyc(py, source):
    py.write({"plain.py": source})
    py.code("import plain")  # without the hook: the reference pyc
    standard = py.root / "__pycache__" / f"plain.{sys.implementation.cache_tag}.pyc"
    reference = standard.read_bytes()
    standard.unlink()
    for mode in (None, "record"):
        got = py.result(
            f"""
            import json
            {HOOK}
            import plain
            print(json.dumps([plain.X, type(plain.__loader__).__name__]))
            """,
            tracers=mode,
        )
        assert got == [1, "TracersLoader"]
        assert _pycache(py) == [standard.name]
        written = standard.read_bytes()
        # Same header and code; marshal's reference flags may differ with what the process has loaded.
        assert written[:16] == reference[:16]
        assert marshal.loads(written[16:]) == marshal.loads(reference[16:])


def test_probe_free_module_is_not_parsed_once_its_standard_pyc_exists(py):
    py.write({"provider.py": '"""Declares probes."""\nfrom tracers import tracer\n\n@tracer\nclass Probes:\n    def e(a: int): ...\n'})
    script = """
        import os
        import tracers.importhook._compile as compile_module
        if os.environ.get("NO_PARSE"):
            def refuse(*args, **kwargs):
                raise AssertionError("parsed")
            compile_module.parse_and_rewrite = refuse
        {hook}
        import provider
        print(provider.Probes.e.name)
    """.format(hook=HOOK)
    assert py.code(script).stdout == "e\n"
    assert py.code(script, env={"NO_PARSE": "1"}).stdout == "e\n"


def test_stdlib_and_tracers_keep_the_standard_loader(py):
    py.write({"mine.py": "X = 1\n"})
    got = py.result(
        f"""
        import json, sys
        from importlib.machinery import SourceFileLoader
        {HOOK}
        from tracers.importhook import TracersFinder
        finder = next(f for f in sys.meta_path if isinstance(f, TracersFinder))
        import fractions, email.mime.text, tracers.runtime.record, tracers.cli.show, mine
        # the finder's own loader, imported (through the finder) with mine, the first module it loads
        names = ["fractions", "email.mime.text", "tracers.runtime.record", "tracers.cli.show",
                 "_tracers_importhook._loader", "mine"]
        loaders = [type(sys.modules[n].__loader__).__name__ for n in names]
        import tracers, email, _tracers_importhook
        found = [finder.find_spec("json"), finder.find_spec("tracers"), finder.find_spec("tracers._gate", tracers.__path__),
                 finder.find_spec("email.utils", email.__path__), finder.find_spec("_tracers_importhook"),
                 finder.find_spec("_tracers_importhook._loader", _tracers_importhook.__path__), finder.find_spec("mine")]
        specs = [type(spec.loader).__name__ for spec in found]
        print(json.dumps([loaders, specs]))
        """,
    )
    assert got == [
        ["SourceFileLoader", "SourceFileLoader", "SourceFileLoader", "SourceFileLoader", "SourceFileLoader",
         "TracersLoader"],
        ["SourceFileLoader", "SourceFileLoader", "SourceFileLoader", "SourceFileLoader", "SourceFileLoader",
         "SourceFileLoader", "TracersLoader"],
    ]


def test_damaged_tagged_pyc_is_recompiled(py):
    py.write({"m.py": PROBED.format(delta=1)})
    _import(py, tracers="record")
    pyc = py.root / "__pycache__" / _tagged_name("m", True)
    data = pyc.read_bytes()
    pyc.write_bytes(data[:16] + b"\x00garbage")
    assert _import(py, tracers="record") == {"result": 2, "events": [[1]], "loader": "TracersLoader"}
    assert pyc.read_bytes() == data


def test_damaged_tagged_pyc_that_makes_marshal_raise_system_error_is_recompiled(py):
    py.write({"m.py": PROBED.format(delta=1)})
    _import(py, tracers="record")
    pyc = py.root / "__pycache__" / _tagged_name("m", True)
    data = pyc.read_bytes()
    damaged = bytearray(data)
    damaged[16 + 4] = 0xFF  # inside the module code's argument count
    with pytest.raises(SystemError):
        marshal.loads(bytes(damaged[16:]))
    pyc.write_bytes(bytes(damaged))
    assert _import(py, tracers="record") == {"result": 2, "events": [[1]], "loader": "TracersLoader"}
    assert pyc.read_bytes() == data


# --------------------------------------------------------------------------- where the source is now

# Reports where the code of a module with probes (tagged pyc) and of one without
# (standard pyc) says it comes from, and the file a traceback names.
WHERE = """
    import json, sys, traceback
    {hook}
    import m, plain
    try:
        plain.fail()
    except ValueError as error:
        frames = [frame.filename for frame in traceback.extract_tb(error.__traceback__)[1:]]
    print(json.dumps({{"m": m.f.__code__.co_filename, "module": m.__file__,
                       "plain": plain.fail.__code__.co_filename, "traceback": frames}}))
"""


def _where(py, root, hook=True, tracers=None):
    return py.result(WHERE.format(hook=HOOK if hook else ""), tracers=tracers, path=[root])


def _relocations():
    def copy(src, dst):
        import subprocess
        subprocess.run(["cp", "-a", str(src), str(dst)], check=True)

    def rsync(src, dst):
        import subprocess

        from hook_support import require_tool
        subprocess.run([require_tool("rsync"), "-a", f"{src}/", f"{dst}/"], check=True)

    def move(src, dst):
        src.rename(dst)

    def link(src, dst):
        dst.symlink_to(src, target_is_directory=True)

    return {"cp -a": copy, "rsync -a": rsync, "mv": move, "symlink": link}


@pytest.mark.parametrize("how", list(_relocations()))
@pytest.mark.parametrize("tracers", [None, "record"], ids=["off", "on"])
def test_cached_code_names_the_sources_current_path(py, tmp_path, how, tracers):
    """As the standard loader does (``_imp._fix_co_filename``), whatever pyc the code comes from."""
    first, second = tmp_path / "first", tmp_path / "second"
    py.write({"m.py": PROBED.format(delta=1), "plain.py": "def fail():\n    raise ValueError('x')\n"}, root=first)
    _where(py, first, tracers=tracers)  # writes the caches, naming 'first'
    _where(py, first, hook=False)
    pycs = sorted(p.name for p in (first / "__pycache__").iterdir())
    assert _tagged_name("m", tracers is not None) in pycs and f"plain.{sys.implementation.cache_tag}.pyc" in pycs
    _relocations()[how](first, second)
    got = _where(py, second, tracers=tracers)
    assert got == {"m": str(second / "m.py"), "module": str(second / "m.py"),
                   "plain": str(second / "plain.py"), "traceback": [str(second / "plain.py")]}
    assert got == _where(py, second, hook=False)  # what plain Python says


# --------------------------------------------------------------------------- how cache files are created

@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o444])
def test_tagged_pyc_gets_the_permissions_cpython_gives_the_standard_one(py, mode):
    py.write({"m.py": PROBED.format(delta=1), "ref.py": "X = 1\n"})
    for name in ("m.py", "ref.py"):
        os.chmod(py.root / name, mode)
    py.code("import ref")  # plain Python writes the standard pyc of a source with the same mode
    _import(py, tracers="record")
    standard = py.root / "__pycache__" / f"ref.{sys.implementation.cache_tag}.pyc"
    tagged = py.root / "__pycache__" / _tagged_name("m", True)
    assert oct(tagged.stat().st_mode & 0o777) == oct(standard.stat().st_mode & 0o777)
    if mode == 0o600:
        assert tagged.stat().st_mode & 0o077 == 0  # a private source stays private


def _planted(monkeypatch, tmp_path):
    """A source, its code, and the temporary file name _cache.write will use (randomness pinned)."""
    from tracers.importhook import _cache

    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # PYTHONDONTWRITEBYTECODE may be set around the tests
    monkeypatch.setattr(os, "urandom", lambda n: b"\0" * n)
    source = tmp_path / "m.py"
    source.write_text("X = 1\n")
    pyc = tmp_path / "__pycache__" / "m.tag.pyc"
    pyc.parent.mkdir()
    temporary = pyc.parent / f"{pyc.name}.{os.getpid()}.00000000.tmp"
    return _cache, source, pyc, temporary


def test_cache_write_never_follows_a_link_planted_at_its_temporary_name(monkeypatch, tmp_path):
    _cache, source, pyc, temporary = _planted(monkeypatch, tmp_path)
    victim = tmp_path / "victim"
    victim.write_bytes(b"root's file")
    temporary.symlink_to(victim)
    _cache.write(str(pyc), compile("X = 1", str(source), "exec"), source.stat())
    assert victim.read_bytes() == b"root's file"
    assert temporary.is_symlink() and not pyc.exists()


def test_cache_write_never_reuses_an_existing_temporary_file(monkeypatch, tmp_path):
    _cache, source, pyc, temporary = _planted(monkeypatch, tmp_path)
    temporary.write_bytes(b"someone else's")
    _cache.write(str(pyc), compile("X = 1", str(source), "exec"), source.stat())
    assert temporary.read_bytes() == b"someone else's" and not pyc.exists()
    temporary.unlink()
    _cache.write(str(pyc), compile("X = 1", str(source), "exec"), source.stat())
    assert pyc.exists() and not temporary.exists()  # the same call works once the name is free


def test_cache_write_does_not_write_through_a_linked_cache_directory(monkeypatch, tmp_path):
    from tracers.importhook import _cache

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "__pycache__").symlink_to(elsewhere, target_is_directory=True)
    source = tmp_path / "m.py"
    source.write_text("X = 1\n")
    _cache.write(str(tmp_path / "__pycache__" / "m.tag.pyc"), compile("X = 1", str(source), "exec"), source.stat())
    assert list(elsewhere.iterdir()) == []
    (tmp_path / "__pycache__").unlink()
    _cache.write(str(tmp_path / "__pycache__" / "m.tag.pyc"), compile("X = 1", str(source), "exec"), source.stat())
    assert [p.name for p in (tmp_path / "__pycache__").iterdir()] == ["m.tag.pyc"]  # a real directory is used
