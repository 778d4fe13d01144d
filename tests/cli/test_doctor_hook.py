"""python -m tracers doctor: whether this interpreter's start-up installs the hook, and the mode."""
import json

HOOK_LINE = "import tracers.importhook; tracers.importhook.install()\n"
NOT_ACTIVE = ("import hook: not active: no sitecustomize.py, usercustomize.py or .pth file of this interpreter "
              "installs it (python -m tracers sitecustomize --write, or run programs with python -m tracers run)")


def _doctor_lines(result):
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_without_a_hook_says_how_to_install_it(python, tmp_path):
    lines = _doctor_lines(python(["-m", "tracers", "doctor"], env={"TRACERS_RUNTIME_DIR": str(tmp_path / "run")}))
    assert NOT_ACTIVE in lines
    assert "mode: off (TRACERS='')" in lines


def test_names_the_sitecustomize_that_installs_it_and_the_mode(python, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HOOK_LINE)
    result = python(["-m", "tracers", "doctor"], env={"PYTHONPATH": str(site), "TRACERS": "record",
                                                     "TRACERS_RUNTIME_DIR": str(tmp_path / "run")})
    lines = _doctor_lines(result)
    assert f"import hook: active in this interpreter (installed by {site / 'sitecustomize.py'})" in lines
    assert "mode: on, backend record (TRACERS='record')" in lines


def test_a_sitecustomize_that_only_mentions_it_is_pointed_at(python, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import tracers.importhook  # install() forgotten\n")
    lines = _doctor_lines(python(["-m", "tracers", "doctor"], env={"PYTHONPATH": str(site)}))
    assert (f"import hook: not active, although {site / 'sitecustomize.py'} mention the import hook: "
            f"check that it calls install()") in lines


def test_names_the_pth_file_of_a_virtual_environment(python, bare_venv, tmp_path):
    venv_python = bare_venv(tmp_path / "venv")
    site = python(["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                  executable=venv_python).stdout.strip()
    pth = f"{site}/tracers_hook.pth"
    with open(pth, "w") as file:
        file.write(HOOK_LINE)
    lines = _doctor_lines(python(["-m", "tracers", "doctor"], env={"TRACERS_RUNTIME_DIR": str(tmp_path / "run")},
                                 executable=venv_python))
    assert f"import hook: active in this interpreter (installed by {pth})" in lines


def test_points_at_a_sitecustomize_that_start_ups_compile_each_time(python, tmp_path):
    """A process that cannot write the bytecode of sitecustomize.py compiles it at every start-up."""
    site = tmp_path / "site"
    site.mkdir()
    source = site / "sitecustomize.py"
    source.write_text(HOOK_LINE)
    env = {"PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "TRACERS_RUNTIME_DIR": str(tmp_path / "run")}
    warning = (f"import hook: {source} has no up-to-date bytecode: each process that cannot write "
               f"{site / '__pycache__'} compiles it at start-up (about 1 ms); "
               f"python -m tracers sitecustomize --write {site} compiles it")

    def report() -> "tuple[list[str], list[str]]":
        lines = _doctor_lines(python(["-m", "tracers", "doctor"], env=dict(env)))
        found = json.loads(python(["-m", "tracers", "doctor", "--json"], env=dict(env)).stdout)
        return lines, found["import_hook"]["without_bytecode"]

    lines, without = report()
    assert warning in lines and without == [str(source)]
    written = python(["-m", "tracers", "sitecustomize", "--write", str(site)])
    assert written.returncode == 0, written.stderr
    lines, without = report()
    assert warning not in lines and without == []
    assert f"import hook: active in this interpreter (installed by {source})" in lines
    source.write_text(HOOK_LINE + "# edited after it was compiled\n")  # its bytecode is stale now
    lines, without = report()
    assert warning in lines and without == [str(source)]
