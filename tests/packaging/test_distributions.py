"""The sdist and the wheel, built as a release would build them (``python -m build``), hold what the
package needs; each, installed in a fresh virtual environment outside the checkout, runs the examples
and passes mypy with the installed copy.

The distributions are built once per test session, from a copy of the checkout.
"""
from __future__ import annotations

import email.parser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import List, NamedTuple

import pytest
from prerequisites import unavailable

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
NAME = "python-tracers"
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
NOT_SHIPPED = ("tests", "examples", "benchmarks", "build", "dist", ".git", ".venv", ".ci")


def run(args: List[str], **kwargs) -> subprocess.CompletedProcess:
    """Run outside the checkout, with nothing of it on the path and no tracing or coverage settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TRACERS", "COVERAGE")) and k != "PYTHONPATH"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, **kwargs)


def package_files() -> List[str]:
    """Every file of the packages in the checkout (tracers and its hook's finder), relative to the repository."""
    return sorted(str(path.relative_to(REPO)) for package in ("tracers", "_tracers_importhook")
                  for path in (REPO / package).rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def shipped_pth_files() -> List[str]:
    """.pth files the project ships (none today): each must reach site-packages through the wheel."""
    found = []
    for path in REPO.rglob("*.pth"):
        parts = path.relative_to(REPO).parts
        if parts[0] not in NOT_SHIPPED and not any(p.startswith(".") or p == "site-packages" for p in parts):
            found.append(path.name)
    return sorted(found)


class Dists(NamedTuple):
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    if importlib.util.find_spec("build") is None:
        unavailable("the 'build' package is missing (python -m pip install -e '.[test]')")
    work = tmp_path_factory.mktemp("dists")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.pyc", "build", "dist", "*.egg-info", ".venv", ".coverage*", ".mypy_cache"))
    built = run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(source)], cwd=work)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (sdist,) = (work / "dist").glob("*.tar.gz")
    (wheel,) = (work / "dist").glob("*.whl")
    return Dists(sdist, wheel)


def metadata(text: str) -> email.message.Message:
    return email.parser.Parser().parsestr(text)


def check_metadata(fields: email.message.Message) -> None:
    assert fields["Name"] == NAME
    assert fields["License-Expression"] == "MIT"
    assert fields.get_all("License-File") == ["LICENSE"]
    assert fields["Requires-Python"] == ">=3.9"
    classifiers = fields.get_all("Classifier")
    for python in PYTHONS:
        assert f"Programming Language :: Python :: {python}" in classifiers
    assert "Typing :: Typed" in classifiers
    assert "Operating System :: POSIX :: Linux" in classifiers


def test_the_wheel_holds_the_package_its_marker_and_the_license(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = set(wheel.namelist())
        (info,) = {name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")}
        check_metadata(metadata(wheel.read(f"{info}/METADATA").decode()))
        assert wheel.read(f"{info}/licenses/LICENSE") == (REPO / "LICENSE").read_bytes()
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert re.search(r"^\[console_scripts\]\ntracers = tracers\.cli:main$", entry_points, re.M), entry_points
    missing = [path for path in package_files() if path not in names]
    assert missing == [], "files of the package missing from the wheel"
    assert {"tracers/py.typed", "_tracers_importhook/py.typed"} <= names
    assert [name for name in shipped_pth_files() if name not in names] == []
    top = {name.split("/")[0] for name in names} - {info}
    # The package, the hook's finder (importable without the package, at start-up), the .pth files
    # it ships, and the pytest plugin's small entry module.
    assert top == {"tracers", "_tracers_importhook", "_tracers_pytestplugin.py"} | set(shipped_pth_files()), \
        "the wheel installs something besides the package"
    assert re.search(r"^\[pytest11\]\ntracers = _tracers_pytestplugin$", entry_points, re.M), entry_points


def test_the_sdist_holds_the_sources_the_license_and_the_readme(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
        root = sdist.getnames()[0].split("/")[0]
        pkg_info = sdist.extractfile(f"{root}/PKG-INFO")
        assert pkg_info is not None
        check_metadata(metadata(pkg_info.read().decode()))
    for required in ["LICENSE", "README.md", "pyproject.toml", *package_files()]:
        assert required in names, required


class Installed(NamedTuple):
    python: Path
    scripts: Path
    work: Path  # outside the checkout: the examples are copied here


@pytest.fixture(scope="session", params=["wheel", "sdist"])
def installed(request: pytest.FixtureRequest, dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A fresh virtual environment holding the distribution and mypy (the version the tests use)."""
    work = tmp_path_factory.mktemp(f"installed-{request.param}")
    venv = work / "venv"
    created = run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    artifact = dists.wheel if request.param == "wheel" else dists.sdist
    done = run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                str(artifact), f"mypy=={version('mypy')}"], cwd=work)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shutil.copytree(EXAMPLES, work / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    return Installed(python, venv / "bin", work)


def test_the_installed_copy_is_the_one_imported(installed: Installed) -> None:
    # Every module imports without the test tools, except the pytest plugin's (pytest is its reason to be).
    code = ("import importlib, pkgutil, tracers\n"
            "for module in pkgutil.walk_packages(tracers.__path__, 'tracers.'):\n"
            "    if not module.name.startswith('tracers.pytest_plugin'):\n"
            "        importlib.import_module(module.name)\n"
            "print(tracers.__file__)")
    result = run([str(installed.python), "-c", code], cwd=installed.work)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.python.parent.parent)


def test_the_console_script(installed: Installed) -> None:
    result = run([str(installed.scripts / "tracers"), "--version"], cwd=installed.work)
    assert result.returncode == 0, result.stderr
    shown = run([str(installed.python), "-c", f"import importlib.metadata as m; print(m.version('{NAME}'))"])
    assert result.stdout == f"tracers {shown.stdout.strip()}\n"
    usage = run([str(installed.scripts / "tracers"), "list", "--help"], cwd=installed.work)
    assert usage.stdout.startswith("usage: tracers list "), usage.stdout
    by_name = run([str(installed.scripts / "tracers"), "list", "shop.probes"], cwd=installed.work / "examples")
    assert by_name.returncode == 0, by_name.stderr  # a module of the current directory, as python -m finds it
    assert by_name.stdout.startswith("provider shop  (ShopProbes in shop.probes)\n")


def test_the_examples_run(installed: Installed, tmp_path: Path) -> None:
    examples = installed.work / "examples"
    python = str(installed.python)
    env = {"TRACERS_RUNTIME_DIR": str(tmp_path / "run")}

    simple = run([python, "-m", "tracers", "run", "--backend", "auto", str(examples / "simple.py"), "--count", "2"],
                 cwd=installed.work, env=env)
    assert (simple.returncode, simple.stdout) == (0, "hello world #0\nhello world #1\n"), simple.stderr

    shop = run([python, "-m", "tracers", "run", "--backend", "auto", "-m", "shop", "2"], cwd=examples, env=env)
    assert (shop.returncode, shop.stdout) == (0, "order 1: apple\norder 2: pear\n"), shop.stderr

    recorded = run([python, "-c", textwrap.dedent("""\
        import runpy, sys
        import tracers.importhook
        from tracers.runtime import record
        tracers.importhook.install()
        sys.argv = ["shop", "2"]
        try:
            runpy.run_module("shop", run_name="__main__")
        except SystemExit:
            pass
        print(repr([tuple(event) for event in record.events()]))
        """)], cwd=examples, env={"TRACERS": "record"})
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout.splitlines()[-1] == repr([
        ("shop", "order_placed", (1, "apple", 1)), ("shop", "order_shipped", (1, None)),
        ("shop", "order_placed", (2, "pear", 1)), ("shop", "order_shipped", (2, "post"))])

    hooked = run([python, str(examples / "sitecustomize" / "app.py")], cwd=installed.work,
                 env={"PYTHONPATH": str(examples / "sitecustomize"), "TRACERS": "record"})
    assert (hooked.returncode, hooked.stdout) == (0, "3\n"), hooked.stderr

    listed = run([python, "-m", "tracers", "list", str(examples / "shop"), "--json"], cwd=installed.work)
    assert listed.returncode == 0, listed.stderr
    providers = json.loads(listed.stdout)["providers"]
    assert [(p["provider"], [probe["name"] for probe in p["probes"]]) for p in providers] == [
        ("shop", ["order_placed", "order_shipped", "stock_low"])]


MISTAKE = """\
from tracers import U32, probe, tracer


@tracer(provider="myapp")
class Net:
    def request(method: str, status: int, size: U32): ...


probe(Net.request("GET", 200, 512))
probe(Net.request("GET", "200", 512))
"""


def test_mypy_checks_against_the_installed_copy(installed: Installed) -> None:
    check = installed.work / "check"
    check.mkdir(exist_ok=True)
    (check / "mypy.ini").write_text("[mypy]\nplugins = tracers.mypy\n")
    (check / "app.py").write_text(MISTAKE)
    examples = installed.work / "examples"
    mypy = [str(installed.python), "-m", "mypy", "--config-file", str(check / "mypy.ini"),
            "--cache-dir", str(check / "cache")]

    clean = run([*mypy, str(examples / "simple.py"), str(examples / "shop"),
                 str(examples / "sitecustomize" / "worker.py")], cwd=check)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("Success: no issues found")

    strict = run([*mypy, "--strict", "app.py"], cwd=check)
    errors = [line for line in strict.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith("app.py:10: error: ") and \
        errors[0].endswith("[arg-type]"), strict.stdout + strict.stderr
