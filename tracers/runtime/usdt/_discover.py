"""Find the provider objects that running processes have loaded, trusting nothing they hold.

``tracers list --pid`` and ``tracers trace`` may run as root against another
user's processes, so everything read here is that user's input: an object is
read only if it is a regular file owned by the process's user, opened without
following a link or blocking, the very file the kernel says is mapped (same
device and inode), and of bounded size; its description is parsed with caps
and every name checked against the identifier rules (see ``_describe``).
"""
from __future__ import annotations

import os
import stat
import struct
from typing import NamedTuple

from ..._spec import ProviderSpec
from ._describe import is_object_name, read_description

#: Largest object file read (a provider of 100,000 probes is far smaller).
MAX_OBJECT_SIZE = 64 << 20
_SAFE_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-")
_SECTION = ".tracers.provider"


class FoundObject(NamedTuple):
    """A provider object, its description and the processes that map it."""

    path: str
    provider: ProviderSpec
    pids: tuple[int, ...]


class Mapping(NamedTuple):
    path: str
    device: int
    inode: int


class ProcessUnreadable(Exception):
    """The process does not exist, or its memory maps cannot be read: the message says which."""


def objects_of_process(pid: int) -> tuple[list[FoundObject], list[str]]:
    """The objects ``pid`` maps, and one line per object that was refused."""
    owner, mappings = _process_mappings(pid)
    found, problems = [], []
    for mapping in mappings:
        try:
            found.append(FoundObject(mapping.path, read_object(mapping, owner), (pid,)))
        except ValueError as problem:
            problems.append(f"{_printable(mapping.path)}: {problem}")
    return found, problems


def objects_everywhere() -> tuple[list[FoundObject], list[str]]:
    """The objects every process whose maps can be read has loaded, each once, with its processes."""
    by_file: dict[tuple[int, int], tuple[Mapping, int, list[int]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            owner, mappings = _process_mappings(int(entry))
        except ProcessUnreadable:
            continue
        for mapping in mappings:
            key = (mapping.device, mapping.inode)
            by_file.setdefault(key, (mapping, owner, []))[2].append(int(entry))
    found, problems = [], []
    for mapping, owner, pids in by_file.values():
        try:
            found.append(FoundObject(mapping.path, read_object(mapping, owner), tuple(sorted(pids))))
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
        if not is_object_name(os.path.basename(path)):
            continue  # also skips "... (deleted)"
        major, _, minor = fields[3].partition(b":")
        device = os.makedev(int(major, 16), int(minor, 16))
        mappings.setdefault((device, int(fields[4])), Mapping(path, device, int(fields[4])))
    return owner, list(mappings.values())


def read_object(mapping: Mapping, owner: int) -> ProviderSpec:
    """The description inside the mapped object; ValueError says why it is refused."""
    if not set(mapping.path) <= _SAFE_PATH_CHARS:
        raise ValueError("the path has characters a tracer's probe name cannot hold; not read")
    try:
        fd = os.open(mapping.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as problem:
        raise ValueError(f"cannot open: {problem.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file; not read")
        if info.st_uid != owner:
            raise ValueError(f"owned by uid {info.st_uid}, not by the process's user (uid {owner}); not read")
        if (info.st_dev, info.st_ino) != (mapping.device, mapping.inode):
            raise ValueError("replaced since the process mapped it; not read")
        if info.st_size > MAX_OBJECT_SIZE:
            raise ValueError(f"larger than {MAX_OBJECT_SIZE >> 20} MiB; not read")
        data = os.read(fd, MAX_OBJECT_SIZE + 1)
    finally:
        os.close(fd)
    return read_description(section(data, _SECTION))


_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")


def section(data: bytes, wanted: str) -> bytes:
    """The bytes of section ``wanted`` of a 64-bit little-endian ELF image (bounds checked)."""
    if len(data) < _EHDR.size or data[:6] != b"\x7fELF\x02\x01":
        raise ValueError("not a 64-bit little-endian ELF file")
    header = _EHDR.unpack_from(data)
    shoff, shentsize, shnum, shstrndx = header[6], header[11], header[12], header[13]
    if shentsize != _SHDR.size or not 0 < shnum <= 64 or shstrndx >= shnum or shoff + shnum * shentsize > len(data):
        raise ValueError("malformed section headers")
    headers = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    names = _extent(data, headers[shstrndx])
    for entry in headers:
        end = names.find(b"\0", entry[0])
        if end >= 0 and names[entry[0]:end] == wanted.encode():
            return _extent(data, entry)
    raise ValueError("no provider description (an object of another tracers version?)")


def _extent(data: bytes, entry: tuple[int, ...]) -> bytes:
    offset, size = entry[4], entry[5]
    if offset + size > len(data):
        raise ValueError("a section lies outside the file")
    return data[offset:offset + size]


def _printable(path: str) -> str:
    """A path as printed: as is when printable, else quoted with its escapes."""
    return path if path.isprintable() else repr(path)
