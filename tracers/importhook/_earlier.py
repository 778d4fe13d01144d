"""Modules imported before the hook: whether one fires probes, and the warning that names it.

Imported only when a module that the hook would have rewritten binds
``tracers`` or ``tracers.probe`` and its source names ``probe``: most
start-ups never get here.
"""
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Optional


def warn_if_it_fires_probes(name: str, source: "Optional[bytes]") -> None:
    """One warning for module ``name`` if it has probe sites, which then run through the fallback
    (``source``: the module's, ``None`` when it has none to tell)."""
    if not _has_probe_sites(source):
        return
    from .. import _fire, _report

    _fire.note_warned(name)
    _report.warn(
        f"tracers: module {name!r} was imported before tracers.importhook.install(); "
        f"its probe() calls are not rewritten and run through the slower fallback. "
        f"Install the hook earlier (sitecustomize.py or 'python -m tracers run')."
    )


def _has_probe_sites(source: "Optional[bytes]") -> bool:
    if source is None:
        return True
    import ast

    from ._transform import rewrite

    try:
        return rewrite(ast.parse(source), enabled=False).sites > 0
    except (SyntaxError, ValueError, RecursionError):
        return True
