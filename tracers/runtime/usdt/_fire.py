"""Fire functions that convert a probe's arguments and call its stub.

Each probe gets a function generated for its exact arity and types, so the
common case (values already of the declared type) costs one ctypes call plus
a UTF-8 encode per string. ctypes wraps integers to the C width, which is the
documented behaviour; anything ctypes refuses goes through the slow path that
normalises every value (or raises, in strict mode).
"""
from __future__ import annotations

import ctypes
from typing import Any, Callable

from ..._spec import ProbeSpec
from ..._types import ArgType
from .._convert import normaliser

_INT_CTYPES = {
    (1, True): ctypes.c_int8, (2, True): ctypes.c_int16, (4, True): ctypes.c_int32, (8, True): ctypes.c_int64,
    (1, False): ctypes.c_uint8, (2, False): ctypes.c_uint16, (4, False): ctypes.c_uint32, (8, False): ctypes.c_uint64,
}


def ctype_of(arg: ArgType) -> Any:
    """The ctypes type the stub is declared with for one argument."""
    if arg.is_pointer:
        return ctypes.c_char_p
    if arg.kind == "bool":
        return ctypes.c_bool
    return _INT_CTYPES[(arg.size, arg.signed)]


def encode_str(value: Any) -> Any:
    """str to NUL-terminated UTF-8; lone surrogates become '?' instead of failing."""
    return value.encode("utf-8", "replace") if value is not None else None


def zero_if_none(value: Any) -> Any:
    """An Optional integer or bool given None reaches the tracer as 0."""
    return 0 if value is None else value


def _to_wire(arg: ArgType) -> Any:
    """The conversion applied after normalising, or None when the value passes as is."""
    if arg.kind == "str":
        return encode_str
    if arg.optional and not arg.is_pointer:
        return zero_if_none
    return None


def make_fire(probe: ProbeSpec, stub: Callable[..., None], strict: bool) -> Callable[..., None]:
    """Build ``fire(*args)`` for one probe."""
    stub.argtypes = [ctype_of(arg.type) for arg in probe.args]  # type: ignore[attr-defined]
    stub.restype = None  # type: ignore[attr-defined]
    normalise = normaliser(probe, strict)
    to_wire = tuple(_to_wire(arg.type) for arg in probe.args)

    def slow(*values: Any) -> None:
        converted = normalise(values)
        stub(*(conv(v) if conv else v for conv, v in zip(to_wire, converted)))

    if strict:
        return slow
    names = [f"a{i}" for i in range(len(probe.args))]
    fast = [_fast_expression(name, arg.type) for name, arg in zip(names, probe.args)]
    source = (
        f"def fire({', '.join(names)}):\n"
        f"    try:\n"
        f"        stub({', '.join(fast)})\n"
        f"    except ArgumentError:\n"
        f"        slow({', '.join(names)})\n"
    )
    namespace: dict[str, Any] = {"stub": stub, "slow": slow, "ArgumentError": ctypes.ArgumentError}
    exec(compile(source, f"<tracers fire {probe.name}>", "exec"), namespace)
    fire: Callable[..., None] = namespace["fire"]
    return fire


def _fast_expression(name: str, arg: ArgType) -> str:
    """The argument as passed to ctypes when it already has the declared type."""
    if arg.kind == "str":
        # Anything but a str (None included) raises in ctypes and takes the slow path.
        return f"({name}.encode('utf-8', 'replace') if {name}.__class__ is str else {name})"
    return name
