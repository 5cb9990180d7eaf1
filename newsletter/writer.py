"""The one place that writes to disk.

Every output goes through ``Writer``: files are written to a temporary sibling and renamed
into place (atomic on POSIX), and a whole edition folder is staged and swapped in at the end,
so a crash at any point leaves either the previous complete output or the new complete one,
never a mix. A writer refuses to write the same path twice in one run: that is always a bug
(two templates fighting over one file).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from newsletter.errors import OutputError

_STAGE_PREFIX = ".staging-"
_OLD_PREFIX = ".replaced-"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
        raise
    _fsync_dir(path.parent)


class Writer:
    """Writes files under ``root`` atomically, each path at most once per run."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._written: set[Path] = set()

    def _resolve(self, relative: str | Path) -> Path:
        path = (self.root / relative).resolve()
        root = self.root.resolve()
        if path != root and root not in path.parents:
            raise OutputError(f"{path}: refusing to write outside {root}")
        return path

    def write_bytes(self, relative: str | Path, data: bytes) -> Path:
        path = self._resolve(relative)
        if path in self._written:
            raise OutputError(f"{path}: written twice in one run")
        atomic_write_bytes(path, data)
        self._written.add(path)
        return path

    def write_text(self, relative: str | Path, text: str) -> Path:
        return self.write_bytes(relative, text.encode("utf-8"))

    @property
    def written(self) -> tuple[Path, ...]:
        return tuple(sorted(self._written))


@contextlib.contextmanager
def staged_directory(target: Path) -> Iterator[Writer]:
    """Yield a ``Writer`` for a fresh staging folder that replaces ``target`` on success.

    On an exception the staging folder is removed and ``target`` is untouched. The swap is
    two renames; if the process dies between them, ``recover_directory`` (called on the next
    run) puts the previous folder back.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_directory(target)
    stage = Path(tempfile.mkdtemp(prefix=f"{_STAGE_PREFIX}{target.name}-", dir=target.parent))
    try:
        yield Writer(stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    os.chmod(stage, 0o755)
    old: Path | None = None
    if target.exists():
        old = target.parent / f"{_OLD_PREFIX}{target.name}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    os.replace(stage, target)
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def recover_directory(target: Path) -> None:
    """Undo an interrupted ``staged_directory`` swap and drop abandoned staging folders."""
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return
    old = parent / f"{_OLD_PREFIX}{target.name}"
    if old.exists():
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, target)
    for stale in parent.glob(f"{_STAGE_PREFIX}{target.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)


_TEMP_FILE_SUFFIX = ".tmp"


def remove_stale_temp_files(folder: Path) -> int:
    """Remove the temp files of ``atomic_write_bytes`` calls that a killed run left behind.

    Only call this while holding the folder's ``exclusive_lock``: a temp file of a run in
    progress looks the same. Returns how many were removed.
    """
    removed = 0
    if not Path(folder).is_dir():
        return 0
    for path in Path(folder).rglob(f".*{_TEMP_FILE_SUFFIX}"):
        if path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


@contextlib.contextmanager
def exclusive_lock(
    path: Path,
    *,
    what: str,
    timeout_s: float = 3600.0,
    poll_s: float = 0.05,
    error: type[Exception] = OutputError,
) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``path``; wait up to ``timeout_s`` for its holder.

    The lock file is never written, only locked, so opening it is not an output write. The
    lock is released when the process ends, however it ends (a SIGKILL included).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise error(f"{path}: cannot lock ({exc.strerror})") from None
                if time.monotonic() >= deadline:
                    raise error(f"{path}: {what} is still running (waited {timeout_s:g} s)") from None
                time.sleep(poll_s)
        yield path
    finally:
        os.close(fd)  # closing releases the lock
