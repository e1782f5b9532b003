"""A size-rotated log file that several worker processes can share without losing a line.

Why not ``logging.handlers.RotatingFileHandler``: each process decides to rotate from its own
view of the file. Process A renames ``app.log`` to ``app.log.1``; B keeps writing into the renamed
file through its old descriptor, later decides its (stale) file is full and rotates again,
renaming A's fresh ``app.log`` over the backups -- lines land in files that are then removed,
and rotation happens far more often than configured.

This design makes every write one critical section shared by all processes:

1. take an exclusive ``fcntl`` record lock on a sidecar file (``.app.log.lock``; the log file
   itself cannot carry the lock because it is renamed away);
2. ``stat`` the path: if it is no longer the inode our descriptor points at (another process
   rotated, or logrotate moved it), reopen;
3. ``fstat`` the descriptor: if this line would push the file past ``max_bytes``, rotate
   (``.N-1`` -> ``.N`` ... ``app.log`` -> ``.1``) and open a fresh file;
4. append the whole line with ``O_APPEND`` writes; release the lock.

Every line is written exactly once into the file that is current at that moment, and a file is
renamed only by the holder of the lock, after every earlier write has completed; so nothing is
lost or duplicated except what falls off the oldest backup (the configured retention). ``fcntl``
record locks belong to the process, so a forked worker never shares its parent's lock by
accident (unlike ``flock`` on an inherited descriptor); threads of one process are serialised
by a mutex first. Cost: about four extra system calls per line (see docs/logging.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import weakref

from app.core.logging.sinks import write_errors, write_fully

_OPEN_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
_live_sinks: weakref.WeakSet[RotatingFileSink] = weakref.WeakSet()


class RotatingFileSink:
    """Append lines to ``path``; rotate at ``max_bytes`` keeping ``backup_count`` old files
    (``path.1`` is the newest). ``backup_count=0`` keeps none: the file starts over when full.

    Opening happens here, so an unwritable path fails at start (raising ``OSError``); later
    write failures are counted in :data:`~app.core.logging.sinks.write_errors` instead.
    """

    def __init__(self, path: str | os.PathLike[str], max_bytes: int, backup_count: int) -> None:
        if max_bytes < 0 or backup_count < 0:
            raise ValueError("max_bytes and backup_count must not be negative")
        self.path = os.path.abspath(os.fspath(path))
        self.name = f"LOG_FILE {self.path}"
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        directory, base = os.path.split(self.path)
        self.lock_path = os.path.join(directory, f".{base}.lock")
        self._mutex = threading.Lock()
        self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._fd = -1
        self._identity: tuple[int, int] | None = None
        self._failed = False  # the last write failed: a partial line may be on disk
        try:
            self._reopen()
        except OSError:
            os.close(self._lock_fd)
            raise
        _live_sinks.add(self)

    def write(self, line: str) -> None:
        data = (line + "\n").encode("utf-8", "backslashreplace")
        with self._mutex:
            try:
                fcntl.lockf(self._lock_fd, fcntl.LOCK_EX)
            except OSError as exc:
                write_errors.record(self.name, exc, "file")
                return
            try:
                self._write_locked(data)
            except OSError as exc:
                self._failed = True
                write_errors.record(self.name, exc, "file")
            else:
                if self._failed:
                    self._failed = False
                    write_errors.recovered(self.name)
            finally:
                fcntl.lockf(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._mutex:
            for fd in (self._fd, self._lock_fd):
                if fd >= 0:
                    os.close(fd)
            self._fd = self._lock_fd = -1
        _live_sinks.discard(self)

    # --- inside the lock ---

    def _write_locked(self, data: bytes) -> None:
        self._follow_path()
        size = os.fstat(self._fd).st_size
        if self.max_bytes and size and size + len(data) > self.max_bytes:
            self._rotate()
        elif self._failed and size and os.pread(self._fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # keep the next line whole after a partial write
        write_fully(self._fd, data)

    def _follow_path(self) -> None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._reopen()
            return
        if (stat.st_dev, stat.st_ino) != self._identity:
            self._reopen()

    def _rotate(self) -> None:
        if self.backup_count:
            for index in range(self.backup_count - 1, 0, -1):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}.{index}", f"{self.path}.{index + 1}")
            os.replace(self.path, f"{self.path}.1")
        else:
            os.unlink(self.path)
        self._reopen()

    def _reopen(self) -> None:
        fd = os.open(self.path, _OPEN_FLAGS, 0o644)
        stat = os.fstat(fd)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = fd
        self._identity = (stat.st_dev, stat.st_ino)

    def _after_fork_in_child(self) -> None:
        # Another thread may have held the mutex at fork time; the child has only this thread.
        self._mutex = threading.Lock()


def _reinit_after_fork() -> None:
    for sink in list(_live_sinks):
        sink._after_fork_in_child()


os.register_at_fork(after_in_child=_reinit_after_fork)
