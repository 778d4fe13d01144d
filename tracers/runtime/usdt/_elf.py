"""A provider's object: its description, its name, and the tiny ELF shared object that carries its USDT probes.

Tracers (bpftrace, bcc, gdb, perf, SystemTap) find USDT probes in the
``.note.stapsdt`` notes of files mapped into a process.  Python code has no
such notes, so we write a shared object with one ``nop; ret`` stub per probe
and one 16-bit semaphore per probe, describe them in stapsdt notes, and let
the caller load it with ``ctypes``.  Calling a stub runs the ``nop`` where a
tracer puts its breakpoint; the kernel raises the semaphore while a tracer is
attached, so callers can skip the call entirely when nobody listens.

The layout keeps every virtual address equal to its file offset:

=============  ==========================================================
R+X PT_LOAD    ELF header, program headers, ``.note.gnu.build-id``,
               ``.hash``, ``.dynsym``, ``.dynstr``, ``.text`` (stubs),
               ``.stapsdt.base``
R+W PT_LOAD    on a fresh page: ``.dynamic``, ``.probes`` (semaphores)
not loaded     ``.note.stapsdt``, ``.tracers.provider`` (the provider's
               description, for ``tracers list`` and ``tracers trace``),
               ``.shstrtab``, section headers
=============  ==========================================================

Section headers are listed in that order on purpose: bcc and bpftrace look
for ``.probes`` only after the first executable section, and for the notes
only after ``.probes``.

Only one dynamic symbol is exported, ``tracers_base`` (the address of
``.stapsdt.base``): the loader finds every stub and semaphore from it by
offset, so a provider of ten thousand probes costs one symbol lookup, not
twenty thousand.  The GNU build-id lets ``perf buildid-cache`` and
``perf probe`` take the object.

Each provider's object carries a short text description (provider, probes,
argument names and types) in its ``.tracers.provider`` section, so that
``tracers list --pid`` and ``tracers trace`` can name every argument from
the file alone.  The file's name and GNU build-id come from a digest of that
description, the machine and the object format: the same provider always
gives the same bytes under the same name, which is what lets every process
of a service share one file and one tracer command reach them all.

Readers treat a description as untrusted input (see ``_discover``): sizes are
capped and every name must be a C identifier before anything is printed.

This module is pure: specs in, bytes out.
"""

import os
import sys

from ..._record import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Literal, Optional, Sequence, TypeVar

    from ..._spec import ArgSpec, ProbeSpec, ProviderSpec
    from ..._types import ArgType

    _T = TypeVar("_T")
    _Args = TypeVar("_Args", "tuple[ArgSlot, ...]", "tuple[ArgSpec, ...]")
    _Ending = tuple["tuple[ArgSlot, ...]", int, "tuple[bytes, ...]"]
    _Frame = tuple[
        "tuple[bytes, ...]",  # the image up to .text, in the pieces around the fields _build fills in
        int,  # where .text starts
        bytes,  # .dynamic
        int,  # a note's header and addresses as one integer, but for descsz and the addresses
        int,  # from one note to the next, as such an integer
        "tuple[bytes, ...]",  # the section header table, in the pieces around the address, offset and
        # size of each section from .text on
        "tuple[bool, ...]",  # whether each of those is loaded (has an address)
        "tuple[int, ...]",  # the alignment of each, .dynamic's the page size
    ]

__all__ = [
    "MAX_ARGS",
    "BASE_SYMBOL",
    "ArgSlot",
    "ProbeDef",
    "SharedObject",
    "build_provider_object",
    "build_shared_object",
    "host_machine",
    "is_identifier",
    "FORMAT_VERSION",
    "MAGIC",
    "Identity",
    "describe",
    "identity",
    "is_object_name",
    "probe_def",
    "slots_of",
]

#: Most arguments a USDT probe may have (the limit of bcc, bpftrace and libbpf).
MAX_ARGS = 12
#: The one exported symbol: the address of ``.stapsdt.base``.
BASE_SYMBOL = "tracers_base"
#: Bytes of the GNU build-id note's descriptor.
BUILD_ID_SIZE = 20


class ArgSlot(NamedTuple):
    """One probe argument as the tracer sees it: an integer of ``size`` bytes."""

    size: int
    signed: bool


class ProbeDef(NamedTuple):
    """A probe: its name (a C identifier) and its argument slots."""

    name: str
    args: "tuple[ArgSlot, ...]"


class SharedObject(NamedTuple):
    """The ELF image plus the addresses the loader needs, relative to the load base."""

    data: bytes
    base_symbol: int  # address of BASE_SYMBOL
    stubs: range  # address of each probe's stub, in the order given
    semaphores: range  # address of each probe's semaphore


class _Arch(NamedTuple):
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


def host_machine() -> "Optional[str]":
    """The ``machine`` value matching this process, or None if we cannot build for it.

    A 32-bit interpreter on a 64-bit kernel reports a 64-bit machine but
    cannot load a 64-bit object, hence the pointer-size check.
    """
    if sys.maxsize != 2**63 - 1 or sys.byteorder != "little" or not hasattr(os, "uname"):
        return None
    return _MACHINE_NAMES.get(os.uname().machine.lower())


def is_identifier(value: object) -> bool:
    """Whether ``value`` is a C identifier (ASCII letters, digits, ``_``, not starting with a digit)."""
    # For ASCII text, Python's identifier rule is exactly C's.
    return isinstance(value, str) and value.isascii() and value.isidentifier()


def _check_identifier(what: str, value: str) -> None:
    if not is_identifier(value):
        raise ValueError(f"{what} must be a C identifier (ASCII letters, digits, _), not {value!r}")


def _arg_string(args: "Sequence[ArgSlot]", arch: "_Arch") -> str:
    return " ".join(
        f"{'-' if slot.signed else ''}{slot.size}@{operand}"
        for slot, operand in zip(args, arch.operands)
    )


def _once_per_arguments(arguments: "Sequence[_Args]", make: "Callable[[_Args], _T]",
                        made: "dict[int, _T]") -> "list[_T]":
    """``make(args)`` for each probe's argument tuple, made once per distinct tuple (kept in ``made`` by id).

    Probes described alike share their argument tuple (see ``tracers._provider``),
    mostly one after another: a run of them costs one identity test per probe.
    """
    found: "list[_T]" = []
    last: object = None
    for args in arguments:
        if args is last:
            found.append(found[-1])
        else:
            known = made.get(id(args))
            if known is None:
                known = made[id(args)] = make(args)
            found.append(known)
            last = args
    return found


# ---------------------------------------------------------------- ELF constants

_ET_DYN = 3
_PT_LOAD, _PT_DYNAMIC, _PT_NOTE, _PT_GNU_STACK = 1, 2, 4, 0x6474E551
_PF_X, _PF_W, _PF_R = 1, 2, 4
_SHT_PROGBITS, _SHT_STRTAB, _SHT_HASH, _SHT_DYNAMIC, _SHT_NOTE, _SHT_DYNSYM = 1, 3, 5, 6, 7, 11
_SHF_WRITE, _SHF_ALLOC, _SHF_EXECINSTR = 1, 2, 4
_DT_NULL, _DT_HASH, _DT_STRTAB, _DT_SYMTAB, _DT_STRSZ, _DT_SYMENT = 0, 4, 5, 6, 10, 11
_STB_GLOBAL, _STT_OBJECT = 1, 1
_NT_STAPSDT = 3
_NT_GNU_BUILD_ID = 3


class _Fields:
    """A record of little-endian unsigned integers of the given byte widths, back to back.

    ``struct.Struct("<...").pack`` for the ELF records, made with ``int.to_bytes``
    (which refuses a value that does not fit its field): the first provider of a
    process does not load ``_struct``'s shared library.
    """

    __slots__ = ("size", "_widths", "_little")

    def __init__(self, *widths: int) -> None:
        self.size = sum(widths)
        self._widths = widths
        little: "Literal['little']" = "little"
        self._little = (little,) * len(widths)

    def pack(self, *values: int) -> bytes:
        if len(values) != len(self._widths):
            raise TypeError(f"a record of {len(self._widths)} fields, not {len(values)}")
        return b"".join(map(int.to_bytes, values, self._widths, self._little))

    def value(self, *values: int) -> int:
        """The record's bytes as one integer, little-endian."""
        return int.from_bytes(self.pack(*values), "little")

    def shift(self, field: int) -> int:
        """Where field number ``field`` starts in :meth:`value`'s integer, in bits."""
        return 8 * sum(self._widths[:field])


def _text(data: bytes) -> int:
    """Fixed bytes (an identification, a note's owner) as a field's integer."""
    return int.from_bytes(data, "little")


_EHDR = _Fields(16, 2, 2, 4, 8, 8, 8, 4, 2, 2, 2, 2, 2, 2)
_PHDR = _Fields(4, 4, 8, 8, 8, 8, 8, 8)
_SHDR = _Fields(4, 4, 8, 8, 8, 8, 4, 4, 8, 8)
_SYM = _Fields(4, 1, 1, 2, 8, 8)
_DYN = _Fields(8, 8)
# namesz, descsz, type, owner "stapsdt\0", then the descriptor's pc, base, semaphore
_NOTE_HEADER = _Fields(4, 4, 4, 8, 8, 8, 8)
_NOTE_DESCSZ_SHIFT = _NOTE_HEADER.shift(1)  # descsz: the only field that does not grow by a step from note to note
_NOTE_PC_SHIFT, _NOTE_BASE_SHIFT, _NOTE_SEMAPHORE_SHIFT = (_NOTE_HEADER.shift(field) for field in (4, 5, 6))
_BUILD_ID_HEADER = _Fields(4, 4, 4, 4)

_SEMAPHORE_SIZE = 2
_STAPSDT = _text(b"stapsdt\0")  # the notes' owner
_BUILD_ID_NOTE_SIZE = _BUILD_ID_HEADER.size + BUILD_ID_SIZE
_PHNUM = 5
_DYNAMIC_TAGS = (_DT_HASH, _DT_STRTAB, _DT_SYMTAB, _DT_STRSZ, _DT_SYMENT, _DT_NULL)

_A, _AX, _WA = _SHF_ALLOC, _SHF_ALLOC | _SHF_EXECINSTR, _SHF_ALLOC | _SHF_WRITE

# Section header order (index 0 is the null section): name -> (type, flags,
# alignment, entry size).  Allocated sections appear in address order too.
_SECTION_FORMATS = {
    ".note.gnu.build-id": (_SHT_NOTE, _A, 4, 0),
    ".hash": (_SHT_HASH, _A, 8, 4),
    ".dynsym": (_SHT_DYNSYM, _A, 8, _SYM.size),
    ".dynstr": (_SHT_STRTAB, _A, 1, 0),
    ".text": (_SHT_PROGBITS, _AX, 16, 0),
    ".stapsdt.base": (_SHT_PROGBITS, _A, 1, 0),
    ".dynamic": (_SHT_DYNAMIC, _WA, 8, _DYN.size),  # first of the writable segment
    ".probes": (_SHT_PROGBITS, _WA, _SEMAPHORE_SIZE, 0),
    ".note.stapsdt": (_SHT_NOTE, 0, 4, 0),
    ".tracers.provider": (_SHT_PROGBITS, 0, 1, 0),
    ".shstrtab": (_SHT_STRTAB, 0, 1, 0),
}
_SECTIONS = ("", *_SECTION_FORMATS)
_INDEX = {name: i for i, name in enumerate(_SECTIONS)}
_LINKS = {".hash": ".dynsym", ".dynsym": ".dynstr", ".dynamic": ".dynstr"}


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) & -alignment


def _string_table(strings: "Sequence[str]") -> tuple[bytes, list[int]]:
    """A NUL-separated table starting with an empty string, and each string's offset."""
    offsets = []
    position = 1
    for text in strings:
        offsets.append(position)
        position += len(text) + 1
    return b"\0" + b"".join(s.encode() + b"\0" for s in strings), offsets


_SHSTRTAB, _SECTION_NAME_OFFSETS = _string_table(_SECTIONS[1:])
_DYNSTR, (_BASE_NAME_OFFSET,) = _string_table([BASE_SYMBOL])
# SysV hash of the one symbol: one bucket, chain of [null, symbol 1].
_HASH = _Fields(4, 4, 4, 4, 4).pack(1, 2, 1, 0, 0)


def _pieces(data: bytes, fields: "Iterable[tuple[int, int]]") -> "tuple[bytes, ...]":
    """``data`` cut around each field (offset, size), in order: the pieces between and around them."""
    pieces = []
    position = 0
    for offset, size in fields:
        pieces.append(data[position:offset])
        position = offset + size
    pieces.append(data[position:])
    return tuple(pieces)


def _append_aligned(image: "list[bytes]", position: int, sections: "Iterable[bytes]",
                    alignments: "Iterable[int]") -> tuple[list[int], int]:
    """Append each section to ``image``, after the zeros that align it: each one's offset, and the end."""
    offsets = []
    for data, alignment in zip(sections, alignments):
        at = (position + alignment - 1) & -alignment
        image += bytes(at - position), data
        offsets.append(at)
        position = at + len(data)
    return offsets, position


# What is the same in every object of a machine, made when its first object is built and kept (not at
# import: what imports this module without building an object, list, trace, help(), skips it).
# A plain tuple (its fields: see _Frame): a record class would cost every process that loads the
# backend one more class to build.
_FRAMES: "dict[str, _Frame]" = {}
_PLACEMENT_AT = 16  # where a section header's address, offset and size start, after its name, type and flags
_PLACEMENT_SIZE = 24  # three 64-bit fields
_SYMBOL_VALUE_AT = 8  # where a symbol's value starts, after its name, info, other and section index
_FIXED = (".note.gnu.build-id", ".hash", ".dynsym", ".dynstr")  # the same size, hence place, in every object
# The others, in the order _build lays them out and fills in their section headers: the loaded ones, then the rest.
_VARYING = (".text", ".stapsdt.base", ".dynamic", ".probes", ".note.stapsdt", ".tracers.provider", ".shstrtab")


def _frame(arch: "_Arch") -> "_Frame":
    """The records of ``arch``'s objects, but for the fields :func:`_build` fills in.

    The sections before ``.text`` have the same size, hence the same offsets,
    in every object: they are whole here, as are their section headers and
    ``.dynamic`` and the build-id segment, which point at them.  The image up
    to ``.text`` and the section header table are kept in pieces, cut around
    the fields that vary: an object joins them with its own fields, once,
    with the rest of its image.
    """
    assert (*_FIXED, *_VARYING) == tuple(_SECTION_FORMATS), "the sections _build lays out, in their order"
    symbols = bytes(_SYM.size) + _SYM.pack(  # the null symbol, then the base, whose value is filled in
        _BASE_NAME_OFFSET, (_STB_GLOBAL << 4) | _STT_OBJECT, 0, _INDEX[".stapsdt.base"], 0, 1)
    build_id_note = _BUILD_ID_HEADER.pack(4, BUILD_ID_SIZE, _NT_GNU_BUILD_ID, _text(b"GNU\0")) + bytes(BUILD_ID_SIZE)
    sections = dict(zip(_FIXED, (build_id_note, _HASH, symbols, _DYNSTR)))
    fixed: "list[bytes]" = []
    offsets, end = _append_aligned(fixed, _EHDR.size + _PHNUM * _PHDR.size, sections.values(),
                                   (_SECTION_FORMATS[name][2] for name in _FIXED))
    at = dict(zip(_FIXED, offsets))
    text = _align(end, _SECTION_FORMATS[".text"][2])
    fixed.append(bytes(text - end))

    headers = [bytes(_SHDR.size)]  # the null section
    placements = []
    addressed = []
    for index, (name_offset, (name, (kind, flags, alignment, entry_size))) in enumerate(
        zip(_SECTION_NAME_OFFSETS, _SECTION_FORMATS.items()), start=1
    ):
        link = _INDEX[_LINKS.get(name, "")]
        info = 1 if name == ".dynsym" else 0  # index of the first global symbol
        offset = at.get(name, 0)
        size = len(sections.get(name, b""))
        headers.append(_SHDR.pack(name_offset, kind, flags, offset, offset, size, link, info, alignment, entry_size))
        if name in _VARYING:
            placements.append((index * _SHDR.size + _PLACEMENT_AT, _PLACEMENT_SIZE))
            addressed.append(bool(flags & _SHF_ALLOC))
    values = {_DT_HASH: at[".hash"], _DT_STRTAB: at[".dynstr"], _DT_SYMTAB: at[".dynsym"],
              _DT_STRSZ: len(_DYNSTR), _DT_SYMENT: _SYM.size, _DT_NULL: 0}
    dynamic = b"".join(_DYN.pack(tag, values[tag]) for tag in _DYNAMIC_TAGS)
    note = at[".note.gnu.build-id"]
    ident = b"\x7fELF" + bytes([2, 1, 1, 0, 0]) + bytes(7)  # 64-bit, little-endian, SysV
    head = b"".join((
        _EHDR.pack(
            _text(ident), _ET_DYN, arch.e_machine, 1,  # e_version
            0, _EHDR.size, 0,  # e_entry, e_phoff, e_shoff (filled in)
            0, _EHDR.size, _PHDR.size, _PHNUM,  # e_flags, e_ehsize, e_phentsize, e_phnum
            _SHDR.size, len(_SECTIONS), _INDEX[".shstrtab"],  # e_shentsize, e_shnum, e_shstrndx
        ),
        # The code, from the ELF header to .stapsdt.base; .dynamic and the semaphores, on a fresh page:
        # the offsets and sizes are filled in.
        _PHDR.pack(_PT_LOAD, _PF_R | _PF_X, 0, 0, 0, 0, 0, arch.page_size),
        _PHDR.pack(_PT_LOAD, _PF_R | _PF_W, 0, 0, 0, 0, 0, arch.page_size),
        _PHDR.pack(_PT_DYNAMIC, _PF_R | _PF_W, 0, 0, 0, len(dynamic), len(dynamic), 8),
        _PHDR.pack(_PT_NOTE, _PF_R, note, note, note, _BUILD_ID_NOTE_SIZE, _BUILD_ID_NOTE_SIZE, 4),
        # Without PT_GNU_STACK, glibc assumes the object needs an executable stack.
        _PHDR.pack(_PT_GNU_STACK, _PF_R | _PF_W, 0, 0, 0, 0, 0, 16),
        *fixed,
    ))

    def segment(number: int, first: int, last: int) -> tuple[int, int]:  # fields first to last of a program header
        start = _EHDR.size + number * _PHDR.size + _PHDR.shift(first) // 8
        return start, _EHDR.size + number * _PHDR.size + _PHDR.shift(last + 1) // 8 - start

    varying = (  # in the order _build fills them in
        (_EHDR.shift(6) // 8, 8),  # e_shoff
        segment(0, 5, 6),  # the code segment's size in the file and in memory
        segment(1, 2, 6),  # the data segment's offset, address, physical address and sizes
        segment(2, 2, 4),  # .dynamic's offset, address and physical address
        (note + _BUILD_ID_HEADER.size, BUILD_ID_SIZE),  # the build-id
        (at[".dynsym"] + _SYM.size + _SYMBOL_VALUE_AT, 8),  # the base symbol's value
    )
    page = max(arch.page_size, _SECTION_FORMATS[".dynamic"][2])  # a fresh page: no writable mapping over code
    return (
        _pieces(head, varying),
        text,
        dynamic,
        _NOTE_HEADER.value(8, 0, _NT_STAPSDT, _STAPSDT, 0, 0, 0),
        # From one note to the next, pc grows by a stub and the semaphore's address by a semaphore.
        _NOTE_HEADER.value(0, 0, 0, 0, len(arch.stub), 0, _SEMAPHORE_SIZE),
        _pieces(b"".join(headers), placements),
        tuple(addressed),
        tuple(page if name == ".dynamic" else alignment
              for name, (_, _, alignment, _) in _SECTION_FORMATS.items() if name in _VARYING),
    )


def _plainly_valid(names: "Sequence[str]", shapes: "Iterable[tuple[ArgSlot, ...]]") -> bool:
    """Whether every name is a distinct C identifier and every argument tuple valid, checked in bulk.

    When it is not, ``_check_each`` finds the first fault and says what it is.
    """
    try:
        if not "".join(names).isascii():  # also refuses a name that is not a str
            return False
    except TypeError:
        return False
    return all(map(str.isidentifier, names)) and len(set(names)) == len(names) and all(map(_valid_shape, shapes))


def _valid_shape(args: "Sequence[ArgSlot]") -> bool:
    """At most MAX_ARGS slots, each of a size a tracer reads."""
    return len(args) <= MAX_ARGS and all(_valid_size(slot.size) for slot in args)


def _valid_size(size: object) -> bool:
    """An ``int`` 1, 2, 4 or 8: not ``4.0`` or ``True``, which the note would print as they print."""
    return type(size) is int and size in (1, 2, 4, 8)


def _check_each(probes: "Sequence[ProbeDef]") -> None:
    """ValueError for the first invalid probe, in order."""
    names = set()
    for probe in probes:
        _check_identifier("probe name", probe.name)
        if len(probe.args) > MAX_ARGS:
            raise ValueError(f"probe {probe.name!r} has {len(probe.args)} argument slots; "
                             f"USDT probes support at most {MAX_ARGS}")
        for slot in probe.args:
            if not _valid_size(slot.size):
                raise ValueError(f"argument size must be 1, 2, 4 or 8 bytes, not {slot.size!r}")
        if probe.name in names:
            raise ValueError(f"duplicate probe names: {probe.name}")
        names.add(probe.name)


# Per argument slots, length of the provider's name and machine, what _ending gives for them: the
# providers of a process share a handful, so most providers' notes are made without formatting an
# argument string.  Only valid slots are kept, so that slots equal to them but written otherwise
# (a size of 4.0 for 4), which the checks refuse, never lend a valid probe their text.
_ENDINGS: "dict[tuple[tuple[ArgSlot, ...], int, int], tuple[int, tuple[bytes, ...]]]" = {}


def _ending(prefix: bytes, args: "tuple[ArgSlot, ...]", arch: "_Arch") -> "_Ending":
    """``args``, the descsz of its notes but for the name, and what follows the name for each length modulo 4."""
    key = (args, len(prefix), arch.e_machine)
    try:
        found = _ENDINGS.get(key)
        hashable = True
    except TypeError:  # slots that cannot be hashed (a list given for a size ...): made each time
        found, hashable = None, False
    if found is None:
        tail = b"\0" + _arg_string(args, arch).encode() + b"\0"
        fixed = len(prefix) + len(tail)  # the descriptor's strings, but for the name
        found = 24 + fixed, tuple([tail + bytes(-(fixed + size) % 4) for size in range(4)])
        if hashable and _valid_shape(args):
            _ENDINGS[key] = found
    return args, found[0], found[1]


def _notes(prefix: bytes, names: "Sequence[str]", endings: "Sequence[_Ending]", header: int, step: int) -> bytes:
    """Each probe's note: a header, then ``provider\\0name\\0args\\0`` padded to 4 bytes.

    ``header`` holds the first note's fields but descsz: from one note to the
    next, pc and semaphore grow by ``step``.
    """
    parts: "list[bytes]" = []
    for name, (_, descsz, tails) in zip(names, endings):
        size = len(name)  # names are ASCII: one byte a character
        note = header | (descsz + size) << _NOTE_DESCSZ_SHIFT
        parts += note.to_bytes(_NOTE_HEADER.size, "little"), prefix, name.encode(), tails[size % 4]
        header += step
    return b"".join(parts)


def build_shared_object(provider: str, probes: "Sequence[ProbeDef]", machine: str = "x86_64",
                        build_id: bytes = bytes(BUILD_ID_SIZE), description: bytes = b"") -> "SharedObject":
    """Lay out the ELF shared object holding ``probes`` under ``provider``.

    ``build_id`` (20 bytes) goes into the GNU build-id note; ``description``
    into the unloaded ``.tracers.provider`` section, for readers of the file.
    """
    names, slots = zip(*probes) if probes else ((), ())
    return _build(provider, names, slots, _same, machine, build_id, description)


def build_provider_object(provider: "ProviderSpec", machine: str, build_id: bytes,
                          description: bytes) -> "SharedObject":
    """:func:`build_shared_object` for ``provider``'s probes, read from its spec as it is.

    Each distinct argument tuple becomes its slots as the image is laid out:
    no :class:`ProbeDef` per probe to make and take apart again.
    """
    names, arguments = _names_and_arguments(provider)
    return _build(provider.name, names, arguments, _slots_of_args, machine, build_id, description)


def _same(slots: "tuple[ArgSlot, ...]") -> "tuple[ArgSlot, ...]":
    return slots


def _build(provider: str, names: "Sequence[str]", arguments: "Sequence[_Args]",
           slots_of_arguments: "Callable[[_Args], tuple[ArgSlot, ...]]", machine: str,
           build_id: bytes, description: bytes) -> "SharedObject":
    """The image of probes ``names``, each with the slots ``slots_of_arguments`` gives its ``arguments``."""
    arch = _ARCHES.get(machine)
    if arch is None:
        supported = ", ".join(sorted(_ARCHES))
        raise ValueError(f"unsupported machine {machine!r}; supported: {supported}")
    if len(build_id) != BUILD_ID_SIZE:
        raise ValueError(f"the build-id must be {BUILD_ID_SIZE} bytes, not {len(build_id)}")
    _check_identifier("provider", provider)
    prefix = provider.encode() + b"\0"
    made: "dict[int, _Ending]" = {}
    endings = _once_per_arguments(arguments, lambda args: _ending(prefix, slots_of_arguments(args), arch), made)
    if not _plainly_valid(names, [slots for slots, _, _ in made.values()]):
        _check_each([ProbeDef(name, slots) for name, (slots, _, _) in zip(names, endings)])
    count = len(names)
    stub_size = len(arch.stub)
    frame = _FRAMES.get(machine)
    if frame is None:
        frame = _FRAMES[machine] = _frame(arch)
    head, text, dynamic, note_start, note_step, table, addressed, alignments = frame

    image: "list[bytes]" = []
    loaded_sections: "tuple[bytes, ...]" = (arch.stub * count, b"\0", dynamic, bytes(_SEMAPHORE_SIZE * count))
    (_, base, dynamic_at, probes_at), end = _append_aligned(image, text, loaded_sections, alignments[:4])
    # Each note's header and descriptor as one integer: from one probe to the next, pc and
    # semaphore grow by a constant step and descsz is set apart.
    header = (note_start | text << _NOTE_PC_SHIFT | base << _NOTE_BASE_SHIFT
              | probes_at << _NOTE_SEMAPHORE_SHIFT)
    notes = _notes(prefix, names, endings, header, note_step)
    other_sections: "tuple[bytes, ...]" = (notes, description, _SHSTRTAB)
    (notes_at, provider_at, shstrtab_at), end = _append_aligned(image, end, other_sections, alignments[4:])
    section_headers = _align(end, 8)
    image += bytes(section_headers - end), table[0]
    offsets = (text, base, dynamic_at, probes_at, notes_at, provider_at, shstrtab_at)  # in _VARYING's order
    for offset, data, has_address, piece in zip(offsets, (*loaded_sections, *other_sections), addressed, table[1:]):
        # address, offset, size: three 64-bit fields as one integer
        image += ((len(data) << 64 | offset) << 64 | (offset if has_address else 0)).to_bytes(_PLACEMENT_SIZE,
                                                                                               "little"), piece

    code_end = (base + 1).to_bytes(8, "little")  # from the ELF header to the end of .stapsdt.base
    data_at = dynamic_at.to_bytes(8, "little")
    data_size = (probes_at + _SEMAPHORE_SIZE * count - dynamic_at).to_bytes(8, "little")  # .dynamic, semaphores
    image[:0] = (  # the head's pieces, and the fields _frame cut them around
        head[0], section_headers.to_bytes(8, "little"), head[1], code_end * 2, head[2], data_at * 3 + data_size * 2,
        head[3], data_at * 3, head[4], build_id, head[5], base.to_bytes(8, "little"), head[6])
    return SharedObject(b"".join(image), base, range(text, text + count * stub_size, stub_size),
                        range(probes_at, probes_at + count * _SEMAPHORE_SIZE, _SEMAPHORE_SIZE))


# The description, and the name it gives the object.

#: Bumped whenever the bytes written for the same provider change.
FORMAT_VERSION = 2
#: First line of every description.
MAGIC = f"tracers-provider {FORMAT_VERSION}"
#: Longest provider name kept in a file name (Linux allows 255 bytes per name).
_NAME_PREFIX = 96
#: Hex digits of the digest in a file name (64 bits).
_NAME_DIGEST = 16

_POINTER = ArgSlot(8, False)
_LENGTH = ArgSlot(8, False)


def slots_of(arg: "ArgType") -> "tuple[ArgSlot, ...]":
    """The USDT argument slots one value takes: ``bytes`` is a pointer then its length."""
    if arg.kind == "bytes":
        return (_POINTER, _LENGTH)
    if arg.kind == "str":
        return (_POINTER,)
    return (ArgSlot(arg.size, arg.signed),)


# Per signature (the probe's argument types), what the writer needs: a provider of thousands
# of probes has a handful of signatures.
_SLOTS: "dict[tuple[ArgType, ...], tuple[ArgSlot, ...]]" = {}


def probe_def(probe: "ProbeSpec") -> "ProbeDef":
    """The probe as the ELF writer sees it."""
    return ProbeDef(probe.name, _slots_of_args(probe.args))


def _slots_of_args(args: "tuple[ArgSpec, ...]") -> "tuple[ArgSlot, ...]":
    types = tuple([arg.type for arg in args])
    slots = _SLOTS.get(types)
    if slots is None:
        slots = _SLOTS[types] = tuple(slot for arg_type in types for slot in slots_of(arg_type))
    return slots


def _names_and_arguments(provider: "ProviderSpec") -> "tuple[list[str], list[tuple[ArgSpec, ...]]]":
    """The probes' names and argument tuples, as two columns.

    Read field by field: ``zip(*probes)`` would make an iterator per probe,
    objects the garbage collector tracks, and so run its young generation's
    passes over a large provider.
    """
    probes = provider.probes
    return [probe[0] for probe in probes], [probe[1] for probe in probes]


def describe(provider: "ProviderSpec") -> bytes:
    """The text stored in the object: one line per probe, ``name arg:type ...``."""
    head = f"{MAGIC}\nprovider {provider.name}\n"
    names, arguments = _names_and_arguments(provider)
    lines = ["probe ", "", "", "\n"] * len(names)  # "probe ", name, words, "\n"
    lines[1::4] = names
    lines[2::4] = _once_per_arguments(arguments, _words, {})
    return (head + "".join(lines)).encode()


def _words(args: "tuple[ArgSpec, ...]") -> str:
    return "".join(f" {arg.name}:{arg.type.display}" for arg in args)


class Identity(NamedTuple):
    """The name and build-id of a provider's object file."""

    file_name: str
    build_id: bytes


def identity(provider: str, description: bytes, machine: str) -> "Identity":
    """Digest of what determines the object's bytes: description (which holds
    the format version), machine."""
    digest = (_blake2b or _import_blake2b())(b"%s\0%s" % (machine.encode(), description),
                                               digest_size=BUILD_ID_SIZE).digest()
    return Identity(f"{provider[:_NAME_PREFIX]}-{digest.hex()[:_NAME_DIGEST]}.so", digest)


# BLAKE2b, imported with the first object named and kept (an import statement per provider
# costs the import system's lookup each time).
_blake2b: "Optional[Callable[..., Any]]" = None


def _import_blake2b() -> "Callable[..., Any]":
    """``_blake2`` imports in a fraction of ``hashlib``'s time."""
    global _blake2b
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    _blake2b = blake2b
    return blake2b


def is_object_name(name: str) -> bool:
    """Whether a directory entry is named like a provider object."""
    stem, dot, suffix = name.rpartition(".")
    provider, dash, digest = stem.rpartition("-")
    return (dot == "." and suffix == "so" and dash == "-" and is_identifier(provider)
            and len(digest) == _NAME_DIGEST and all(c in "0123456789abcdef" for c in digest))
