"""Bytecode cache files for rewritten modules.

A rewritten module's bytecode depends on the tracing mode and on the version
of tracers, so it lives in its own pyc file whose optimisation tag names both
(``mod.cpython-311.opt-tracers0x1x0on.pyc``): a file written with tracing off
is never read with tracing on, nor by another version.  Files are written as
CPython writes its own: a temporary file created exclusively (never through a
link) with the source's permissions, then renamed over the cache file; an
unwritable or missing directory only means no cache.
"""

import io
import marshal
import os
import sys

from _frozen_importlib_external import MAGIC_NUMBER as _MAGIC

from .. import __version__

# The standard import system's own function, bound by the finder's module as the hook
# is installed: this module is imported when the first module is loaded, and other
# tools swap the attribute for their own variants while they load a module.
from _tracers_importhook import _standard_cache_from_source as _cache_from_source

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import CodeType
    from typing import Optional

_HEADER = 16  # magic, flags, source mtime, source size
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def tag(enabled: bool) -> str:
    """The pyc optimisation tag for a mode (alphanumeric, as Python requires)."""
    version = __version__.replace(".", "x").replace("+", "p").replace("-", "m")
    level = f"o{sys.flags.optimize}" if sys.flags.optimize else ""
    return f"tracers{version}{'on' if enabled else 'off'}{level}"


def tagged_path(source_path: str, enabled: bool) -> "Optional[str]":
    """Where the rewritten bytecode of ``source_path`` is cached (honours pycache_prefix)."""
    try:
        return _cache_from_source(source_path, optimization=tag(enabled))
    except NotImplementedError:  # no cache_tag on this implementation
        return None


def standard_path(source_path: str) -> "Optional[str]":
    """The pyc file the standard import system would use."""
    try:
        return _cache_from_source(source_path)
    except NotImplementedError:
        return None


def read(pyc_path: "Optional[str]", source_stat: "os.stat_result") -> "Optional[bytes]":
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


def write(pyc_path: "Optional[str]", code: "CodeType", source_stat: "os.stat_result") -> None:
    """Cache ``code`` atomically; any file system failure is ignored.

    As ``importlib._bootstrap_external._write_atomic`` does, the file gets the
    source's permission bits (plus the owner's write bit), so a private source
    gets a private cache file.  The temporary file is created relative to the
    opened directory, exclusively and never through a symbolic link.
    """
    if pyc_path is None or sys.dont_write_bytecode:
        return
    data = _MAGIC + b"\0\0\0\0" + _stamp(source_stat) + marshal.dumps(code)
    directory, name = os.path.split(pyc_path)
    mode = (source_stat.st_mode | 0o200) & 0o666
    temporary = f"{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        os.makedirs(directory, exist_ok=True)
        folder = os.open(directory, _DIRECTORY)
    except OSError:
        return
    try:
        fd = os.open(temporary, _CREATE, mode, dir_fd=folder)
    except OSError:  # taken (by a link, by someone else's file): not ours to touch
        os.close(folder)
        return
    try:
        with io.FileIO(fd, "w") as file:
            view = memoryview(data)
            while view:
                view = view[file.write(view):]
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        try:
            os.unlink(temporary, dir_fd=folder)
        except OSError:
            pass
    finally:
        os.close(folder)


def _stamp(source_stat: "os.stat_result") -> bytes:
    mtime = int(source_stat.st_mtime) & 0xFFFFFFFF
    size = source_stat.st_size & 0xFFFFFFFF
    return mtime.to_bytes(4, "little") + size.to_bytes(4, "little")
