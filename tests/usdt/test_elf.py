"""Tests for the in-memory ELF writer behind the usdt backend.

The object is read back twice: by a small reader written here from the ELF
specification (independent of the writer), and by the real tools that
tracers rely on (readelf, eu-elflint, bcc's tplist, the dynamic linker).
"""
from __future__ import annotations

import ctypes
import os
import re
import struct
import subprocess
from functools import cached_property
from pathlib import Path
from typing import Any, List, NamedTuple, Optional, Tuple

import pytest

from prerequisites import require_tool
from tracers import I16, U8, tracer
from tracers._spec import ArgSpec, ProbeSpec, ProviderSpec
from tracers._types import arg_type_of
from tracers.runtime.usdt._elf import (
    BASE_SYMBOL,
    MAX_ARGS,
    ArgSlot,
    ProbeDef,
    SharedObject,
    build_provider_object,
    build_shared_object,
    describe,
    host_machine,
    probe_def,
)


def slots(*spec: Tuple[int, bool]) -> Tuple[ArgSlot, ...]:
    return tuple(ArgSlot(size, signed) for size, signed in spec)


# Sizes cycle 8, 4, 2, 1 so that small values also land in stack slots.
WIDE = slots(*zip((8, 4, 2, 1) * 3, (True, False) * 6))

PROBES = (
    ProbeDef("request_start", slots((8, False), (8, True))),
    ProbeDef("tick", ()),
    ProbeDef("mixed", slots((1, True), (2, False), (4, True), (8, False))),
    ProbeDef("wide", WIDE),
)

EXPECTED_ARGS = {
    "x86_64": {
        "request_start": "8@%rdi -8@%rsi",
        "tick": "",
        "mixed": "-1@%rdi 2@%rsi -4@%rdx 8@%rcx",
        "wide": "-8@%rdi 4@%rsi -2@%rdx 1@%rcx -8@%r8 4@%r9 "
        "-2@8(%rsp) 1@16(%rsp) -8@24(%rsp) 4@32(%rsp) -2@40(%rsp) 1@48(%rsp)",
    },
    "aarch64": {
        "request_start": "8@x0 -8@x1",
        "tick": "",
        "mixed": "-1@x0 2@x1 -4@x2 8@x3",
        "wide": "-8@x0 4@x1 -2@x2 1@x3 -8@x4 4@x5 -2@x6 1@x7 "
        "-8@[sp, 0] 4@[sp, 8] -2@[sp, 16] 1@[sp, 24]",
    },
}

MACHINE_CODES = {"x86_64": 62, "aarch64": 183}
PAGE_SIZES = {"x86_64": 0x1000, "aarch64": 0x10000}
STUBS = {"x86_64": bytes.fromhex("90c3"), "aarch64": bytes.fromhex("1f2003d5c0035fd6")}
MACHINES = sorted(MACHINE_CODES)

PROVIDER = "myapp"


# ---------------------------------------------------------------- independent reader


class Section(NamedTuple):
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    align: int
    entsize: int


class Segment(NamedTuple):
    type: int
    flags: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int
    align: int


class Note(NamedTuple):
    pc: int
    base: int
    semaphore: int
    provider: str
    name: str
    args: str


class Symbol(NamedTuple):
    name: str
    info: int
    shndx: int
    value: int
    size: int


class Elf:
    """Just enough of an ELF64 little-endian reader for these checks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        (self.ident, self.type, self.machine, _, _, phoff, self.shoff, _, _, phentsize, phnum,
         shentsize, shnum, shstrndx) = struct.unpack_from("<16sHHIQQQIHHHHHH", data)
        self.segments = []
        for k in range(phnum):
            self.segments.append(Segment(*struct.unpack_from("<IIQQQQQQ", data, phoff + k * phentsize)))
        raw = [struct.unpack_from("<IIQQQQIIQQ", data, self.shoff + k * shentsize) for k in range(shnum)]
        names_at = raw[shstrndx][4]
        self.sections = [Section(self.cstr(names_at + r[0]), *r[1:]) for r in raw]

    def cstr(self, offset: int) -> str:
        return self.data[offset : self.data.index(b"\0", offset)].decode()

    def section(self, name: str) -> Section:
        (found,) = [s for s in self.sections if s.name == name]
        return found

    def contents(self, name: str) -> bytes:
        s = self.section(name)
        return self.data[s.offset : s.offset + s.size]

    @cached_property
    def symbols(self) -> List[Symbol]:
        dynsym, dynstr = self.section(".dynsym"), self.section(".dynstr")
        result = []
        for k in range(dynsym.size // 24):
            name, info, _, shndx, value, size = struct.unpack_from(
                "<IBBHQQ", self.data, dynsym.offset + 24 * k
            )
            result.append(Symbol(self.cstr(dynstr.offset + name), info, shndx, value, size))
        return result

    def notes(self) -> List[Note]:
        data, position, result = self.contents(".note.stapsdt"), 0, []
        while position < len(data):
            namesz, descsz, kind = struct.unpack_from("<III", data, position)
            assert (namesz, kind) == (8, 3)
            assert data[position + 12 : position + 20] == b"stapsdt\0"
            desc = data[position + 20 : position + 20 + descsz]
            pc, base, semaphore = struct.unpack_from("<QQQ", desc)
            provider, name, args, tail = desc[24:].split(b"\0")
            assert tail == b""
            strings = (provider.decode(), name.decode(), args.decode())
            result.append(Note(pc, base, semaphore, *strings))
            position += 20 + (descsz + 3) // 4 * 4
        return result

    def lookup(self, name: str) -> Symbol:
        """Find a symbol the way the dynamic linker does, through the SysV .hash table."""
        table = self.section(".hash")
        nbucket, nchain = struct.unpack_from("<II", self.data, table.offset)
        buckets = struct.unpack_from(f"<{nbucket}I", self.data, table.offset + 8)
        chains = struct.unpack_from(f"<{nchain}I", self.data, table.offset + 8 + 4 * nbucket)
        symbols = self.symbols
        index: int = buckets[sysv_hash(name.encode()) % nbucket]
        while index:
            if symbols[index].name == name:
                return symbols[index]
            index = chains[index]
        raise KeyError(name)


def sysv_hash(name: bytes) -> int:
    """The hash function as printed in the System V ABI."""
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


# ---------------------------------------------------------------- pure tests


@pytest.fixture(params=MACHINES)
def machine(request: Any) -> str:
    return str(request.param)


BUILD_ID = bytes(range(1, 21))
DESCRIPTION = b"any description\n"


@pytest.fixture
def built(machine: str) -> SharedObject:
    return build_shared_object(PROVIDER, PROBES, machine, BUILD_ID, DESCRIPTION)


def test_header_and_section_order(built: SharedObject, machine: str) -> None:
    elf = Elf(built.data)
    assert elf.ident[:7] == b"\x7fELF\x02\x01\x01"
    assert (elf.type, elf.machine) == (3, MACHINE_CODES[machine])
    # bcc and bpftrace find .probes only after the first executable section
    # and the notes only after .probes.
    assert [s.name for s in elf.sections] == [
        "", ".note.gnu.build-id", ".hash", ".dynsym", ".dynstr", ".text", ".stapsdt.base",
        ".dynamic", ".probes", ".note.stapsdt", ".tracers.provider", ".shstrtab",
    ]
    assert elf.section(".note.stapsdt").flags & 2 == 0  # not allocated
    assert elf.section(".tracers.provider").flags & 2 == 0
    assert elf.contents(".tracers.provider") == DESCRIPTION
    for section in elf.sections:
        if section.flags & 2:
            assert section.addr == section.offset


def test_segments(built: SharedObject, machine: str) -> None:
    elf = Elf(built.data)
    page = PAGE_SIZES[machine]
    loads = [s for s in elf.segments if s.type == 1]
    assert [s.flags for s in loads] == [5, 6]  # R+X, R+W
    text, data = loads
    assert text.offset == text.vaddr == 0
    assert data.offset == data.vaddr and data.offset % page == 0
    assert data.offset >= text.offset + text.filesz

    def inside(segment: Segment, name: str) -> bool:
        s = elf.section(name)
        return segment.vaddr <= s.addr and s.addr + s.size <= segment.vaddr + segment.filesz

    for name in (".note.gnu.build-id", ".hash", ".dynsym", ".dynstr", ".text", ".stapsdt.base"):
        assert inside(text, name)
    (note,) = [s for s in elf.segments if s.type == 4]
    assert (note.vaddr, note.filesz) == (elf.section(".note.gnu.build-id").addr, elf.section(".note.gnu.build-id").size)
    for name in (".dynamic", ".probes"):
        assert inside(data, name)
    (dynamic,) = [s for s in elf.segments if s.type == 2]
    assert (dynamic.vaddr, dynamic.filesz) == (
        elf.section(".dynamic").addr, elf.section(".dynamic").size
    )
    (stack,) = [s for s in elf.segments if s.type == 0x6474E551]
    assert stack.flags == 6  # no executable stack


@pytest.mark.parametrize("count, provider", [(0, "a"), (1, "ab"), (5, "abc"), (2_049, "abcd"), (3, "abcde")])
def test_every_field_filled_in_per_object_agrees_with_the_layout(machine: str, count: int, provider: str) -> None:
    """Addresses, offsets and sizes the writer fills in for each object, whatever the count and the
    provider name's length (each length modulo 4 pads the notes differently)."""
    probes = [ProbeDef(f"p{i}", WIDE[: i % (MAX_ARGS + 1)]) for i in range(count)]
    built = build_shared_object(provider, probes, machine, BUILD_ID, DESCRIPTION * count)
    elf = Elf(built.data)
    for segment in elf.segments:
        assert segment.vaddr == segment.paddr == segment.offset
        assert segment.filesz == segment.memsz
    end = 0
    for section in elf.sections[1:]:
        assert section.addr == (section.offset if section.flags & 2 else 0), section.name
        assert section.offset >= end and section.offset % section.align == 0, section.name
        end = section.offset + section.size
    code, data = [s for s in elf.segments if s.type == 1]
    base, dynamic, semaphores = (elf.section(name) for name in (".stapsdt.base", ".dynamic", ".probes"))
    assert code.filesz == base.offset + base.size  # from the ELF header on
    assert (data.offset, data.filesz) == (dynamic.offset, semaphores.offset + semaphores.size - dynamic.offset)
    assert data.offset % PAGE_SIZES[machine] == 0
    (dynamic_segment,) = [s for s in elf.segments if s.type == 2]
    assert (dynamic_segment.offset, dynamic_segment.filesz) == (dynamic.offset, dynamic.size)
    assert elf.lookup(BASE_SYMBOL).value == base.addr == built.base_symbol
    assert elf.contents(".note.gnu.build-id")[16:] == BUILD_ID
    assert elf.section(".text").size == count * len(STUBS[machine])
    assert semaphores.size == 2 * count and base.size == 1
    notes = elf.notes()
    assert [(n.provider, n.name, n.pc, n.semaphore, n.base) for n in notes] == [
        (provider, p.name, stub, semaphore, base.addr)
        for p, stub, semaphore in zip(probes, built.stubs, built.semaphores)]
    operands = re.findall(r"@(\[sp, \d+\]|\S+)", EXPECTED_ARGS[machine]["wide"])  # where argument i lives
    assert [n.args for n in notes] == [
        " ".join(f"{'-' if slot.signed else ''}{slot.size}@{operand}" for slot, operand in zip(p.args, operands))
        for p in probes]
    assert elf.contents(".tracers.provider") == DESCRIPTION * count
    assert end <= elf.shoff == len(elf.data) - len(elf.sections) * 64 and elf.shoff % 8 == 0


@pytest.mark.parametrize("size", [4.0, True, 2.0])
def test_a_size_equal_to_a_valid_one_but_not_an_int_is_refused_before_and_after_it(size: Any) -> None:
    """A note prints each size as given: ``4.0@%rdi`` would break every tracer's parser."""
    valid = ArgSlot(int(size), True)
    for _ in range(2):  # the valid shape's note text is kept between objects: it must not lend it
        with pytest.raises(ValueError, match=re.escape(f"1, 2, 4 or 8 bytes, not {size!r}")):
            build_shared_object(PROVIDER, [ProbeDef("odd", (ArgSlot(size, True),))])
        notes = Elf(build_shared_object(PROVIDER, [ProbeDef("even", (valid,))]).data).notes()
        assert [n.args for n in notes] == [f"-{int(size)}@%rdi"]


def test_dynamic_section_points_at_tables(built: SharedObject) -> None:
    elf = Elf(built.data)
    raw = elf.contents(".dynamic")
    entries = dict(struct.unpack_from("<qQ", raw, 16 * k) for k in range(len(raw) // 16))
    assert entries == {
        4: elf.section(".hash").addr,
        5: elf.section(".dynstr").addr,
        6: elf.section(".dynsym").addr,
        10: elf.section(".dynstr").size,
        11: 24,
        0: 0,
    }


def test_notes_agree_with_the_layout(built: SharedObject, machine: str) -> None:
    elf = Elf(built.data)
    notes = elf.notes()
    assert [n.name for n in notes] == [p.name for p in PROBES]
    base = elf.section(".stapsdt.base").addr
    text, probes = elf.section(".text"), elf.section(".probes")
    for note, stub, semaphore in zip(notes, built.stubs, built.semaphores):
        assert note.provider == PROVIDER
        assert note.base == base == built.base_symbol
        assert note.args == EXPECTED_ARGS[machine][note.name]
        assert note.pc == stub
        assert built.data[note.pc : note.pc + len(STUBS[machine])] == STUBS[machine]
        assert text.addr <= note.pc < text.addr + text.size
        assert note.semaphore == semaphore != 0
        assert probes.addr <= note.semaphore and note.semaphore + 2 <= probes.addr + probes.size
        assert built.data[semaphore:semaphore + 2] == b"\0\0"
    assert len(set(built.semaphores)) == len(set(built.stubs)) == len(PROBES)


def test_only_the_base_symbol_is_exported(built: SharedObject) -> None:
    elf = Elf(built.data)
    (symbol,) = elf.symbols[1:]
    assert elf.lookup(BASE_SYMBOL) == symbol
    assert symbol.name == BASE_SYMBOL and symbol.info == 0x11  # global object
    assert elf.sections[symbol.shndx].name == ".stapsdt.base"
    assert symbol.value == built.base_symbol


def test_build_id_note(built: SharedObject) -> None:
    data = Elf(built.data).contents(".note.gnu.build-id")
    namesz, descsz, kind = struct.unpack_from("<III", data)
    assert (namesz, descsz, kind) == (4, 20, 3)  # NT_GNU_BUILD_ID
    assert data[12:16] == b"GNU\0" and data[16:] == BUILD_ID


def test_empty_provider_is_still_a_valid_object() -> None:
    elf = Elf(build_shared_object(PROVIDER, []).data)
    assert elf.notes() == [] and [s.name for s in elf.symbols[1:]] == [BASE_SYMBOL]


def test_ten_thousand_probes() -> None:
    probes = [ProbeDef(f"probe_{i}", WIDE[: i % (MAX_ARGS + 1)]) for i in range(10_000)]
    built = build_shared_object(PROVIDER, probes)
    notes = Elf(built.data).notes()
    assert [(n.name, n.pc, n.semaphore) for n in notes] == [
        (p.name, pc, semaphore) for p, pc, semaphore in zip(probes, built.stubs, built.semaphores)]


@pytest.mark.parametrize("machine", MACHINES)
def test_the_parts_kept_from_a_first_object_fit_every_later_one(
        monkeypatch: pytest.MonkeyPatch, machine: str) -> None:
    """The writer keeps what is the same in every object of a machine, made with its first one:
    objects of every size built with the parts of another must equal those built with their own."""
    from tracers.runtime.usdt import _elf

    shapes = [(count, len(description)) for count in (0, 1, 3, 2_500) for description in (b"", b"d" * 70_000)]
    objects = [(f"p{count}_{size}", [ProbeDef(f"probe_{i}", WIDE[: i % (MAX_ARGS + 1)]) for i in range(count)],
                bytes(size)) for count, size in shapes]
    monkeypatch.setattr(_elf, "_FRAMES", {})
    kept = [build_shared_object(name, probes, machine, BUILD_ID, description)
            for name, probes, description in reversed(objects)]  # all with the parts of the largest
    for (name, probes, description), built in zip(reversed(objects), kept):
        monkeypatch.setattr(_elf, "_FRAMES", {})
        assert build_shared_object(name, probes, machine, BUILD_ID, description) == built


def one(probe: ProbeDef) -> SharedObject:
    return build_shared_object(PROVIDER, [probe])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: build_shared_object(PROVIDER, PROBES, "riscv64"),
         "unsupported machine 'riscv64'; supported: aarch64, x86_64"),
        (lambda: one(ProbeDef("big", (ArgSlot(8, False),) * (MAX_ARGS + 1))), "at most 12"),
        (lambda: one(ProbeDef("odd", (ArgSlot(3, False),))), "1, 2, 4 or 8"),
        (lambda: one(ProbeDef("wide", (ArgSlot(16, True),))), "1, 2, 4 or 8"),
        (lambda: one(ProbeDef("not-an-identifier", ())), "C identifier"),
        (lambda: one(ProbeDef("", ())), "C identifier"),
        (lambda: one(ProbeDef("trailing\n", ())), "C identifier"),
        (lambda: build_shared_object(PROVIDER, PROBES, build_id=b"short"), "20 bytes"),
        (lambda: build_shared_object("my provider", PROBES), "provider must be a C identifier"),
        (lambda: build_shared_object(PROVIDER, PROBES + PROBES[:1]), "duplicate probe names: request_start"),
    ],
)
def test_invalid_input(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


@pytest.mark.parametrize(
    "reported, expected",
    [
        ("x86_64", "x86_64"),
        ("AMD64", "x86_64"),
        ("aarch64", "aarch64"),
        ("arm64", "aarch64"),
        ("riscv64", None),
    ],
)
def test_host_machine(monkeypatch: pytest.MonkeyPatch, reported: str, expected: Any) -> None:
    real = os.uname()
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(real[:4] + (reported,)))
    assert host_machine() == (expected if struct.calcsize("P") == 8 else None)


# ---------------------------------------------------------------- real tools


def write(tmp_path: Path, built: SharedObject, name: str = "probes.so") -> Path:
    path = tmp_path / name
    path.write_bytes(built.data)
    return path


def run(*command: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(command, capture_output=True, text=True, check=True)


READELF_NOTE = re.compile(
    r"Provider: (\S+)\n\s+Name: (\S+)\n"
    r"\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\n"
    r"\s+Arguments: ?(.*)\n"
)


def test_readelf_lists_every_probe(tmp_path: Path, built: SharedObject, machine: str) -> None:
    require_tool("readelf")
    result = run("readelf", "-n", "-W", str(write(tmp_path, built)))
    assert result.stderr == ""
    found = {m.group(2): m.groups() for m in READELF_NOTE.finditer(result.stdout)}
    assert set(found) == {p.name for p in PROBES}
    for name, (provider, _, location, base, semaphore, args) in found.items():
        assert provider == PROVIDER
        assert int(location, 16) != 0 and int(base, 16) != 0 and int(semaphore, 16) != 0
        assert args == EXPECTED_ARGS[machine][name]


def test_readelf_structure(tmp_path: Path, built: SharedObject) -> None:
    require_tool("readelf")
    result = run("readelf", "-S", "-l", "--dyn-syms", "-d", "-W", str(write(tmp_path, built)))
    assert result.stderr == ""  # readelf warns on stderr about anything malformed
    out = result.stdout
    assert re.search(r"LOAD\s.*R E\s", out) and re.search(r"LOAD\s.*RW\s", out)
    assert re.search(r"^\s+01\s+\.dynamic \.probes\s*$", out, re.M)
    assert "(HASH)" in out and "(SYMTAB)" in out
    assert re.search(rf"GLOBAL DEFAULT\s+\d+ {BASE_SYMBOL}$", out, re.M)
    assert re.search(r"^\s+NOTE\s", out, re.M)


# elfutils does not know the SystemTap note type in objects, so it reports each
# stapsdt note as unknown; a GCC/ld-built object using <sys/sdt.h> gets the
# exact same line.  Anything else would be a real defect.
UNKNOWN_STAPSDT_NOTE = re.compile(
    r"^section \[\s*\d+\] '\.note\.stapsdt': unknown object file note type 3 "
    r"with owner name 'stapsdt' at offset \d+$"
)


def test_elflint_is_clean(tmp_path: Path, built: SharedObject) -> None:
    require_tool("eu-elflint")
    # --strict adds the pedantic checks; --gnu-ld is not used because it only
    # relaxes checks for GNU ld's known quirks, which this writer does not share.
    result = subprocess.run(
        ["eu-elflint", "--strict", str(write(tmp_path, built))], capture_output=True, text=True
    )
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    assert [line for line in lines if not UNKNOWN_STAPSDT_NOTE.match(line)] == []
    assert len(lines) == len(PROBES)


def test_tplist_finds_probes(tmp_path: Path, built: SharedObject) -> None:
    # bcc reads the object the way bpftrace does, so this also guards the
    # section-order requirement that readelf does not care about.
    tplist = require_tool("tplist-bpfcc")
    path = write(tmp_path, built)
    result = run(tplist, "-l", str(path))
    listed = sorted(result.stdout.splitlines())
    assert listed == sorted(f"{path} {PROVIDER}:{p.name}" for p in PROBES)


def test_tplist_parses_x86_64_arguments(tmp_path: Path) -> None:
    # bcc's argument parser is the host's, so only the x86_64 strings are checked.
    if host_machine() != "x86_64":
        pytest.skip("bcc parses argument strings for the host architecture only")
    tplist = require_tool("tplist-bpfcc")
    path = write(tmp_path, build_shared_object(PROVIDER, [ProbeDef("wide", WIDE)]))
    result = run(tplist, "-vv", "-l", str(path))
    assert "Parse error" not in result.stdout + result.stderr
    arguments = re.findall(r"argument #(\d+) (\d) (signed|unsigned)\s+bytes @ (.*)", result.stdout)
    assert [(int(n), int(size), kind == "signed") for n, size, kind, _ in arguments] == [
        (n, slot.size, slot.signed) for n, slot in enumerate(WIDE, start=1)
    ]
    assert [where for *_, where in arguments] == [
        "di", "si", "dx", "cx", "r8", "r9",
        "*(sp + 8)", "*(sp + 16)", "*(sp + 24)", "*(sp + 32)", "*(sp + 40)", "*(sp + 48)",
    ]


CTYPES = {
    (1, True): ctypes.c_int8, (1, False): ctypes.c_uint8,
    (2, True): ctypes.c_int16, (2, False): ctypes.c_uint16,
    (4, True): ctypes.c_int32, (4, False): ctypes.c_uint32,
    (8, True): ctypes.c_int64, (8, False): ctypes.c_uint64,
}


@pytest.fixture
def loadable() -> None:
    if host_machine() != "x86_64":
        pytest.skip("the loadable-object tests run on x86_64 hosts")


def load(tmp_path: Path, built: SharedObject) -> Tuple[ctypes.CDLL, int]:
    """Load the object; its base address, found from the one exported symbol."""
    lib = ctypes.CDLL(str(write(tmp_path, built)))
    return lib, ctypes.addressof(ctypes.c_char.in_dll(lib, BASE_SYMBOL)) - built.base_symbol


@pytest.mark.usefixtures("loadable")
def test_ctypes_loads_and_calls_every_stub(tmp_path: Path) -> None:
    built = build_shared_object(PROVIDER, PROBES)
    lib, base = load(tmp_path, built)
    for probe, stub_at, semaphore_at in zip(PROBES, built.stubs, built.semaphores):
        prototype = ctypes.CFUNCTYPE(None, *(CTYPES[slot.size, slot.signed] for slot in probe.args))
        assert prototype(base + stub_at)(*range(1, len(probe.args) + 1)) is None
        assert ctypes.c_uint16.from_address(base + semaphore_at).value == 0


@pytest.mark.usefixtures("loadable")
def test_every_stub_of_a_large_object_is_callable(tmp_path: Path) -> None:
    probes = [ProbeDef(f"probe_{i}", (ArgSlot(4, True),)) for i in range(2000)]
    built = build_shared_object(PROVIDER, probes)
    lib, base = load(tmp_path, built)
    prototype = ctypes.CFUNCTYPE(None, ctypes.c_int32)
    for stub_at, semaphore_at in zip(built.stubs, built.semaphores):
        prototype(base + stub_at)(-5)
        assert ctypes.c_uint16.from_address(base + semaphore_at).value == 0


def _declared_provider() -> Any:
    """A provider's spec as ``@tracer`` makes it: signatures repeated, interleaved, of every kind."""
    class LaidOut:
        def first(a: int, b: str): ...
        def again(a: int, b: str): ...
        def blob(data: bytes, n: U8): ...
        def nothing(): ...
        def back(a: int, b: str): ...
        def maybe(x: Optional[int], y: I16, z: bool): ...
        def blob_again(data: bytes, n: U8): ...

    return tracer(provider="laid_out_from_spec")(LaidOut).__tracers_provider__


@pytest.mark.parametrize("machine", MACHINES)
def test_an_object_laid_out_from_a_spec_equals_the_one_from_its_probe_definitions(machine: str) -> None:
    """The backend lays a provider out from its spec's columns; the image must be byte for byte the one
    built from a ProbeDef per probe."""
    spec = _declared_provider()
    description = describe(spec)
    from_spec = build_provider_object(spec, machine, BUILD_ID, description)
    from_defs = build_shared_object(spec.name, [probe_def(p) for p in spec.probes], machine, BUILD_ID, description)
    assert from_spec == from_defs
    notes = Elf(from_spec.data).notes()
    assert [n.name for n in notes] == [p.name for p in spec.probes]
    assert notes[2].args == notes[6].args != notes[0].args == notes[1].args == notes[4].args


def test_a_spec_with_too_many_argument_slots_is_refused_as_its_probe_definitions_are() -> None:
    """Seven bytes values take fourteen slots: the spec path names the probe, as the ProbeDef path does."""
    wide = tuple(ArgSpec(f"b{i}", arg_type_of(bytes)) for i in range(7))
    spec = ProviderSpec("too_wide", "TooWide", __name__, (ProbeSpec("ok", (), "f.py", 1),
                                                           ProbeSpec("too_many", wide, "f.py", 2)))
    with pytest.raises(ValueError, match="probe 'too_many' has 14 argument slots") as from_spec:
        build_provider_object(spec, "x86_64", BUILD_ID, describe(spec))
    with pytest.raises(ValueError) as from_defs:
        build_shared_object(spec.name, [probe_def(p) for p in spec.probes], "x86_64", BUILD_ID, describe(spec))
    assert str(from_spec.value) == str(from_defs.value)
