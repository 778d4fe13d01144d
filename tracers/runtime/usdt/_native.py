"""The few ctypes types the backend uses, made on ``_ctypes`` as ``ctypes`` makes them.

Importing ``ctypes`` costs the first provider of a process more than the rest
of the backend (it imports ``struct``, ``types`` and defines dozens of types);
the C extension underneath has everything the backend needs.  The classes
below are declared exactly as ``ctypes`` declares its own (``c_uint16`` is a
``_SimpleCData`` of type code ``"H"``, ``CFUNCTYPE`` a ``CFuncPtr`` subclass
with ``_argtypes_``, ``_restype_`` and ``_flags_``), so they convert, call and
truth-test in the same C code.
"""

from _ctypes import FUNCFLAG_CDECL, CFuncPtr, _SimpleCData

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any

    _Integer = _SimpleCData[int]
else:
    _Integer = _SimpleCData

__all__ = ["c_ushort", "Utf8", "parameter_type", "function_type"]


class c_ushort(_Integer):  # ctypes.c_uint16 (c_ushort), declared as ctypes declares it
    """An unsigned 16-bit integer in place: a probe's semaphore, true while a tracer is attached."""

    _type_ = "H"


class Utf8:
    """A ``char *`` parameter given a ``str``: ctypes passes it encoded as strict UTF-8.

    ctypes converts each argument with its parameter type's ``from_param``,
    any callable; this one is ``str.encode`` itself, so a fire function's
    strings are encoded in C, with no bytecode of their own.  Anything but a
    ``str`` (a subclass's own ``encode`` is not called), and a string with a
    lone surrogate, make the call raise ``ctypes.ArgumentError`` before the
    stub runs.
    """

    from_param = str.encode


# ctypes' names and type codes of the other parameter types a stub takes; each class is
# made on first use (a provider's probes use a few of them).
_CODES = {"c_char_p": "z", "c_bool": "?", "c_byte": "b", "c_ubyte": "B", "c_short": "h", "c_ushort": "H",
          "c_int": "i", "c_uint": "I", "c_long": "l", "c_ulong": "L"}  # c_long: 64 bits where USDT works
#: (size in bytes, signed) -> the name of the C integer type of that width.
INTEGER_NAMES = {(1, True): "c_byte", (1, False): "c_ubyte", (2, True): "c_short", (2, False): "c_ushort",
                 (4, True): "c_int", (4, False): "c_uint", (8, True): "c_long", (8, False): "c_ulong"}
_types: "dict[str, Any]" = {"c_ushort": c_ushort}


def parameter_type(name: str) -> "Any":
    """The ctypes type called ``name`` (``c_char_p``, ``c_bool``, ``c_int`` ...), declared as ctypes does."""
    found = _types.get(name)
    if found is None:
        found = _types[name] = type(name, (_SimpleCData,), {"_type_": _CODES[name], "__module__": __name__})
    return found


_function_types: "dict[tuple[Any, ...], Any]" = {}


def function_type(argtypes: "tuple[Any, ...]") -> "Any":
    """``ctypes.CFUNCTYPE(None, *argtypes)``: a C function returning nothing, one class per signature."""
    found = _function_types.get(argtypes)
    if found is None:
        found = _function_types[argtypes] = type("StubType", (CFuncPtr,), {
            "_argtypes_": argtypes, "_restype_": None, "_flags_": FUNCFLAG_CDECL})
    return found
