"""``tracers list --pid``, run as root against another user's process, trusts
nothing that user controls.

The user's process maps objects from a directory of its own.  What the path
in its memory maps names for root may then be something else: the file
replaced (the kernel then says ``(deleted)``), or, for a process in its own
mount namespace (as any user gets with ``unshare -Urm``, and as a container's
processes are), a FIFO, a link to ``/dev/zero`` or a huge file where the
process sees its object.  Or the object is real and huge, or its description
holds names written to break out of the printed commands.  Each listing
finishes in bounded time and memory, prints one line per refused object and
none of the injected text.  A pid that does not exist, or whose maps the
caller may not read, gets one line saying so.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from conftest import REPO, OtherUser, Process, require_tool, ready
from tracers import tracer
from tracers.runtime.usdt._elf import describe, identity, probe_def
from tracers.runtime.usdt._elf import build_shared_object, host_machine

#: Memory and time a listing may take, whatever the process maps (it needs about 35 MiB).
ADDRESS_SPACE = 256 << 20
LIST_TIMEOUT = 60.0

MAPPER = '''\
import ctypes
import mmap
import os
import sys

mapped = []
for path in sys.argv[2:]:
    if sys.argv[1] == "mmap":  # any file can be mapped, not only one the loader accepts
        with open(path, "rb") as file:
            mapped.append(mmap.mmap(file.fileno(), 0, prot=mmap.PROT_READ))
        continue
    ctypes.CDLL(path)
    if sys.argv[1] == "then-replace-by-fifo":  # the user swaps the file under the name the process mapped it by
        os.mkfifo(path + ".new")
        os.rename(path + ".new", path)
print("ready", os.getpid(), flush=True)
sys.stdin.read()
'''


@tracer
class Listed:
    def ping(n: int, label: str): ...


def object_bytes(description: bytes, provider: str = "inj") -> bytes:
    """A loadable provider object, from tracers' own ELF writer, carrying ``description``."""
    spec = Listed.__tracers_provider__  # type: ignore[attr-defined]
    machine = host_machine()
    assert machine is not None
    build_id = identity(provider, description, machine).build_id
    return build_shared_object(provider, [probe_def(p) for p in spec.probes], machine, build_id, description).data


def valid_description() -> bytes:
    return describe(Listed.__tracers_provider__)  # type: ignore[attr-defined]


def object_file(directory: Path, stem: str, data: bytes, user: OtherUser) -> Path:
    """``data`` as the user's file ``STEM-<16 hex>.so`` (the name tracers' objects have)."""
    path = directory / f"{stem}-{os.urandom(8).hex()}.so"
    path.write_bytes(data)
    user.own(path)
    return path


def list_pid(pid: int, prefix: Sequence[str] = (), python: str = sys.executable,
             env: Optional[Dict[str, str]] = None) -> "subprocess.CompletedProcess[str]":
    """``tracers list --pid PID`` in a bounded address space (``prlimit``), within a time limit."""
    capped = [require_tool("prlimit"), f"--as={ADDRESS_SPACE}", "--"]
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
        env["PYTHONPATH"] = str(REPO)
    argv = [*prefix, *capped, python, "-m", "tracers", "list", "--pid", str(pid)]
    try:
        listing = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", timeout=LIST_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"tracers list --pid {pid} did not finish within {LIST_TIMEOUT:.0f} s") from None
    assert "MemoryError" not in listing.stderr, f"more than {ADDRESS_SPACE >> 20} MiB: {listing.stderr}"
    return listing


def start_mapper(spawn, user: OtherUser, paths: List[Path], then: str = "keep",
                 namespace_binds: Sequence[Path] = ()) -> Process:
    """The user's process mapping ``paths``; with ``namespace_binds=(A, B)``, it runs in a mount
    namespace of its own where directory A is mounted over B."""
    argv = user.argv(user.python, "-c", MAPPER, then, *map(str, paths))
    if namespace_binds:
        require_tool("unshare")
        require_tool("mount")
        source, target = namespace_binds
        argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", str(source), str(target), *argv]
    process = spawn(argv, user.env(), "mapper", cwd=str(user.home))
    ready(process)
    return process


def mapped(pid: int, path: Path) -> set:
    """(device, inode) of each mapping of ``path`` as ``pid``'s memory maps name it."""
    found = set()
    with open(f"/proc/{pid}/maps") as maps:
        for fields in (line.split(None, 5) for line in maps):
            if len(fields) == 6 and fields[5].rstrip("\n") in (str(path), f"{path} (deleted)"):
                major, minor = fields[3].split(":")
                found.add((os.makedev(int(major, 16), int(minor, 16)), int(fields[4])))
    return found


@pytest.fixture
def theirs(other_user: OtherUser, shared_dir: Path) -> Path:
    directory = shared_dir / "theirs"
    directory.mkdir()
    other_user.own(directory)
    return directory


def refused_lines(listing: "subprocess.CompletedProcess[str]") -> List[str]:
    lines = listing.stderr.splitlines()
    assert all(line.startswith("tracers list: refused ") for line in lines), listing.stderr
    return lines


@pytest.mark.parametrize("planted", ["a FIFO", "a symbolic link to /dev/zero", "a huge file",
                                     "another object of the user"])
def test_what_the_mapped_path_names_for_root_is_checked_before_it_is_read(spawn, other_user: OtherUser, theirs: Path,
                                                                          planted: str) -> None:
    real, seen = theirs / "real", theirs / "seen"
    real.mkdir()
    seen.mkdir()
    loaded = object_file(real, "listed", object_bytes(valid_description(), "listed"), other_user)
    swapped = seen / loaded.name
    if planted == "a FIFO":
        os.mkfifo(swapped, 0o644)
        reason = "not a regular file"
    elif planted == "a symbolic link to /dev/zero":
        swapped.symlink_to("/dev/zero")
        reason = "symbolic link"
    elif planted == "a huge file":
        with open(swapped, "wb") as huge:
            huge.truncate(10 << 30)
        reason = "replaced since the process mapped it"
    else:
        swapped.write_bytes(object_bytes(valid_description(), "listed"))
        reason = "replaced since the process mapped it"
    other_user.own(real, seen, swapped)

    process = start_mapper(spawn, other_user, [swapped], namespace_binds=(real, seen))
    # The kernel names the mapping by the path the process sees; for root that path is the planted file.
    info = os.stat(loaded)
    assert mapped(process.pid, swapped) == {(info.st_dev, info.st_ino)}
    assert os.lstat(swapped).st_ino != info.st_ino

    listing = list_pid(process.pid)
    assert listing.returncode == 1 and listing.stdout == "", listing
    (line,) = refused_lines(listing)
    assert line.startswith(f"tracers list: refused {swapped}: ") and reason in line, line


def test_a_mapped_file_replaced_since_is_named_and_not_read(spawn, other_user: OtherUser, theirs: Path) -> None:
    path = object_file(theirs, "listed", object_bytes(valid_description(), "listed"), other_user)
    process = start_mapper(spawn, other_user, [path], then="then-replace-by-fifo")
    assert path.is_fifo() and mapped(process.pid, path)

    listing = list_pid(process.pid)
    assert listing.returncode == 1 and listing.stdout == "", listing
    (line,) = refused_lines(listing)
    assert line.startswith(f"tracers list: refused {path}: ") and "removed or replaced" in line, line
    # Looking through every process, as trace does, such a mapping is left out: nothing can attach to it.
    everywhere = subprocess.run([sys.executable, "-m", "tracers", "trace", "listed", "--program"],
                                capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)),
                                timeout=LIST_TIMEOUT)
    assert everywhere.returncode == 1 and str(path) not in everywhere.stderr, everywhere.stderr


def test_a_huge_mapped_object_is_not_read(spawn, other_user: OtherUser, theirs: Path) -> None:
    path = object_file(theirs, "listed", object_bytes(valid_description(), "listed"), other_user)
    with open(path, "r+b") as huge:
        huge.truncate(10 << 30)  # the object, then 10 GiB of holes: it still loads
    process = start_mapper(spawn, other_user, [path])
    info = os.stat(path)
    assert mapped(process.pid, path) == {(info.st_dev, info.st_ino)}

    listing = list_pid(process.pid)
    assert listing.returncode == 1 and listing.stdout == "", listing
    (line,) = refused_lines(listing)
    assert line.startswith(f"tracers list: refused {path}: ") and "larger than" in line, line


def malformed_objects() -> dict:
    """ELF images whose headers point outside the file, or anywhere."""
    import struct

    good = object_bytes(valid_description(), "listed")
    header = struct.Struct("<16sHHIQQQIHHHHHH")
    fields = list(header.unpack_from(good))

    def patched(**changes: int) -> bytes:
        names = {"shoff": 6, "shentsize": 11, "shnum": 12, "shstrndx": 13}
        values = list(fields)
        for name, value in changes.items():
            values[names[name]] = value
        return header.pack(*values) + good[header.size:]

    return {
        "section headers at offset 2**64 - 1": patched(shoff=(1 << 64) - 1),
        "section headers past the end": patched(shoff=len(good) + 4096),
        "no section headers": patched(shnum=0),
        "a names section index out of range": patched(shstrndx=60, shnum=61),
        "not an ELF file": b"#!/bin/sh\n" + good,
        "empty": b"",
    }


def test_malformed_objects_get_one_line_each(spawn, other_user: OtherUser, theirs: Path) -> None:
    crafted = {kind: object_file(theirs, f"bad{index}", data or b"\0", other_user)
               for index, (kind, data) in enumerate(malformed_objects().items())}
    process = start_mapper(spawn, other_user, list(crafted.values()), then="mmap")

    listing = list_pid(process.pid)
    assert listing.returncode == 1 and listing.stdout == "", listing
    lines = refused_lines(listing)
    assert len(lines) == len(crafted), listing.stderr
    for kind, path in crafted.items():
        assert sum(line.startswith(f"tracers list: refused {path}: ") for line in lines) == 1, (kind, lines)


TOKEN = "INJECTED"


def injected_descriptions() -> dict:
    """Descriptions whose names try to break out of a printed bpftrace, gdb or shell line."""
    magic = valid_description().split(b"\n")[0]
    bodies = {
        "shell in the provider name": f"provider x'$(touch /tmp/{TOKEN})'\nprobe p n:int\n",
        "bpftrace in a probe name": f'provider inj\nprobe p{{system("{TOKEN}")}} n:int\n',
        "a line that closes the quoted program": f"provider inj\nprobe ok n:int\n'; {TOKEN}; '\n",
        "printf conversions in an argument name": f"provider inj\nprobe p n%s%n{TOKEN}:int\n",
        "a terminal escape in a name": f"provider inj\nprobe p\x1b]0;{TOKEN}\x07 n:int\n",
        "a carriage return in a name": f"provider inj\nprobe p\r{TOKEN} n:int\n",
        "a lookalike letter": f"provider inj\nprobe p\u0440{TOKEN} n:int\n",
        "an argument of an unknown type": f"provider inj\nprobe p n:{TOKEN}\n",
        "a name longer than any C compiler keeps": f"provider inj\nprobe {TOKEN}{'x' * 300} n:int\n",
    }
    return {kind: magic + b"\n" + body.encode() for kind, body in bodies.items()}


def test_names_from_the_description_are_checked_before_anything_is_printed(spawn, other_user: OtherUser,
                                                                           theirs: Path) -> None:
    crafted = {kind: object_file(theirs, f"inj{index}", object_bytes(description), other_user)
               for index, (kind, description) in enumerate(injected_descriptions().items())}
    honest = object_file(theirs, "listed", object_bytes(valid_description(), "listed"), other_user)
    process = start_mapper(spawn, other_user, [*crafted.values(), honest])

    listing = list_pid(process.pid)
    assert listing.returncode == 0, listing
    assert TOKEN not in listing.stdout + listing.stderr and "\x1b" not in listing.stdout + listing.stderr
    # The honest object is listed, with a working line by path.
    assert f"provider listed  (in process {process.pid})" in listing.stdout.splitlines()
    assert f"usdt:{honest}:listed:ping " in listing.stdout
    # One line per crafted object, naming it.
    lines = refused_lines(listing)
    assert len(lines) == len(crafted), listing.stderr
    for kind, path in crafted.items():
        assert sum(f"refused {path}: " in line for line in lines) == 1, (kind, listing.stderr)


@pytest.mark.parametrize("shape", ["millions of lines", "a line of millions of words"])
def test_a_description_sized_to_exhaust_memory_is_refused(spawn, other_user: OtherUser, theirs: Path,
                                                          shape: str) -> None:
    """14 MiB on disk, but every line or word a Python object once split: hundreds of MiB."""
    head = valid_description().split(b"\n")[0] + b"\nprovider inj\n"
    if shape == "millions of lines":
        description = head + b"ab\n" * ((14 << 20) // 3)
    else:
        description = head + b"probe p " + b"a:int " * ((14 << 20) // 6) + b"\n"
    path = object_file(theirs, "bloated", object_bytes(description), other_user)
    process = start_mapper(spawn, other_user, [path])

    listing = list_pid(process.pid)
    assert listing.returncode == 1 and listing.stdout == "", listing
    (line,) = refused_lines(listing)
    assert line.startswith(f"tracers list: refused {path}: "), line


def test_one_listing_reads_a_bounded_total(tmp_path: Path) -> None:
    """However many objects a process maps: past the listing's budget, each is refused unread."""
    from tracers.runtime.usdt._discover import Mapping, ReadBudget, read_object

    data = object_bytes(valid_description(), "listed")
    budget = ReadBudget(2 * len(data))
    outcomes = []
    for index in range(40):
        path = tmp_path / f"listed-{index:016x}.so"
        path.write_bytes(data)
        info = os.stat(path)
        try:
            outcomes.append(read_object(Mapping(str(path), info.st_dev, info.st_ino, False), os.geteuid(),
                                        budget).name)
        except ValueError as refused:
            outcomes.append(str(refused))
    first_refused = next(index for index, outcome in enumerate(outcomes) if outcome != "listed")
    assert first_refused >= 2  # each read only its headers and description: no more than the whole file
    assert all(outcome.startswith("not read: this listing has read all") for outcome in outcomes[first_refused:])


def test_a_pid_that_does_not_exist_gets_one_line() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid names no process now
    listing = list_pid(gone.pid)
    assert listing.returncode == 1 and listing.stdout == ""
    assert listing.stderr == f"tracers list: process {gone.pid} does not exist\n", listing.stderr


def test_a_pid_whose_maps_the_user_may_not_read_gets_one_line(traced, other_user: OtherUser) -> None:
    root_process = traced("from tracers import tracer\nfrom traced_harness import command, ready\n\n\n@tracer\n"
                          "class Roots:\n    def x(a: int): ...\n\n\nready(Roots)\ncommand()\n", hook=False)
    ready(root_process)
    listing = list_pid(root_process.pid, other_user.argv(), other_user.python, other_user.env())
    assert listing.returncode == 1 and listing.stdout == "", listing
    assert listing.stderr.splitlines() == [f"tracers list: cannot read the memory maps of process "
                                           f"{root_process.pid}: permission denied (run as its user or as root)"]
