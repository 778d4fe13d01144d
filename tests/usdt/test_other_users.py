"""Another user cannot subvert the runtime directory of a root process.

A real unprivileged user is made for these tests (see ``other_user`` in
conftest.py).  A runtime directory on a path that user can write is refused
with one warning and the probes are no-ops; and while that user races, in a
loop and in parallel, to put its own directory, a symbolic link or a crafted
object (whose constructor would leave a marker file) where root's processes
look, no root process ever loads the user's object.
"""
from __future__ import annotations

import json
import os
import platform
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from conftest import OtherUser, require_tool, unavailable

REPORT = '''\
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
    mapped = sorted({fields[5].rstrip("\\n") for fields in (line.split(None, 5) for line in maps) if len(fields) == 6})
print(json.dumps({"gates": [type(First.one.gate).__name__, type(Second.two.gate).__name__],
                  "loaded": [item.path for item in backend("usdt").loaded], "mapped": mapped}), flush=True)
'''


def tree(path: Path) -> List[Tuple[str, int, int, int]]:
    """Everything under ``path``: name, kind, owner, inode."""
    found = []
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            info = os.lstat(os.path.join(root, name))
            found.append((os.path.relpath(os.path.join(root, name), path), stat.S_IFMT(info.st_mode),
                          info.st_uid, info.st_ino))
    return sorted(found)


def user_can_write(user: OtherUser, directory: Path) -> bool:
    """Prove it: the user creates (then removes) an entry in ``directory``."""
    proof = directory / "written-by-the-user"
    made = user.run("mkdir", str(proof))
    if made.returncode != 0:
        return False
    os.rmdir(proof)
    return True


LAYOUTS = ["parent owned by the user", "grandparent owned by the user", "parent writable by the user's group",
           "XDG_RUNTIME_DIR kept by su", "HOME kept by sudo -E"]


def layout(kind: str, user: OtherUser, shared: Path,
           root_home: Path) -> Tuple[Dict[str, str], Path, str, Optional[Path]]:
    """The environment of root's program, the directory the user can write, the reason the
    warning must give, and the directory tracers falls back to (None: probes are no-ops)."""
    theirs = shared / "theirs"
    theirs.mkdir()
    user.own(theirs)
    owned = f"{theirs}, on the runtime directory's path, belongs to uid {user.uid}"
    unset = {"TRACERS_RUNTIME_DIR": "", "XDG_RUNTIME_DIR": "", "XDG_CACHE_HOME": "", "HOME": str(root_home)}
    if kind == "parent owned by the user":
        return {**unset, "TRACERS_RUNTIME_DIR": str(theirs / "runtime")}, theirs, owned, None
    if kind == "grandparent owned by the user":
        (theirs / "sub").mkdir(mode=0o755)  # root's own, but inside the user's directory
        return {**unset, "TRACERS_RUNTIME_DIR": str(theirs / "sub" / "runtime")}, theirs, owned, None
    if kind == "parent writable by the user's group":
        group = shared / "group"
        group.mkdir()
        os.chown(group, 0, user.gid)
        group.chmod(0o775)
        reason = f"{group}, on the runtime directory's path, is writable by other users (mode 775)"
        return {**unset, "TRACERS_RUNTIME_DIR": str(group / "runtime")}, group, reason, None
    if kind == "XDG_RUNTIME_DIR kept by su":  # su without '-' keeps the user's /run/user/UID
        return {**unset, "XDG_RUNTIME_DIR": str(theirs)}, theirs, owned, root_home / ".cache" / "tracers"
    assert kind == "HOME kept by sudo -E"
    reason = f"{user.home}, on the runtime directory's path, belongs to uid {user.uid}"
    return {**unset, "HOME": str(user.home)}, user.home, reason, None


@pytest.mark.parametrize("kind", LAYOUTS)
def test_a_runtime_directory_another_user_can_write_is_refused(traced, other_user: OtherUser, shared_dir: Path,
                                                               tmp_path: Path, kind: str) -> None:
    root_home = tmp_path / "root-home"
    root_home.mkdir(mode=0o700)
    env, writable, reason, fallback = layout(kind, other_user, shared_dir, root_home)
    assert user_can_write(other_user, writable)  # the layout really lets the user swap what is inside
    before = tree(writable)

    process = traced(REPORT, hook=False, env=env)
    assert process.wait() == 0, process.describe()
    report = json.loads(process.stdout_lines()[-1])
    stderr = process.stderr_text()
    assert stderr.count("Warning") == 1, stderr
    assert reason in stderr, stderr
    if fallback is None:  # no other place to go: the probes are no-ops
        assert "backend 'usdt' unavailable, probes will not fire" in stderr
        assert report["gates"] == ["bool", "bool"] and report["loaded"] == []
    else:  # the next candidate, root's own cache, serves instead
        assert f"using {fallback} instead" in stderr
        assert report["gates"] == ["c_ushort", "c_ushort"]
        assert [Path(path).parent for path in report["loaded"]] == [fallback, fallback]
    assert not [path for path in report["mapped"] if path.startswith(f"{writable}/")]
    assert tree(writable) == before  # nothing was written there


# ---------------------------------------------------------------- racing the user

MARKER_SOURCES = {
    "x86_64": '''\
    .section .init_array,"aw"
    .balign 8
    .quad leave_marker
    .text
    .globl leave_marker
    .type leave_marker,@function
leave_marker:                   # openat(AT_FDCWD, path, O_WRONLY | O_CREAT, 0644)
    mov $257, %eax
    mov $-100, %rdi
    lea marker_path(%rip), %rsi
    mov $65, %edx
    mov $420, %r10d
    syscall
    ret
marker_path:
    .asciz "{path}"
''',
    "aarch64": '''\
    .section .init_array,"aw"
    .balign 8
    .xword leave_marker
    .text
    .globl leave_marker
    .type leave_marker,%function
leave_marker:                   // openat(AT_FDCWD, path, O_WRONLY | O_CREAT, 0644)
    mov x0, #-100
    adr x1, marker_path
    mov x2, #65
    mov x3, #420
    mov x8, #56
    svc #0
    ret
marker_path:
    .asciz "{path}"
''',
}


def marker_object(directory: Path, marker: Path) -> Path:
    """A shared object whose constructor creates ``marker``: loaded anywhere, it leaves a trace."""
    machine = platform.machine().lower().replace("arm64", "aarch64")
    if machine not in MARKER_SOURCES:
        unavailable(f"no constructor source for {machine}")
    assembler, linker = require_tool("as"), require_tool("ld")
    source, built, shared = directory / "marker.s", directory / "marker.o", directory / "marker.so"
    source.write_text(MARKER_SOURCES[machine].format(path=marker))
    subprocess.run([assembler, "-o", str(built), str(source)], check=True)
    subprocess.run([linker, "-shared", "-o", str(shared), str(built)], check=True)
    probe = subprocess.run([sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(shared)!r})"],
                           capture_output=True, text=True)
    assert probe.returncode == 0 and marker.exists(), probe.stderr  # it works: loading it leaves the marker
    marker.unlink()
    return shared


LAUNCHER = '''\
import json
import os
import sys

import tracers.runtime.usdt._backend  # loaded once; each child opens and checks the runtime directory itself

attempts, results, progress = int(sys.argv[1]), sys.argv[2], sys.argv[3]
template = os.environ.pop("RACED_RUNTIME_DIR", "")
for attempt in range(attempts):
    with open(progress + ".new", "w") as file:
        file.write(str(attempt))
    os.rename(progress + ".new", progress)
    child = os.fork()
    if child == 0:
        os.dup2(os.open(f"{results}/{attempt}.err", os.O_WRONLY | os.O_CREAT, 0o600), 2)
        if template:
            os.environ["TRACERS_RUNTIME_DIR"] = template.format(attempt)
        from tracers import tracer
        from tracers.runtime import backend

        @tracer
        class Raced:
            def hit(x: int): ...

        loaded = [item.path for item in backend("usdt").loaded]
        mapped = []
        with open("/proc/self/maps") as maps:
            for fields in (line.split(None, 5) for line in maps):
                if len(fields) == 6 and fields[4] != "0":
                    major, minor = fields[3].split(":")
                    mapped.append([fields[5].rstrip("\\n"), os.makedev(int(major, 16), int(minor, 16)),
                                   int(fields[4])])
        files = {path: [os.stat(path).st_uid, os.stat(path).st_dev, os.stat(path).st_ino] for path in loaded}
        with open(f"{results}/{attempt}.json", "w") as file:
            json.dump({"gate": type(Raced.hit.gate).__name__, "loaded": loaded, "mapped": mapped,
                       "files": files}, file)
        sys.exit(0)  # exit handlers run: the object is let go as usual
    os.waitpid(child, 0)
print("done", attempts, flush=True)
'''

ATTACKER = '''\
import os
import random
import sys

mode, parent, leaf, name, crafted, progress, stop = sys.argv[1:8]
me, uid = os.getpid(), os.getuid()
made = 0
spares = []  # our own directories (holding the crafted object under root's name) and links to them


def new_name():
    global made
    made += 1
    return os.path.join(parent, f".attacker-{me}-{made}")


def spare():
    if spares:
        return spares.pop()
    directory = new_name()
    os.mkdir(directory, 0o755)
    os.link(crafted, os.path.join(directory, name))
    if random.random() < 0.5:
        return directory
    link = new_name()
    os.symlink(directory, link)
    return link


def targets():
    if mode != "sticky":
        return [os.path.join(parent, leaf)]
    try:
        with open(progress) as file:
            current = int(file.read())
    except (OSError, ValueError):
        return []
    return [os.path.join(parent, leaf.format(n)) for n in (current, current + 1, current + 2)]


operations = 0
while not os.path.exists(stop):
    for target in targets():
        operations += 1
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            info = None
        try:
            if info is not None and info.st_uid == uid:
                if random.random() < 0.3:  # ours: take it away now and then, so root makes its own
                    moved = new_name()
                    os.rename(target, moved)
                    spares.append(moved)
                continue
            if info is not None:  # root's: move it aside (where the path allows) and put ours there
                os.rename(target, new_name())
            ours = spare()
            try:
                os.rename(ours, target)
            except OSError:
                spares.append(ours)
        except OSError:
            pass
        try:  # plant the object right in root's directory
            with open(os.path.join(target, name), "xb") as planted, open(crafted, "rb") as source:
                planted.write(source.read())
        except OSError:
            pass
print("operations", operations, flush=True)
'''

ATTEMPTS = 60


@pytest.mark.parametrize("kind", ["directory in the user's directory", "XDG_RUNTIME_DIR kept by su",
                                  "sticky directory shared with the user"])
def test_the_users_object_is_never_loaded_while_it_races_root(traced, spawn, other_user: OtherUser,
                                                              shared_dir: Path, tmp_path: Path, kind: str) -> None:
    root_only = shared_dir / "root-only"  # only root can create the marker here: the constructor ran as root
    root_only.mkdir(mode=0o700)
    marker = root_only / "marker"
    crafted_source = marker_object(tmp_path, marker)
    root_home = tmp_path / "root-home"
    root_home.mkdir(mode=0o700)
    results = tmp_path / "results"
    results.mkdir()
    progress, stop = shared_dir / "progress", shared_dir / "stop"

    parent = shared_dir / "theirs"
    parent.mkdir()
    env = {"TRACERS_RUNTIME_DIR": "", "XDG_RUNTIME_DIR": "", "XDG_CACHE_HOME": "", "HOME": str(root_home)}
    if kind == "directory in the user's directory":
        user_owns_parent, leaf = True, "runtime"
        env["TRACERS_RUNTIME_DIR"] = str(parent / leaf)
    elif kind == "XDG_RUNTIME_DIR kept by su":
        user_owns_parent, leaf = True, "tracers"
        env["XDG_RUNTIME_DIR"] = str(parent)
    else:  # like /tmp: anyone may add entries, only their owner may move them
        user_owns_parent, leaf = False, "runtime-{}"
        parent.chmod(0o1777)
        env["RACED_RUNTIME_DIR"] = str(parent / leaf)
    if user_owns_parent:
        other_user.own(parent)

    name = object_name(traced)
    crafted = parent / ".crafted.so"
    crafted.write_bytes(crafted_source.read_bytes())
    other_user.own(crafted)
    crafted_inode = (os.stat(crafted).st_dev, os.stat(crafted).st_ino)

    mode = "own" if user_owns_parent else "sticky"
    attacker_argv = other_user.argv(other_user.python, "-c", ATTACKER, mode, str(parent), leaf, name, str(crafted),
                                    str(progress), str(stop))
    attackers = [spawn(attacker_argv, other_user.env(), f"attacker{i}", cwd=str(other_user.home)) for i in range(2)]
    try:
        launcher = traced(LAUNCHER, str(ATTEMPTS), str(results), str(progress), hook=False, env=env)
        assert launcher.wait(240) == 0, launcher.describe()
    finally:
        stop.write_text("stop")
    operations = 0
    for attacker in attackers:
        assert attacker.wait() == 0, attacker.describe()
        operations += int(attacker.expect(r"^operations (\d+)$").group(1))
    assert operations > ATTEMPTS  # the user kept racing all along

    assert not marker.exists(), "a root process ran the user's constructor"
    theirs = f"{parent}, on the runtime directory's path, belongs to uid {other_user.uid}"
    served = refused = 0
    for attempt in range(ATTEMPTS):
        report = json.loads((results / f"{attempt}.json").read_text())
        stderr = (results / f"{attempt}.err").read_text()
        assert not [m for m in report["mapped"] if tuple(m[1:]) == crafted_inode], (attempt, report)
        if user_owns_parent:
            assert not [m for m in report["mapped"] if m[0].startswith(f"{parent}/")], (attempt, report)
        if report["gate"] == "bool":  # refused: one warning naming why, no probes
            refused += 1
            assert report["loaded"] == [] and stderr.count("Warning") == 1, (attempt, stderr)
            assert "backend 'usdt' unavailable" in stderr, stderr
            if user_owns_parent:
                assert theirs in stderr, stderr
            else:  # the user's own directory, or a link, got there first (or was being swapped)
                assert (f"belongs to uid {other_user.uid}" in stderr or "is a symbolic link" in stderr
                        or "changed while tracers checked it" in stderr), stderr
        else:  # served from a directory of root's
            served += 1
            assert report["gate"] == "c_ushort", report
            (path,) = report["loaded"]
            uid, device, inode = report["files"][path]
            assert uid == 0  # root's file, and the very one mapped under that name
            assert {tuple(m[1:]) for m in report["mapped"] if m[0] == path} == {(device, inode)}
            if kind == "XDG_RUNTIME_DIR kept by su":
                assert Path(path).parent == root_home / ".cache" / "tracers"
                assert stderr.count("Warning") == 1 and theirs in stderr, stderr
            else:
                assert Path(path).parent == parent / leaf.format(attempt) and stderr == "", stderr
    if kind == "directory in the user's directory":
        assert served == 0  # every attempt refused
    elif kind == "XDG_RUNTIME_DIR kept by su":
        assert refused == 0  # every attempt served from root's own cache


def object_name(traced) -> str:
    """The object's file name for provider Raced, as a root process with a safe directory writes it."""
    probe = traced("from tracers import tracer\nfrom traced_harness import ready\n\n\n@tracer\nclass Raced:\n"
                   "    def hit(x: int): ...\n\n\nready(Raced)\n", hook=False)
    assert probe.wait() == 0, probe.describe()
    return os.path.basename(probe.expect(r"^ready \d+ (\S+)$").group(1))
