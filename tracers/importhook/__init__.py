"""The import hook: rewrite ``probe(...)`` statements as modules are imported.

Activate it before the application imports its modules, typically in
``sitecustomize.py``, with the two lines ``python -m tracers sitecustomize``
prints::

    import _tracers_importhook
    _tracers_importhook.install()

(``import tracers.importhook; tracers.importhook.install()`` installs the same
finder, and costs each start-up the import of the ``tracers`` package too),
or run the program with ``python -m tracers run``, or set
``TRACERS_IMPORTHOOK=1``: the ``tracers-importhook.pth`` file that ``pip``
installs with tracers then calls :func:`startup` as Python starts (``run``
sets it, so that its child processes get the hook too).
"""
# The finder itself lives in the package ``_tracers_importhook``, beside this one, which
# a sitecustomize.py imports without this package (what ``python -m tracers
# sitecustomize`` prints): every Python start-up pays for the modules it
# imports, and its loader (imported with the first module it loads). This package names
# the same objects, and holds the rewriting behind them.
from _tracers_importhook import ENV_HOOK, Installation, TracersFinder, install, installed, startup, uninstall

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from _tracers_importhook._loader import TracersLoader

__all__ = ["install", "uninstall", "installed", "startup", "TracersFinder", "TracersLoader", "ENV_HOOK",
           "Installation"]

if not TYPE_CHECKING:  # type checkers see the import above, and no catch-all __getattr__
    def __getattr__(name):
        """``TracersLoader``, from the module imported with the first module it loads."""
        if name == "TracersLoader":
            from _tracers_importhook._loader import TracersLoader

            return TracersLoader
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
