"""The object files on disk: one per provider content, kept while any process
uses it, removed once none does, and never anything but the expected bytes.

Every process that defines the same provider maps one file, named after its
content, in a private runtime directory checked whole; the last process to
use it removes it, and the next process removes what a killed one left.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from conftest import child_env, require_tool, unavailable

ONE_SHOT = '''\
import json
import os
from tracers import tracer
from tracers.runtime import backend


@tracer
class Files:
    def one(x: int): ...


paths = [loaded.path for loaded in backend("usdt").loaded]
with open("/proc/self/maps") as maps:
    mapped = {line.split()[4] for line in maps if line.rstrip().endswith(tuple(paths))}
print(json.dumps({"paths": paths, "exist": [os.path.exists(p) for p in paths],
                  "inodes": [os.stat(p).st_ino for p in paths], "mapped": sorted(mapped),
                  "gate": type(Files.one.gate).__name__}), flush=True)
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


def files(directory: Path) -> List[str]:
    return sorted(p.name for p in directory.iterdir())


def one_shot(traced, **env: str) -> Dict:
    process = traced(ONE_SHOT, hook=False, env=env or None)
    assert process.wait() == 0, process.describe()
    assert process.stderr_text() == "", process.describe()
    return json.loads(process.stdout_lines()[-1])


def test_the_same_provider_gets_the_same_file_across_restarts(traced, runtime_dir: Path) -> None:
    first, second = one_shot(traced), one_shot(traced)
    (path,) = first["paths"]
    assert second["paths"] == [path]  # a restarted program reuses the path: tracers' commands keep working
    assert Path(path).parent == runtime_dir
    assert first["exist"] == [True] and first["mapped"] == [str(first["inodes"][0])]
    assert first["gate"] == "c_ushort"  # the semaphore in the mapped object
    assert files(runtime_dir) == []  # removed when its only user exited


def test_a_file_stays_while_any_process_uses_it_whatever_the_exit_order(traced, runtime_dir: Path,
                                                                        expect_ready) -> None:
    a = traced(LINGERING, hook=False, name="a")
    path = expect_ready(a).group(2).strip()
    b = traced(LINGERING, hook=False, name="b")
    assert expect_ready(b).group(2).strip() == path
    inode = os.stat(path).st_ino
    a.send("quit")
    assert a.wait() == 0, a.describe()
    assert os.stat(path).st_ino == inode  # b still maps it
    c = traced(LINGERING, hook=False, name="c")
    assert expect_ready(c).group(2).strip() == path
    assert os.stat(path).st_ino == inode  # verified and reused, not rewritten
    c.send("quit")
    assert c.wait() == 0, c.describe()
    assert os.stat(path).st_ino == inode
    b.send("quit")
    assert b.wait() == 0, b.describe()
    assert files(runtime_dir) == []


def test_what_a_killed_process_left_is_swept_by_the_next_one(traced, runtime_dir: Path, expect_ready) -> None:
    killed = traced(LINGERING, hook=False, name="killed")
    killed_path = expect_ready(killed).group(2).strip()
    os.kill(killed.pid, signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL
    assert os.path.exists(killed_path)  # no exit handler after SIGKILL
    (stale_temporary := runtime_dir / ".tmp-1-000000000000").write_bytes(b"half written")
    (other := runtime_dir / "notes.txt").write_text("not ours")

    report = one_shot(traced)  # another provider: its first use sweeps the directory
    assert not os.path.exists(killed_path) and not stale_temporary.exists()
    assert other.exists()  # only files named like tracers' own are touched
    assert not os.path.exists(report["paths"][0])
    assert files(runtime_dir) == ["notes.txt"]


def test_the_runtime_directory_is_created_private(traced, tmp_path: Path) -> None:
    directory = tmp_path / "made" / "here"
    (path,) = one_shot(traced, TRACERS_RUNTIME_DIR=str(directory))["paths"]
    assert Path(path).parent == directory
    for made in (directory, directory.parent):
        info = os.lstat(made)
        assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
        assert info.st_uid == os.geteuid()


def plant(kind: str, at: Path, tmp_path: Path) -> Path:
    """Put something other than the expected object at ``at``; return what must stay untouched."""
    elsewhere = tmp_path / "elsewhere.so"
    elsewhere.write_bytes(b"\x7fELF not the object")
    if kind == "wrong bytes":
        os.link(elsewhere, at)  # the same file under both names: replaced, never written into
    elif kind == "symlink":
        at.symlink_to(elsewhere)
    elif kind == "fifo":
        os.mkfifo(at, 0o600)
    elif kind == "open to others":
        at.write_bytes(b"")
        at.chmod(0o666)
    return elsewhere


@pytest.mark.parametrize("kind", ["wrong bytes", "symlink", "fifo", "open to others"])
def test_anything_but_the_expected_file_is_replaced_never_loaded(traced, runtime_dir: Path,
                                                                  tmp_path: Path, kind: str) -> None:
    (path,) = one_shot(traced)["paths"]
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    untouched = plant(kind, Path(path), tmp_path)
    before = untouched.read_bytes() if kind != "fifo" else b""

    report = one_shot(traced)
    assert report["paths"] == [path]
    assert report["gate"] == "c_ushort"
    # What got mapped is a regular file with the object's bytes, not what was planted.
    assert report["mapped"] == [str(report["inodes"][0])]
    if kind != "fifo":
        assert untouched.read_bytes() == before
    assert files(runtime_dir) == []


# The object's file is swapped for a copy (same bytes, another inode) right before or right after
# dlopen opens it: the object held is then the file mapped, whatever the path names afterwards.
SWAPPED_AROUND_THE_LOAD = '''\
import ctypes
import json
import os
import shutil
import sys
from tracers.runtime.usdt import _backend, _store

real_dlopen = _backend.dlopen


def swap(path):
    copy = path + ".copy"
    shutil.copyfile(path, copy)
    os.chmod(copy, 0o600)
    os.rename(copy, path)


def dlopen(path, mode):
    if sys.argv[1] == "before":
        swap(path)
    handle = real_dlopen(path, mode)
    if sys.argv[1] == "after":
        swap(path)
    return handle


_backend.dlopen = dlopen
from tracers import tracer
from traced_harness import mapped_inode


@tracer
class Swapped:
    def one(x: int): ...


mapped = mapped_inode(ctypes.addressof(Swapped.one.gate))
(held,) = _store.object_store().held.values()
print(json.dumps({"mapped": mapped, "held": held.inode, "named": os.stat(held.path).st_ino}), flush=True)
'''


@pytest.mark.parametrize("when", ["before", "after"])
def test_the_object_held_is_the_file_mapped_when_the_path_changes_around_the_load(traced, when: str) -> None:
    process = traced(SWAPPED_AROUND_THE_LOAD, when, hook=False)
    assert process.wait() == 0, process.describe()
    report = json.loads(process.stdout_lines()[-1])
    assert report["held"] == report["mapped"], report  # the lock and the exit sweep are about the mapped file
    swapped_in = report["named"]
    # Swapped before dlopen, the copy is what got mapped; swapped after, the file verified is.
    assert (report["mapped"] == swapped_in) == (when == "before"), report


# The same provider bound again by an exit handler that runs after tracers has let go of its
# objects (handlers run last registered first): dlopen gives the object it loaded the first time,
# whose file is gone, whatever file its path names now.
BOUND_AGAIN_AT_EXIT = '''\
import atexit
import ctypes
import json

SOURCE = """
from tracers import tracer


@tracer
class Twice:
    def one(x: int): ...
"""


def bind_and_report(when):
    from tracers.runtime.usdt import _store
    from traced_harness import mapped_inode

    namespace = {}
    exec(SOURCE, namespace)
    gate = namespace["Twice"].one.gate
    report = {"when": when, "live": type(gate).__name__ == "c_ushort",
              "held": sorted(held.inode for held in _store.object_store().held.values())}
    if report["live"]:
        report["mapped"] = mapped_inode(ctypes.addressof(gate))
    print(json.dumps(report), flush=True)


atexit.register(bind_and_report, "at exit")
bind_and_report("first")
'''


def test_a_provider_bound_again_after_its_object_was_let_go_never_fires_into_another_file(traced) -> None:
    process = traced(BOUND_AGAIN_AT_EXIT, hook=False)
    assert process.wait() == 0, process.describe()
    first, again = (json.loads(line) for line in process.stdout_lines()[-2:])
    assert first["live"] and first["held"] == [first["mapped"]], first
    # Bound again, the probe is live only if the file mapped is the one held (it is not: the first
    # file is gone); its path naming a new file with the same bytes does not make it so.
    assert not again["live"] or again["held"] == [again["mapped"]], again
    assert not again["live"], again
    assert "is not the file tracers verified" in process.stderr_text(), process.describe()


NO_PROC = '''\
import os
from tracers import tracer


@tracer
class Unmapped:
    def one(x: int): ...


print(os.path.exists("/proc/self"), type(Unmapped.one.gate).__name__, flush=True)
'''


def test_without_proc_the_usdt_backend_refuses_and_writes_nothing(spawn, tmp_path: Path, runtime_dir: Path) -> None:
    """The sweeps learn from /proc which processes map an object before removing it: without
    /proc, no object is written or loaded (one warning, probes off)."""
    if os.geteuid() != 0:
        unavailable("unmounting /proc in a mount namespace of its own needs root")
    unshare = require_tool("unshare")
    script = tmp_path / "no_proc.py"
    script.write_text(NO_PROC, encoding="utf-8")
    argv = [unshare, "--mount", "--propagation", "private", "sh", "-c",
            f"umount -l /proc && exec {sys.executable} {script}"]
    process = spawn(argv, child_env({"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": str(runtime_dir)}), "no_proc.py")
    assert process.wait() == 0, process.describe()
    assert process.stdout_lines()[-1] == "False bool", process.describe()  # no /proc; the gate closed
    stderr = process.stderr_text()
    assert stderr.count("Warning") == 1 and "backend 'usdt' unavailable" in stderr and "/proc" in stderr, stderr
    assert not runtime_dir.exists() or files(runtime_dir) == []


def test_a_directory_in_the_way_costs_one_warning_and_no_probes(traced, runtime_dir: Path) -> None:
    (path,) = one_shot(traced)["paths"]
    os.makedirs(path)
    process = traced(ONE_SHOT, hook=False)
    assert process.wait() == 0, process.describe()
    report = json.loads(process.stdout_lines()[-1])
    assert report["paths"] == [] and report["gate"] == "bool"
    stderr = process.stderr_text()
    assert stderr.count("Warning") == 1 and "backend 'usdt' unavailable" in stderr, stderr
    assert os.path.isdir(path)


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
    mapped = [line for line in maps if ".so" in line and "/runtime" in line]
print(json.dumps({"gates": [bool(First.one), bool(Second.two)], "mapped": mapped,
                  "usdt_loaded": len(backend("usdt").loaded)}), flush=True)
'''


@pytest.mark.parametrize("planted", ["symlink", "mode 0755", "parent open to others"])
def test_an_unsafe_runtime_directory_is_refused(traced, tmp_path: Path, planted: str) -> None:
    """The program still runs and exits 0, with one warning; its probes are no-ops."""
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    directory = tmp_path / "runtime"
    if planted == "symlink":
        directory.symlink_to(target, target_is_directory=True)
        reason = "is a symbolic link"
    elif planted == "mode 0755":
        directory.mkdir()
        directory.chmod(0o755)
        target = directory
        reason = "is open to other users (mode 755)"
    else:
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(0o777)  # anyone may rename what is inside, and no sticky bit stops them
        directory = target = shared / "runtime"
        reason = "is writable by other users (mode 777)"
    process = traced(REFUSED, hook=False, env={"TRACERS_RUNTIME_DIR": str(directory)})
    assert process.wait() == 0, process.describe()
    report = json.loads(process.stdout_lines()[-1])
    assert report == {"gates": [False, False], "mapped": [], "usdt_loaded": 0}
    stderr = process.stderr_text()
    assert stderr.count("Warning") == 1, stderr
    assert "RuntimeWarning: tracers: backend 'usdt' unavailable, probes will not fire" in stderr
    assert reason in stderr
    assert not target.exists() or files(target) == []
    if planted == "symlink":
        assert directory.is_symlink()
    elif planted == "mode 0755":
        assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o755  # left as it was


@pytest.mark.parametrize("variable", ["TRACERS_RUNTIME_DIR", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME"])
def test_a_relative_directory_is_ignored_with_one_warning(traced, tmp_path: Path, variable: str) -> None:
    """Not resolved at start, nor after the program's chdir(): a private directory waits at
    both places the relative value could name, and neither is used."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    moved = tmp_path / "moved"
    relative = "relative/tracers" if variable != "TRACERS_RUNTIME_DIR" else "relative"
    for cwd in (tmp_path, moved):  # where the program starts, and where it goes before its first provider
        (cwd / relative).mkdir(mode=0o700, parents=True)
    env = {"TRACERS_RUNTIME_DIR": "", "XDG_RUNTIME_DIR": "", "XDG_CACHE_HOME": "", "HOME": str(home),
           variable: "relative"}
    process = traced("import os, sys\nos.chdir(sys.argv[1])\n" + ONE_SHOT, str(moved), hook=False, env=env)
    assert process.wait() == 0, process.describe()
    (path,) = json.loads(process.stdout_lines()[-1])["paths"]
    assert Path(path).parent == home / ".cache" / "tracers"  # the next place, not one under either cwd
    stderr = process.stderr_text()
    assert stderr.count("Warning") == 1 and f"ignoring {variable}='relative'" in stderr, stderr
    for cwd in (tmp_path, moved):
        assert files(cwd / relative) == []


WRITER = '''\
import os
import time
from tracers import tracer
import tracers.runtime.usdt._backend  # everything imported: the next flock() is the new file's

while "TracerPid:\\t0\\n" in open("/proc/self/status").read():  # until gdb holds us
    time.sleep(0.01)


@tracer
class Written:
    def one(x: int): ...


print("gate", type(Written.one.gate).__name__, flush=True)
'''


def test_a_sweep_between_creating_and_locking_a_new_file_costs_no_probes(traced, spawn, gdb_path, runtime_dir: Path,
                                                                        tmp_path: Path) -> None:
    """A new file is created (O_EXCL), then locked shared: another process sweeping in between
    may take and remove it.  gdb stops the writer right there while another process sweeps."""
    go = tmp_path / "go"
    writer = traced(WRITER, hook=False)
    gdb = spawn([gdb_path, "-nx", "-batch", "-iex", "set debuginfod enabled off", "-iex", "set auto-load off",
                 "-p", str(writer.pid), "-ex", "catch syscall flock", "-ex", "continue",
                 "-ex", f"shell while [ ! -e {go} ]; do sleep 0.05; done", "-ex", "detach"], name="gdb")
    gdb.expect(r"Catchpoint 1 \(call to syscall flock\)")
    (temporary,) = [name for name in os.listdir(runtime_dir) if name.startswith(".tmp-")]

    sweeper = traced("from tracers import tracer\n\n\n@tracer\nclass Sweeper:\n    def two(x: int): ...\n",
                     hook=False)
    assert sweeper.wait() == 0 and sweeper.stderr_text() == "", sweeper.describe()
    assert not (runtime_dir / temporary).exists()  # the sweep took the writer's new file
    go.write_text("go")
    assert gdb.wait() == 0, gdb.describe()

    assert writer.wait() == 0, writer.describe()
    assert writer.stdout_lines() == ["gate c_ushort"], writer.describe()  # probes loaded all the same
    assert writer.stderr_text() == "", writer.describe()
    assert files(runtime_dir) == []


LEAVING_SLOWLY = '''\
import atexit
import sys
import time
from tracers import tracer

atexit.register(time.sleep, float(sys.argv[2]))  # runs after the store's own exit handler, registered later


@tracer
class Leaving:
    def one(x: int): ...


print("ready", flush=True)
time.sleep(max(0.0, float(sys.argv[1]) - time.monotonic()))
sys.exit(0)
'''


def test_processes_leaving_together_remove_their_file_however_long_each_takes_to_go(traced,
                                                                                   runtime_dir: Path) -> None:
    """Four processes exit at once, then take 0.25 to 1 s more each to go (exit handlers of
    their own): the one holding the file's lock waits until the others are gone, and the
    file goes with the last of them rather than staying for the next process's sweep."""
    import time

    leave_at = time.monotonic() + 3.0
    users = [traced(LEAVING_SLOWLY, str(leave_at), str(0.25 * turn), hook=False) for turn in range(1, 5)]
    for user in users:
        user.expect(r"^ready$")
    assert len(files(runtime_dir)) == 1
    for user in users:
        assert user.wait() == 0, user.describe()
        assert user.stderr_text() == "", user.describe()
    assert files(runtime_dir) == []


def test_a_leaving_mark_is_seen_by_every_other_open_file_and_never_blocks_flock(tmp_path: Path) -> None:
    """The marks processes leave on their files while they exit: seen from any other open file of
    the same file (not from the marked one), as the read lock ``fcntl``'s F_OFD_GETLK reports, gone
    when the marked open file closes, and independent of the flock locks that record use."""
    import fcntl
    import struct

    from tracers.runtime.usdt import _store

    def reported(fd: int) -> int:  # the type of the lock that a write lock through ``fd`` would meet
        request = struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 0, 0)
        return struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_OFD_GETLK, request))[0]

    path = tmp_path / "object"
    path.write_bytes(b"\0" * 64)
    first, second, third = (os.open(path, os.O_RDWR) for _ in range(3))
    try:
        assert reported(first) == reported(second) == fcntl.F_UNLCK
        assert _store.mark_leaving(first)
        assert reported(second) == fcntl.F_RDLCK and reported(first) == fcntl.F_UNLCK
        assert _store.alone(first)  # its own mark does not count
        assert reported(second) == fcntl.F_RDLCK  # still a read lock after alone(): others may mark too
        assert not _store.alone(second) and not _store.alone(third)
        assert _store.mark_leaving(second)
        assert not _store.alone(first) and not _store.alone(second)
        fcntl.flock(third, fcntl.LOCK_EX | fcntl.LOCK_NB)  # marks never refuse a flock lock
        assert not _store.alone(third)
        os.close(second)
        second = -1
        assert _store.alone(first) and not _store.alone(third)
        duplicate = os.dup(first)
        os.close(first)  # the open file lives on through its other descriptor, and so does the mark
        first = duplicate
        assert not _store.alone(third)
        os.close(first)
        first = -1
        assert _store.alone(third)
    finally:
        for fd in (first, second, third):
            if fd >= 0:
                os.close(fd)


PARENT_WAITING_AT_EXIT = '''\
import atexit
import os
import sys
import time

children = []


def wait_for_the_child():  # registered first, so it runs after tracers' own exit handler
    if not children:
        return  # in the child
    started = time.monotonic()
    _, status = os.waitpid(children[0], 0)
    print("child", os.WEXITSTATUS(status), "took", round(time.monotonic() - started, 1), flush=True)


atexit.register(wait_for_the_child)
from tracers import tracer
from tracers.runtime.usdt import _store

_store.sweep_at_exit.__defaults__ = (60.0,)  # a child waiting for marks would wait a minute


@tracer
class Family:
    def one(x: int): ...


child = os.fork()
if child == 0:
    time.sleep(1.0)  # the parent has marked the file and waits for this child meanwhile
    sys.exit(0)
children.append(child)
sys.exit(0)
'''


def test_a_child_leaving_does_not_wait_for_a_parent_that_waits_for_it(traced, runtime_dir: Path) -> None:
    """A parent whose own exit handler waits for its child, after tracers' handler marked the file:
    the child, last to hold the file, does not wait for the parent's mark (each would wait for the
    other); it leaves the file to the next process's sweep."""
    parent = traced(PARENT_WAITING_AT_EXIT, hook=False)
    assert parent.wait(120) == 0, parent.describe()
    line = parent.stdout_lines()[-1].split()
    assert line[:2] == ["child", "0"] and float(line[3]) < 30, parent.describe()
    assert parent.stderr_text() == "", parent.describe()
    sweeper = traced("from tracers import tracer\n\n\n@tracer\nclass Sweeper:\n    def two(x: int): ...\n",
                     hook=False)
    assert sweeper.wait() == 0 and sweeper.stderr_text() == "", sweeper.describe()
    assert files(runtime_dir) == []


# Both programs below end so: a provider, then exit when told.
USES_LATE_UNTIL_TOLD = '''

@tracer
class Late:
    def one(x: int): ...


print("ready", flush=True)
sys.stdin.readline()
sys.exit(0)
'''

LEAVING_LATE = '''\
import atexit
import os
import sys
import time
from tracers import tracer


def linger():  # registered first, so it runs after tracers' own exit handler has marked the file
    print("marked", flush=True)
    go = sys.argv[1]
    while not os.path.exists(go):
        time.sleep(0.01)


atexit.register(linger)
'''

HOLDER = '''\
import os
import sys
import time
from tracers import tracer
from tracers.runtime.usdt import _store

go, other = sys.argv[1], int(sys.argv[2])
real_scan = _store.mapped_files
scans = []


def scan_then_let_the_other_go(*args, **kwargs):
    """The first scan sees the other process still mapping the file; it is gone by the time
    the scan's result is used."""
    found = real_scan(*args, **kwargs)
    if not scans:
        open(go, "w").close()
        deadline = time.monotonic() + 30
        while any(other in users for users in real_scan(*args, **kwargs).values()) and time.monotonic() < deadline:
            time.sleep(0.01)
    scans.append(found)
    return found


_store.mapped_files = scan_then_let_the_other_go
'''


def test_a_process_gone_between_the_look_at_marks_and_at_mappings_is_not_taken_for_a_daemon(
        traced, runtime_dir: Path, tmp_path: Path) -> None:
    """The process holding the file's lock at exit looks at the marks, then at the mappings: one
    that leaves in between is seen gone, and the file goes (looked at the other way round, the
    mapping without a mark would be taken for a daemon's, and the file kept)."""
    go = tmp_path / "go"
    late = traced(LEAVING_LATE + USES_LATE_UNTIL_TOLD, str(go), hook=False)
    late.expect(r"^ready$")
    holder = traced(HOLDER + USES_LATE_UNTIL_TOLD, str(go), str(late.popen.pid), hook=False)
    holder.expect(r"^ready$")
    late.send("exit")
    late.expect(r"^marked$")  # its lock is gone, its mark and mapping stay
    holder.send("exit")
    assert holder.wait() == 0 and holder.stderr_text() == "", holder.describe()
    assert late.wait() == 0 and late.stderr_text() == "", late.describe()
    assert files(runtime_dir) == []
