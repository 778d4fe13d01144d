"""--help per command, --version, and the exit statuses that --help and the README document."""
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
COMMANDS = ("run", "show", "list", "trace", "doctor", "sitecustomize", "compile")


def usage_block(text: str) -> str:
    """The usage lines at the top of a help text (up to the first blank line)."""
    return text.split("\n\n", 1)[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_help_shows_its_own_usage_only(python, command):
    result = python(["-m", "tracers", command, "--help"])
    assert result.returncode == 0, result.stderr
    usage = usage_block(result.stdout)
    assert usage.startswith(f"usage: python -m tracers {command} "), usage
    others = [other for other in COMMANDS if other != command and re.search(rf"\b{other}\b", usage)]
    assert others == [], usage


def test_top_level_help_lists_every_command(python):
    result = python(["-m", "tracers", "--help"])
    assert result.returncode == 0, result.stderr
    assert usage_block(result.stdout) == "usage: python -m tracers [-h] [--version] COMMAND ..."
    listed = re.findall(r"^    (\w+)", result.stdout, re.M)
    assert listed == list(COMMANDS)


def test_version_is_the_installed_distribution_version(python):
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("python-tracers")
    except PackageNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("python-tracers is not installed (python -m pip install -e '.[test]')")
        pytest.skip("python-tracers is not installed")
    result = python(["-m", "tracers", "--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"tracers {installed}\n"


ROW = re.compile(r"^\W*(\d+)\W*\s(.*)$")  # "  0    success" or "| 0 | success |"


def documented_statuses(text: str) -> dict:
    """{status: meaning} from the first table of rows (a number, then its meaning) after 'exit status'."""
    after = text.split("exit status", 1)[1].splitlines()[1:]
    rows = itertools.takewhile(ROW.match, itertools.dropwhile(lambda line: not ROW.match(line), after))
    return {int(match.group(1)): match.group(2) for match in map(ROW.match, rows) if match}


def closed_pipe_status(args) -> subprocess.CompletedProcess:
    """Run ``python -m tracers ARGS`` with standard output a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
    env["PYTHONPATH"] = str(REPO)
    try:
        return subprocess.run([sys.executable, "-m", "tracers", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    finally:
        os.close(write_end)


def test_documented_exit_statuses_are_the_real_ones(python, tmp_path):
    help_text = python(["-m", "tracers", "--help"]).stdout
    documented = documented_statuses(help_text)
    assert sorted(documented) == [0, 1, 2, 141], help_text

    plain = tmp_path / "plain.py"
    plain.write_text("X = 1\n")
    seen = {
        0: python(["-m", "tracers", "list", str(EXAMPLES / "simple.py")]).returncode,
        1: python(["-m", "tracers", "list", str(plain)]).returncode,
        2: python(["-m", "tracers", "list", "--no-such-option"]).returncode,
        141: closed_pipe_status(["list", str(EXAMPLES / "simple.py")]).returncode,
    }
    assert seen == {code: code for code in documented}
    assert python(["-m", "tracers", "list", str(tmp_path / "missing.py")]).returncode == 2
    assert python(["-m", "tracers", "show", "x.py"], env={"TRACERS": "bogus"}).returncode == 2


def test_readme_documents_the_same_exit_statuses(python):
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    help_text = python(["-m", "tracers", "--help"]).stdout
    assert sorted(documented_statuses(section)) == sorted(documented_statuses(help_text))
