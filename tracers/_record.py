"""``NamedTuple`` for tracers' own records, without importing ``typing`` or ``collections``.

Every Python process that installs the import hook imports some of tracers'
modules, so they must not pull in ``typing`` (which imports ``collections``,
``functools``, ``re`` ...) nor pay ``collections.namedtuple``'s code
generation per class.  Type checkers see ``typing.NamedTuple`` itself; at run
time a class declared with this one is what ``typing.NamedTuple`` makes: a
``tuple`` subclass without instance dictionaries whose fields are the
annotated names, in order, with their defaults, and ``_fields``,
``_field_defaults``, ``_make``, ``_replace``, ``_asdict``, a ``repr`` that
names the fields, and pickling.
"""
import sys

_new_tuple = tuple.__new__  # a global: faster to reach than the attribute of ``tuple`` on each record made

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

    from typing import NamedTuple as NamedTuple

    _tuplegetter: "Callable[[int, str], Any]"  # typeshed has no stubs of _collections
else:
    from _collections import _tuplegetter  # collections.namedtuple's field accessor, in C

    class _RecordMeta(type):
        """Builds each class declared on ``NamedTuple`` as a plain ``tuple`` subclass (of metaclass ``type``)."""

        def __new__(mcls, name, bases, namespace, **kwargs):
            if not bases:  # NamedTuple itself
                return super().__new__(mcls, name, bases, namespace)
            if len(bases) != 1:
                raise TypeError("a NamedTuple class derives from NamedTuple alone")
            if kwargs:
                raise TypeError(f"{name}: a NamedTuple class takes no keyword arguments: {', '.join(kwargs)}")
            return _make_class(name, namespace)

    class NamedTuple(metaclass=_RecordMeta):
        """The base of a record class at run time (type checkers see ``typing.NamedTuple``)."""


def _make_class(name: str, namespace: "dict[str, Any]") -> type:
    annotations = namespace.get("__annotations__")
    if annotations is None and "__annotate__" in namespace:  # annotations evaluated on demand (PEP 649)
        annotations = namespace["__annotate__"](1)
    fields = tuple(annotations or ())
    for field in fields:
        if field.startswith("_"):
            raise ValueError(f"{name}: a field name cannot start with an underscore: {field!r}")
    defaults = {field: namespace[field] for field in fields if field in namespace}
    if list(defaults) != list(fields[len(fields) - len(defaults):]):
        raise TypeError(f"{name}: a field without a default follows one with a default")
    count, required = len(fields), len(fields) - len(defaults)
    default_values = tuple(defaults.values())

    def __new__(_cls: type, /, *args: "Any", **kwargs: "Any") -> "Any":  # fields may be called cls
        if kwargs or len(args) != count:
            args = _arguments(name, fields, default_values, required, args, kwargs)
        return _new_tuple(_cls, args)

    body: "dict[str, Any]" = {
        "__slots__": (), "__new__": __new__, "_fields": fields, "_field_defaults": defaults,
        "_make": classmethod(_make), "_replace": _replace, "_asdict": _asdict, "__repr__": _repr,
        "__getnewargs__": _getnewargs, "__doc__": f"{name}({', '.join(fields)})",
    }
    if sys.version_info >= (3, 10):  # as collections.namedtuple, for match statements
        body["__match_args__"] = fields
    if sys.version_info >= (3, 13):  # as collections.namedtuple, for copy.replace
        body["__replace__"] = _replace
    for index, field in enumerate(fields):
        body[field] = _tuplegetter(index, f"Alias for field number {index}")
    # Then the class's own body, as typing.NamedTuple takes it: it may define __repr__ or
    # __match_args__, not what makes the record a record.
    for key, value in namespace.items():
        if key in _PROHIBITED:
            raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
        if key not in defaults and (key != "__doc__" or value is not None):
            body[key] = value
    return type(name, (tuple,), body)


_PROHIBITED = frozenset({"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults", "_make",
                         "_replace", "_asdict", "_source"})


def _arguments(name: str, fields: "tuple[str, ...]", defaults: "tuple[Any, ...]", required: int,
               args: "tuple[Any, ...]", kwargs: "dict[str, Any]") -> "tuple[Any, ...]":
    """All the values of a call with keywords or defaults; TypeError as a function call raises."""
    if len(args) > len(fields):
        raise TypeError(f"{name}() takes {len(fields)} positional arguments but {len(args)} were given")
    for word in kwargs:
        if word in fields[:len(args)]:
            raise TypeError(f"{name}() got multiple values for argument {word!r}")
        if word not in fields:
            raise TypeError(f"{name}() got an unexpected keyword argument {word!r}")
    missing = [field for field in fields[len(args):required] if field not in kwargs]
    if missing:
        raise TypeError(f"{name}() missing {len(missing)} required argument{'s' if len(missing) > 1 else ''}: "
                        f"{', '.join(repr(field) for field in missing)}")
    values = list(args)
    for index in range(len(args), len(fields)):
        field = fields[index]
        values.append(kwargs[field] if field in kwargs else defaults[index - required])
    return tuple(values)


def _make(cls: "Any", iterable: "Iterable[Any]") -> "Any":
    result = tuple.__new__(cls, iterable)
    if len(result) != len(cls._fields):
        raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
    return result


def _replace(self: "Any", /, **changes: "Any") -> "Any":
    result = self._make(map(changes.pop, self._fields, self))
    if changes:
        raise _UNEXPECTED_FIELD(f"Got unexpected field names: {list(changes)!r}")
    return result


_UNEXPECTED_FIELD = TypeError if sys.version_info >= (3, 13) else ValueError  # as collections.namedtuple raises


def _asdict(self: "Any") -> "dict[str, Any]":
    return dict(zip(self._fields, self))


def _repr(self: "Any") -> str:
    inner = ", ".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
    return f"{self.__class__.__name__}({inner})"


def _getnewargs(self: "Any") -> "tuple[Any, ...]":
    return tuple(self)
