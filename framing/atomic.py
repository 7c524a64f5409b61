"""Writes that never destroy: atomic replacement of regular files, direct writes to devices
and FIFOs, symlinks written through, outputs that would overwrite an input refused, and a
lock so that two runs never write one output at once."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from framing.errors import OutputError


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise OutputError(f"{path}: cannot check it ({exc.strerror}); choose another path") from None


def resolve_output(target: str | Path) -> Path:
    """The file a write to ``target`` should change: a symlink's target (written through,
    so the link stays a link), else ``target`` itself."""
    target = Path(target)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


def is_special(target: str | Path) -> bool:
    """Whether ``target`` exists and is not a regular file or directory (device, FIFO, socket)."""
    st = _stat(Path(target))
    return st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


def check_distinct(outputs: Iterable[tuple[str, str | Path | None]],
                   inputs: Iterable[str | Path | None]) -> None:
    """Refuse outputs that are the same file (device and inode) as an input or as each other.

    ``outputs`` are ``(option name, path)`` pairs, such as ``("--sentences", path)``;
    missing paths and None are skipped. Device files such as /dev/null may repeat.
    """
    seen: dict[tuple[int, int], str] = {}
    for path in inputs:
        st = _stat(Path(path)) if path is not None else None
        if st is not None and stat.S_ISREG(st.st_mode):
            seen[(st.st_dev, st.st_ino)] = f"the input {path}"
    for option, path in outputs:
        st = _stat(Path(path)) if path is not None else None
        if st is None or not stat.S_ISREG(st.st_mode):
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            raise OutputError(f"{path}: {option} is the same file as {seen[key]} (a link to it); "
                              "writing it would destroy what is read: name another file")
        seen[key] = f"the {option} file {path}"


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only on success.

    A symlink is written through (its target is replaced). A device, FIFO or socket cannot
    be replaced by a file: OutputError (:func:`write_text_atomic` writes to those directly).
    An OSError while the body writes (a full disk) becomes OutputError.
    """
    target = resolve_output(target)
    if target.is_dir():
        raise OutputError(f"{target}: is a directory; give a file name to write to")
    if is_special(target):
        raise OutputError(f"{target}: not a regular file (a device, FIFO or socket); this output "
                          "is written whole and renamed into place, so name a regular file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror}); choose another path") from None
    os.close(fd)
    try:
        os.chmod(tmp, file_mode())  # mkstemp makes 0600; give the file the usual mode
        try:
            yield Path(tmp)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror or exc}); "
                              f"{_next_step(exc)}") from None
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror}); choose another path") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _next_step(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "make room on the disk and run again (the old file, if any, is untouched)"
    return "choose another path"


def file_mode() -> int:
    """The mode a new file gets under the current umask (0o666 less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_text_atomic(target: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target``: atomically to a regular file, directly to a device
    or FIFO (``/dev/stdout``, ``/dev/null``, a pipe), through a symlink to its target."""
    write_pieces_atomic(target, [text])


def write_pieces_atomic(target: str | Path, pieces: Iterable[str]) -> None:
    """Write text made piece by piece (so it need never be whole in memory) as
    :func:`write_text_atomic` writes it; an OSError while writing becomes OutputError."""
    target = resolve_output(target)
    if is_special(target):
        if stat.S_ISSOCK(os.stat(target).st_mode):
            raise OutputError(f"{target}: is a socket; give a file name to write to")
        try:
            with open(target, "wb") as f:
                _write_pieces(f, pieces)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror}); {_next_step(exc)}") from None
        return
    with atomic_path(target) as tmp, open(tmp, "wb") as f:
        _write_pieces(f, pieces)


def _write_pieces(f: BinaryIO, pieces: Iterable[str]) -> None:
    for piece in pieces:
        f.write(piece.encode("utf-8", errors="backslashreplace"))


def check_replaceable_dir(path: str | Path, *, force: bool, what: str = "a model",
                          option: str = "--force") -> None:
    """Refuse to write into an existing, non-empty directory unless ``force``.

    Called before a long job (training) so that it fails at once, not after the work.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a directory; name a directory for {what}")
    if not force and path.is_dir() and any(path.iterdir()):
        raise OutputError(f"{path}: already holds {what} (or other files); pass {option} to replace "
                          "it, or name a new directory")


class OutputLock:
    """An exclusive lock on an output, held in ``.NAME.lock`` beside it while a run writes.

    A second run on the same output (through any name or link to it) fails at once with an
    OutputError instead of interleaving its rows. The lock is an advisory ``flock``, so a
    run that is killed releases it; the lock file is removed when the run ends.
    """

    def __init__(self, target: str | Path) -> None:
        self.target = resolve_output(target)
        self.path = self.target.parent / f".{self.target.name}.lock"
        self.fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.target}: cannot write ({exc.strerror}); choose another path") from None
        for _ in range(10):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise OutputError(f"{self.target}: cannot create its lock file {self.path} "
                                  f"({exc.strerror}); choose another path") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                owner = self._owner()
                raise OutputError(f"{self.target}: another framing run{owner} is writing it (lock "
                                  f"{self.path}); wait for it to end, or write elsewhere") from None
            # the holder before us may have removed the file between our open and our lock
            if _same_file(fd, self.path):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self.fd = fd
                return
            os.close(fd)
        raise OutputError(f"{self.target}: could not take its lock {self.path}; try again")

    def _owner(self) -> str:
        try:
            pid = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return ""
        return f" (process {pid})" if pid.isdigit() else ""

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # before unlocking: a waiter that opened it retries
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@contextlib.contextmanager
def output_locks(targets: Iterable[str | Path | None]) -> Iterator[None]:
    """Hold an :class:`OutputLock` on each regular-file target (devices and FIFOs need none)."""
    with contextlib.ExitStack() as stack:
        for target in targets:
            if target is not None and not is_special(target):
                stack.enter_context(OutputLock(target))
        yield
