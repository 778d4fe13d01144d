"""list for files and modules, sitecustomize, usage errors."""
import importlib.util
import os
import re
import subprocess
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_list_a_file_names_probes_types_and_bpftrace_lines(python):
    result = python(["-m", "tracers", "list", str(EXAMPLES / "simple.py")])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("provider simple_probes  (SimpleProbes in ")
    assert "  optional_greeting(greeting: str, name: Optional[str])" in lines
    (object_line,) = [line for line in lines if line.startswith("  object: ")]
    path = object_line.split()[1]
    assert re.fullmatch(r"/.+/simple_probes-[0-9a-f]{16}\.so", path), object_line
    assert ("    bpftrace -e 'usdt:" + path + ":simple_probes:counter "
            "{ printf(\"counter count=%ld\\n\", arg0); }'") in lines


def test_list_a_module_with_widths(python):
    result = python(["-m", "tracers", "list", "shop.probes"], env={"PYTHONPATH": str(EXAMPLES)})
    assert result.returncode == 0, result.stderr
    assert "  order_placed(order_id: U32, item: str, quantity: U16)" in result.stdout.splitlines()
    assert 'printf("order_placed order_id=%u item=%s quantity=%u\\n", arg0, str(arg1), arg2)' in result.stdout


def test_list_errors(python, tmp_path):
    missing = python(["-m", "tracers", "list", "no_such_module_here"])
    assert missing.returncode == 2 and "neither a file nor an importable module" in missing.stderr
    plain = tmp_path / "plain.py"
    plain.write_text("X = 1\n")
    none = python(["-m", "tracers", "list", str(plain)])
    assert none.returncode == 1 and "defines no @tracer providers" in none.stderr
    dead = python(["-m", "tracers", "list", "--pid", "999999999"])
    assert dead.returncode == 1 and "process 999999999 does not exist" in dead.stderr


def test_sitecustomize_prints_the_snippet_that_installs_the_hook(python, tmp_path):
    result = python(["-m", "tracers", "sitecustomize"])
    assert result.returncode == 0
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(result.stdout)
    (site / "app.py").write_text(
        "from tracers import tracer, probe\n"
        "@tracer\nclass P:\n    def e(a: int): ...\n"
        "def f(x):\n    probe(P.e(x()))\n"
        "f(lambda: print('evaluated'))\n"
        "print(type(__loader__).__name__)\n")
    ran = python(["-c", "import app"], env={"PYTHONPATH": str(site), "TRACERS": "noop"}, cwd=site)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["TracersLoader"]  # rewritten: the argument is never evaluated


def test_sitecustomize_write_appends_once(python, tmp_path):
    target = tmp_path / "sitecustomize.py"
    target.write_text("import os")
    for _ in range(2):
        result = python(["-m", "tracers", "sitecustomize", "--write", str(tmp_path)])
        assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert text.startswith("import os\n") and text.count("_tracers_importhook.install()") == 1
    assert "already installs the hook" in result.stderr


def test_sitecustomize_write_knows_the_hook_by_the_package_s_name(python, tmp_path):
    """A sitecustomize.py that installs the hook as ``tracers.importhook`` does is left as it is."""
    target = tmp_path / "sitecustomize.py"
    target.write_text("import tracers.importhook\ntracers.importhook.install()\n")
    result = python(["-m", "tracers", "sitecustomize", "--write", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert target.read_text() == "import tracers.importhook\ntracers.importhook.install()\n"
    assert "already installs the hook" in result.stderr


def test_sitecustomize_write_refuses_a_directory_whose_sitecustomize_would_never_run(python, bare_venv, tmp_path):
    """Only the first sitecustomize on sys.path runs (a Debian interpreter has one in its standard
    library): writing one further down would report success and change nothing."""
    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir()
    later.mkdir()
    (first / "sitecustomize.py").write_text("import os\n")
    env = {"PYTHONPATH": os.pathsep.join([str(first), str(later)])}
    result = python(["-m", "tracers", "sitecustomize", "--write", str(later)], env=dict(env), cwd=tmp_path)
    _assert_refused_for(first, result)
    assert not (later / "sitecustomize.py").exists()
    # Without a directory: the interpreter's own site-packages, that of a throwaway virtual
    # environment here, so that a fault writes there rather than where these tests run.
    venv = tmp_path / "venv"
    result = python(["-m", "tracers", "sitecustomize", "--write"], env=dict(env), cwd=tmp_path,
                    executable=bare_venv(venv))
    _assert_refused_for(first, result)
    assert not list(venv.glob("lib/python*/site-packages/sitecustomize.py"))
    assert (first / "sitecustomize.py").read_text() == "import os\n"
    result = python(["-m", "tracers", "sitecustomize", "--write", str(first)], env=dict(env), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (first / "sitecustomize.py").read_text().count("_tracers_importhook.install()") == 1


def _assert_refused_for(first: Path, result: "subprocess.CompletedProcess[str]") -> None:
    assert result.returncode == 1, result.stderr
    assert f"Python imports {first / 'sitecustomize.py'} as sitecustomize" in result.stderr
    assert "nothing written" in result.stderr


def _read_from_bytecode(python, site: Path) -> bool:
    """Whether a start-up that writes no bytecode (``-B``, as for a user who cannot write ``site``)
    reads ``site``'s sitecustomize from its cached bytecode rather than compiling the file."""
    source = site / "sitecustomize.py"
    ran = python(["-B", "-v", "-c", "pass"], env={"PYTHONPATH": str(site)}, cwd=site)
    assert ran.returncode == 0, ran.stderr
    cached = importlib.util.cache_from_source(str(source))
    compiled, read = f"# code object from {source}\n", f"# code object from {cached!r}\n"  # -v's words
    assert (compiled in ran.stderr) != (read in ran.stderr), ran.stderr
    return read in ran.stderr


def test_sitecustomize_write_compiles_the_file_for_start_ups_that_cannot_write_bytecode(python, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import os\n")
    assert not _read_from_bytecode(python, site)
    result = python(["-m", "tracers", "sitecustomize", "--write", str(site)])
    assert result.returncode == 0, result.stderr
    assert _read_from_bytecode(python, site)
    # A file that installs the hook already, and has lost its bytecode, is compiled again.
    for cached in (site / "__pycache__").iterdir():
        cached.unlink()
    result = python(["-m", "tracers", "sitecustomize", "--write", str(site)])
    assert result.returncode == 0 and "already installs the hook" in result.stderr, result.stderr
    assert _read_from_bytecode(python, site)


def test_sitecustomize_write_refuses_a_file_that_does_not_compile(python, tmp_path):
    """Python's start-up gives up on a sitecustomize.py at its first error: a hook appended after it
    would never run, and saying it was installed would be false."""
    target = tmp_path / "sitecustomize.py"
    target.write_text("import os\ndef broken(:\n")
    result = python(["-m", "tracers", "sitecustomize", "--write", str(tmp_path)])
    assert result.returncode == 1
    assert f"{target}:2: " in result.stderr and "nothing written" in result.stderr, result.stderr
    assert target.read_text() == "import os\ndef broken(:\n"
    assert not (tmp_path / "__pycache__").exists()


def test_sitecustomize_write_keeps_the_encoding_a_file_declares(python, tmp_path):
    target = tmp_path / "sitecustomize.py"
    original = "# -*- coding: latin-1 -*-\nNAME = '\u00e9t\u00e9'".encode("latin-1")
    target.write_bytes(original)
    result = python(["-m", "tracers", "sitecustomize", "--write", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(original + b"\n")
    ran = python(["-c", "import sitecustomize, tracers.importhook as hook; print(sitecustomize.NAME, hook.installed())"],
                 env={"PYTHONPATH": str(tmp_path)}, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["\u00e9t\u00e9", "True"]


def test_unknown_command_and_no_command(python):
    assert python(["-m", "tracers", "frobnicate"]).returncode == 2
    assert python(["-m", "tracers"]).returncode == 2
