"""``@tracer``: turn a class of annotated method stubs into a provider of probes.

Everything is validated when the class is created, so a wrong definition fails
at import with the file, line, probe and fix, never later at fire time.
"""
import sys
from _operator import is_ as _is  # operator.is_, without importing the operator module
from _thread import RLock
from _weakref import ref as weak_ref  # weakref.ref, without importing the weakref module at start-up

from . import _config, _report
from ._errors import ProbeDefinitionError
from ._record import NamedTuple
from ._spec import ArgSpec, ProbeBinding, ProbeSpec, ProviderSpec
from ._types import SUPPORTED, arg_type_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import CodeType, FrameType, FunctionType, ModuleType
    from typing import Any, Callable, NoReturn, Optional, TypeVar, Union, overload

    from ._docs import ProviderDoc

    T = TypeVar("T", bound=type)
else:
    FunctionType = type(lambda: None)  # types.FunctionType, without importing types
    CodeType = type((lambda: None).__code__)

    def overload(function):
        """typing.overload for type checkers; at run time the last definition is the function."""
        return function

MAX_ARGS = 12
_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_CO_COROUTINE = 0x80
# What sends a definition to _check_parameters, which names the fault: *args, **kwargs, async def.
_NOT_PLAIN = _CO_VARARGS | _CO_VARKEYWORDS | _CO_COROUTINE
_CLASS_BOOKKEEPING = frozenset(
    {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__",
     "__annotations__", "__firstlineno__", "__static_attributes__"}
)
# Makes a ProbeSpec or a _PendingProbe, one per probe, in C: no Python frame (a record's
# keyword-aware __new__, an __init__) for each.
_new_tuple = tuple.__new__


def _empty() -> None:
    """Reference body with a docstring; ``...`` and ``pass`` compile like _bare."""


def _bare() -> None:
    pass


_EMPTY_BODIES = (_empty.__code__.co_code, _bare.__code__.co_code)


def _is_c_identifier(name: object) -> bool:
    """ASCII letters, digits and ``_``, not starting with a digit."""
    return isinstance(name, str) and name.isascii() and name.isidentifier()


def _has_empty_body(code: "CodeType") -> bool:
    """True for a body that is only a docstring, ``...`` or ``pass``."""
    if code.co_code not in _EMPTY_BODIES or code.co_names:
        return False
    consts = code.co_consts
    if consts == (None,) or not consts:
        return True
    return (consts[0] is None or isinstance(consts[0], str)) and all(c is None for c in consts[1:])


class ProbeCall:
    """A probe with its arguments, built by ``Provider.event(args)``.

    Only the runtime fallback (code imported without the hook) uses it:
    ``probe(call)`` fires it.  With tracing on but nothing listening, every
    call is the one shared :data:`IDLE_CALL`, so that the fallback builds
    nothing; with tracing off ``Provider.event(args)`` returns ``None`` (see
    :class:`_OffProbe`).
    """

    __slots__ = ("probe", "args", "problem")

    def __init__(self, probe: "Probe", args: "tuple[Any, ...]", problem: "Optional[str]" = None) -> None:
        self.probe = probe
        self.args = args
        self.problem = problem

    def __repr__(self) -> str:
        if self is IDLE_CALL:
            return "<call of a probe that nothing listens to>"
        return f"<call of {self.probe.label} with {self.args!r}>"


IDLE_CALL: "ProbeCall" = ProbeCall.__new__(ProbeCall)
"""What ``Provider.event(args)`` returns, with tracing on, while its gate is closed: ``probe()`` ignores it."""
IDLE_CALL.probe, IDLE_CALL.args, IDLE_CALL.problem = None, (), None  # type: ignore[assignment]


class Probe:
    """One probe of a provider: ``Provider.event``.

    ``gate`` is true while something listens; ``fire(*args)`` emits the event.
    Rewritten call sites use both directly; calling the probe builds a
    :class:`ProbeCall` for ``probe()``.

    It carries its definition's ``__doc__``, ``__name__``, ``__qualname__``
    and ``__module__``, and the definition itself as ``__wrapped__``, so that
    ``help()`` and ``inspect.signature()`` show what was declared.
    """

    __slots__ = ("spec", "provider", "gate", "fire", "__dict__")

    def __init__(self, spec: "ProbeSpec", provider: str, gate: "Any", fire: "Callable[..., None]",
                 definition: "Optional[FunctionType]" = None) -> None:
        self.spec = spec
        self.provider = provider
        self.gate = gate
        self.fire = fire
        if definition is not None:
            self.__dict__.update(
                __doc__=definition.__doc__, __name__=definition.__name__, __qualname__=definition.__qualname__,
                __module__=definition.__module__, __wrapped__=definition)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.spec.name}"

    def __bool__(self) -> bool:
        return bool(self.gate)

    def __call__(self, *args: "Any", **kwargs: "Any") -> "Optional[ProbeCall]":
        # The runtime fallback, with tracing on (off: _OffProbe).
        return _fire.fallback_call(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<probe {self.provider}:{self.spec.signature}>"


class _IgnoresArguments:
    """An object whose bound ``__init__`` is a C function that takes any
    arguments, ignores them and returns ``None``.

    ``object.__init__`` refuses extra arguments only for a class that defines
    ``__init__`` or keeps ``object.__new__``; this one does neither.
    """

    __slots__ = ()

    def __new__(cls) -> "_IgnoresArguments":
        return object.__new__(cls)


class _OffProbe(Probe):
    """One probe of a provider declared while tracing is off.

    The runtime fallback (code imported without the hook) calls it for every
    probe statement: the call builds nothing and returns ``None``, which
    ``probe()`` ignores, whatever the arguments (the statement the hook
    deletes checks none either).  Its ``__call__`` is C code, so that the
    statement runs no Python frame besides ``probe()``'s and costs no more
    than ``logger.debug`` below its level.
    """

    __slots__ = ()

    if not TYPE_CHECKING:  # type checkers see Probe.__call__, which declares the same result
        __call__ = _IgnoresArguments().__init__


def _made_at_first_event(probe: "Probe", label: str, make: "Callable[[], Callable[..., None]]",
                         reports_errors: bool) -> "Callable[..., None]":
    """A deferred binding's fire (see :class:`ProbeBinding`): the first event makes the
    backend's fire function, which then takes this one's place on the probe.

    Call sites look ``fire`` up on the probe at each event, so the next one
    goes straight to the function made; a reference kept to this one still
    fires, through it.
    """
    made: "list[Callable[..., None]]" = []

    def fire(*args: "Any") -> None:
        if not made:
            try:
                emit = make()
            except Exception as problem:
                _report.fire_failed(label, problem)
                return
            made.append(emit if reports_errors else _guarded(label, emit))
            probe.fire = made[0]
        made[0](*args)

    return fire


def _guarded(label: str, emit: "Callable[..., None]") -> "Callable[..., None]":
    """Wrap a backend's fire so that no error reaches the traced program."""

    def fire(*args: "Any") -> None:
        try:
            emit(*args)
        except Exception as problem:
            _report.fire_failed(label, problem)

    return fire


def snake_case(name: str) -> str:
    """``SimpleProbes`` -> ``simple_probes``, ``HTTPServer`` -> ``http_server``.

    The regular expressions' meaning, without importing ``re``, in one pass:
    an ASCII capital gets a ``_`` before it when it ends a run of capitals and
    a lowercase letter follows (``HTTPServer``), or when it follows a
    lowercase letter or a digit.
    """
    last = len(name) - 1
    return "".join([
        "_" + c if "A" <= c <= "Z" and i and (
            "a" <= name[i - 1] <= "z" or "0" <= name[i - 1] <= "9"  # follows a lowercase letter or a digit
            or "A" <= name[i - 1] <= "Z" and i < last and "a" <= name[i + 1] <= "z")  # ends a run of capitals
        else c
        for i, c in enumerate(name)
    ]).lower()


@overload
def tracer(cls: "T") -> "T": ...
@overload
def tracer(*, provider: "Optional[str]" = None) -> "Callable[[T], T]": ...
def tracer(cls: "Optional[T]" = None, *, provider: "Optional[str]" = None) -> "Union[T, Callable[[T], T]]":
    """Declare a provider: each method of the class becomes a probe.

    The provider is named after the class in snake_case unless
    ``provider=`` names it; probe names are the method names.
    """
    if cls is None:
        def decorate(inner: "T") -> "T":
            return _make_provider(inner, provider, sys._getframe(1))
        return decorate
    return _make_provider(cls, provider, sys._getframe(1))


def _make_provider(cls: "T", provider: "Optional[str]", caller: "Optional[FrameType]") -> "T":
    if not isinstance(cls, type):
        raise ProbeDefinitionError(f"@tracer decorates a class, not {type(cls).__name__}")
    body = _class_body_code(cls, caller)
    where = _class_location(cls, body, caller)
    name = provider if provider is not None else snake_case(cls.__name__)
    if not _is_c_identifier(name):
        _fail(where, f"provider {cls.__qualname__}", f"provider name {name!r} is not a C identifier",
              "use ASCII letters, digits and '_' not starting with a digit, e.g. @tracer(provider=\"my_app\")")
    if cls.__bases__ != (object,):
        _fail(where, f"provider {cls.__qualname__}", "a @tracer class cannot have base classes",
              "declare the probes in a class of their own")
    twice = _defined_twice(cls, body)
    definitions: "dict[str, FunctionType]" = {}
    for attr, value in vars(cls).items():
        if attr in _CLASS_BOOKKEEPING:
            continue
        # A def, or a @staticmethod of one, that nothing wraps (the usual probe) is taken without a call.
        function = value.__func__ if type(value) is staticmethod else value
        if type(function) is not FunctionType or getattr(function, "__wrapped__", None) is not None:
            found = _definition(value)
            if found is None:
                if twice is not None:
                    continue  # a name defined twice is reported first, below
                _probe_specs(cls, definitions, fast=False)  # the faults of the definitions declared before it
                _fail_not_a_definition(cls, attr, value, where)
            function = found
        definitions[attr] = function
    if twice is not None:
        first, second = twice
        _probe_specs(cls, {attr: function for attr, function in definitions.items()
                           if function.__code__.co_firstlineno < second.co_firstlineno}, fast=False)
        _fail(f"{second.co_filename}:{second.co_firstlineno}", f"probe {cls.__qualname__}.{second.co_name}",
              f"is defined twice (first at line {first.co_firstlineno})", "rename or remove one of them")
    specs = _probe_specs(cls, definitions)
    if not specs:
        _fail(where, f"provider {cls.__qualname__}", "declares no probes",
              "add at least one probe such as '@staticmethod def started(pid: int) -> ProbeCall: ...'")
    _claim_provider_name(name, cls, where)
    spec = ProviderSpec(name, cls.__qualname__, cls.__module__, specs)
    maker = _ProbeMaker(cls, name, _bind(spec))
    for (attr, function), probe_spec in zip(definitions.items(), specs):
        setattr(cls, attr, _new_tuple(_PendingProbe, (maker, probe_spec, function)))
    cls.__tracers_provider__ = spec  # type: ignore[attr-defined]
    cls.__doc__ = _ProviderDoc(spec, cls.__doc__)  # type: ignore[assignment]  # a descriptor: see _ProviderDoc
    return cls


class _ProbeMaker:
    """Makes a provider's :class:`Probe` objects, each when it is first looked up.

    A provider may declare thousands of probes and a process use few of them:
    each probe's backend binding (for ``usdt``, its ctypes objects and fire
    function) and its :class:`Probe` are made on first use, which then takes
    the definition's place in the class.
    """

    __slots__ = ("cls", "name", "bindings", "lock")

    def __init__(self, cls: type, name: str, bindings: "Any") -> None:
        self.cls = cls
        self.name = name
        self.bindings = bindings  # probe name -> ProbeBinding; a backend may make each on first lookup
        self.lock = RLock()  # reentrant: a signal handler may look a probe up while its thread makes it

    def make(self, pending: "_PendingProbe") -> "Probe":
        spec: ProbeSpec = pending[1]
        with self.lock:  # one Probe per probe, whichever thread looks it up first
            current = vars(self.cls).get(spec.name)
            if isinstance(current, Probe):
                return current
            binding = self.bindings[spec.name]
            if binding.deferred:
                probe = Probe(spec, self.name, binding.gate, _never, pending[2])
                probe.fire = _made_at_first_event(probe, f"{self.name}:{spec.name}", binding.fire,
                                                  binding.reports_errors)
            else:
                fire = binding.fire if binding.reports_errors else _guarded(f"{self.name}:{spec.name}", binding.fire)
                kind = _OffProbe if fire is _never else Probe
                probe = kind(spec, self.name, binding.gate, fire, pending[2])
            setattr(self.cls, spec.name, probe)
            return probe


class _PendingProbe(tuple):  # type: ignore[type-arg]  # of (_ProbeMaker, ProbeSpec, FunctionType)
    """A probe of a provider class until it is first looked up (see :class:`_ProbeMaker`).

    A tuple (maker, spec, definition), made with ``tuple.__new__``: a provider
    of thousands of probes makes one per probe without a Python frame each.
    """

    __slots__ = ()

    def __get__(self, instance: "Any", owner: "Any" = None) -> "Probe":
        return self[0].make(self)  # type: ignore[no-any-return]

    def __reduce__(self) -> "Any":
        """Pickled (with its class, by cloudpickle) as the probe it stands for."""
        probe = self[0].make(self)
        return type(probe), (probe.spec, probe.provider, probe.gate, probe.fire, self[2])


class _ProviderDoc:
    """A provider class's ``__doc__``: ``tracers._docs``' text, which that module
    (and ``shlex``, ``re``) is imported for only when it is first read (``help()``).

    ``type.__doc__`` calls ``__get__`` of a descriptor stored as ``__doc__``.
    """

    __slots__ = ("_spec", "_user_doc", "_doc")

    def __init__(self, spec: "ProviderSpec", user_doc: "Optional[str]") -> None:
        self._spec = spec
        self._user_doc = user_doc
        self._doc: Optional[ProviderDoc] = None

    def __get__(self, instance: "Any", owner: "Any" = None) -> str:
        if self._doc is None:
            from ._docs import provider_doc
            self._doc = provider_doc(self._spec, self._user_doc)
        return self._doc.__get__(instance, owner)


def _bind(spec: "ProviderSpec") -> "Any":
    mode = _config.current()
    if not mode.enabled:
        return _OFF
    return (_runtime or _import_runtime()).bind_provider(spec, mode)


# ``tracers.runtime``, imported with the first provider bound while tracing is on (a process
# with tracing off never loads a backend). Kept here after that: a ``from . import runtime``
# statement in ``_bind`` would cost every provider importlib's handling of a package.
_runtime: "Optional[ModuleType]" = None


def _import_runtime() -> "ModuleType":
    global _runtime
    from . import runtime

    _runtime = runtime
    return runtime


def _never(*args: "Any") -> None:
    """Tracing is off: nothing fires."""


class _Off(dict):  # type: ignore[type-arg]
    """Tracing is off: every probe's binding is the same closed gate and ``_never``."""

    def __missing__(self, name: str) -> "ProbeBinding":
        return _OFF_BINDING


_OFF_BINDING = ProbeBinding(False, _never, True)
_OFF = _Off()


def _definition(value: "Any") -> "Optional[FunctionType]":
    """The function of one probe definition (a plain ``def`` or a ``@staticmethod``), or None."""
    function = _as_declared(value.__func__ if isinstance(value, staticmethod) else value)
    return function if isinstance(function, FunctionType) else None


def _fail_not_a_definition(cls: type, attr: str, value: "Any", where: str) -> "NoReturn":
    kind = type(value).__name__
    wrapped = getattr(getattr(value, "__func__", None), "__code__", None)
    if wrapped is not None:
        where = f"{wrapped.co_filename}:{wrapped.co_firstlineno}"
    _fail(where, f"probe {cls.__qualname__}.{attr}", f"is a {kind}, not a probe definition",
          "a @tracer class holds only probe definitions: "
          "'@staticmethod def name(arg: type, ...) -> ProbeCall: ...'")


def _plain_probe_names(definitions: "dict[str, FunctionType]") -> bool:
    """Whether every probe name is an ASCII identifier not starting with ``__``, checked in bulk.

    When one is not, each definition's name is checked on its own, in order,
    which finds the first fault and says what it is.
    """
    try:
        joined = "\0".join(definitions)
    except TypeError:  # a name that is not a str
        return False
    return (joined.isascii() and not joined.startswith("__") and "\0__" not in joined
            and all(map(str.isidentifier, definitions)))


def _probe_specs(cls: type, definitions: "dict[str, FunctionType]", fast: bool = True) -> "tuple[ProbeSpec, ...]":
    """Check each definition and describe it, in order, so that the first fault found is the first one declared.

    A provider of thousands of probes has a handful of signatures, mostly
    declared one after another.  A definition of the usual kind (a bare body,
    positional parameters without defaults) whose argument names, module and
    annotations equal those of the signature described last is described in
    this loop, without a call: it passes every check that one passed.  Any
    other goes through :func:`_probe_spec`.  Then the annotations of those so
    described must be the very objects of the signature that described them,
    all checked at once; if one is not, every definition goes through
    :func:`_probe_spec` (``fast=False``).  An equal dict may hold its names in
    another order (one assigned by hand): its values are then matched with
    those of other names, which only the signature's own values, equal to each
    other but not the same, could pass; such a signature describes no
    definition in this loop.
    """
    known: "dict[Any, Any]" = {}
    names_checked = fast and _plain_probe_names(definitions)
    specs = []
    last: "Any" = None  # _probe_spec's (names, annotations, module, argument descriptions, values, none alike)
    taken: "list[Any]" = []  # the annotations of the definitions described here, one after another
    described: "list[Any]" = []  # those of the signatures that described them, in the same order
    for attr, function in definitions.items():
        code = function.__code__
        annotations = function.__annotations__
        try:
            same = (last is not None and names_checked and code.co_consts == (None,) and code.co_code in _EMPTY_BODIES
                    and not (code.co_names or code.co_flags & _NOT_PLAIN or code.co_kwonlyargcount
                             or function.__defaults__)
                    and function.__globals__ is last[2] and last[0] == code.co_varnames[: code.co_argcount]
                    and last[5] and last[1] == annotations)
        except Exception:  # an annotation that cannot be compared: _probe_spec describes it on its own
            same = False
        if same:
            specs.append(_new_tuple(ProbeSpec, (attr, last[3], code.co_filename, code.co_firstlineno)))
            taken += annotations.values()
            described += last[4]
        else:
            specs.append(_probe_spec(cls, attr, function, known, names_checked))
            last = known.get(_LAST)
    # Equal is not the same: an object may compare equal to a type and mean another
    # (numpy.dtype('int64') == int, a tuple equal to U8's width). Told for all at once.
    if taken and not all(map(_is, taken, described)):
        return _probe_specs(cls, definitions, fast=False)
    return tuple(specs)


def _probe_spec(cls: type, attr: str, value: "FunctionType", known: "dict[Any, Any]",
                name_checked: bool) -> "ProbeSpec":
    """Check one definition and describe it.

    ``known`` holds, for the provider being made, what its other probes
    already established: the type each string annotation evaluates to, and
    the argument descriptions of each signature (argument names, annotations
    and module) whose checks passed, the last one also under ``_LAST``
    (signatures of plain types are kept in ``_described``, for every provider).  A
    provider of thousands of probes has a handful of signatures, mostly
    declared one after another, so most definitions only pass the checks of
    their own parameters and body, and compare their signature with the last.
    """
    code = value.__code__
    if not name_checked:
        _check_probe_name(cls, attr, code)
    if code.co_flags & _NOT_PLAIN or code.co_kwonlyargcount or value.__defaults__:
        _check_parameters(cls, attr, value)
    names = code.co_varnames[: code.co_argcount]
    annotations = value.__annotations__
    module = value.__globals__
    args = None
    values = tuple(annotations.values())
    last = known.get(_LAST)
    if last is not None and last[2] is module and last[0] == names and _same_annotations(last[1], last[4], annotations):
        args = last[3]
    signature: "Any" = None
    described = known
    if args is None:
        # Keyed by the annotations' identities: an object equal to another may mean another type,
        # and hashing or comparing it would run the program's code. Each is alive while it is used.
        items = tuple(zip(annotations, map(id, values)))
        if _SHARED_ANNOTATIONS.issuperset(map(id, values)) and len(_described) < _DESCRIBED_MOST:
            signature, described = (names, items), _described
        else:
            signature = (names, items, id(module))
        args = described.get(signature)
        if args is None:  # else an earlier probe of this signature passed these checks
            _check_names(cls, attr, code, names)
    if code.co_consts != (None,) or code.co_code not in _EMPTY_BODIES or code.co_names:  # not a bare '...'
        if not _has_empty_body(code) and not _written_empty(code):
            _fail_probe(cls, attr, code, "the body must be empty", "write only a docstring, '...' or 'pass'")
    if args is None:
        args = _arg_specs(cls, attr, value, names, annotations, known)
        if signature is not None:
            described[signature] = args
    if signature is not None:
        # Compared among themselves only where _probe_specs' loop may use them (plain names, checked in bulk).
        known[_LAST] = (names, annotations, module, args, values, name_checked and _none_alike(values))
    return _new_tuple(ProbeSpec, (attr, args, code.co_filename, code.co_firstlineno))


def _none_alike(values: "tuple[Any, ...]") -> bool:
    """Whether no two of ``values`` are equal without being the same object (see :func:`_probe_specs`)."""
    try:
        return not any(value is not other and (value == other or other == value)
                       for index, value in enumerate(values) for other in values[index + 1:])
    except Exception:  # a comparison that fails, or gives what is neither true nor false: assume alike
        return False


def _same_annotations(described: "dict[str, Any]", values: "tuple[Any, ...]", annotations: "dict[str, Any]") -> bool:
    """Whether ``annotations`` holds the very objects ``values`` of ``described``, under the same names.

    Told by identity, not equality: an object may compare equal to a type
    and mean another (``numpy.dtype('int64') == int``, a ``tuple`` equal to
    ``U8``'s width), and comparing it would run the program's code.
    """
    try:
        return len(described) == len(annotations) and all(map(_is, values, map(annotations.__getitem__, described)))
    except KeyError:
        return False


_LAST = object()  # the key of the last signature described, in _probe_spec's ``known``
# The argument descriptions of each signature whose checks passed and whose annotations are all
# in _SHARED_ANNOTATIONS, by argument names and annotations, for every provider of the process:
# most declare a few signatures that others declare too. Bounded, for a program that makes
# providers without end (the others are then kept per provider, in ``known``).
_described: "dict[Any, tuple[ArgSpec, ...]]" = {}
_DESCRIBED_MOST = 1024
# The ids of the annotations a signature may have to be shared: the plain types, and what a return
# annotation may say. Recognised by identity, which runs no code of the program: an object equal
# to one of them may mean something else, and so may a string, in another module. These objects
# live as long as the process, so no other object has their ids.
_SHARED_ANNOTATIONS = frozenset(map(id, (int, bool, str, bytes, None, type(None), ProbeCall)))


def _check_probe_name(cls: type, attr: str, code: "CodeType") -> None:
    """Refuse special methods and names that are not C identifiers."""
    if attr.startswith("__") and attr.endswith("__"):
        _fail_probe(cls, attr, code, "special methods are not probes", "remove it; a @tracer class holds only probes")
    if not (attr.isascii() and attr.isidentifier()):
        _fail_probe(cls, attr, code, "the probe name is not a C identifier",
                    "rename it with ASCII letters, digits and '_'")


def _check_names(cls: type, attr: str, code: "CodeType", names: "tuple[str, ...]") -> None:
    """Refuse ``self`` or ``cls`` and more arguments than USDT carries."""
    if names and names[0] in ("self", "cls"):
        _fail_probe(cls, attr, code, f"probes take no {names[0]!r}",
                    f"remove {names[0]!r}: list only the values the probe carries")
    if len(names) > MAX_ARGS:
        _fail_probe(cls, attr, code, f"has {len(names)} arguments; USDT allows at most {MAX_ARGS}",
                    "pass fewer values, or split the probe in two")


def _arg_specs(cls: type, attr: str, value: "FunctionType", names: "tuple[str, ...]",
               annotations: "dict[str, Any]", known: "dict[Any, Any]") -> "tuple[ArgSpec, ...]":
    """The arguments' descriptions, after checking the return annotation and the USDT slots they take."""
    code = value.__code__
    returned = annotations.get("return")
    if returned is not None and not _is_probe_call(returned, value):
        _fail_probe(cls, attr, code, "a probe definition returns ProbeCall",
                    "write '-> ProbeCall' (from tracers import ProbeCall), or no return annotation")
    args = tuple(_arg_spec(cls, attr, value, arg, annotations.get(arg, _MISSING), known) for arg in names)
    slots = len(args) + sum(1 for arg in args if arg.type.kind == "bytes")
    if slots > MAX_ARGS:
        _fail_probe(cls, attr, code, f"needs {slots} USDT arguments (each bytes value takes two: its address "
                    f"and its length); USDT allows at most {MAX_ARGS}", "pass fewer values, or split the probe in two")
    return args


_MISSING = object()


def _arg_spec(cls: type, attr: str, value: "FunctionType", arg: str, annotation: "Any",
              known: "dict[Any, Any]") -> "ArgSpec":
    """One argument's description, from its annotation (evaluated once per provider and module)."""
    if annotation is _MISSING:
        _fail_probe(cls, attr, value.__code__, f"argument {arg!r} has no annotation", f"annotate it with {SUPPORTED}")
    key = (arg, annotation, id(value.__globals__)) if type(annotation) is str else None
    found = known.get(key) if key is not None else None
    if found is None:
        try:
            arg_type = arg_type_of(_evaluate(annotation, value))
        except Exception as problem:
            _fail_probe(cls, attr, value.__code__, f"argument {arg!r}: {problem}", f"annotate it with {SUPPORTED}")
        found = ArgSpec(arg, arg_type)
        if key is not None:
            known[key] = found
    return found


def _check_parameters(cls: type, attr: str, value: "FunctionType") -> None:
    """Refuse ``async def``, ``*args``, ``**kwargs``, keyword-only arguments and defaults."""
    code = value.__code__
    if code.co_flags & _CO_COROUTINE:
        _fail_probe(cls, attr, code, "an async def is not a probe definition",
                    "declare it with 'def': a probe is fired, never awaited")
    if code.co_flags & _CO_VARARGS:
        _fail_probe(cls, attr, code, "*args is not allowed", "list each argument with its own annotation")
    if code.co_flags & _CO_VARKEYWORDS:
        _fail_probe(cls, attr, code, "**kwargs is not allowed", "list each argument with its own annotation")
    if code.co_kwonlyargcount:
        _fail_probe(cls, attr, code, "keyword-only arguments are not allowed", "remove the '*' marker")
    if value.__defaults__:
        _fail_probe(cls, attr, code, "arguments cannot have defaults", "remove the default values")


def _fail_probe(cls: type, attr: str, code: "CodeType", problem: str, fix: str) -> "NoReturn":
    _fail(f"{code.co_filename}:{code.co_firstlineno}", f"probe {cls.__qualname__}.{attr}", problem, fix)


def _is_probe_call(annotation: "Any", function: "FunctionType") -> bool:
    """Whether a return annotation says what calling the probe gives (or ``None``)."""
    if isinstance(annotation, str) and annotation.rpartition(".")[2] == "ProbeCall":
        return True  # also when ProbeCall is imported for type checkers only
    try:
        returned = _evaluate(annotation, function)
    except Exception:
        return False
    return returned is ProbeCall or returned is None or returned is type(None)


def _as_declared(value: "Any") -> "Any":
    """The function as declared, under the wrappers other tools put around it
    (beartype's, anything made with ``functools.wraps``)."""
    for _ in range(100):
        # A function's __wrapped__ lives in its __dict__ (functools.wraps puts it there); getattr
        # reads it there without making an empty __dict__ for a function that has none.
        wrapped = getattr(value, "__wrapped__", None) if isinstance(value, FunctionType) else None
        if not isinstance(wrapped, FunctionType):
            break
        value = wrapped
    return value


def _written_empty(code: "CodeType") -> bool:
    """Whether the source of a declaration whose code is not empty has an empty
    body: another tool (typeguard's instrumentation) added the code."""
    import ast
    import linecache

    try:
        tree = ast.parse("".join(linecache.getlines(code.co_filename)))
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if (isinstance(node, ast.FunctionDef) and node.name == code.co_name
                and min([node.lineno] + [d.lineno for d in node.decorator_list]) == code.co_firstlineno):
            return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                   and (s.value.value is ... or isinstance(s.value.value, str)))
                       for s in node.body)
    return False


def _evaluate(annotation: "Any", function: "FunctionType") -> "Any":
    """Evaluate a string annotation (``from __future__ import annotations``).

    A name or a dotted name (``int``, ``tracers.U8``) is looked up as
    ``eval`` looks it up, in the function's globals then its builtins, then
    attribute by attribute; ``eval`` compiles the text first, about 10 µs,
    at each distinct annotation of every provider.
    """
    if not isinstance(annotation, str):
        return annotation
    namespace = function.__globals__
    head, _, rest = annotation.partition(".")
    parts = rest.split(".") if rest else []
    if head.isidentifier() and all(part.isidentifier() for part in parts) and _KEYWORDS.isdisjoint((head, *parts)):
        builtins = namespace.get("__builtins__", __builtins__)
        scope = builtins if isinstance(builtins, dict) else vars(builtins) if type(builtins) is type(sys) else None
        if scope is not None:  # else eval says what it makes of such builtins
            value = namespace[head] if head in namespace else scope.get(head, _MISSING)
            if value is not _MISSING:  # else undefined: eval says so
                for part in parts:
                    value = getattr(value, part)
                return value
    return eval(annotation, namespace)  # noqa: S307 - the user's own annotation


# Python's keywords (keyword.kwlist, without importing the module): a name that is one is no
# variable (None, True, False are constants; the others do not parse), so eval decides.
_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except finally for from "
    "global if import in is lambda nonlocal not or pass raise return try while with yield".split())


def _class_body_code(cls: type, caller: "Optional[FrameType]") -> "Optional[CodeType]":
    """Find the code object of the class body in the frame that defined it.

    Python keeps only the last of two ``def``s with one name; the body's
    constants still hold both, which is how duplicates are detected.
    """
    if caller is None:
        return None
    for const in caller.f_code.co_consts:
        if isinstance(const, CodeType) and const.co_name == cls.__name__ and _made_by(cls, const):
            return const
    return None


def _made_by(cls: type, body: "CodeType") -> bool:
    """Whether the functions of ``cls`` (if any) come from ``body``: one of them is enough.

    The first is looked for in the body's constants as they are (it is usually
    the first of them); the others, if it is not there, in a set of them.
    """
    made: "Any" = body.co_consts
    has_functions = False
    for value in vars(cls).values():
        function = getattr(value, "__func__", value)
        if isinstance(function, FunctionType):
            if function.__code__ in made:
                return True
            if not has_functions:
                made, has_functions = set(made), True
    return not has_functions


def _class_location(cls: type, body: "Optional[CodeType]", caller: "Optional[FrameType]") -> str:
    if body is not None:
        return f"{body.co_filename}:{body.co_firstlineno}"
    if caller is not None:
        return f"{caller.f_code.co_filename}:{caller.f_lineno}"
    return f"module {cls.__module__}"


def _defined_twice(cls: type, body: "Optional[CodeType]") -> "Optional[tuple[CodeType, CodeType]]":
    """The first two ``def``s of the class body that share a name, earlier first (the later one replaced it)."""
    if body is None:
        return None
    names = [const.co_name for const in body.co_consts if isinstance(const, CodeType)]
    if len(set(names)) == len(names):
        return None  # the common case, found without a dictionary of the first of each name
    namespace = vars(cls)
    seen: dict[str, CodeType] = {}
    for const in body.co_consts:
        if isinstance(const, CodeType) and const.co_name in namespace:
            first = seen.setdefault(const.co_name, const)
            if first is not const:
                return first, const
    return None


class _Declared(NamedTuple):
    """Where a provider name was declared, by a class that may since have been collected."""

    cls: "Any"  # a weak reference
    module: str
    qualname: str
    where: str


_declared: "dict[str, _Declared]" = {}
_declared_lock = RLock()  # RLock: a finalizer run by gc.collect() below may declare one


def _claim_provider_name(name: str, cls: type, where: str) -> None:
    """Refuse a provider name that another live class of this process declares.

    The same class declared again (a module reloaded, a function that
    declares it run twice) takes the name over; so does any class once the
    earlier one has been garbage collected (throwaway providers in tests).
    """
    with _declared_lock:
        earlier = _declared.get(name)
        if earlier is not None and (earlier.module, earlier.qualname) != (cls.__module__, cls.__qualname__):
            if earlier.cls() is not None:
                import gc  # only on a clash: a throwaway class may be unreachable but not yet collected
                gc.collect()
            if earlier.cls() is not None:
                _fail(where, f"provider {cls.__qualname__}",
                      f"provider name {name!r} is already declared by {earlier.module}.{earlier.qualname} "
                      f"at {earlier.where}",
                      "give one of them another name with @tracer(provider=\"...\")")
        _declared[name] = _Declared(weak_ref(cls), cls.__module__, cls.__qualname__, where)


def _fail(where: str, subject: str, problem: str, fix: str) -> "NoReturn":
    raise ProbeDefinitionError(f"{where}: {subject}: {problem}; {fix}")


# Last: _fire imports ProbeCall and IDLE_CALL from this module, whichever of the two is imported first.
from . import _fire  # noqa: E402
