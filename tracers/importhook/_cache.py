"""Rewritten code through its own bytecode cache: a tagged pyc read, or the source compiled and written.

A rewritten module's bytecode depends on the tracing mode and on the version
of tracers, so it lives in its own pyc file whose optimisation tag names both
(``mod.cpython-311.opt-tracers0x1x0on.pyc``): a file written with tracing off
is never read with tracing on, nor by another version.  Files are written as
CPython writes its own: a temporary file created exclusively (never through a
link) with the source's permissions, then renamed over the cache file; an
unwritable or missing directory only means no cache.

The finder's loader (``_tracers_importhook._loader``) loads a module whose
standard pyc names no ``probe`` itself, and hands the others to
:func:`module_code`; :func:`compile_main` does the same for the script that
``python -m tracers run`` starts as ``__main__``.  (The cache and its use are
one module: each module on that path is one more import for the first module
with probe sites of every process, and for every ``run``.)
"""

import io
import marshal
import os
import sys

# The standard loader's way of renaming cached code to where its source is now.
from _imp import _fix_co_filename  # type: ignore[attr-defined]  # not in typeshed

from _frozen_importlib_external import MAGIC_NUMBER

from _tracers_importhook import might_have_probe_sites

# The finder's loader finds and reads standard pycs with these; tagged pycs, the same way.
from _tracers_importhook._loader import pyc_path as _pyc_path
from _tracers_importhook._loader import read_pyc
from _tracers_importhook._loader import source_stamp

from .. import __version__, _config

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from importlib.machinery import SourceFileLoader
    from types import CodeType
    from typing import Optional
else:
    CodeType = type((lambda: None).__code__)  # types.CodeType, without importing types

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_PROBE_NAME = "probe"  # every probe site loads it: ``probe`` (global) or ``<module>.probe``


def tag(enabled: bool) -> str:
    """The pyc optimisation tag for a mode (alphanumeric, as Python requires)."""
    version = __version__.replace(".", "x").replace("+", "p").replace("-", "m")
    level = f"o{sys.flags.optimize}" if sys.flags.optimize else ""
    return f"tracers{version}{'on' if enabled else 'off'}{level}"


def tagged_path(source_path: str, enabled: bool) -> "Optional[str]":
    """Where the rewritten bytecode of ``source_path`` is cached (honours pycache_prefix)."""
    return _pyc_path(source_path, tag(enabled))


def module_code(loader: "SourceFileLoader", fullname: str, path: str, stat: "os.stat_result",
                standard_data: "Optional[bytes]") -> "Optional[CodeType]":
    """The code ``loader`` gives module ``fullname``, from ``path``, whose standard pyc (its
    marshalled code, ``standard_data``, if current) may name ``probe``; None where the module has
    no probe site, and the code is what the loader's standard base class gives."""
    enabled = _config.current().enabled
    pyc_path = tagged_path(path, enabled)
    tagged = _loads(read_pyc(pyc_path, stat), path)
    if tagged is not None:
        return tagged
    standard = _loads(standard_data, path)
    if standard is not None and not _names_probe(standard):
        return standard  # 'probe' appeared only as text, not as a name
    source = loader.get_data(path)
    if not might_have_probe_sites(source):
        return None
    code = rewritten_code(source, path, enabled)
    if code is not None:
        write(pyc_path, code, stat)
    return code


def rewritten_code(source: bytes, path: str, enabled: bool) -> "Optional[CodeType]":
    """``source`` compiled with its probe sites rewritten for the mode; None where it has none
    (the loader's fast path will know it from the standard pyc)."""
    # Parsing and rewriting are loaded only when something must be compiled.
    from ._compile import compile_counting_sites

    code, sites = compile_counting_sites(source, path, enabled)
    if not sites and not _names_probe(code):
        return None
    return code


def compile_main(source: bytes, path: str) -> "CodeType":
    """The code of a script run as ``__main__``, its probe sites rewritten.

    The rewritten code is cached like a module's (a tagged pyc beside the
    script), so that a program started again loads neither the parser nor
    the compiler.  Python compiles ``__main__`` at every run, so its compile
    warnings come out each time: a script whose compiling gives any is not
    cached, and is compiled (twice: once to find them, once to give them as
    the warning filters in force say) at every run.
    """
    enabled = _config.current().enabled
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    pyc_path = tagged_path(path, enabled) if stat is not None else None
    cached = _loads(read_pyc(pyc_path, stat), path) if stat is not None else None
    if cached is not None:
        return cached  # this very source compiled with no error and no warning
    import warnings

    from ._compile import compile_counting_sites

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, sites = compile_counting_sites(source, path, enabled)
    if caught:  # compiled again, for the warnings as the filters in force give them, at every run
        return compile_counting_sites(source, path, enabled)[0]
    if sites and stat is not None:
        write(pyc_path, code, stat)
    return code


def write(pyc_path: "Optional[str]", code: "CodeType", source_stat: "os.stat_result") -> None:
    """Cache ``code`` atomically; any file system failure is ignored: the import goes on without a cache."""
    if pyc_path is None or sys.dont_write_bytecode:
        return
    try:
        write_file(pyc_path, code, source_stat)
    except OSError:
        pass


def write_file(pyc_path: str, code: "CodeType", source_stat: "os.stat_result") -> None:
    """Write ``code`` to ``pyc_path`` atomically, or raise the OSError that stopped it.

    As ``importlib._bootstrap_external._write_atomic`` does, the file gets the
    source's permission bits (plus the owner's write bit), so a private source
    gets a private cache file.  The temporary file is created relative to the
    opened directory, exclusively and never through a symbolic link (a name
    already taken, by a link or by someone else's file, is not ours to touch).
    """
    data = MAGIC_NUMBER + b"\0\0\0\0" + source_stamp(source_stat) + marshal.dumps(code)
    directory, name = os.path.split(pyc_path)
    mode = (source_stat.st_mode | 0o200) & 0o666
    temporary = f"{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    os.makedirs(directory, exist_ok=True)
    folder = os.open(directory, _DIRECTORY)
    try:
        fd = os.open(temporary, _CREATE, mode, dir_fd=folder)
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
            raise
    finally:
        os.close(folder)


def _loads(data: "Optional[bytes]", path: str) -> "Optional[CodeType]":
    """Unmarshal cached code; a damaged cache file counts as missing.

    Code read from a cache names the source by the path it was compiled
    from; as the standard loader does, it is renamed to where the source is
    now (a tree copied with its timestamps, moved, or reached through a link).
    """
    if data is None:
        return None
    try:
        code = marshal.loads(data)
    except (EOFError, ValueError, TypeError, SystemError):
        return None
    if not isinstance(code, CodeType):
        return None
    _fix_co_filename(code, path)
    return code


def _names_probe(code: "CodeType") -> bool:
    """Whether ``code`` or any code nested in it uses the name ``probe``."""
    if _PROBE_NAME in code.co_names:
        return True
    return any(isinstance(const, CodeType) and _names_probe(const) for const in code.co_consts)
