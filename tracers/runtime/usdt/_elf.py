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
_NOTE_HEADER = struct.Struct("<III8sQQQ")  # namesz, descsz, type, "stapsdt\0", pc, base, semaphore

_SEMAPHORE_SIZE = 2
_PHNUM = 4
_DYNAMIC_TAGS = (_DT_HASH, _DT_STRTAB, _DT_SYMTAB, _DT_STRSZ, _DT_SYMENT, _DT_NULL)

# Section header order; index 0 is the mandatory null section.
_SECTIONS = (
    "",
    ".hash",
    ".dynsym",
    ".dynstr",
    ".text",
    ".stapsdt.base",
    ".dynamic",
    ".probes",
    ".note.stapsdt",
    ".shstrtab",
)
_INDEX = {name: i for i, name in enumerate(_SECTIONS)}


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


class _Cursor:
    """Hands out file offsets (== virtual addresses) in increasing order."""

    def __init__(self, start: int) -> None:
        self.position = start

    def take(self, size: int, alignment: int) -> int:
        start = _align(self.position, alignment)
        self.position = start + size
        return start


def build_shared_object(
    provider: str, probes: Sequence[ProbeDef], machine: str = "x86_64"
) -> SharedObject:
    """Lay out the ELF shared object holding ``probes`` under ``provider``."""
    arch = _ARCHES.get(machine)
    if arch is None:
        raise ValueError(f"unsupported machine {machine!r}; supported: {', '.join(sorted(_ARCHES))}")
    _check_identifier("provider", provider)
    names = [probe.name for probe in probes]
    if len(set(names)) != len(names):
        duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
        raise ValueError(f"duplicate probe names: {', '.join(duplicates)}")

    functions = {name: _FUNCTION_PREFIX + name for name in names}
    semaphores = {name: _SEMAPHORE_PREFIX + name for name in names}
    arg_strings = {probe.name: _arg_string(probe.args, arch) for probe in probes}

    # Dynamic symbols: null, then function and semaphore of each probe in turn.
    symbol_names = [symbol for name in names for symbol in (functions[name], semaphores[name])]
    dynstr, name_offsets = _string_table(symbol_names)
    function_seed = _elf_hash(_FUNCTION_PREFIX.encode())
    semaphore_seed = _elf_hash(_SEMAPHORE_PREFIX.encode())
    hashes = []
    for name in names:
        encoded = name.encode()
        hashes.append(_elf_hash(encoded, function_seed))
        hashes.append(_elf_hash(encoded, semaphore_seed))
    hash_section = _hash_table(hashes)

    note_strings = [f"{provider}\0{name}\0{arg_strings[name]}\0".encode() for name in names]
    notes_size = sum(_align(_NOTE_HEADER.size + len(s), 4) for s in note_strings)
    shstrtab, section_name_offsets = _string_table(_SECTIONS[1:])
    stub_size = len(arch.stub)

    cursor = _Cursor(_EHDR.size + _PHNUM * _PHDR.size)
    hash_addr = cursor.take(len(hash_section), 8)
    dynsym_addr = cursor.take(_SYM.size * (len(symbol_names) + 1), 8)
    dynstr_addr = cursor.take(len(dynstr), 1)
    text_addr = cursor.take(stub_size * len(names), 16)
    base_addr = cursor.take(1, 1)
    text_segment_end = cursor.position
    cursor.position = _align(cursor.position, arch.page_size)
    dynamic_addr = cursor.take(_DYN.size * len(_DYNAMIC_TAGS), 8)
    probes_addr = cursor.take(_SEMAPHORE_SIZE * len(names), _SEMAPHORE_SIZE)
    data_segment_end = cursor.position
    notes_offset = cursor.take(notes_size, 4)
    shstrtab_offset = cursor.take(len(shstrtab), 1)
    shdr_offset = cursor.take(_SHDR.size * len(_SECTIONS), 8)

    symbols = [_SYM.pack(0, 0, 0, 0, 0, 0)]
    notes = []
    for i, strings in enumerate(note_strings):
        pc = text_addr + i * stub_size
        semaphore = probes_addr + i * _SEMAPHORE_SIZE
        symbols.append(
            _SYM.pack(name_offsets[2 * i], (_STB_GLOBAL << 4) | _STT_FUNC, 0,
                      _INDEX[".text"], pc, stub_size)
        )
        symbols.append(
            _SYM.pack(name_offsets[2 * i + 1], (_STB_GLOBAL << 4) | _STT_OBJECT, 0,
                      _INDEX[".probes"], semaphore, _SEMAPHORE_SIZE)
        )
        descsz = 24 + len(strings)
        note = _NOTE_HEADER.pack(8, descsz, _NT_STAPSDT, b"stapsdt\0", pc, base_addr, semaphore)
        notes.append(note + strings + b"\0" * (_align(len(strings), 4) - len(strings)))

    dynamic_values = {
        _DT_HASH: hash_addr,
        _DT_STRTAB: dynstr_addr,
        _DT_SYMTAB: dynsym_addr,
        _DT_STRSZ: len(dynstr),
        _DT_SYMENT: _SYM.size,
        _DT_NULL: 0,
    }
    dynamic = b"".join(_DYN.pack(tag, dynamic_values[tag]) for tag in _DYNAMIC_TAGS)

    # (type, flags, address, offset, size, link, info, alignment, entry size) per section.
    alloc, rx, rw = _SHF_ALLOC, _SHF_ALLOC | _SHF_EXECINSTR, _SHF_ALLOC | _SHF_WRITE
    dynstr_index = _INDEX[".dynstr"]
    section_rows = [
        (_SHT_HASH, alloc, hash_addr, hash_addr, len(hash_section), _INDEX[".dynsym"], 0, 8, 4),
        (_SHT_DYNSYM, alloc, dynsym_addr, dynsym_addr, _SYM.size * len(symbols), dynstr_index, 1, 8,
         _SYM.size),
        (_SHT_STRTAB, alloc, dynstr_addr, dynstr_addr, len(dynstr), 0, 0, 1, 0),
        (_SHT_PROGBITS, rx, text_addr, text_addr, stub_size * len(names), 0, 0, 16, 0),
        (_SHT_PROGBITS, alloc, base_addr, base_addr, 1, 0, 0, 1, 0),
        (_SHT_DYNAMIC, rw, dynamic_addr, dynamic_addr, len(dynamic), dynstr_index, 0, 8, _DYN.size),
        (_SHT_PROGBITS, rw, probes_addr, probes_addr, data_segment_end - probes_addr, 0, 0,
         _SEMAPHORE_SIZE, 0),
        (_SHT_NOTE, 0, 0, notes_offset, notes_size, 0, 0, 4, 0),
        (_SHT_STRTAB, 0, 0, shstrtab_offset, len(shstrtab), 0, 0, 1, 0),
    ]
    section_headers = [_SHDR.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
    section_headers += [
        _SHDR.pack(name_offset, *row) for name_offset, row in zip(section_name_offsets, section_rows)
    ]

    program_headers = [
        _PHDR.pack(_PT_LOAD, _PF_R | _PF_X, 0, 0, 0, text_segment_end, text_segment_end,
                   arch.page_size),
        _PHDR.pack(_PT_LOAD, _PF_R | _PF_W, dynamic_addr, dynamic_addr, dynamic_addr,
                   data_segment_end - dynamic_addr, data_segment_end - dynamic_addr, arch.page_size),
        _PHDR.pack(_PT_DYNAMIC, _PF_R | _PF_W, dynamic_addr, dynamic_addr, dynamic_addr,
                   len(dynamic), len(dynamic), 8),
        # Without PT_GNU_STACK, glibc assumes the object needs an executable stack.
        _PHDR.pack(_PT_GNU_STACK, _PF_R | _PF_W, 0, 0, 0, 0, 0, 16),
    ]
    ident = b"\x7fELF" + bytes([2, 1, 1, 0, 0]) + bytes(7)  # 64-bit, little-endian, SysV
    header = _EHDR.pack(
        ident, _ET_DYN, arch.e_machine, 1, 0, _EHDR.size, shdr_offset, 0, _EHDR.size,
        _PHDR.size, _PHNUM, _SHDR.size, len(_SECTIONS), _INDEX[".shstrtab"],
    )

    image = bytearray(cursor.position)
    for offset, chunk in (
        (0, header),
        (_EHDR.size, b"".join(program_headers)),
        (hash_addr, hash_section),
        (dynsym_addr, b"".join(symbols)),
        (dynstr_addr, dynstr),
        (text_addr, arch.stub * len(names)),
        (dynamic_addr, dynamic),
        (notes_offset, b"".join(notes)),
        (shstrtab_offset, shstrtab),
        (shdr_offset, b"".join(section_headers)),
    ):
        image[offset : offset + len(chunk)] = chunk

    return SharedObject(bytes(image), functions, semaphores, arg_strings)
