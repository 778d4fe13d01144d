# Activates tracers for every program this interpreter starts, without
# touching application code. Put this directory on PYTHONPATH (or append the
# lines to site-packages/sitecustomize.py: python -m tracers sitecustomize --write).
import tracers.importhook

tracers.importhook.install()
