"""Bytecode cache files for rewritten modules.

A rewritten module's bytecode depends on the tracing mode and on the version
of tracers, so it lives in its own pyc file whose optimisation tag names both
(``mod.cpython-311.opt-tracers0x1x0on.pyc``): a file written with tracing off
is never read with tracing on, nor by another version.  Files are written
atomically; an unwritable or missing directory only means no cache.
"""
from __future__ import annotations

import importlib.util
import io
import marshal
import os
import sys
import threading
from types import CodeType
from typing import Optional

from .._version import __version__

_MAGIC = importlib.util.MAGIC_NUMBER
_HEADER = 16  # magic, flags, source mtime, source size


def tag(enabled: bool) -> str:
    """The pyc optimisation tag for a mode (alphanumeric, as Python requires)."""
    version = __version__.replace(".", "x").replace("+", "p").replace("-", "m")
    level = f"o{sys.flags.optimize}" if sys.flags.optimize else ""
    return f"tracers{version}{'on' if enabled else 'off'}{level}"


def tagged_path(source_path: str, enabled: bool) -> Optional[str]:
    """Where the rewritten bytecode of ``source_path`` is cached (honours pycache_prefix)."""
    try:
        return importlib.util.cache_from_source(source_path, optimization=tag(enabled))
    except NotImplementedError:  # no cache_tag on this implementation
        return None


def standard_path(source_path: str) -> Optional[str]:
    """The pyc file the standard import system would use."""
    try:
        return importlib.util.cache_from_source(source_path)
    except NotImplementedError:
        return None


def read(pyc_path: Optional[str], source_stat: os.stat_result) -> Optional[bytes]:
    """The marshalled code in ``pyc_path`` if it matches the source, else None.

    Only timestamp pycs are accepted; anything else is treated as stale.
    """
    if pyc_path is None:
        return None
    try:
        with io.FileIO(pyc_path, "r") as file:  # unbuffered: one read, less overhead than open()
            data = file.readall()
    except OSError:
        return None
    if len(data) < _HEADER or data[:4] != _MAGIC or data[4:8] != b"\0\0\0\0":
        return None
    if data[8:16] != _stamp(source_stat):
        return None
    return data[_HEADER:]


def write(pyc_path: Optional[str], code: CodeType, source_stat: os.stat_result) -> None:
    """Cache ``code`` atomically; any file system failure is ignored."""
    if pyc_path is None or sys.dont_write_bytecode:
        return
    data = _MAGIC + b"\0\0\0\0" + _stamp(source_stat) + marshal.dumps(code)
    directory = os.path.dirname(pyc_path)
    temporary = f"{pyc_path}.{os.getpid()}.{threading.get_ident()}.tmp"  # unique per writer
    try:
        os.makedirs(directory, exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, pyc_path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _stamp(source_stat: os.stat_result) -> bytes:
    mtime = int(source_stat.st_mtime) & 0xFFFFFFFF
    size = source_stat.st_size & 0xFFFFFFFF
    return mtime.to_bytes(4, "little") + size.to_bytes(4, "little")
