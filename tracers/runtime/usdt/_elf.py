"""Build, in memory, a tiny ELF shared object that carries USDT probes.

Tracers (bpftrace, bcc, gdb, SystemTap) find USDT probes in the
``.note.stapsdt`` notes of files mapped into a process.  Python code has no
such notes, so we write a shared object with one ``nop; ret`` stub per probe
and one 16-bit semaphore per probe, describe them in stapsdt notes, and let
the caller load it with ``ctypes``.  Calling a stub runs the ``nop`` where a
tracer puts its breakpoint; the kernel raises the semaphore while a tracer is
attached, so callers can skip the call entirely when nobody listens.

The layout keeps every virtual address equal to its file offset:

=============  ==========================================================
R+X PT_LOAD    ELF header, program headers, ``.hash``, ``.dynsym``,
               ``.dynstr``, ``.text`` (stubs), ``.stapsdt.base``
R+W PT_LOAD    on a fresh page: ``.dynamic``, ``.probes`` (semaphores)
not loaded     ``.note.stapsdt``, ``.shstrtab``, section headers
=============  ==========================================================

Section headers are listed in that order on purpose: bcc and bpftrace look
for ``.probes`` only after the first executable section, and for the notes
only after ``.probes``.

This module is pure: specs in, bytes out.
"""
from __future__ import annotations

import platform
import re
import struct
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

__all__ = [
    "MAX_ARGS",
    "ArgSlot",
    "ProbeDef",
    "SharedObject",
    "build_shared_object",
    "host_machine",
]

#: Most arguments a USDT probe may have (the limit of bcc, bpftrace and libbpf).
MAX_ARGS = 12

_FUNCTION_PREFIX = "tracers_probe_"
_SEMAPHORE_PREFIX = "tracers_semaphore_"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class ArgSlot:
    """One probe argument as the tracer sees it: an integer of ``size`` bytes."""

    size: int
    signed: bool

    def __post_init__(self) -> None:
        if self.size not in (1, 2, 4, 8):
            raise ValueError(f"argument size must be 1, 2, 4 or 8 bytes, not {self.size!r}")


@dataclass(frozen=True)
class ProbeDef:
    """A probe: its name (a C identifier) and its argument slots."""

    name: str
    args: tuple[ArgSlot, ...]

    def __post_init__(self) -> None:
        _check_identifier("probe name", self.name)
        if len(self.args) > MAX_ARGS:
            raise ValueError(
                f"probe {self.name!r} has {len(self.args)} arguments; "
                f"USDT probes support at most {MAX_ARGS}"
            )


@dataclass(frozen=True)
class SharedObject:
    """The ELF image plus what the loader needs to find each probe in it."""

    data: bytes
    function_symbols: dict[str, str]
    semaphore_symbols: dict[str, str]
    arg_strings: dict[str, str]


@dataclass(frozen=True)
class _Arch:
    e_machine: int
    stub: bytes  # nop, then ret: the probe address is the nop
    page_size: int  # largest page size the kernel may use, so segments never share a page
    operands: tuple[str, ...]  # where argument i lives when the nop runs


def _x86_64_operands() -> tuple[str, ...]:
    registers = ("%rdi", "%rsi", "%rdx", "%rcx", "%r8", "%r9")
    # The return address sits at 0(%rsp); each stacked argument has an
    # 8-byte slot, and a smaller value occupies the slot's low (first) bytes.
    stack = tuple(f"{8 * k}(%rsp)" for k in range(1, MAX_ARGS - len(registers) + 1))
    return registers + stack


def _aarch64_operands() -> tuple[str, ...]:
    registers = tuple(f"x{i}" for i in range(8))
    # The return address is in x30, so the 9th argument is at [sp] itself.
    # bcc parses "[sp, N]" (and gdb requires the comma), as GCC writes it.
    stack = tuple(f"[sp, {8 * k}]" for k in range(MAX_ARGS - len(registers)))
    return registers + stack


_ARCHES = {
    "x86_64": _Arch(62, b"\x90\xc3", 0x1000, _x86_64_operands()),
    "aarch64": _Arch(183, b"\x1f\x20\x03\xd5\xc0\x03\x5f\xd6", 0x10000, _aarch64_operands()),
}

_MACHINE_NAMES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def host_machine() -> Optional[str]:
    """The ``machine`` value matching this process, or None if we cannot build for it.

    A 32-bit interpreter on a 64-bit kernel reports a 64-bit machine but
    cannot load a 64-bit object, hence the pointer-size check.
    """
    if struct.calcsize("P") != 8 or sys.byteorder != "little":
        return None
    return _MACHINE_NAMES.get(platform.machine().lower())


def _check_identifier(what: str, value: str) -> None:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ValueError(f"{what} must be a C identifier (ASCII letters, digits, _), not {value!r}")


def _arg_string(args: Sequence[ArgSlot], arch: _Arch) -> str:
    return " ".join(
        f"{'-' if slot.signed else ''}{slot.size}@{operand}"
        for slot, operand in zip(args, arch.operands)
    )


# ---------------------------------------------------------------- ELF constants

_ET_DYN = 3
_PT_LOAD, _PT_DYNAMIC, _PT_GNU_STACK = 1, 2, 0x6474E551
_PF_X, _PF_W, _PF_R = 1, 2, 4
_SHT_PROGBITS, _SHT_STRTAB, _SHT_HASH, _SHT_DYNAMIC, _SHT_NOTE, _SHT_DYNSYM = 1, 3, 5, 6, 7, 11
_SHF_WRITE, _SHF_ALLOC, _SHF_EXECINSTR = 1, 2, 4
_DT_NULL, _DT_HASH, _DT_STRTAB, _DT_SYMTAB, _DT_STRSZ, _DT_SYMENT = 0, 4, 5, 6, 10, 11
_STB_GLOBAL, _STT_OBJECT, _STT_FUNC = 1, 1, 2
_NT_STAPSDT = 3

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_DYN = struct.Struct("<qQ")
# namesz, descsz, type, owner "stapsdt\0", then the descriptor's pc, base, semaphore
_NOTE_HEADER = struct.Struct("<III8sQQQ")

_SEMAPHORE_SIZE = 2
_PHNUM = 4
_DYNAMIC_TAGS = (_DT_HASH, _DT_STRTAB, _DT_SYMTAB, _DT_STRSZ, _DT_SYMENT, _DT_NULL)

_A, _AX, _WA = _SHF_ALLOC, _SHF_ALLOC | _SHF_EXECINSTR, _SHF_ALLOC | _SHF_WRITE

# Section header order (index 0 is the null section): name -> (type, flags,
# alignment, entry size).  Allocated sections appear in address order too.
_SECTION_FORMATS = {
    ".hash": (_SHT_HASH, _A, 8, 4),
    ".dynsym": (_SHT_DYNSYM, _A, 8, _SYM.size),
    ".dynstr": (_SHT_STRTAB, _A, 1, 0),
    ".text": (_SHT_PROGBITS, _AX, 16, 0),
    ".stapsdt.base": (_SHT_PROGBITS, _A, 1, 0),
    ".dynamic": (_SHT_DYNAMIC, _WA, 8, _DYN.size),  # first of the writable segment
    ".probes": (_SHT_PROGBITS, _WA, _SEMAPHORE_SIZE, 0),
    ".note.stapsdt": (_SHT_NOTE, 0, 4, 0),
    ".shstrtab": (_SHT_STRTAB, 0, 1, 0),
}
_SECTIONS = ("", *_SECTION_FORMATS)
_INDEX = {name: i for i, name in enumerate(_SECTIONS)}
_LINKS = {".hash": ".dynsym", ".dynsym": ".dynstr", ".dynamic": ".dynstr"}


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) & -alignment


def _elf_hash(name: bytes, h: int = 0) -> int:
    """SysV ELF hash; ``h`` resumes from the state after a shared prefix."""
    for byte in name:
        h = (h << 4) + byte
        # Fold the top nibble (bits 28-31) into bits 4-7, then drop it.
        h = (h ^ ((h >> 24) & 0xF0)) & 0x0FFFFFFF
    return h


def _string_table(strings: Sequence[str]) -> tuple[bytes, list[int]]:
    """A NUL-separated table starting with an empty string, and each string's offset."""
    offsets = []
    position = 1
    for text in strings:
        offsets.append(position)
        position += len(text) + 1
    return b"\0" + b"".join(s.encode() + b"\0" for s in strings), offsets


def _hash_table(hashes: Sequence[int]) -> bytes:
    """SysV ``.hash`` over the symbols after the null one (``hashes[i]`` is symbol i + 1)."""
    count = len(hashes) + 1
    nbucket = max(1, count // 2)
    buckets = [0] * nbucket
    chains = [0] * count
    for index, value in enumerate(hashes, start=1):
        bucket = value % nbucket
        chains[index] = buckets[bucket]
        buckets[bucket] = index
    return struct.pack(f"<II{nbucket}I{count}I", nbucket, count, *buckets, *chains)


_SHSTRTAB, _SECTION_NAME_OFFSETS = _string_table(_SECTIONS[1:])


def _place(sizes: dict[str, int], page_size: int) -> dict[str, int]:
    """File offset (== address) of every section, then of the section header table."""
    offsets = {}
    position = _EHDR.size + _PHNUM * _PHDR.size
    for name, (_, _, alignment, _) in _SECTION_FORMATS.items():
        if name == ".dynamic":
            # A fresh page, so that the writable mapping never covers code.
            position = _align(position, page_size)
        offsets[name] = position = _align(position, alignment)
        position += sizes[name]
    offsets["section headers"] = _align(position, 8)
    return offsets


def _section_headers(offsets: dict[str, int], sizes: dict[str, int]) -> bytes:
    headers = [_SHDR.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
    for name_offset, (name, (kind, flags, alignment, entry_size)) in zip(
        _SECTION_NAME_OFFSETS, _SECTION_FORMATS.items()
    ):
        address = offsets[name] if flags & _SHF_ALLOC else 0
        link = _INDEX[_LINKS.get(name, "")]
        info = 1 if name == ".dynsym" else 0  # index of the first global symbol
        headers.append(
            _SHDR.pack(name_offset, kind, flags, address, offsets[name], sizes[name], link, info,
                       alignment, entry_size)
        )
    return b"".join(headers)


def _program_headers(offsets: dict[str, int], sizes: dict[str, int], page_size: int) -> bytes:
    def segment(kind: int, flags: int, first: str, last: str, alignment: int) -> bytes:
        start = offsets[first]
        size = offsets[last] + sizes[last] - start
        return _PHDR.pack(kind, flags, start, start, start, size, size, alignment)

    code_end = offsets[".stapsdt.base"] + sizes[".stapsdt.base"]  # from the ELF header on
    code = _PHDR.pack(_PT_LOAD, _PF_R | _PF_X, 0, 0, 0, code_end, code_end, page_size)
    return b"".join((
        code,
        segment(_PT_LOAD, _PF_R | _PF_W, ".dynamic", ".probes", page_size),
        segment(_PT_DYNAMIC, _PF_R | _PF_W, ".dynamic", ".dynamic", 8),
        # Without PT_GNU_STACK, glibc assumes the object needs an executable stack.
        _PHDR.pack(_PT_GNU_STACK, _PF_R | _PF_W, 0, 0, 0, 0, 0, 16),
    ))


def build_shared_object(
    provider: str, probes: Sequence[ProbeDef], machine: str = "x86_64"
) -> SharedObject:
    """Lay out the ELF shared object holding ``probes`` under ``provider``."""
    arch = _ARCHES.get(machine)
    if arch is None:
        supported = ", ".join(sorted(_ARCHES))
        raise ValueError(f"unsupported machine {machine!r}; supported: {supported}")
    _check_identifier("provider", provider)
    names = [probe.name for probe in probes]
    if len(set(names)) != len(names):
        duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
        raise ValueError(f"duplicate probe names: {', '.join(duplicates)}")

    functions = {name: _FUNCTION_PREFIX + name for name in names}
    semaphores = {name: _SEMAPHORE_PREFIX + name for name in names}
    arg_strings = {probe.name: _arg_string(probe.args, arch) for probe in probes}

    # Dynamic symbols: null, then the function and the semaphore of each probe in turn.
    dynstr, name_offsets = _string_table(
        [symbol for name in names for symbol in (functions[name], semaphores[name])]
    )
    function_seed = _elf_hash(_FUNCTION_PREFIX.encode())
    semaphore_seed = _elf_hash(_SEMAPHORE_PREFIX.encode())
    hashes: list[int] = []
    for name in names:
        encoded = name.encode()
        hashes += (_elf_hash(encoded, function_seed), _elf_hash(encoded, semaphore_seed))
    note_strings = [f"{provider}\0{name}\0{arg_strings[name]}\0".encode() for name in names]
    stub_size = len(arch.stub)

    contents = {
        ".hash": _hash_table(hashes),
        ".dynstr": dynstr,
        ".text": arch.stub * len(names),
        ".stapsdt.base": b"\0",
        ".shstrtab": _SHSTRTAB,
    }
    sizes = {name: len(data) for name, data in contents.items()}
    sizes[".dynsym"] = _SYM.size * (1 + 2 * len(names))
    sizes[".dynamic"] = _DYN.size * len(_DYNAMIC_TAGS)
    sizes[".probes"] = _SEMAPHORE_SIZE * len(names)
    sizes[".note.stapsdt"] = sum(_align(_NOTE_HEADER.size + len(s), 4) for s in note_strings)
    offsets = _place(sizes, arch.page_size)

    symbols = [_SYM.pack(0, 0, 0, 0, 0, 0)]
    notes = []
    for i, strings in enumerate(note_strings):
        pc = offsets[".text"] + i * stub_size
        semaphore = offsets[".probes"] + i * _SEMAPHORE_SIZE
        symbols.append(_SYM.pack(name_offsets[2 * i], (_STB_GLOBAL << 4) | _STT_FUNC, 0,
                                 _INDEX[".text"], pc, stub_size))
        symbols.append(_SYM.pack(name_offsets[2 * i + 1], (_STB_GLOBAL << 4) | _STT_OBJECT, 0,
                                 _INDEX[".probes"], semaphore, _SEMAPHORE_SIZE))
        padding = b"\0" * (_align(len(strings), 4) - len(strings))
        notes.append(_NOTE_HEADER.pack(8, 24 + len(strings), _NT_STAPSDT, b"stapsdt\0", pc,
                                       offsets[".stapsdt.base"], semaphore) + strings + padding)
    contents[".dynsym"] = b"".join(symbols)
    contents[".note.stapsdt"] = b"".join(notes)
    dynamic_values = {
        _DT_HASH: offsets[".hash"],
        _DT_STRTAB: offsets[".dynstr"],
        _DT_SYMTAB: offsets[".dynsym"],
        _DT_STRSZ: sizes[".dynstr"],
        _DT_SYMENT: _SYM.size,
        _DT_NULL: 0,
    }
    contents[".dynamic"] = b"".join(_DYN.pack(tag, dynamic_values[tag]) for tag in _DYNAMIC_TAGS)

    contents["section headers"] = _section_headers(offsets, sizes)
    contents["program headers"] = _program_headers(offsets, sizes, arch.page_size)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0, 0]) + bytes(7)  # 64-bit, little-endian, SysV
    contents["ELF header"] = _EHDR.pack(
        ident, _ET_DYN, arch.e_machine, 1,  # e_version
        0, _EHDR.size, offsets["section headers"],  # e_entry, e_phoff, e_shoff
        0, _EHDR.size, _PHDR.size, _PHNUM,  # e_flags, e_ehsize, e_phentsize, e_phnum
        _SHDR.size, len(_SECTIONS), _INDEX[".shstrtab"],  # e_shentsize, e_shnum, e_shstrndx
    )
    offsets.update({"ELF header": 0, "program headers": _EHDR.size})

    image = bytearray(offsets["section headers"] + len(contents["section headers"]))
    for name, data in contents.items():
        image[offsets[name] : offsets[name] + len(data)] = data
    return SharedObject(bytes(image), functions, semaphores, arg_strings)
