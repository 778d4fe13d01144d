"""Probe statements in test modules, rewritten together with pytest's asserts.

pytest's assertion rewriting owns test modules and conftest files: its finder
is first on ``sys.meta_path``, so tracers' finder never sees them.  pytest
parses such a module, calls ``rewrite_asserts(tree, ...)``, compiles the tree
and caches the code in ``__pycache__/NAME.<PYC_TAIL>``.  Composing means two
things:

- tracers' transform is applied to the tree first, then pytest rewrites the
  asserts of the result (both look up ``rewrite_asserts`` in that module at
  call time, on every pytest from 7 on);
- the cache file's name also carries tracers' tag (library version and
  mode), so a pyc written with probes off is never loaded with probes on,
  nor one written without the plugin.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Optional

from .. import _fire
from .._report import OWN_DIRECTORIES
from ..importhook import _cache
from ..importhook._transform import rewrite, uses_probe


def compose(enabled: bool) -> Optional[Callable[[], None]]:
    """Make pytest's assertion rewriting rewrite probe statements too; return the undo.

    None when this pytest does not rewrite assertions the way it did from 7
    on (a warning says so: test modules' probes then use the runtime fallback).
    """
    try:
        from _pytest.assertion import rewrite as pytest_rewrite

        original: Callable[..., None] = pytest_rewrite.rewrite_asserts
        original_tail: str = pytest_rewrite.PYC_TAIL
        tail = f".{pytest_rewrite.PYTEST_TAG}-{_cache.tag(enabled)}{pytest_rewrite.PYC_EXT}"
    except (ImportError, AttributeError) as problem:
        warnings.warn(f"tracers: cannot rewrite probes in test modules with this pytest ({problem}); "
                      f"their probes run through the runtime fallback", RuntimeWarning, stacklevel=2)
        return None

    def rewrite_asserts(mod: Any, source: Any, module_path: Any = None, config: Any = None) -> None:
        rewrite_probes(mod, source, module_path, enabled)
        original(mod, source, module_path, config)

    pytest_rewrite.rewrite_asserts = rewrite_asserts
    pytest_rewrite.PYC_TAIL = tail

    def undo() -> None:
        if pytest_rewrite.rewrite_asserts is rewrite_asserts:
            pytest_rewrite.rewrite_asserts = original
            pytest_rewrite.PYC_TAIL = original_tail

    return undo


def rewrite_probes(tree: Any, source: Any, module_path: Any, enabled: bool) -> None:
    """Rewrite the probe statements of a module's tree in place, as the import hook would."""
    path = None if module_path is None else os.fspath(module_path)
    if path is not None and os.path.abspath(path).startswith(OWN_DIRECTORIES):
        return  # tracers' own modules (pytest rewrites plugins' asserts) are never rewritten
    if not isinstance(source, bytes) or not uses_probe(source):
        return
    result = rewrite(tree, enabled=enabled)
    tree.body = result.tree.body
    if path is not None:
        _fire.note_rewritten(path)
