"""The few ctypes types the backend uses, made on ``_ctypes`` as ``ctypes`` makes them.

Importing ``ctypes`` costs the first provider of a process more than the rest
of the backend (it imports ``struct``, ``types`` and defines dozens of types);
the C extension underneath has everything the backend needs.  The classes
below are declared exactly as ``ctypes`` declares its own (``c_uint16`` is a
``_SimpleCData`` of type code ``"H"``, ``CFUNCTYPE`` a ``CFuncPtr`` subclass
with ``_argtypes_``, ``_restype_`` and ``_flags_``), so they convert, call and
truth-test in the same C code.
"""

import os
from _ctypes import FUNCFLAG_CDECL, FUNCFLAG_USE_ERRNO, RTLD_LOCAL, CFuncPtr, _SimpleCData, dlopen, dlsym, get_errno

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any

    _Integer = _SimpleCData[int]
else:
    _Integer = _SimpleCData

__all__ = ["c_ushort", "Utf8", "parameter_type", "function_type", "flock", "LOCK_SH", "LOCK_EX", "LOCK_NB"]


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


# <sys/file.h>: the same values on every Linux architecture.
LOCK_SH, LOCK_EX, LOCK_NB = 1, 2, 4
_EINTR = 4


class _FlockType(CFuncPtr):  # ctypes.CFUNCTYPE(c_int, c_int, c_int, use_errno=True)
    _argtypes_ = (parameter_type("c_int"), parameter_type("c_int"))
    _restype_ = parameter_type("c_int")
    _flags_ = FUNCFLAG_CDECL | FUNCFLAG_USE_ERRNO


# dlopen(NULL): the process itself, whose libc has flock (typeshed allows only a path).
_libc_flock = _FlockType(dlsym(dlopen(None, RTLD_LOCAL), "flock"))  # type: ignore[arg-type]


def flock(fd: int, operation: int) -> None:
    """``fcntl.flock``, called in libc through ``_ctypes``: importing the ``fcntl``
    extension would cost the first provider of a process about 0.1 ms more.

    Raises ``OSError`` as ``fcntl.flock`` does (``BlockingIOError`` for a
    lock that ``LOCK_NB`` did not wait for); retried when a signal interrupts it.
    """
    while _libc_flock(fd, operation) != 0:
        code = get_errno()
        if code != _EINTR:
            raise OSError(code, os.strerror(code))
