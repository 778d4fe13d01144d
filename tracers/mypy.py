"""mypy plugin for tracers.

Enable it in the mypy configuration::

    [mypy]
    plugins = tracers.mypy

or, in ``pyproject.toml``::

    [tool.mypy]
    plugins = ["tracers.mypy"]

The form ``@staticmethod def greeting(greeting: str, name: str) -> ProbeCall: ...``
needs no plugin. The plugin adds the shorter form without ``self``, without
``@staticmethod`` and without a return annotation, and the runtime view of
both. At run time each probe becomes a :class:`tracers.Probe` whose call
builds a :class:`tracers.ProbeCall`. The plugin tells mypy the same:

* each self-less probe definition is a static function (so ``--strict``
  accepts the bare ``def greeting(greeting: str, name: str): ...``);
* ``Provider.event`` is a callable with the declared arguments that returns a
  ``tracers.ProbeCall`` and is otherwise a ``Probe`` (``.gate``, ``.name``,
  ...), so ``probe(Provider.event(args))`` checks the arguments and their count;
* ``Provider.event.fire`` takes the declared arguments, by position only, and
  returns ``None``;
* definitions that ``@tracer`` rejects at import are reported as errors with
  the code ``tracers``.

This module imports mypy; nothing else in the package does.
"""
from __future__ import annotations

import re
from typing import Callable, List, Optional

from mypy.errorcodes import ErrorCode
from mypy.nodes import (
    ARG_NAMED,
    ARG_NAMED_OPT,
    ARG_OPT,
    ARG_STAR,
    ARG_STAR2,
    Block,
    CallExpr,
    ClassDef,
    Context,
    Decorator,
    EllipsisExpr,
    ExpressionStmt,
    FuncDef,
    PassStmt,
    StrExpr,
    TypeInfo,
)
from mypy.plugin import AttributeContext, ClassDefContext, Plugin, SemanticAnalyzerPluginInterface
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    ProperType,
    Type,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

TRACER = "tracers._provider.tracer"
PROBE = "tracers._provider.Probe"
PROBE_CALL = "tracers._provider.ProbeCall"
PROBE_FIRE = PROBE + ".fire"
METADATA_KEY = "tracers"

MAX_ARGS = 12
SUPPORTED = (
    "int, bool, str, bytes, tracers.I8/I16/I32/I64, tracers.U8/U16/U32/U64, "
    "or Optional[...] of one of these"
)
_ARG_TYPES = frozenset({"builtins.int", "builtins.bool", "builtins.str", "builtins.bytes"})
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

TRACERS_DEFINITION = ErrorCode("tracers", "Check @tracer provider and probe definitions", "tracers")


def plugin(version: str) -> type[Plugin]:
    """Entry point named by ``plugins = tracers.mypy``."""
    return TracersPlugin


class TracersPlugin(Plugin):
    def get_class_decorator_hook_2(self, fullname: str) -> Optional[Callable[[ClassDefContext], bool]]:
        if fullname == TRACER:
            return _declare_provider
        return None

    def get_class_attribute_hook(self, fullname: str) -> Optional[Callable[[AttributeContext], Type]]:
        owner, _, name = fullname.rpartition(".")
        if name and name in self._probe_names(owner):
            return self._probe_attribute
        return None

    def get_attribute_hook(self, fullname: str) -> Optional[Callable[[AttributeContext], Type]]:
        if fullname == PROBE_FIRE:
            return _probe_fire
        return None

    def _probe_attribute(self, ctx: AttributeContext) -> Type:
        """``Provider.event``: call it with the probe's arguments to get a ``ProbeCall``.

        The result is a callable whose fallback is ``Probe``, so the attributes
        of the runtime object (``gate``, ``fire``, ``name``, ...) are known too.
        """
        signature = get_proper_type(ctx.default_attr_type)
        probe_call, probe = self._instance(PROBE_CALL), self._instance(PROBE)
        if not isinstance(signature, CallableType) or probe_call is None or probe is None:
            return ctx.default_attr_type
        # tracers.ProbeCall as type checkers see it (Optional, see tracers/__init__.py).
        returned = UnionType([probe_call, NoneType()])
        return signature.copy_modified(ret_type=returned, fallback=probe)

    def _instance(self, fullname: str) -> Optional[Instance]:
        symbol = self.lookup_fully_qualified(fullname)
        if symbol is None or not isinstance(symbol.node, TypeInfo):
            return None
        return Instance(symbol.node, [])

    def _probe_names(self, class_fullname: str) -> List[str]:
        """The probes of a ``@tracer`` class, recorded in its metadata (kept in mypy's cache)."""
        if not class_fullname:
            return []
        symbol = self.lookup_fully_qualified(class_fullname)
        if symbol is None or not isinstance(symbol.node, TypeInfo):
            return []
        data = symbol.node.metadata.get(METADATA_KEY)
        return list(data.get("probes", ())) if isinstance(data, dict) else []


# --- semantic analysis: the @tracer class --------------------------------------------------


def _declare_provider(ctx: ClassDefContext) -> bool:
    """Turn each probe definition into a static function and record the probe names."""
    cls, api = ctx.cls, ctx.api
    info = cls.info
    _check_provider(cls, ctx.reason, api)
    probes: List[str] = []
    for statement in cls.defs.body:
        if isinstance(statement, Decorator) and statement.func.is_static and not statement.decorators:
            _declare_probe(statement.func, cls, api)
            if statement.func.name not in probes:
                probes.append(statement.func.name)
        elif isinstance(statement, FuncDef):
            _declare_probe(statement, cls, api)
            if statement.name not in probes:
                probes.append(statement.name)
        elif _is_docstring_or_empty(statement):
            continue
        else:
            _fail(api, statement, cls.name, None, "only probe definitions are allowed here",
                  "a @tracer class holds only probe definitions: "
                  "'@staticmethod def name(arg: type, ...) -> ProbeCall: ...'")
    if not probes:
        _fail(api, cls, cls.name, None, "declares no probes",
              "add at least one probe such as '@staticmethod def started(pid: int) -> ProbeCall: ...'")
    info.metadata[METADATA_KEY] = {"probes": probes}
    return True


def _check_provider(cls: ClassDef, reason: object, api: SemanticAnalyzerPluginInterface) -> None:
    if any(base.type.fullname != "builtins.object" for base in cls.info.bases):
        _fail(api, cls, cls.name, None, "a @tracer class cannot have base classes",
              "declare the probes in a class of their own")
    if isinstance(reason, CallExpr):
        for name, value in zip(reason.arg_names, reason.args):
            if name == "provider" and isinstance(value, StrExpr) and not _C_IDENTIFIER.match(value.value):
                _fail(api, reason, cls.name, None, f"provider name {value.value!r} is not a C identifier",
                      "use ASCII letters, digits and '_' not starting with a digit")


def _declare_probe(func: FuncDef, cls: ClassDef, api: SemanticAnalyzerPluginInterface) -> None:
    name = func.name

    def fail(problem: str, fix: str) -> None:
        _fail(api, func, cls.name, name, problem, fix)

    if name.startswith("__") and name.endswith("__"):
        fail("special methods are not probes", "remove it; a @tracer class holds only probes")
    elif not _C_IDENTIFIER.match(name):
        fail("the probe name is not a C identifier", "rename it with ASCII letters, digits and '_'")
    for kind in func.arg_kinds:
        if kind == ARG_STAR:
            fail("*args is not allowed", "list each argument with its own annotation")
        elif kind == ARG_STAR2:
            fail("**kwargs is not allowed", "list each argument with its own annotation")
        elif kind in (ARG_NAMED, ARG_NAMED_OPT):
            fail("keyword-only arguments are not allowed", "remove the '*' marker")
            break
    if any(kind in (ARG_OPT, ARG_NAMED_OPT) for kind in func.arg_kinds):
        fail("arguments cannot have defaults", "remove the default values")
    if func.arg_names and func.arg_names[0] in ("self", "cls"):
        fail(f"probes take no {func.arg_names[0]!r}",
             f"remove {func.arg_names[0]!r}: list only the values the probe carries")
    if len(func.arguments) > MAX_ARGS:
        fail(f"has {len(func.arguments)} arguments; USDT allows at most {MAX_ARGS}",
             "pass fewer values, or split the probe in two")
    if not _is_empty_body(func.body):
        fail("the body must be empty", "write only a docstring, '...' or 'pass'")

    if func.is_static:  # the @staticmethod form: mypy knows it already
        _check_annotations(func, fail)
        return
    # A probe is never bound to an instance: it has no self.
    func.is_static = True
    if getattr(func, "is_trivial_self", False):  # mypy >= 1.15
        func.is_trivial_self = False
    signature = func.type
    if not isinstance(signature, CallableType):
        # Nothing annotated: keep every argument unannotated so that
        # --disallow-untyped-defs still asks for the annotations.
        signature = CallableType(
            [AnyType(TypeOfAny.unannotated) for _ in func.arguments],
            list(func.arg_kinds),
            list(func.arg_names),
            NoneType(),
            api.named_type("builtins.function"),
            name=name,
        )
    else:
        arg_types = list(signature.arg_types)
        for i, argument in enumerate(func.arguments):
            if argument.type_annotation is None:
                # Undo the implicit "self" type given to an unannotated first argument.
                arg_types[i] = AnyType(TypeOfAny.unannotated)
        _check_annotations(func, fail)
        returned = get_proper_type(signature.ret_type)
        if isinstance(returned, AnyType) and returned.type_of_any == TypeOfAny.unannotated:
            returned = NoneType()
        signature = signature.copy_modified(arg_types=arg_types, ret_type=returned)
    func.type = signature


def _check_annotations(func: FuncDef, fail: Callable[[str, str], None]) -> None:
    """Each argument has a supported type; the return annotation, if any, is ProbeCall or None."""
    signature = func.type
    if not isinstance(signature, CallableType):
        return
    for argument, arg_type in zip(func.arguments, signature.arg_types):
        if argument.type_annotation is not None and not _is_supported(arg_type):
            fail(f"argument {argument.variable.name!r} has an unsupported annotation",
                 f"annotate it with {SUPPORTED}")
    returned = get_proper_type(signature.ret_type)
    if isinstance(returned, AnyType) and returned.type_of_any == TypeOfAny.unannotated:
        return
    if not _is_probe_call(returned):
        fail("a probe definition returns ProbeCall",
             "write '-> ProbeCall' (from tracers import ProbeCall), or no return annotation")


def _is_probe_call(returned: ProperType) -> bool:
    """``tracers.ProbeCall`` (an Optional of the class, for type checkers), the class, or None."""
    items = [get_proper_type(item) for item in returned.items] if isinstance(returned, UnionType) else [returned]
    return all(isinstance(item, NoneType) or (isinstance(item, Instance) and item.type.fullname == PROBE_CALL)
               for item in items)


def _is_supported(arg_type: Type) -> bool:
    proper = get_proper_type(arg_type)
    if isinstance(proper, AnyType) and proper.type_of_any == TypeOfAny.unannotated:
        return True
    if isinstance(proper, UnionType):
        items = [get_proper_type(item) for item in proper.items]
        others = [item for item in items if not isinstance(item, NoneType)]
        return len(items) == 2 and len(others) == 1 and _is_plain(others[0])
    return _is_plain(proper)


def _is_plain(arg_type: ProperType) -> bool:
    return isinstance(arg_type, Instance) and arg_type.type.fullname in _ARG_TYPES


def _is_docstring_or_empty(statement: object) -> bool:
    return isinstance(statement, PassStmt) or (
        isinstance(statement, ExpressionStmt) and isinstance(statement.expr, (StrExpr, EllipsisExpr))
    )


def _is_empty_body(body: Block) -> bool:
    return all(_is_docstring_or_empty(statement) for statement in body.body)


def _fail(api: SemanticAnalyzerPluginInterface, where: Context, cls: str, probe: Optional[str],
          problem: str, fix: str) -> None:
    subject = f"probe {cls}.{probe}" if probe else f"provider {cls}"
    api.fail(f"{subject}: {problem}; {fix}", where, code=TRACERS_DEFINITION)


# --- type checking: Provider.event and Provider.event.fire ---------------------------------


def _probe_fire(ctx: AttributeContext) -> Type:
    """``Provider.event.fire``: the probe's arguments, positional only (as every backend's
    ``fire`` takes them), returning ``None``."""
    owner = ctx.type
    if isinstance(owner, CallableType) and owner.fallback.type.fullname == PROBE:
        return owner.copy_modified(
            arg_names=[None] * len(owner.arg_names),
            ret_type=NoneType(),
            fallback=ctx.api.named_generic_type("builtins.function", []),
        )
    return ctx.default_attr_type
