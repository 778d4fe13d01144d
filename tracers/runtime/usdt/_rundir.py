"""The private directory that holds the user's probe objects, checked whole.

Tracers find USDT probes through files mapped into the process, so each
provider's object must be a real file.  Those files are loaded as code, so
the directory that holds them must be one that no other user can change:
every directory on its path belongs to root or to this user and is closed
to writers other than its owner (unless sticky, like ``/tmp``), and the
directory itself belongs to this user with mode 0700.  The check walks the
path one component at a time through open descriptors, never following a
link, and keeps the final descriptor: every later file operation is
relative to it.  Because nobody else can rename anything on that path, the
object's path name stays bound to the verified file when it is loaded.
"""

import errno
import os
import stat

from ... import _report
from ..._errors import BackendError
from ..._record import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Optional

ENV_DIR = "TRACERS_RUNTIME_DIR"
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        _report.warn(message)


class RuntimeDir(NamedTuple):
    """A checked directory: its path, and the descriptor every operation goes through."""

    path: str
    fd: int
    device: int
    inode: int

    def still_open(self) -> bool:
        """Whether ``fd`` is still this directory (a daemon may close every descriptor)."""
        try:
            info = os.fstat(self.fd)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == (self.device, self.inode)


def candidates() -> list[tuple[str, bool]]:
    """Directories to try, in order, each with whether it was chosen explicitly.

    ``$TRACERS_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/tracers``, else
    ``$XDG_CACHE_HOME/tracers`` (``~/.cache/tracers``).  A relative value
    is ignored with a warning: it would follow the program's ``chdir()``, and
    the XDG specification calls such values invalid.
    """
    explicit = _absolute(ENV_DIR)
    if explicit:
        return [(explicit, True)]
    found = []
    runtime = _absolute("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        found.append((os.path.join(runtime, "tracers"), False))
    cache = _absolute("XDG_CACHE_HOME") or os.path.join(_home(), ".cache")
    found.append((os.path.join(cache, "tracers"), False))
    return found


def runtime_dir() -> str:
    """The directory the first candidate names (for messages; nothing is checked)."""
    return candidates()[0][0]


def _absolute(variable: str) -> "Optional[str]":
    value = os.environ.get(variable)
    if not value:
        return None
    if not os.path.isabs(value):
        _warn_once(f"tracers: ignoring {variable}={value!r}: "
                          f"a relative path would follow the program's working directory; set an absolute path")
        return None
    return value


def _home() -> str:
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return home
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_dir


def open_runtime_dir() -> "RuntimeDir":
    """Open (creating if needed) the first usable candidate.

    An explicit ``TRACERS_RUNTIME_DIR`` that fails the check is an error; an
    XDG directory that fails it is skipped, with one warning once another
    directory was found usable.
    """
    refused = []
    for path, explicit in candidates():
        try:
            found = open_checked(path)
        except BackendError as problem:
            if explicit:
                raise
            refused.append(str(problem))
            continue
        if refused:
            _warn_once(f"tracers: {refused[0]}; using {found.path} instead")
        return found
    raise BackendError("; ".join(refused))


def open_checked(path: str, create: bool = True) -> "RuntimeDir":
    """``path``, with links resolved, and its descriptor, after checking every
    directory on it (see the module's docstring)."""
    if not os.path.isabs(path):
        raise BackendError(f"the runtime directory {path!r} is not an absolute path")
    # Links among the parents are resolved (the walk below checks where they
    # lead); the directory itself must not be one.
    real = os.path.join(os.path.realpath(os.path.dirname(path.rstrip("/")) or "/"),
                        os.path.basename(path.rstrip("/")))
    parts = [part for part in real.split("/") if part]
    uid = os.geteuid()
    fd = os.open("/", _DIRECTORY_FLAGS)
    try:
        _check_parent(fd, "/", uid)
        walked = ""
        for index, part in enumerate(parts):
            walked += "/" + part
            child = _open_component(fd, part, walked, create)
            os.close(fd)
            fd = child
            if index < len(parts) - 1:
                _check_parent(fd, walked, uid)
        info = _check_final(fd, real, uid)
        return RuntimeDir(real, fd, info.st_dev, info.st_ino)
    except BaseException:
        os.close(fd)
        raise


def _open_component(parent: int, name: str, walked: str, create: bool) -> int:
    for _ in range(3):  # a directory made by someone else in between is simply opened
        try:
            return os.open(name, _DIRECTORY_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                raise BackendError(f"the runtime directory {walked} does not exist") from None
            try:
                os.mkdir(name, 0o700, dir_fd=parent)
            except FileExistsError:
                continue
            except OSError as problem:
                raise BackendError(f"cannot create the runtime directory {walked}: {problem.strerror}") from None
        except OSError as problem:
            if problem.errno in (errno.ELOOP, errno.ENOTDIR):
                raise BackendError(f"{walked}, on the runtime directory's path, {_not_a_directory(parent, name)}; "
                                   f"refusing to follow it (set {ENV_DIR} to a private directory)") from None
            raise BackendError(f"cannot open {walked} on the runtime directory's path: {problem.strerror}") from None
    # Made and removed again by someone else, three times over: refused, as a directory that changed.
    raise BackendError(f"{walked}, on the runtime directory's path, changed while tracers checked it; "
                       f"refusing it (set {ENV_DIR} to a private directory)")


def _not_a_directory(parent: int, name: str) -> str:
    """Why ``name`` could not be opened as a directory, as it is now (it may be changing)."""
    try:
        mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
    except OSError:
        return "changed while tracers checked it"
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    return "changed while tracers checked it" if stat.S_ISDIR(mode) else "is not a directory"


def _check_parent(fd: int, path: str, uid: int) -> None:
    info = os.fstat(fd)
    if info.st_uid not in (0, uid):
        raise BackendError(f"{path}, on the runtime directory's path, belongs to uid {info.st_uid}, who could "
                           f"swap the objects tracers loads; set {ENV_DIR} to a directory whose parents "
                           f"belong to root or to you")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX:
        raise BackendError(f"{path}, on the runtime directory's path, is writable by other users "
                           f"(mode {stat.S_IMODE(info.st_mode):o}), who could swap the objects tracers loads; "
                           f"set {ENV_DIR} to a directory whose parents only their owners can write")


def _check_final(fd: int, path: str, uid: int) -> "os.stat_result":
    info = os.fstat(fd)
    if info.st_uid != uid:
        raise BackendError(f"the runtime directory {path} belongs to uid {info.st_uid}, not to this user "
                           f"(uid {uid}); set {ENV_DIR} to a directory of your own")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise BackendError(f"the runtime directory {path} is open to other users "
                           f"(mode {mode:o}); run 'chmod 700 {path}'")
    if mode & 0o700 != 0o700:
        raise BackendError(f"the runtime directory {path} is not writable and searchable by its owner "
                           f"(mode {mode:o}); run 'chmod 700 {path}'")
    return info
