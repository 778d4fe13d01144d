"""The object files on disk: where they go, when they go away, what is refused.

Tracers find USDT probes through files mapped into the process, so each
provider's object is a real file in a private runtime directory, removed at
exit, swept by the next process if its owner was killed, and never written
through a symbolic link or into a directory other users can open.
"""
from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

import pytest

ONE_SHOT = '''\
import json
import os
from tracers import tracer
from tracers.runtime import backend


@tracer
class Files:
    def one(x: int): ...


paths = [loaded.path for loaded in backend("usdt").loaded]
print(json.dumps({"paths": paths, "exist": [os.path.exists(p) for p in paths],
                  "json": [os.path.exists(p[:-3] + ".json") for p in paths]}), flush=True)
'''

LINGERING = '''\
from tracers import tracer
from traced_harness import command, ready


@tracer
class Lingering:
    def one(x: int): ...


ready(Lingering)
command()
'''


def files(directory: Path) -> list:
    return sorted(p.name for p in directory.iterdir())


def test_files_are_removed_at_normal_exit(traced, runtime_dir: Path) -> None:
    process = traced(ONE_SHOT, hook=False)
    assert process.wait() == 0, process.describe()
    report = json.loads(process.stdout_lines()[-1])
    (path,) = report["paths"]
    assert Path(path).parent == runtime_dir
    assert report["exist"] == [True] and report["json"] == [True]
    assert not os.path.exists(path) and not os.path.exists(path[:-3] + ".json")
    assert files(runtime_dir) == []


def test_files_of_a_killed_process_are_swept_by_the_next_one(traced, runtime_dir: Path, expect_ready) -> None:
    killed = traced(LINGERING, hook=False, name="killed")
    killed_path = expect_ready(killed).group(2).split()[0]
    alive = traced(LINGERING, hook=False, name="alive")
    alive_path = expect_ready(alive).group(2).split()[0]
    os.kill(killed.pid, signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL
    assert os.path.exists(killed_path) and os.path.exists(killed_path[:-3] + ".json")  # no atexit after SIGKILL

    # The next process to define a provider sweeps what the dead one left, and only that.
    nxt = traced(ONE_SHOT, hook=False, name="next")
    assert nxt.wait() == 0, nxt.describe()
    (next_path,) = json.loads(nxt.stdout_lines()[-1])["paths"]
    assert not os.path.exists(killed_path) and not os.path.exists(killed_path[:-3] + ".json")
    assert os.path.exists(alive_path) and os.path.exists(alive_path[:-3] + ".json")
    assert not os.path.exists(next_path)
    alive.send("quit")
    assert alive.wait() == 0, alive.describe()
    assert files(runtime_dir) == []


def test_runtime_directory_is_created_private(traced, tmp_path: Path) -> None:
    directory = tmp_path / "made" / "here"
    process = traced(ONE_SHOT, hook=False, env={"TRACERS_RUNTIME_DIR": str(directory)})
    assert process.wait() == 0, process.describe()
    (path,) = json.loads(process.stdout_lines()[-1])["paths"]
    assert Path(path).parent == directory
    info = os.lstat(directory)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    assert info.st_uid == os.geteuid()


REFUSED = '''\
import json
from tracers import tracer
from tracers.runtime import backend


@tracer
class First:
    def one(x: int): ...


@tracer
class Second:
    def two(x: int): ...


First.one.fire(1)
Second.two.fire(2)
with open("/proc/self/maps") as maps:
    mapped = [line for line in maps if "/tracers-" in line]
print(json.dumps({"gates": [bool(First.one), bool(Second.two)], "mapped": mapped,
                  "usdt_loaded": len(backend("usdt").loaded)}), flush=True)
'''


@pytest.mark.parametrize("planted", ["symlink", "mode 0755"])
def test_unsafe_runtime_directory_is_refused(traced, tmp_path: Path, planted: str) -> None:
    """The program still runs and exits 0, with one warning; its probes are no-ops."""
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    directory = tmp_path / "runtime"
    if planted == "symlink":
        directory.symlink_to(target, target_is_directory=True)
        reason = "is a symbolic link"
    else:
        directory.mkdir()
        directory.chmod(0o755)
        target = directory
        reason = "is open to other users (mode 755)"
    process = traced(REFUSED, hook=False, env={"TRACERS_RUNTIME_DIR": str(directory)})
    assert process.wait() == 0, process.describe()
    report = json.loads(process.stdout_lines()[-1])
    assert report == {"gates": [False, False], "mapped": [], "usdt_loaded": 0}
    stderr = process.stderr_text()
    assert stderr.count("Warning") == 1, stderr
    assert "RuntimeWarning: tracers: backend 'usdt' unavailable, probes will not fire" in stderr
    assert reason in stderr
    assert files(target) == []
    if planted == "symlink":
        assert directory.is_symlink()
    else:
        assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o755  # left as it was
