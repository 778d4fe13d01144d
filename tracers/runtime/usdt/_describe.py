"""What an object file says about its provider, and the name it goes by.

Each provider's object carries a short text description (provider, probes,
argument names and types) in its ``.tracers.provider`` section, so that
``tracers list --pid`` and ``tracers trace`` can name every argument from
the file alone.  The file's name and GNU build-id come from a digest of that
description, the machine and the object format: the same provider always
gives the same bytes under the same name, which is what lets every process
of a service share one file and one tracer command reach them all.

Readers treat a description as untrusted input: sizes are capped and every
name must be a C identifier before anything is printed.
"""

from ..._record import NamedTuple
from ..._spec import ArgSpec, ProbeSpec, ProviderSpec
from ..._types import ArgType
from ._elf import BUILD_ID_SIZE, MAX_ARGS, ArgSlot, ProbeDef, is_identifier

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any, Callable

#: Bumped whenever the bytes written for the same provider change.
FORMAT_VERSION = 2
_MAGIC = f"tracers-provider {FORMAT_VERSION}"
#: Longest provider name kept in a file name (Linux allows 255 bytes per name).
_NAME_PREFIX = 96
#: Hex digits of the digest in a file name (64 bits).
_NAME_DIGEST = 16
#: Limits a reader enforces on a description it did not write.
MAX_PROBES = 100_000
MAX_NAME = 256

_POINTER = ArgSlot(8, False)
_LENGTH = ArgSlot(8, False)


def _all_types() -> "dict[str, ArgType]":
    types = [ArgType("bool", 1, False), ArgType("str", 8, False), ArgType("bytes", 8, False)]
    types += [ArgType("int", size, signed) for size in (1, 2, 4, 8) for signed in (True, False)]
    every = types + [t._replace(optional=True) for t in types]
    return {t.display: t for t in every}


#: Display name -> type, filled when a description is first read: writers never need it.
_TYPES: "dict[str, ArgType]" = {}


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
    types = tuple([arg.type for arg in probe.args])
    slots = _SLOTS.get(types)
    if slots is None:
        slots = _SLOTS[types] = tuple(slot for arg_type in types for slot in slots_of(arg_type))
    return ProbeDef(probe.name, slots)


def probe_defs(provider: "ProviderSpec") -> "list[ProbeDef]":
    """Every probe of ``provider`` as the ELF writer sees it.

    Probes described alike share their argument tuple (see ``tracers._provider``):
    each distinct one is looked at once.
    """
    by_args: dict[int, tuple[ArgSlot, ...]] = {}
    found = []
    for probe in provider.probes:
        slots = by_args.get(id(probe.args))
        if slots is None:
            slots = by_args[id(probe.args)] = probe_def(probe).args
        found.append(ProbeDef(probe.name, slots))
    return found


def describe(provider: "ProviderSpec") -> bytes:
    """The text stored in the object: one line per probe, ``name arg:type ...``."""
    by_args: dict[int, str] = {}  # probes described alike share their argument tuple
    lines = [_MAGIC, f"provider {provider.name}"]
    for probe in provider.probes:
        words = by_args.get(id(probe.args))
        if words is None:
            words = by_args[id(probe.args)] = "".join(f" {arg.name}:{arg.type.display}" for arg in probe.args)
        lines.append(f"probe {probe.name}{words}")
    return ("\n".join(lines) + "\n").encode()


class Identity(NamedTuple):
    """The name and build-id of a provider's object file."""

    file_name: str
    build_id: bytes


def identity(provider: str, description: bytes, machine: str) -> "Identity":
    """Digest of what determines the object's bytes: description (which holds
    the format version), machine."""
    digest = _digest_function()(b"%s\0%s" % (machine.encode(), description))
    return Identity(f"{provider[:_NAME_PREFIX]}-{digest.hex()[:_NAME_DIGEST]}.so", digest)


def _digest_function() -> "Callable[[bytes], bytes]":
    """BLAKE2b of BUILD_ID_SIZE bytes; ``_blake2`` imports in a fraction of ``hashlib``'s time."""
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    return lambda data: blake2b(data, digest_size=BUILD_ID_SIZE).digest()


def is_object_name(name: str) -> bool:
    """Whether a directory entry is named like a provider object."""
    stem, dot, suffix = name.rpartition(".")
    provider, dash, digest = stem.rpartition("-")
    return (dot == "." and suffix == "so" and dash == "-" and is_identifier(provider)
            and len(digest) == _NAME_DIGEST and all(c in "0123456789abcdef" for c in digest))


def read_description(data: bytes) -> "ProviderSpec":
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
    if len(lines) < 2 or lines[0] != _MAGIC:
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


def _read_arg(word: str) -> "ArgSpec":
    name, _, display = word.partition(":")
    if not _TYPES:
        _TYPES.update(_all_types())
    arg_type = _TYPES.get(display)
    if not _valid_name(name) or arg_type is None:
        raise ValueError("invalid argument")
    return ArgSpec(name, arg_type)


def _valid_name(value: "Any") -> bool:
    return is_identifier(value) and len(value) <= MAX_NAME
