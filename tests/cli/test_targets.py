"""list and show targets: files inside packages (real module names, relative imports), package
directories, dotted names, submodules that fail to import, and targets that cannot be used."""
import json
import re
import textwrap
from pathlib import Path

import pytest

FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": """\
        from tracers import tracer

        @tracer
        class CoreProbes:
            def started(port: int): ...
        """,
    "pkg/_names.py": "QUEUE = 'jobs'\n",
    "pkg/jobs.py": """\
        from typing import Optional

        from tracers import U32, tracer

        from ._names import QUEUE
        from .core import CoreProbes

        @tracer
        class JobProbes:
            def queued(job: str, size: U32, queue: Optional[str]): ...
        """,
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": """\
        from tracers import U8, tracer

        from ..core import CoreProbes

        @tracer(provider="deep")
        class Deep:
            def hit(level: U8): ...
            def missed(): ...
        """,
    "pkg/broken.py": "import no_such_dependency_here\n",
    "pkg/exits.py": "import sys\nsys.exit(3)\n",
    "pkg/noisy.py": "print('noisy was imported')\n",
    "pkg/__main__.py": "raise SystemExit('the __main__ module ran')\n",
}

DEEP = {"provider": "deep", "class": "Deep", "module": "pkg.sub.deep",
        "probes": [{"name": "hit", "line": 7, "args": [{"name": "level", "type": "U8"}]},
                   {"name": "missed", "line": 8, "args": []}]}
CORE = {"provider": "core_probes", "class": "CoreProbes", "module": "pkg.core",
        "probes": [{"name": "started", "line": 5, "args": [{"name": "port", "type": "int"}]}]}
JOBS = {"provider": "job_probes", "class": "JobProbes", "module": "pkg.jobs",
        "probes": [{"name": "queued", "line": 10, "args": [
            {"name": "job", "type": "str"}, {"name": "size", "type": "U32"},
            {"name": "queue", "type": "Optional[str]"}]}]}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """tmp_path/app holds the package; tests run from tmp_path, so pkg is not importable by name."""
    for name, text in FILES.items():
        path = tmp_path / "app" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path / "app"


def listed(result) -> list:
    """The providers of ``list --json``, each probe's file and the provider's object checked and then left out."""
    providers = json.loads(result.stdout)["providers"]
    for provider in providers:
        assert provider.pop("pids") is None  # a module, not a process
        assert re.fullmatch(rf".*/{provider['provider']}-[0-9a-f]{{16}}\.so", provider.pop("object"))
        for probe in provider["probes"]:
            module_file = provider["module"].replace(".", "/") + ".py"
            assert probe.pop("file").endswith("/app/" + module_file), probe
    return providers


def provider_lines(text: str) -> list:
    return [line for line in text.splitlines() if line.startswith("provider ")]


def test_a_file_inside_a_package_imports_under_its_dotted_name(python, app):
    result = python(["-m", "tracers", "list", "app/pkg/jobs.py"], cwd=app.parent)
    assert result.returncode == 0, result.stderr
    assert provider_lines(result.stdout) == ["provider job_probes  (JobProbes in pkg.jobs)",
                                             "provider core_probes  (CoreProbes in pkg.core)"]
    assert "  queued(job: str, size: U32, queue: Optional[str])" in result.stdout.splitlines()

    deep = python(["-m", "tracers", "list", str(app / "pkg" / "sub" / "deep.py"), "--json"], cwd=app.parent)
    assert deep.returncode == 0, deep.stderr
    assert listed(deep) == [DEEP, CORE]


def test_a_package_lists_its_submodules_and_names_those_that_fail(python, app):
    for target, env in (("app/pkg", {}), ("pkg", {"PYTHONPATH": str(app)}), ("app/pkg/__init__.py", {})):
        result = python(["-m", "tracers", "list", target, "--json"], cwd=app.parent, env=env)
        assert result.returncode == 1, (target, result.stderr)  # some submodules failed
        assert listed(result) == [CORE, JOBS, DEEP], target
        failures = result.stderr.splitlines()
        assert failures[0] == "noisy was imported"  # what modules print goes to stderr, not into the listing
        assert failures[1:] == [
            f"tracers list: cannot import pkg.broken ({app}/pkg/broken.py:1): "
            "ModuleNotFoundError: No module named 'no_such_dependency_here'",
            f"tracers list: cannot import pkg.exits ({app}/pkg/exits.py:2): SystemExit: 3",
        ], target


def test_a_package_without_failures_exits_zero(python, app):
    for name in ("broken.py", "exits.py"):
        (app / "pkg" / name).unlink()
    result = python(["-m", "tracers", "list", "app/pkg"], cwd=app.parent)
    assert result.returncode == 0, result.stderr
    assert provider_lines(result.stdout) == ["provider core_probes  (CoreProbes in pkg.core)",
                                             "provider job_probes  (JobProbes in pkg.jobs)",
                                             "provider deep  (Deep in pkg.sub.deep)"]


def test_a_target_that_fails_to_import_is_one_line(python, app):
    result = python(["-m", "tracers", "list", "app/pkg/broken.py"], cwd=app.parent)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"tracers list: cannot import pkg.broken ({app}/pkg/broken.py:1): "
        "ModuleNotFoundError: No module named 'no_such_dependency_here'"]

    (app / "pkg" / "typo.py").write_text("x = (\n")
    typo = python(["-m", "tracers", "list", "pkg.typo"], cwd=app.parent, env={"PYTHONPATH": str(app)})
    assert typo.returncode == 1
    assert typo.stderr.startswith(f"tracers list: cannot import pkg.typo ({app}/pkg/typo.py:1): SyntaxError: ")
    assert len(typo.stderr.splitlines()) == 1, typo.stderr


def test_listing_imports_with_tracing_off(python, app, tmp_path):
    (app / "pkg" / "fires.py").write_text(textwrap.dedent("""\
        import sys
        from tracers import probe
        from .core import CoreProbes

        probe(CoreProbes.started(8080))
        print("usdt backend loaded:", "tracers.runtime.usdt" in sys.modules)
        """))
    run_dir = tmp_path / "run"
    result = python(["-m", "tracers", "list", "app/pkg/fires.py"], cwd=app.parent,
                    env={"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": str(run_dir)})
    assert result.returncode == 0, result.stderr
    assert "usdt backend loaded: False" in result.stderr.splitlines()
    assert not run_dir.exists() or not any(run_dir.iterdir())


def test_targets_that_cannot_be_used(python, app, tmp_path):
    (tmp_path / "loose").mkdir()
    (tmp_path / "notes.txt").write_text("text\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "argparse.py").write_text("X = 1\n")  # the command line has imported argparse
    cases = {
        "loose": "tracers list: loose is a directory without __init__.py; "
                 "name a .py file, a package directory or a dotted module name",
        "notes.txt": "tracers list: notes.txt is not a Python source file (.py)",
        "no.such.module": "tracers list: 'no.such.module' is neither a file nor an importable module",
        "other/argparse.py": f"tracers list: {tmp_path}/other/argparse.py imports as 'argparse', which is already ",
    }
    for target, message in cases.items():
        result = python(["-m", "tracers", "list", target], cwd=tmp_path)
        assert result.returncode == 2, (target, result.stderr)
        assert result.stderr.startswith(message), (target, result.stderr)
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_show_a_package_and_a_file_inside_one(python, app):
    init = "'''The package.'''\nfrom .core import CoreProbes\n"
    (app / "pkg" / "__init__.py").write_text(init)
    for target, env in (("app/pkg", {}), ("pkg", {"PYTHONPATH": str(app)})):
        result = python(["-m", "tracers", "show", target, "--off"], cwd=app.parent, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == init.replace("'''", '"""')
        assert result.stderr.endswith("pkg/__init__.py: 0 probe site(s), tracing off\n"), result.stderr
    sub = python(["-m", "tracers", "show", "pkg.sub.deep", "--on"], cwd=app.parent, env={"PYTHONPATH": str(app)})
    assert sub.returncode == 0, sub.stderr
    assert "class Deep:" in sub.stdout
    loose = python(["-m", "tracers", "show", "app"], cwd=app.parent)
    assert loose.returncode == 2
    assert "neither a file nor an importable module" in loose.stderr
