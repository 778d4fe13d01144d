"""A package whose submodules define and fire probes: ``python -m tracers run -m shop``."""
