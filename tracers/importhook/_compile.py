"""Source to code with probe sites rewritten for a mode.

Shared by the import hook, the ``run`` command (for ``__main__``) and
``show``. Errors in the user's source surface exactly as plain Python
reports them.
"""
from __future__ import annotations

import ast
from types import CodeType
from typing import Tuple, Union

from ._transform import RewriteResult, rewrite


def parse_and_rewrite(source: Union[bytes, str], path: str, enabled: bool) -> RewriteResult:
    """Parse ``source`` and rewrite its probe sites; SyntaxError as plain Python raises it."""
    tree = ast.parse(source, filename=path)
    return rewrite(tree, enabled=enabled)


def compile_rewritten(source: Union[bytes, str], path: str, enabled: bool) -> CodeType:
    """Compile ``source`` with its probe sites rewritten for the mode."""
    return compile_counting_sites(source, path, enabled)[0]


def compile_counting_sites(source: Union[bytes, str], path: str, enabled: bool) -> Tuple[CodeType, int]:
    """:func:`compile_rewritten`, also telling how many probe sites were rewritten."""
    result = parse_and_rewrite(source, path, enabled)
    try:
        return compile(result.tree, path, "exec", dont_inherit=True), result.sites
    except SyntaxError as error:
        from_tree = error
    # Errors found after parsing (e.g. 'return' outside a function) carry no
    # source text when compiled from a tree: let Python report them from the
    # source, outside the handler so that no "during handling" context is kept.
    compile(source, path, "exec", dont_inherit=True)
    raise from_tree
