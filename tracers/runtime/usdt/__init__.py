"""USDT probes without a C library: see ``_backend``."""
from ._backend import UsdtBackend, create

__all__ = ["UsdtBackend", "create"]
