"""When the plugin does nothing, and what it says about bad or conflicting settings."""
from __future__ import annotations

import re
import sys

import pytest

PLAIN_TEST = """
    import os, sys

    def test_nothing_of_tracers_is_loaded(request):
        assert request.config.pluginmanager.get_plugin("tracers").__name__ == "_tracers_pytestplugin"
        assert [m for m in sys.modules if m == "tracers" or m.startswith("tracers.")] == []
        assert [f for f in sys.meta_path if type(f).__name__ == "TracersFinder"] == []
        assert "TRACERS" not in os.environ
    """

USES_FIXTURE = """
    from tracers import probe, tracer

    @tracer
    class P:
        def e(n: int): ...

    def test_five_events(tracers_events):
        for n in range(5):
            probe(P.e(n))
        assert [e.args for e in tracers_events] == [(2,), (3,), (4,)] and tracers_events.dropped == 2
        tracers_events.assert_fired(P.e, 0)
    """


def test_unused_it_loads_nothing_of_tracers(project):
    project.write({"test_plain.py": PLAIN_TEST})
    done = project.pytest("-q")
    assert re.search(r"\b1 passed\b", done.stdout), done.stdout + done.stderr
    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}-pytest-{pytest.__version__}"
    assert {p.name for p in (project.root / "__pycache__").iterdir()} == {f"test_plain.{tag}.pyc"}


def test_the_fixture_without_a_mode_says_how_to_enable_it(project):
    project.write({"test_uses.py": USES_FIXTURE})
    done = project.pytest("-q")
    assert re.search(r"\b1 error\b", done.stdout), done.stdout
    assert ("the tracers_events fixture needs the record mode: run pytest with --tracers=record, or add "
            "'tracers = record' to pytest's ini options ([pytest] in pytest.ini, [tool.pytest.ini_options] "
            "in pyproject.toml)") in done.stdout


@pytest.mark.parametrize("args, ini", [(["--tracers-record-limit=3"], ""), ([], "tracers_record_limit = 3\n")])
def test_the_record_limit_from_the_option_or_the_ini_file(project, args, ini):
    project.write({"pytest.ini": f"[pytest]\ntracers = record\n{ini}", "test_uses.py": USES_FIXTURE})
    done = project.pytest("-q", *args)
    assert re.search(r"\b1 failed\b", done.stdout), done.stdout + done.stderr
    assert ("E       AssertionError: p:e(n=0) did not fire during this test.\n"
            "E       Fired during this test (3 events):\n"
            "E         p:e(n=2)\n"
            "E         p:e(n=3)\n"
            "E         p:e(n=4)\n"
            "E       (2 earlier events were dropped: the record limit is 3; raise it with --tracers-record-limit)"
            ) in done.stdout, done.stdout


@pytest.mark.parametrize("args, ini, message", [
    (["--tracers=bogus"], "", "ERROR: tracers: 'bogus' from --tracers is not valid: TRACERS='bogus' is not a valid "
                              "value; use one of: 0, off, no, false, 1, on, yes, true, auto, noop, record, usdt, lttng, stapsdt"),
    ([], "tracers = sometimes\n", "ERROR: tracers: 'sometimes' from the 'tracers' ini option is not valid"),
    (["--tracers=record", "--tracers-record-limit=0"], "",
     "ERROR: tracers: '0' from --tracers-record-limit is not valid: use a whole number of events of at least 1 "
     "(default 100000)"),
])
def test_bad_values_stop_the_run_naming_their_source(project, args, ini, message):
    project.write({"pytest.ini": f"[pytest]\n{ini}", "test_plain.py": "def test_x(): pass\n"})
    done = project.pytest(*args)
    assert done.returncode == 4, done.stdout + done.stderr
    assert message in done.stderr


def test_a_bad_record_limit_in_the_environment_stops_the_run(project):
    project.write({"test_plain.py": "def test_x(): pass\n"})
    done = project.pytest("--tracers=record", env={"TRACERS_RECORD_LIMIT": "many"})
    assert done.returncode == 4, done.stdout + done.stderr
    assert ("ERROR: tracers: TRACERS_RECORD_LIMIT='many' is not valid; use a whole number of events of at least 1 "
            "(default 100000)") in done.stderr


def test_a_mode_fixed_before_pytest_started_is_not_silently_changed(project, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    # A provider created at start-up fixes the mode (off: TRACERS is unset).
    (site / "sitecustomize.py").write_text("from tracers import tracer\n\n@tracer\nclass Early:\n"
                                           "    def e(n: int): ...\n")
    project.write({"test_plain.py": "def test_x(): pass\n"})
    done = project.pytest("--tracers=record", path=[site])
    assert done.returncode == 4, done.stdout + done.stderr
    assert ("ERROR: tracers: --tracers asks for tracing mode 'record', but this process already fixed its mode "
            "(off, from TRACERS='') before the plugin started, in code run by sitecustomize.py, a .pth file, "
            "'-p' or PYTEST_PLUGINS; set TRACERS=record in the environment instead") in done.stderr
    same = project.pytest("--tracers=off", "-q", path=[site])
    assert re.search(r"\b1 passed\b", same.stdout), same.stdout + same.stderr


def test_children_of_the_tests_inherit_the_mode(project):
    project.write({"test_child.py": """
        import os, subprocess, sys

        def test_child_sees_record():
            assert os.environ["TRACERS"] == "record"
            code = "from tracers import _config; print(_config.current().backend)"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
            assert out.strip() == "record"
        """})
    done = project.pytest("-q", "--tracers=record")
    assert re.search(r"\b1 passed\b", done.stdout), done.stdout + done.stderr
