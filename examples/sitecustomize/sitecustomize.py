# Activates tracers for every program this interpreter starts, without
# touching application code. Put this directory on PYTHONPATH (or append the
# lines to site-packages/sitecustomize.py: python -m tracers sitecustomize --write).
# _tracers_importhook is the hook's finder, importable without the tracers
# package: every start-up pays for what this file imports.
import _tracers_importhook

_tracers_importhook.install()
