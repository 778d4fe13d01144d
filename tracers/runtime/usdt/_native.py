"""The few ctypes types the backend uses, made on ``_ctypes`` as ``ctypes`` makes them.

Importing ``ctypes`` costs the first provider of a process more than the rest
of the backend (it imports ``struct``, ``types`` and defines dozens of types);
the C extension underneath has everything the backend needs.  The classes
below are declared exactly as ``ctypes`` declares its own (``c_uint16`` is a
``_SimpleCData`` of type code ``"H"``, ``CFUNCTYPE`` a ``CFuncPtr`` subclass
with ``_argtypes_``, ``_restype_`` and ``_flags_``), so they convert, call and
truth-test in the same C code.
"""
from __future__ import annotations

from _ctypes import FUNCFLAG_CDECL, RTLD_LOCAL, CFuncPtr, _SimpleCData, dlopen, dlsym

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any, Optional

    _Integer = _SimpleCData[int]
    _Pointer = _SimpleCData[Optional[bytes]]
    _Boolean = _SimpleCData[bool]
else:
    _Integer = _Pointer = _Boolean = _SimpleCData

__all__ = ["c_ushort", "c_char_p", "c_bool", "INTEGERS", "function_type", "load", "symbol"]


# Named and declared as ctypes names and declares them (c_uint16 is c_ushort).
class c_ushort(_Integer):
    """An unsigned 16-bit integer in place: a probe's semaphore, true while a tracer is attached."""

    _type_ = "H"


class c_char_p(_Pointer):
    _type_ = "z"


class c_bool(_Boolean):
    _type_ = "?"


class c_byte(_Integer):
    _type_ = "b"


class c_ubyte(_Integer):
    _type_ = "B"


class c_short(_Integer):
    _type_ = "h"


class c_int(_Integer):
    _type_ = "i"


class c_uint(_Integer):
    _type_ = "I"


class c_long(_Integer):  # 64 bits on the machines USDT objects are made for
    _type_ = "l"


class c_ulong(_Integer):
    _type_ = "L"


#: (size in bytes, signed) -> the C integer type of a stub's parameter.
INTEGERS: dict[tuple[int, bool], Any] = {
    (1, True): c_byte, (1, False): c_ubyte, (2, True): c_short, (2, False): c_ushort,
    (4, True): c_int, (4, False): c_uint, (8, True): c_long, (8, False): c_ulong,
}

_function_types: dict[tuple[Any, ...], Any] = {}


def function_type(argtypes: tuple[Any, ...]) -> Any:
    """``ctypes.CFUNCTYPE(None, *argtypes)``: a C function returning nothing, one class per signature."""
    found = _function_types.get(argtypes)
    if found is None:
        found = _function_types[argtypes] = type("StubType", (CFuncPtr,), {
            "_argtypes_": argtypes, "_restype_": None, "_flags_": FUNCFLAG_CDECL})
    return found


def load(path: str) -> int:
    """``dlopen`` the object at ``path`` as ``ctypes.CDLL(path, RTLD_LOCAL)`` does; its handle (never closed)."""
    handle: int = dlopen(path, RTLD_LOCAL)
    return handle


def symbol(handle: int, name: str) -> int:
    """The address of symbol ``name`` in a loaded object (OSError when it has none)."""
    address: int = dlsym(handle, name)
    return address
