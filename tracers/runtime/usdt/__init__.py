"""USDT probes without a C library: see ``_backend``.

The backend (and ctypes) is imported only when a process binds its first
provider; the pure part (``_elf``) is usable without it.
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any


def create() -> "Any":
    from ._backend import create as make

    return make()
