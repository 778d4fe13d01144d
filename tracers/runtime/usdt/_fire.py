"""Fire functions that convert a probe's arguments and call its stub, and the ctypes types they use.

Each probe gets a function generated for its exact arity and types, so the
common case (values already of the declared type) costs one ctypes call, in
which ctypes itself encodes each ``str`` (see :class:`Utf8`). ctypes
wraps integers to the C width, which is the documented behaviour; anything
ctypes refuses, and the values of the wrong kind it would take (``None`` for a
pointer, anything for a ``bool``), go through the slow path that normalises
every value or reports why it cannot (or raises, in strict mode).

A ``bytes`` value takes two USDT arguments: its address, then its length,
so that tracers read it whole, NUL bytes included.
"""

import builtins
import os
import sys
from _ctypes import FUNCFLAG_CDECL, CFuncPtr, _SimpleCData

from ..._spec import ProbeSpec
from ..._types import ArgType
from ._backend import c_ushort  # the gates' type, also the stub's type of a 16-bit unsigned argument

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import CodeType, FunctionType
    from typing import Any, Callable
else:
    FunctionType = type(lambda: None)  # types.FunctionType, without importing types


# The few ctypes types a probe needs, made on ``_ctypes`` as ``ctypes`` makes them: importing
# ``ctypes`` would cost the first provider of a process more than the rest of the backend (it
# imports ``struct`` and ``types`` and defines dozens of types).  Each class is declared exactly
# as ``ctypes`` declares its own (``c_uint16``, the gates' type in ``_backend``, is a
# ``_SimpleCData`` of type code ``"H"``, ``CFUNCTYPE`` a ``CFuncPtr`` subclass with ``_argtypes_``,
# ``_restype_`` and ``_flags_``), so they convert, call and truth-test in the same C code.

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


def ctypes_of(arg: "ArgType") -> "tuple[Any, ...]":
    """The ctypes types of the stub's parameters for one argument."""
    if arg.kind == "bytes":
        return (parameter_type("c_char_p"), parameter_type(INTEGER_NAMES[(8, False)]))
    if arg.kind == "str":
        return (parameter_type("c_char_p"),)
    if arg.kind == "bool":
        return (parameter_type("c_bool"),)
    return (parameter_type(INTEGER_NAMES[(arg.size, arg.signed)]),)


def stub_prototype(probe: "ProbeSpec") -> "Any":
    """The ctypes function type of a probe's stub, taking the C values themselves."""
    return function_type(tuple(c for arg in probe.args for c in ctypes_of(arg.type)))


def fast_prototype(probe: "ProbeSpec") -> "Any":
    """The stub's function type for the fast path: a ``str`` (not ``None``) is passed as it is."""
    return function_type(tuple(c for arg in probe.args
                               for c in ((Utf8,) if arg.type.kind == "str" and not arg.type.optional
                                         else ctypes_of(arg.type))))


def _wire(arg: "ArgType") -> "Callable[[Any], tuple[Any, ...]]":
    """The stub's parameters for one normalised value."""
    if arg.kind == "str":
        return lambda value: (None if value is None else str.encode(value, "utf-8", "replace"),)
    if arg.kind == "bytes":
        return lambda value: (None, 0) if value is None else (value, len(value))
    return lambda value: (0 if value is None else value,)


_MISSING = object()  # default of every parameter: a short call still reaches the slow path's check
_CODE_CACHE: "dict[str, CodeType]" = {}
# Inside the package, so that warnings skip these frames and name the user's line.
_GENERATED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "<generated fire>")


def make_fire(probe: "ProbeSpec", address: int, strict: bool,
              report: "Callable[[BaseException], None]") -> "Callable[..., None]":
    """Build ``fire(*args)`` for the probe whose stub is at ``address``; it never raises, it ``report``s.

    The fast path passes values of the declared types straight to ctypes.
    Anything else (a wrong count, a value of another type) is retried
    through the slow path, which normalises every value or reports why it
    cannot.  In strict mode every call takes the slow path, so nothing is
    wrapped silently.
    """
    # Built on first use, the stub's C-typed pointer included (its ctypes types are made then):
    # most probes never take the slow path.
    prepared: list[Any] = []

    def slow(*values: "Any") -> None:
        if not prepared:
            from .._convert import normaliser

            prepared[:] = [normaliser(probe, strict), tuple(_wire(arg.type) for arg in probe.args),
                           stub_prototype(probe)(address)]
        normalise, wires, stub = prepared
        converted = normalise(tuple(v for v in values if v is not _MISSING))
        stub(*(part for wire, value in zip(wires, converted) for part in wire(value)))

    def checked(*values: "Any") -> None:
        try:
            slow(*values)
        except Exception as problem:
            report(problem)

    if strict:
        return checked
    code = _fire_code([arg.type for arg in probe.args])
    # Python 3.9 needs the builtins named; the ones fire uses are globals of its own (one dict
    # lookup each, where Python before 3.11 looks a builtin up in two).
    namespace = {"fast": fast_prototype(probe)(address), "checked": checked, "refuse": _refuse,
                 "encode": str.encode, "int": int, "bool": bool, "bytes": bytes, "len": len,
                 "isinstance": isinstance, "__builtins__": builtins}
    # A code object of its own: the interpreter's caches of global lookups live in the code, and
    # keyed to one namespace they would miss at every call where probes of one shape take turns.
    fire: Callable[..., None] = FunctionType(code.replace(), namespace, "fire", (_MISSING,) * len(probe.args))
    return fire


def _fire_code(types: "list[ArgType]") -> "CodeType":
    """The code of ``fire`` for these argument types, compiled once per shape."""
    names = [f"a{i}" for i in range(len(types))]
    parameters = ", ".join(_fast_expression(name, arg) for name, arg in zip(names, types))
    # Positional-only, as every backend's fire is: a0, a1 ... are no names a caller may use.
    source = (
        f"def fire({''.join(name + ', ' for name in names)}{'/, ' if names else ''}*extra):\n"
        f"    if not extra:\n"
        f"        try:\n"
        f"            return fast({parameters})\n"
        f"        except Exception:\n"
        f"            pass\n"
        f"    checked({''.join(name + ', ' for name in names)}*extra)\n"
    )
    code = _CODE_CACHE.get(source)
    if code is None:
        # exec, not compile(): the compile builtin first sets up the ast module's node types,
        # a millisecond that a traced program would pay for its first probe.
        scratch: dict[str, Any] = {"__builtins__": builtins}
        exec(source, scratch)  # noqa: S102 - our own source: a def statement
        code = _CODE_CACHE[source] = scratch["fire"].__code__.replace(co_filename=_GENERATED)
    return code


def _refuse() -> "Any":
    """Send a value the fast path must not pass on to the slow path, which names the problem."""
    raise TypeError("not for the fast path")


# ctypes on Python 3.9 also converts objects with __int__ (a Decimal) for integer arguments.
_CTYPES_TAKES_INT_LIKE = sys.version_info < (3, 10)


def _fast_expression(name: str, arg: "ArgType") -> str:
    """The stub's parameters for a value of the declared type.

    ctypes itself refuses a float, a str or None for an integer; what it would
    take but must not fire is refused in the branch the common case skips.
    """
    if arg.kind == "str":
        # Strict UTF-8, by str.encode itself (in ctypes for a str that cannot be None, see Utf8):
        # anything but a str (a str subclass's own encode is not called) makes it raise, and so
        # does a lone surrogate: the slow path then names the wrong value, or sends the string
        # with '?' in the surrogate's place.
        return f"(None if {name} is None else encode({name}))" if arg.optional else name
    if arg.kind == "bytes":  # the address, then the length; None (NULL, 0) takes the slow path
        return f"({name} if {name}.__class__ is bytes else refuse()), len({name})"
    if arg.kind == "bool" or _CTYPES_TAKES_INT_LIKE:
        # ctypes takes anything for c_bool (its truth value).
        exact = "bool" if arg.kind == "bool" else "int"
        return f"({name} if {name}.__class__ is {exact} else refuse())"
    # ctypes also takes an object with _as_parameter_ (its own protocol), which must not fire; an
    # int subclass (IntEnum, bool) is sent as ctypes sends it, and anything else with __index__
    # (numpy integers) goes through the slow path, which sends it the same way.
    return f"({name} if isinstance({name}, int) else refuse())"
