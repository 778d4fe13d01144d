"""Probe argument types: what annotations mean and how values are converted.

Every supported annotation maps to one :class:`ArgType`, which knows its C
size and signedness (for USDT argument strings) and how to normalise a Python
value at fire time.
"""
import sys

from ._record import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Annotated, Any, Callable


class IntWidth(NamedTuple):
    """Marker inside ``Annotated[int, ...]`` that fixes a C integer width."""

    bits: int
    signed: bool


_WIDTH_NAMES = {
    (8, True): "I8", (16, True): "I16", (32, True): "I32", (64, True): "I64",
    (8, False): "U8", (16, False): "U16", (32, False): "U32", (64, False): "U64",
}

if TYPE_CHECKING:
    I8 = Annotated[int, IntWidth(8, True)]
    I16 = Annotated[int, IntWidth(16, True)]
    I32 = Annotated[int, IntWidth(32, True)]
    I64 = Annotated[int, IntWidth(64, True)]
    U8 = Annotated[int, IntWidth(8, False)]
    U16 = Annotated[int, IntWidth(16, False)]
    U32 = Annotated[int, IntWidth(32, False)]
    U64 = Annotated[int, IntWidth(64, False)]
else:
    _WIDTHS = {name: IntWidth(*width) for width, name in _WIDTH_NAMES.items()}

    def __getattr__(name):
        """``I8`` ... ``U64``, made on first use: they are ``typing.Annotated`` aliases,
        and ``typing`` is not imported by a process that never asks for them."""
        width = _WIDTHS.get(name)
        if width is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from typing import Annotated

        value = globals()[name] = Annotated[int, width]
        return value


SUPPORTED = (
    "int, bool, str, bytes, tracers.I8/I16/I32/I64, tracers.U8/U16/U32/U64, "
    "or Optional[...] of one of these"
)

if TYPE_CHECKING:
    Converter = Callable[[Any], Any]


class ArgType(NamedTuple):
    """The wire type of one probe argument."""

    kind: str  # "int", "bool", "str" or "bytes"
    size: int  # bytes the tracer reads: 1, 2, 4 or 8 (pointers are 8)
    signed: bool
    optional: bool = False

    @property
    def display(self) -> str:
        """The annotation as a user would write it."""
        if self.kind == "int":
            base = "int" if (self.size, self.signed) == (8, True) else _WIDTH_NAMES[(self.size * 8, self.signed)]
        else:
            base = self.kind
        return f"Optional[{base}]" if self.optional else base

    @property
    def is_pointer(self) -> bool:
        return self.kind in ("str", "bytes")

    def converter(self, strict: bool, name: str = "") -> "Converter":
        """A function giving the value as fired: an int wrapped to width, a bool, str, bytes or None.

        A value of the wrong kind (a float for an integer, ``None`` for a
        non-Optional argument, a ``str`` for ``bytes``) raises
        :class:`TypeError` in every mode; an integer out of range raises
        :class:`ValueError` in strict mode and wraps otherwise.  Messages
        start with ``name`` (``size: expected U32, got float``).  Built once
        per probe, so the checks it needs are precomputed.
        """
        convert = _CONVERTERS[self.kind](self, strict, f"{name}: " if name else "")
        if self.optional:
            return lambda value: None if value is None else convert(value)
        return convert

    def wrong_kind(self, value: "Any", prefix: str = "") -> "TypeError":
        """The error for a value that is not of the declared kind."""
        return TypeError(f"{prefix}expected {self.display}, got {kind_name(value)}")


def kind_name(value: "Any") -> str:
    """``float``, ``None``, ``numpy.float64``: the value's type as a user names it."""
    if value is None:
        return "None"
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _int_converter(t: "ArgType", strict: bool, prefix: str) -> "Converter":
    from _operator import index as _index  # operator.index; imported only by a process that converts values

    bits = t.size * 8
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if t.signed else (0, (1 << bits) - 1)
    mask, display = (1 << bits) - 1, t.display

    def convert(value: "Any") -> "Any":
        if value.__class__ is int and low <= value <= high:
            return value
        try:
            number = int(_index(value))  # int, bool, numpy integers (3.9 returns a bool as is)
        except TypeError:
            raise t.wrong_kind(value, prefix) from None
        if low <= number <= high:
            return number
        if strict:
            raise ValueError(f"{prefix}{number} out of range for {display} [{low}, {high}]")
        number &= mask
        return number - (1 << bits) if number > high else number

    return convert


def _bool_converter(t: "ArgType", strict: bool, prefix: str) -> "Converter":
    from _operator import index as _index  # operator.index; imported only by a process that converts values

    def convert(value: "Any") -> "Any":
        if value.__class__ is bool:
            return value
        if isinstance(value, int) or _is_numpy_bool(value):
            return bool(value)
        try:
            return bool(_index(value))  # numpy integers
        except TypeError:
            raise t.wrong_kind(value, prefix) from None

    return convert


def _is_numpy_bool(value: "Any") -> bool:
    """``numpy.bool_`` is not an ``int``; numpy is never imported for this."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.bool_)


def _str_converter(t: "ArgType", strict: bool, prefix: str) -> "Converter":
    def convert(value: "Any") -> str:
        if isinstance(value, str):
            return value
        raise t.wrong_kind(value, prefix)

    return convert


def _bytes_converter(t: "ArgType", strict: bool, prefix: str) -> "Converter":
    def convert(value: "Any") -> bytes:
        if isinstance(value, bytes):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        raise t.wrong_kind(value, prefix)

    return convert


_CONVERTERS: "dict[str, Callable[[ArgType, bool, str], Converter]]" = {
    "int": _int_converter,
    "bool": _bool_converter,
    "str": _str_converter,
    "bytes": _bytes_converter,
}

_PLAIN = {
    int: ArgType("int", 8, True),
    bool: ArgType("bool", 1, False),
    str: ArgType("str", 8, False),
    bytes: ArgType("bytes", 8, False),
}


def arg_type_of(annotation: "Any") -> "ArgType":
    """Map an evaluated annotation to its :class:`ArgType`.

    Raises :class:`TypeError` with a short reason when it is not supported.
    """
    found = _PLAIN.get(annotation) if isinstance(annotation, type) else None
    if found is not None:  # int, bool, str, bytes: no typing needed
        return found
    import types
    import typing  # Optional[...], Annotated[...]: the module that declares them imported typing already

    unions = (typing.Union, types.UnionType) if sys.version_info >= (3, 10) else (typing.Union,)
    optional = False
    origin = typing.get_origin(annotation)
    if origin in unions:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1 or len(typing.get_args(annotation)) != 2:
            raise TypeError(f"unsupported union {_name_of(annotation)}; only Optional[X] is allowed")
        optional = True
        annotation = members[0]
        origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        widths = [e for e in extras if isinstance(e, IntWidth)]
        if base is int and len(widths) == 1:
            width = widths[0]
            return ArgType("int", width.bits // 8, width.signed, optional)
        annotation = base
    found = _PLAIN.get(annotation) if isinstance(annotation, type) else None
    if found is None:
        raise TypeError(f"unsupported annotation {_name_of(annotation)}")
    return ArgType(found.kind, found.size, found.signed, optional)


def _name_of(annotation: "Any") -> str:
    if isinstance(annotation, type):
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")
