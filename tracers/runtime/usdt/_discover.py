"""Find the provider objects that running processes have loaded, trusting nothing they hold.

``tracers list --pid`` and ``tracers trace`` may run as root against another
user's processes, so everything read here is that user's input: an object is
read only if it is a regular file owned by the process's user, opened without
following a link or blocking, the very file the kernel says is mapped (same
device and inode), and of bounded size.  Only the ELF headers and the
description section are read, each capped, and one listing reads a bounded
total however many objects a process maps.  The description is parsed only
once its line and word counts are known to be small, and every name is
checked against the identifier rules (see ``_elf``) before anything is
printed.  A mapping whose file was removed or replaced since it was mapped
(``(deleted)`` in the memory maps) is reported, never opened.
"""
from __future__ import annotations

import errno
import os
import stat
import struct
from typing import Callable, NamedTuple

from ..._spec import ArgSpec, ProbeSpec, ProviderSpec
from ..._types import ArgType
from ._elf import MAGIC, MAX_ARGS, is_identifier, is_object_name, slots_of

#: Largest object file accepted (a provider of 100,000 probes is far smaller).
MAX_OBJECT_SIZE = 64 << 20
#: Largest description section read, and most bytes one listing reads in all.
MAX_DESCRIPTION = 16 << 20
MAX_TOTAL_READ = 256 << 20
_MAX_SECTION_NAMES = 64 << 10
_DELETED = " (deleted)"
_SAFE_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-")
_SECTION = ".tracers.provider"
#: Limits a reader enforces on a description it did not write.
MAX_PROBES = 100_000
MAX_NAME = 256


class FoundObject(NamedTuple):
    """A provider object, its description and the processes that map it."""

    path: str
    provider: ProviderSpec
    pids: tuple[int, ...]


class Mapping(NamedTuple):
    path: str
    device: int
    inode: int
    deleted: bool  # the kernel says the mapped file no longer has this name


class ReadBudget:
    """Bytes one listing may still read: bounds its time whatever the processes map."""

    def __init__(self, limit: int = MAX_TOTAL_READ) -> None:
        self.limit = self.left = limit

    def take(self, size: int) -> None:
        if size > self.left:
            raise ValueError(f"not read: this listing has read all the {self.limit} bytes it may read")
        self.left -= size


class ProcessUnreadable(Exception):
    """The process does not exist, or its memory maps cannot be read: the message says which."""


def objects_of_process(pid: int) -> tuple[list[FoundObject], list[str]]:
    """The objects ``pid`` maps, and one line per object that was refused."""
    owner, mappings = _process_mappings(pid)
    found, problems = [], []
    budget = ReadBudget()
    for mapping in mappings:
        try:
            found.append(FoundObject(mapping.path, read_object(mapping, owner, budget), (pid,)))
        except ValueError as problem:
            problems.append(f"{_printable(mapping.path)}: {problem}")
    return found, problems


def objects_everywhere() -> tuple[list[FoundObject], list[str]]:
    """The objects every process whose maps can be read has loaded, each once, with its processes
    (those whose file is gone are left out: nothing can attach to them by path)."""
    by_file: dict[tuple[int, int], tuple[Mapping, int, list[int]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            owner, mappings = _process_mappings(int(entry))
        except ProcessUnreadable:
            continue
        for mapping in mappings:
            if mapping.deleted:
                continue
            key = (mapping.device, mapping.inode)
            by_file.setdefault(key, (mapping, owner, []))[2].append(int(entry))
    found, problems = [], []
    budget = ReadBudget()
    for mapping, owner, pids in by_file.values():
        try:
            found.append(FoundObject(mapping.path, read_object(mapping, owner, budget), tuple(sorted(pids))))
        except ValueError as problem:
            problems.append(f"{_printable(mapping.path)}: {problem}")
    return found, problems


def _process_mappings(pid: int) -> tuple[int, list[Mapping]]:
    """The owner of ``pid`` and the provider objects it maps, each once."""
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
        with open(f"/proc/{pid}/maps", "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise ProcessUnreadable(f"process {pid} does not exist") from None
    except PermissionError:
        raise ProcessUnreadable(f"cannot read the memory maps of process {pid}: permission denied "
                                f"(run as its user or as root)") from None
    except OSError as problem:
        raise ProcessUnreadable(f"cannot read the memory maps of process {pid}: {problem.strerror}") from None
    mappings: dict[tuple[int, int], Mapping] = {}
    for line in data.splitlines():
        fields = line.split(None, 5)
        if len(fields) < 6 or fields[4] == b"0":
            continue
        path = fields[5].decode("utf-8", "replace")
        deleted = path.endswith(_DELETED)
        if deleted:
            path = path[:-len(_DELETED)]
        if not is_object_name(os.path.basename(path)):
            continue
        major, _, minor = fields[3].partition(b":")
        device = os.makedev(int(major, 16), int(minor, 16))
        mappings.setdefault((device, int(fields[4])), Mapping(path, device, int(fields[4]), deleted))
    return owner, list(mappings.values())


def read_object(mapping: Mapping, owner: int, budget: ReadBudget) -> ProviderSpec:
    """The description inside the mapped object; ValueError says why it is refused."""
    if mapping.deleted:
        raise ValueError("removed or replaced since the process mapped it; not read")
    if not set(mapping.path) <= _SAFE_PATH_CHARS:
        raise ValueError("the path has characters a tracer's probe name cannot hold; not read")
    try:
        fd = os.open(mapping.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as problem:
        if problem.errno == errno.ELOOP:
            raise ValueError("a symbolic link now, not the mapped file; not followed") from None
        raise ValueError(f"cannot open: {problem.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file now; not read")
        if info.st_uid != owner:
            raise ValueError(f"owned by uid {info.st_uid}, not by the process's user (uid {owner}); not read")
        if (info.st_dev, info.st_ino) != (mapping.device, mapping.inode):
            raise ValueError("replaced since the process mapped it; not read")
        if info.st_size > MAX_OBJECT_SIZE:
            raise ValueError(f"larger than {MAX_OBJECT_SIZE >> 20} MiB; not read")
        description = section(_reader(fd, info.st_size, budget), _SECTION, MAX_DESCRIPTION)
    except OSError as problem:
        raise ValueError(f"cannot read: {problem.strerror}") from None
    finally:
        os.close(fd)
    return parse_bounded(description)


def _reader(fd: int, file_size: int, budget: ReadBudget) -> Callable[[int, int], bytes]:
    """``read(offset, size)``: the bytes there, fewer past the end of the file (offsets come
    from the file itself: any 64-bit value)."""
    def read(offset: int, size: int) -> bytes:
        size = max(0, min(size, file_size - offset))
        budget.take(size)
        chunks = []
        while size > 0:
            chunk = os.pread(fd, size, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
            size -= len(chunk)
        return b"".join(chunks)
    return read


def _all_types() -> dict[str, ArgType]:
    types = [ArgType("bool", 1, False), ArgType("str", 8, False), ArgType("bytes", 8, False)]
    types += [ArgType("int", size, signed) for size in (1, 2, 4, 8) for signed in (True, False)]
    every = types + [t._replace(optional=True) for t in types]
    return {t.display: t for t in every}


#: Display name -> type of every type a description may name.
_TYPES = _all_types()


def read_description(data: bytes) -> ProviderSpec:
    """Parse a description; ValueError says why one is refused."""
    if len(data) > MAX_PROBES * (MAX_NAME + MAX_ARGS * (MAX_NAME + 20)):
        raise ValueError("description too large")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("description is not ASCII text") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) < 2 or lines[0] != MAGIC:
        raise ValueError("not a tracers provider description of this version")
    head, _, name = lines[1].partition(" ")
    if head != "provider" or not _valid_name(name):
        raise ValueError("invalid provider line")
    if len(lines) - 2 > MAX_PROBES:
        raise ValueError("too many probes")
    probes = []
    seen = set()
    for line in lines[2:]:
        words = line.split(" ")
        if len(words) < 2 or words[0] != "probe" or not _valid_name(words[1]) or words[1] in seen:
            raise ValueError("invalid probe line")
        seen.add(words[1])
        args = tuple(_read_arg(word) for word in words[2:])
        if sum(len(slots_of(a.type)) for a in args) > MAX_ARGS:
            raise ValueError(f"probe {words[1]} has too many arguments")
        probes.append(ProbeSpec(words[1], args, "", 0))
    return ProviderSpec(name, "", "", tuple(probes))


def _read_arg(word: str) -> ArgSpec:
    name, _, display = word.partition(":")
    arg_type = _TYPES.get(display)
    if not _valid_name(name) or arg_type is None:
        raise ValueError("invalid argument")
    return ArgSpec(name, arg_type)


def _valid_name(value: str) -> bool:
    return is_identifier(value) and len(value) <= MAX_NAME


def parse_bounded(description: bytes) -> ProviderSpec:
    """``read_description``, once the line and word counts that size its parse are known to be small."""
    if description.count(b"\n") > MAX_PROBES + 2:
        raise ValueError("too many probes")
    if any(line.count(b" ") > MAX_ARGS + 1 for line in description.split(b"\n")):
        raise ValueError("a line with too many words")
    return read_description(description)


_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")


def section(read: Callable[[int, int], bytes], wanted: str, limit: int) -> bytes:
    """The bytes of section ``wanted`` (at most ``limit``) of a 64-bit little-endian ELF image,
    read through ``read(offset, size)``, with every bound checked."""
    header = read(0, _EHDR.size)
    if len(header) < _EHDR.size or header[:6] != b"\x7fELF\x02\x01":
        raise ValueError("not a 64-bit little-endian ELF file")
    fields = _EHDR.unpack(header)
    shoff, shentsize, shnum, shstrndx = fields[6], fields[11], fields[12], fields[13]
    if shentsize != _SHDR.size or not 0 < shnum <= 64 or shstrndx >= shnum:
        raise ValueError("malformed section headers")
    table = read(shoff, shnum * shentsize)
    if len(table) != shnum * shentsize:
        raise ValueError("malformed section headers")
    headers = [_SHDR.unpack_from(table, i * shentsize) for i in range(shnum)]
    names = _extent(read, headers[shstrndx], _MAX_SECTION_NAMES)
    for entry in headers:
        end = names.find(b"\0", entry[0])
        if end >= 0 and names[entry[0]:end] == wanted.encode():
            return _extent(read, entry, limit)
    raise ValueError("no provider description (an object of another tracers version?)")


def _extent(read: Callable[[int, int], bytes], entry: tuple[int, ...], limit: int) -> bytes:
    offset, size = entry[4], entry[5]
    if size > limit:
        raise ValueError(f"a section of {size} bytes, more than the {limit} read")
    data = read(offset, size)
    if len(data) != size:
        raise ValueError("a section lies outside the file")
    return data


def _printable(path: str) -> str:
    """A path as printed: as is when it has only the characters a probe path may hold, else
    quoted with its escapes, so that no name a user chose reads as part of a command."""
    return path if set(path) <= _SAFE_PATH_CHARS else repr(path)
