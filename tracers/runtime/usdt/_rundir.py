"""The private directory that holds this process's probe objects.

Tracers find USDT probes through files mapped into the process, so each
provider's object must stay a real file for as long as the process lives.
The directory is private (0700, owned by the user, never a symlink); files
carry the creating process's pid and start time so that files left by a
process that died (``kill -9``) are swept by the next one.
"""
from __future__ import annotations

import atexit
import os
import re
import stat
import threading
from typing import Optional

from ..._errors import BackendError

ENV_DIR = "TRACERS_RUNTIME_DIR"
_NAME = re.compile(r"tracers-(\d+)-(\d+)-")


def runtime_dir() -> str:
    """The directory to use, by preference: $TRACERS_RUNTIME_DIR,
    $XDG_RUNTIME_DIR/tracers, then ~/.cache/tracers (a private place, unlike /tmp)."""
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return explicit
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg):
        return os.path.join(xdg, "tracers")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tracers")


def ensure_private(path: str) -> str:
    """Create ``path`` (0700) if needed and refuse it unless it is a real,
    private directory owned by this user."""
    try:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    except OSError as problem:
        raise BackendError(f"cannot create the runtime directory {path}: {problem.strerror}") from problem
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as problem:
        raise BackendError(f"cannot create the runtime directory {path}: {problem.strerror}") from problem
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise BackendError(f"the runtime directory {path} is a symbolic link; refusing to follow it "
                           f"(remove it, or set {ENV_DIR} to a private directory)")
    if not stat.S_ISDIR(info.st_mode):
        raise BackendError(f"the runtime directory {path} is not a directory")
    if info.st_uid != os.geteuid():
        raise BackendError(f"the runtime directory {path} belongs to uid {info.st_uid}, not to this user")
    if info.st_mode & 0o077:
        raise BackendError(f"the runtime directory {path} is open to other users "
                           f"(mode {stat.S_IMODE(info.st_mode):o}); run 'chmod 700 {path}'")
    if not os.access(path, os.W_OK | os.X_OK):
        raise BackendError(f"the runtime directory {path} is not writable")
    return path


def process_start_time(pid: int) -> Optional[int]:
    """The start time of ``pid`` in clock ticks, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return int(fields[19])


def sweep(directory: str) -> int:
    """Remove files whose creating process is gone; returns how many."""
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        match = _NAME.match(name)
        if match is None:
            continue
        pid, started = int(match.group(1)), int(match.group(2))
        if process_start_time(pid) == started:
            continue
        try:
            os.unlink(os.path.join(directory, name))
            removed += 1
        except OSError:
            pass
    return removed


class ObjectFiles:
    """Writes this process's files and removes them when it exits.

    A forked child keeps the mapping but never removes the parent's files.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._owner = os.getpid()
        self._prefix = f"tracers-{self._owner}-{process_start_time(self._owner) or 0}-"
        self._paths: list[str] = []
        self._count = 0
        self._lock = threading.Lock()
        atexit.register(self.remove_all)

    def new_stem(self, name: str) -> str:
        """A path prefix no other file of this process uses, for a set of files about ``name``."""
        with self._lock:
            self._count += 1
            return os.path.join(self.directory, f"{self._prefix}{name}-{self._count}")

    def write(self, path: str, data: bytes) -> str:
        """Write ``data`` to a new file in the checked directory (opened without
        following links), never following or replacing an existing file."""
        directory = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            descriptor = os.open(os.path.basename(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                                 0o600, dir_fd=directory)
        finally:
            os.close(directory)
        with self._lock:
            self._paths.append(path)  # ours from now on: removed at exit
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        return path

    def remove_all(self) -> None:
        if os.getpid() != self._owner:
            return
        with self._lock:
            paths, self._paths = self._paths, []
        for path in paths:
            try:
                os.unlink(path)
            except OSError:
                pass


_files: Optional[ObjectFiles] = None
_files_lock = threading.Lock()


def object_files() -> ObjectFiles:
    """This process's file writer, created (and the directory swept) on first use."""
    global _files
    with _files_lock:
        if _files is None:
            directory = ensure_private(runtime_dir())
            sweep(directory)
            _files = ObjectFiles(directory)
        return _files


def _forget_in_child() -> None:
    """A forked child writes (and removes) its own files for providers it defines."""
    global _files
    _files = None


os.register_at_fork(after_in_child=_forget_in_child)
