"""The user's runtime directory, checked whole, and the provider objects in it.

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

An object's name comes from its content (see ``_elf``), so every process
that defines the same provider maps the same file, and one tracer command
by path reaches all of them, including processes started later.

Who uses a file is recorded by ``flock``: each process holds a shared lock
on every object it loaded, through a descriptor that a ``fork()`` child
inherits (the lock belongs to the open file, so it lasts while either
process lives).  A file is removed only by whoever takes an exclusive lock
on it without waiting, and only if no process of the user maps it (a
daemon may have closed every descriptor).  A process exiting removes the
files that it alone used; the first provider of a process removes what
processes killed earlier left behind.

Processes exiting together cannot tell from mappings alone whether another
one is still leaving: a process tearing down on a busy machine and a daemon
that closed its descriptors both map the file and hold no lock.  So an
exiting process first marks each of its files with an open-file-description
read lock (``fcntl`` byte-range locks are independent of ``flock``), which it
keeps until the kernel closes its descriptors, after its mappings are gone.
The one that takes the exclusive lock waits until no other mark is left,
and keeps the file only if a process with no mark still maps it.

Every operation goes through the checked directory's descriptor; nothing
found in the directory is used unless it is a regular file of this user
with exactly the expected bytes.  Anything else is replaced atomically.
(The directory, its files and their locks, taken with libc's ``flock`` and
``fcntl`` rather than through the ``fcntl`` extension, share one module: each
module that a traced process imports costs it about 0.1 ms.)
"""

import atexit
import os
import stat
import sys
from _ctypes import FUNCFLAG_CDECL, FUNCFLAG_USE_ERRNO, RTLD_LOCAL, CFuncPtr, dlopen, dlsym, get_errno
from _thread import allocate_lock

from ... import _report
from ..._errors import BackendError
from ..._record import NamedTuple
from ._elf import is_object_name

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Iterable, Optional

ENV_DIR = "TRACERS_RUNTIME_DIR"
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_ELOOP = 40  # <asm-generic/errno.h>, the same on x86_64 and aarch64: what O_NOFOLLOW gives a link


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
        _report.warn_once(f"tracers: ignoring {variable}={value!r}: "
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
            _report.warn_once(f"tracers: {refused[0]}; using {found.path} instead")
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
            if isinstance(problem, NotADirectoryError) or problem.errno == _ELOOP:
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


# Object files in the checked directory.

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_MARK_FLAGS = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_TEMPORARY_PREFIX = ".tmp-"
_OLD_PREFIX = "tracers-"  # per-process files of earlier versions: tracers-PID-START-...


# <sys/file.h>: the same values on every Linux architecture.
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8


class _LibcFunction(CFuncPtr):  # ctypes.CFUNCTYPE(c_int, use_errno=True), with no argument types:
    _flags_ = FUNCFLAG_CDECL | FUNCFLAG_USE_ERRNO  # each int is passed as a C int, the result is one


# dlopen(NULL): the process itself, whose libc has flock and fcntl (typeshed allows only a path).
_libc = dlopen(None, RTLD_LOCAL)  # type: ignore[arg-type]
_libc_flock = _LibcFunction(dlsym(_libc, "flock"))
_libc_fcntl = _LibcFunction(dlsym(_libc, "fcntl"))
F_OFD_SETLK = 37  # <asm-generic/fcntl.h>: the same on x86_64 and aarch64
F_RDLCK, F_WRLCK = 0, 1


def flock(fd: int, operation: int) -> None:
    """``fcntl.flock``, called in libc through ``_ctypes``: importing the ``fcntl``
    extension would cost the first provider of a process about 0.1 ms more.

    Raises ``OSError`` as ``fcntl.flock`` does (``BlockingIOError`` for a
    lock that ``LOCK_NB`` did not wait for); retried when a signal interrupts it.
    """
    while _libc_flock(fd, operation) != 0:
        problem = _os_error()
        if not isinstance(problem, InterruptedError):
            raise problem


def mark_leaving(fd: int) -> bool:
    """Mark the file open as ``fd`` as used by a process that is leaving: an
    open-file-description read lock on the whole file, which lasts until the
    last descriptor of that open file closes and never touches a ``flock``
    lock.  False when a process testing for marks holds it for a moment."""
    return _range_lock(fd, F_RDLCK)


def alone(fd: int) -> bool:
    """Whether no open file but ``fd``'s, which must be open for writing, marks its file."""
    if not _range_lock(fd, F_WRLCK):
        return False
    _range_lock(fd, F_RDLCK)  # back to a mark of our own
    return True


def _range_lock(fd: int, kind: int) -> bool:
    """``fcntl(fd, F_OFD_SETLK, ...)`` for the whole file, through libc as ``flock`` is;
    False when another open file holds a conflicting lock."""
    # struct flock of 64-bit Linux: l_type, then l_whence (SEEK_SET), l_start, l_len (0: to
    # the end) and l_pid (0, as OFD locks need), all zero
    request = kind.to_bytes(2, sys.byteorder) + bytes(30)
    while _libc_fcntl(fd, F_OFD_SETLK, request) != 0:
        problem = _os_error()
        if isinstance(problem, (BlockingIOError, PermissionError)):  # EAGAIN or EACCES: held by another
            return False
        if not isinstance(problem, InterruptedError):
            raise problem
    return True


def _os_error() -> OSError:
    """The failure of the libc call just made, as the ``OSError`` subclass Python raises for
    its code (``InterruptedError`` for ``EINTR`` ...): no ``errno`` module to import for it."""
    code = get_errno()
    return OSError(code, os.strerror(code))


class HeldObject(NamedTuple):
    """An object file this process verified and holds a shared lock on."""

    name: str
    path: str
    fd: int  # keeps the lock; closed only at exit
    device: int
    inode: int


class ObjectStore:
    """The objects of one runtime directory, as this process uses them."""

    def __init__(self, directory: "RuntimeDir") -> None:
        self.directory = directory
        self.held: dict[str, HeldObject] = {}
        self._owner = os.getpid()
        self._swept = False
        self.lock = allocate_lock()

    def _reopen_if_closed(self) -> None:
        """Check the directory again if the program closed our descriptor of it."""
        if not self.directory.still_open():
            self.directory = open_checked(self.directory.path, create=False)

    def obtain(self, name: str, data: bytes) -> "HeldObject":
        """A file ``name`` holding exactly ``data``, locked shared for the life of the process."""
        with self.lock:
            self._reopen_if_closed()
            found = self.held.get(name)
            if found is None:
                found = self.held[name] = self._obtain(name, data)
            return found

    def _obtain(self, name: str, data: bytes) -> "HeldObject":
        import time

        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:  # another process may remove or replace it in between: look again
            try:
                fd = os.open(name, _READ_FLAGS, dir_fd=self.directory.fd)
            except FileNotFoundError:
                held = self._publish(name, data, replace=False)
            except OSError:  # a link, or something else we may not open: replaced
                held = self._publish(name, data, replace=True)
            else:
                held, bad = self._verified(fd, name, data)
                if held is None:
                    os.close(fd)
                    if bad:  # still there, and not ours or not the expected bytes
                        held = self._publish(name, data, replace=True)
            if held is not None:
                return held
        raise BackendError(f"cannot create {self._path(name)}: the file keeps changing")

    def adopt(self, name: str, data: bytes, device: int, inode: int) -> "HeldObject":
        """Hold the file now named ``name`` instead, if it is the one mapped (device, inode)
        and has the expected bytes: another process replaced the file between our check and
        the load."""
        with self.lock:
            try:
                fd = os.open(name, _READ_FLAGS, dir_fd=self.directory.fd)
            except OSError as problem:
                raise BackendError(f"cannot open {self._path(name)} again: {problem.strerror}") from None
            held, _ = self._verified(fd, name, data)
            if held is None or (held.device, held.inode) != (device, inode):
                os.close(fd)
                raise BackendError(f"the object mapped for {self._path(name)} is not the file tracers "
                                   f"verified; not using it")
            previous = self.held.get(name)
            if previous is not None:
                os.close(previous.fd)
            self.held[name] = held
            return held

    def _path(self, name: str) -> str:
        return os.path.join(self.directory.path, name)

    def _verified(self, fd: int, name: str, data: bytes) -> "tuple[Optional[HeldObject], bool]":
        """The file as a held object if it is ours, unchanged and still under ``name``;
        else whether it is bad (still under ``name``, but not what we expect)."""
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_size != len(data)
                or info.st_mode & 0o022):
            return None, self._still_named(name, info)
        _lock_shared(fd, self._path(name))  # waits only for a sweeper that is removing it
        if not self._still_named(name, info):
            return None, False  # removed or replaced meanwhile: look again
        if _read_all(fd, len(data)) != data:
            return None, True
        return HeldObject(name, self._path(name), fd, info.st_dev, info.st_ino), False

    def _still_named(self, name: str, info: "os.stat_result") -> bool:
        try:
            now = os.stat(name, dir_fd=self.directory.fd, follow_symlinks=False)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)

    def _publish(self, name: str, data: bytes, replace: bool) -> "Optional[HeldObject]":
        """Write a new file and give it ``name``: atomically, never over a good file.

        Returns None when another process created ``name`` first, or swept the
        new file before it was locked (the caller looks again).
        """
        directory = self.directory.fd
        temporary = f"{_TEMPORARY_PREFIX}{os.getpid()}-{os.urandom(6).hex()}"
        try:
            fd = os.open(temporary, _CREATE_FLAGS, 0o600, dir_fd=directory)
        except OSError as problem:
            raise BackendError(f"cannot create a file in {self.directory.path}: {problem.strerror}") from None
        try:
            flock(fd, LOCK_SH)  # in use from now on: no sweeper may take it
            info = os.fstat(fd)  # its device and inode, which linking it under its name keeps
            if not self._still_named(temporary, info):  # a sweeper took it before the lock
                os.close(fd)
                return None
            _write_all(fd, data)
            if replace:
                os.rename(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
            else:
                try:
                    os.link(temporary, name, src_dir_fd=directory, dst_dir_fd=directory, follow_symlinks=False)
                except FileExistsError:
                    os.close(fd)
                    return None
                finally:
                    _unlink_quietly(temporary, directory)
        except OSError as problem:
            os.close(fd)
            _unlink_quietly(temporary, directory)
            raise BackendError(f"cannot write {self._path(name)}: {problem.strerror}") from None
        return HeldObject(name, self._path(name), fd, info.st_dev, info.st_ino)

    def sweep_once(self) -> None:
        """Remove what dead processes left, once per process (after its first object is held)."""
        if self._swept:
            return
        self._swept = True
        try:
            names = os.listdir(self.directory.fd)
        except OSError:
            return
        sweep(self.directory, [n for n in names if n not in self.held])

    def release_all(self) -> None:
        """At exit: let go of every object, removing those no other process uses."""
        if os.getpid() != self._owner:
            return  # a fork child that never defined a provider: the parent's files are not its own
        with self.lock:
            held, self.held = list(self.held.values()), {}
        try:
            self._reopen_if_closed()
            leaving = {item.name: found for item in held
                       if (found := _open_marked(self.directory, item)) is not None}
        except BackendError:
            leaving = {}  # the directory is gone or changed: nothing in it is ours to remove
        for item in held:
            _close_if_ours(item)
        sweep_at_exit(self.directory, leaving)


def sweep(directory: "RuntimeDir", names: "Iterable[str]") -> int:
    """Remove each of ``names`` that no live process uses; returns how many went."""
    removed = 0
    mapped: "Optional[dict[tuple[int, int], set[int]]]" = None
    for name in names:
        if name.startswith(_OLD_PREFIX):
            removed += _sweep_old(directory, name)
            continue
        with _exclusive_guard:
            locked = _lock_unused(directory, name)
            if locked is None:
                continue
            fd, info = locked
            try:
                if mapped is None:
                    mapped = mapped_files(directory.path)
                if (info.st_dev, info.st_ino) not in mapped:
                    removed += _unlink_if_still(directory, name, info)
            finally:
                os.close(fd)
    return removed


def sweep_at_exit(directory: "RuntimeDir", leaving: "dict[str, tuple[int, os.stat_result]]",
                  limit: float = 2.0) -> None:
    """Remove this exiting process's objects that no other process uses.

    ``leaving`` holds, for each file, a descriptor carrying this process's
    mark (see the module's docstring) and the file's status.  Whoever takes a
    file's exclusive lock waits, at most ``limit`` seconds, for the marks of
    the others to go, then removes the file unless a process without a mark
    (a daemon that closed our descriptors) still maps it.  It does not wait
    when the only processes still mapping the file are its own ancestors: a
    parent may be waiting for this child in an exit handler of its own.  The
    others leave at once, their mark kept until they are gone.  Between two
    looks the holder lets go of the lock, so that a process starting meanwhile
    is not kept waiting: a file one of them takes is in use, and stays.  The
    descriptors are never closed: the marks must outlive this process's mappings.
    """
    import time

    with _exclusive_guard:
        locked = {}
        for name, (fd, info) in leaving.items():
            try:
                flock(fd, LOCK_EX | LOCK_NB)
                locked[name] = (fd, info)
            except OSError:
                pass  # a live process holds it, or another one leaving removes it
        deadline = time.monotonic() + limit
        ancestors: "Optional[set[int]]" = None
        try:
            while locked:
                # Marks first, mappings after: a process leaving in between is then seen gone in
                # both, never as a mapping without a mark (a daemon's, which would keep the file).
                marked = {name for name, (fd, _) in locked.items() if not alone(fd)}
                mapped = mapped_files(directory.path, skip=os.getpid())
                for name, (fd, info) in list(locked.items()):
                    users = mapped.get((info.st_dev, info.st_ino), set())
                    if name in marked:  # another process leaving still has it mapped: wait for it to go,
                        if ancestors is None:
                            ancestors = _ancestors()
                        if not users or not users <= ancestors:  # unless it may be waiting for this one
                            continue
                    elif not users:
                        _unlink_if_still(directory, name, info)
                    flock(fd, LOCK_UN)
                    del locked[name]
                if not locked or time.monotonic() > deadline:
                    break
                for fd, _ in locked.values():
                    flock(fd, LOCK_UN)
                time.sleep(0.005)
                for name, (fd, _) in list(locked.items()):
                    try:
                        flock(fd, LOCK_EX | LOCK_NB)
                    except OSError:  # a process starting, or another one leaving, took it meanwhile
                        del locked[name]
        finally:
            for fd, _ in locked.values():
                flock(fd, LOCK_UN)


def _lock_shared(fd: int, path: str, patience: float = 10.0) -> None:
    """A shared lock on ``fd``, waiting for an exclusive holder (a process
    removing the file) at most ``patience`` seconds rather than for ever."""
    import time

    deadline = time.monotonic() + patience
    while True:
        try:
            flock(fd, LOCK_SH | LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise BackendError(f"{path} stays locked by a process that is removing it; "
                                   f"try again, or remove the file") from None
            time.sleep(0.002)


def _lock_unused(directory: "RuntimeDir", name: str) -> "Optional[tuple[int, os.stat_result]]":
    """An exclusive lock on ``name`` if it is one of ours that no process holds, with its status."""
    if not (is_object_name(name) or name.startswith(_TEMPORARY_PREFIX)):
        return None
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=directory.fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
            flock(fd, LOCK_EX | LOCK_NB)
            return fd, info
    except OSError:
        pass  # a live process holds it
    os.close(fd)
    return None


def _open_marked(directory: "RuntimeDir", item: "HeldObject") -> "Optional[tuple[int, os.stat_result]]":
    """A new descriptor of ``item``'s file, marked as used by a process that is
    leaving, with its status; None when its name no longer leads to that file.
    It is open for writing only so that ``alone`` can test for the marks of
    others: nothing is ever written through it."""
    try:
        fd = os.open(item.name, _MARK_FLAGS, dir_fd=directory.fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) == (item.device, item.inode) and mark_leaving(fd):
            return fd, info
    except OSError:
        pass
    os.close(fd)
    return None


def _unlink_if_still(directory: "RuntimeDir", name: str, info: "os.stat_result") -> int:
    """Unlink ``name`` if it still names the file described by ``info``."""
    try:
        now = os.stat(name, dir_fd=directory.fd, follow_symlinks=False)
        if (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):
            os.unlink(name, dir_fd=directory.fd)
            return 1
    except OSError:
        pass
    return 0


def _sweep_old(directory: "RuntimeDir", name: str) -> int:
    """Files of earlier versions, ``tracers-PID-START-...``: removed once that process is gone."""
    fields = name.split("-")
    if len(fields) < 4 or not (fields[1].isdigit() and fields[2].isdigit()):
        return 0
    if process_start_time(int(fields[1])) == int(fields[2]):
        return 0
    return 1 if _unlink_quietly(name, directory.fd) else 0


def process_start_time(pid: int) -> "Optional[int]":
    """The start time of ``pid`` in clock ticks, or None when it does not exist."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])


def _stat_fields(pid: int) -> "Optional[list[bytes]]":
    """The fields of ``/proc/PID/stat`` after the command name (the state first), or None
    when the process does not exist; the name, in brackets, may hold spaces and brackets."""
    data = _proc_file(f"/proc/{pid}/stat")
    return None if data is None else data[data.rindex(b")") + 2:].split()


def mapped_files(directory: str, skip: "Optional[int]" = None) -> "dict[tuple[int, int], set[int]]":
    """The processes (whose maps we may read) that map each file of ``directory``, by (device, inode)."""
    needle = os.path.join(directory, "").encode()
    found: "dict[tuple[int, int], set[int]]" = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == skip:
            continue
        data = _proc_file(f"/proc/{entry}/maps")
        if data is None or needle not in data:
            continue
        for line in data.splitlines():
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].startswith(needle):
                major, minor = fields[3].split(b":")
                found.setdefault((os.makedev(int(major, 16), int(minor, 16)), int(fields[4])), set()).add(int(entry))
    return found


def _ancestors() -> "set[int]":
    """This process's parent, its parent's parent, and so on."""
    found: "set[int]" = set()
    pid = os.getppid()
    while pid > 1 and pid not in found:
        found.add(pid)
        fields = _stat_fields(pid)
        if fields is None:
            break
        pid = int(fields[1])
    return found


def _proc_file(path: str) -> "Optional[bytes]":
    """The whole of a /proc file, or None if it cannot be read (the process is gone, or not ours).

    Read with ``os.read`` rather than ``open()``: a process exiting scans
    every process's maps, and a buffered file object costs more than the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    chunks: list[bytes] = []
    try:
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def _close_if_ours(item: "HeldObject") -> None:
    """Close a held object's descriptor, unless the program closed it (a daemon
    closing every descriptor) and the number now belongs to one of its own files."""
    try:
        info = os.fstat(item.fd)
    except OSError:
        return
    if (info.st_dev, info.st_ino) == (item.device, item.inode):
        os.close(item.fd)


def _read_all(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size + 1  # one more byte than expected shows a file that grew
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _unlink_quietly(name: str, directory: int) -> bool:
    try:
        os.unlink(name, dir_fd=directory)
        return True
    except OSError:
        return False


_store: "Optional[ObjectStore]" = None
_store_lock = allocate_lock()

# Held while this process has a file locked exclusively, and across fork(): a
# flock belongs to the open file, which a child shares, so a child forked in
# the middle of a sweep would hold the lock too and wait for ever on its own
# next shared lock of that file.
_exclusive_guard = allocate_lock()


def object_store() -> "ObjectStore":
    """This process's store, opening and checking the runtime directory on first use."""
    global _store
    with _store_lock:
        if _store is None:
            _store = ObjectStore(open_runtime_dir())
            atexit.register(_store.release_all)
        return _store


def _reset_locks_in_child() -> None:
    """A fork() child gets fresh locks: another thread may have held ours at the fork.

    The child keeps the parent's held objects (and so their locks, which the
    inherited descriptors share) and uses them for providers it defines later.
    """
    global _store_lock, _exclusive_guard
    _store_lock = allocate_lock()
    _exclusive_guard = allocate_lock()
    if _store is not None:
        _store.lock = allocate_lock()
        _store._owner = os.getpid()


os.register_at_fork(before=lambda: _exclusive_guard.acquire(), after_in_parent=lambda: _exclusive_guard.release(),
                    after_in_child=_reset_locks_in_child)
