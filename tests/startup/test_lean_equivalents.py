"""What start-up avoids importing is replaced by code of tracers' own that must mean the same.

Each test compares one replacement with the standard module it stands for:
records with ``typing.NamedTuple``, the provider name with the regular
expressions it was written with, the width aliases with ``typing.Annotated``,
the USDT backend's C types with ``ctypes``', its ``flock`` and range locks
with ``fcntl``'s, its ELF records with ``struct``.
"""
from __future__ import annotations

import copy
import ctypes
import pickle
import random
import re
import struct
import typing

import pytest

from tracers._provider import snake_case
from tracers._record import NamedTuple


class Lean(NamedTuple):
    """A record."""

    kind: str
    size: int
    signed: bool
    optional: bool = False

    @property
    def shown(self) -> str:
        return f"{self.kind}{self.size}"


class Typed(typing.NamedTuple):
    """A record."""

    kind: str
    size: int
    signed: bool
    optional: bool = False


def test_a_record_behaves_as_typing_namedtuple_makes_it() -> None:
    lean, typed = Lean("int", 8, True), Typed("int", 8, True)
    assert type(Lean) is type(Typed) is type and Lean.__bases__ == Typed.__bases__ == (tuple,)
    assert repr(lean) == repr(typed).replace("Typed", "Lean")
    assert lean == typed == ("int", 8, True, False) and hash(lean) == hash(typed)
    assert lean._fields == typed._fields and lean._field_defaults == typed._field_defaults
    assert getattr(Lean, "__match_args__", None) == getattr(Typed, "__match_args__", None)
    assert lean._replace(optional=True) == typed._replace(optional=True)
    assert hasattr(Lean, "__replace__") == hasattr(Typed, "__replace__")  # copy.replace, from 3.13 on
    if hasattr(copy, "replace"):
        assert copy.replace(lean, size=4) == copy.replace(typed, size=4) == ("int", 4, True, False)
    assert lean._asdict() == dict(typed._asdict())
    assert Lean._make(["str", 8, False, True]) == Typed._make(["str", 8, False, True])
    assert Lean(kind="bool", size=1, signed=False) == Typed(kind="bool", size=1, signed=False)
    assert lean.shown == "int8" and Lean.kind.__doc__ == Typed.kind.__doc__
    assert type(Lean.__dict__["kind"]) is type(Typed.__dict__["kind"])  # the same C accessor of a field
    assert not hasattr(lean, "__dict__")
    with pytest.raises(AttributeError):
        lean.size = 4  # type: ignore[misc]
    copied = pickle.loads(pickle.dumps(lean))
    assert type(copied) is Lean and copied == lean and copy.deepcopy(lean) == lean


@pytest.mark.parametrize("args, kwargs", [((), {}), (("a",), {}), (("a", 1, True, False, 5), {}),
                                          (("a",), {"kind": "b"}), (("a", 1, True), {"other": 1})])
def test_a_wrong_call_raises_type_error_as_typing_namedtuple_does(args: tuple, kwargs: dict) -> None:
    with pytest.raises(TypeError):
        Typed(*args, **kwargs)
    with pytest.raises(TypeError):
        Lean(*args, **kwargs)


def _both(body: str, bases: str = "NamedTuple") -> tuple:
    """The class ``body`` declared on tracers' NamedTuple and on typing's: each class, or what its declaration raised."""
    made = []
    for base in (NamedTuple, typing.NamedTuple):
        namespace: dict = {"NamedTuple": base}
        try:
            exec(f"class R({bases}):\n" + body, namespace)  # noqa: S102 - the test's own source
            made.append(namespace["R"])
        except Exception as problem:  # noqa: BLE001 - compared below with what typing raises
            made.append(type(problem))
    return tuple(made)


def test_a_record_body_may_define_what_typing_namedtuple_lets_it_define() -> None:
    lean, typed = _both("    a: int\n    b: int = 2\n    def __repr__(self):\n        return 'custom'\n"
                        "    __match_args__ = ('b',)\n")
    assert repr(lean(1)) == repr(typed(1)) == "custom"
    assert getattr(lean, "__match_args__") == getattr(typed, "__match_args__") == ("b",)
    for name in ("_fields", "__new__", "_asdict", "_make", "__getnewargs__", "__slots__"):
        lean_error, typed_error = _both(f"    a: int\n    {name} = None\n")
        assert lean_error is typed_error is AttributeError, name
    assert _both("    a: int\n    _b: int\n") == (ValueError, ValueError)
    assert _both("    a: int\n", "NamedTuple, x=1") == (TypeError, TypeError)


def test_fields_named_cls_and_self_are_passed_by_keyword_and_replaced_as_typing_allows() -> None:
    lean, typed = _both("    cls: int\n    self: int = 0\n")
    assert lean(cls=1) == typed(cls=1) == (1, 0)
    assert lean(cls=1)._replace(self=5) == typed(cls=1)._replace(self=5) == (1, 5)
    raised = []
    for record in (lean, typed):
        with pytest.raises(Exception) as caught:
            record(1)._replace(other=2)
        raised.append(type(caught.value))
    assert raised[0] is raised[1]  # ValueError before 3.13, TypeError from 3.13 on


def test_snake_case_means_what_its_regular_expressions_meant() -> None:
    def by_regex(name: str) -> str:
        name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
        return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()

    rng = random.Random(8)
    names = ["SimpleProbes", "HTTPServer", "ABCDef", "aB1C", "X", "", "Already_snake", "IOError2Xml", "ÉtéAB"]
    names += ["".join(rng.choice("aAbBzZ09_É") for _ in range(rng.randrange(1, 12))) for _ in range(5000)]
    for name in names:
        assert snake_case(name) == by_regex(name), name


def test_width_aliases_are_the_annotated_types_they_were() -> None:
    import tracers
    from tracers._types import IntWidth

    for name, bits, signed in [("I8", 8, True), ("U16", 16, False), ("I32", 32, True), ("U64", 64, False)]:
        alias = getattr(tracers, name)
        assert alias == typing.Annotated[int, IntWidth(bits, signed)]
        assert alias is getattr(tracers._types, name)  # one object, wherever it is reached


def test_the_backend_c_types_convert_and_truth_test_as_ctypes_ones() -> None:
    from tracers.runtime.usdt import _fire

    cell = ctypes.c_uint16(0)
    ours = _fire.c_ushort.from_address(ctypes.addressof(cell))
    assert not ours and ours.value == 0 and type(ours).__name__ == type(ctypes.c_uint16()).__name__
    cell.value = 3
    assert ours and ours.value == 3
    seen = []
    callback = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int64, ctypes.c_bool)(
        lambda text, number, flag: seen.append((text, number, flag)))
    address = ctypes.cast(callback, ctypes.c_void_p).value
    argtypes = (_fire.parameter_type("c_char_p"), _fire.parameter_type(_fire.INTEGER_NAMES[(8, True)]),
                _fire.parameter_type("c_bool"))
    stub = _fire.function_type(argtypes)(address)
    stub(b"text", -(2**63), True)
    stub(None, 2**64 + 5, 0)  # NULL, and an integer wrapped to 64 bits, as ctypes does
    assert seen == [(b"text", -(2**63), True), (None, 5, False)]
    with pytest.raises(ctypes.ArgumentError):
        stub("text", 1, True)  # a str is not bytes: refused, as ctypes refuses it
    assert _fire.function_type(argtypes) is _fire.function_type(argtypes)


def test_the_backend_flock_locks_and_fails_as_fcntl_flock_does(tmp_path) -> None:
    """Each outcome of ``fcntl.flock`` (granted, would block, bad descriptor), through libc by ``_ctypes``."""
    import fcntl
    import os

    from tracers.runtime.usdt import _store

    assert (_store.LOCK_SH, _store.LOCK_EX, _store.LOCK_NB, _store.LOCK_UN) == (
        fcntl.LOCK_SH, fcntl.LOCK_EX, fcntl.LOCK_NB, fcntl.LOCK_UN)
    path = tmp_path / "object"
    path.write_bytes(b"")
    first, second = os.open(path, os.O_RDONLY), os.open(path, os.O_RDONLY)  # two open files: two lock holders
    try:
        for ours, theirs in ((_store.flock, fcntl.flock), (fcntl.flock, _store.flock)):
            ours(first, _store.LOCK_EX | _store.LOCK_NB)
            with pytest.raises(BlockingIOError):
                theirs(second, fcntl.LOCK_SH | fcntl.LOCK_NB)
            ours(first, _store.LOCK_SH)  # converted to shared: another shared lock is granted at once
            theirs(second, fcntl.LOCK_SH | fcntl.LOCK_NB)
            with pytest.raises(BlockingIOError):
                ours(first, _store.LOCK_EX | _store.LOCK_NB)
            fcntl.flock(first, fcntl.LOCK_UN)
            fcntl.flock(second, fcntl.LOCK_UN)
        closed = os.open(path, os.O_RDONLY)
        os.close(closed)
        with pytest.raises(OSError) as raised:
            _store.flock(closed, _store.LOCK_SH)
        with pytest.raises(OSError) as expected:
            fcntl.flock(closed, fcntl.LOCK_SH)
        assert (type(raised.value), raised.value.errno, raised.value.strerror) == (
            type(expected.value), expected.value.errno, expected.value.strerror)
    finally:
        os.close(first)
        os.close(second)


def test_the_backend_range_locks_fail_as_fcntl_does_and_its_errno_constant_is_errno_s(tmp_path) -> None:
    """The store names its failures without the ``errno`` module: the ``OSError`` subclass of the code
    libc set, and the one constant it needs (a link that ``O_NOFOLLOW`` refused)."""
    import errno
    import fcntl
    import os
    import struct

    from tracers.runtime.usdt import _store

    assert _store._ELOOP == errno.ELOOP
    path = tmp_path / "object"
    path.write_bytes(b"\0" * 64)
    first, second = os.open(path, os.O_RDWR), os.open(path, os.O_RDWR)
    try:
        assert _store.mark_leaving(first)
        write_lock = struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 0, 0)
        with pytest.raises((BlockingIOError, PermissionError)):  # what alone() takes for another's mark
            fcntl.fcntl(second, fcntl.F_OFD_SETLK, write_lock)
        assert not _store.alone(second)
        closed = os.open(path, os.O_RDWR)
        os.close(closed)
        with pytest.raises(OSError) as raised:
            _store.mark_leaving(closed)
        with pytest.raises(OSError) as expected:
            fcntl.fcntl(closed, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_RDLCK, 0, 0, 0, 0))
        assert (type(raised.value), raised.value.errno, raised.value.strerror) == (
            type(expected.value), expected.value.errno, expected.value.strerror)
    finally:
        os.close(first)
        os.close(second)


@pytest.mark.parametrize("fmt", ["<16sHHIQQQIHHHHHH", "<IIQQQQQQ", "<IIQQQQIIQQ", "<IBBHQQ", "<QQ", "<III8sQQQ",
                                 "<IIIII"])
def test_the_elf_records_pack_as_struct_packs_them(fmt: str) -> None:
    """Each record of the ELF writer, with fixed bytes given as their integer."""
    from tracers.runtime.usdt._elf import _Fields, _text

    codes = fmt[1:].replace("16s", "s").replace("8s", "s")
    widths = [16 if code == "s" and fmt.count("16s") else 8 if code == "s" else struct.calcsize("<" + code)
              for code in codes]
    record = _Fields(*widths)
    assert record.size == struct.calcsize(fmt)
    rng = random.Random(fmt)
    for _ in range(200):
        values = [rng.choice([0, 1, (1 << 8 * width) - 1, rng.randrange(1 << 8 * width)]) for width in widths]
        as_struct = [value.to_bytes(width, "little") if code == "s" else value
                     for value, width, code in zip(values, widths, codes)]
        assert record.pack(*values) == struct.pack(fmt, *as_struct)
        assert record.value(*values) == int.from_bytes(struct.pack(fmt, *as_struct), "little")
    assert _text(b"stapsdt\0").to_bytes(8, "little") == b"stapsdt\0"
    for index, width in enumerate(widths):
        for wrong in (-1, 1 << 8 * width):  # struct refuses a value that does not fit, and so does the record
            values = [0] * len(widths)
            values[index] = wrong
            with pytest.raises(OverflowError):
                record.pack(*values)
    with pytest.raises(TypeError):
        record.pack(*[0] * (len(widths) + 1))
