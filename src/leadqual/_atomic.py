"""Writing a file all or nothing: the one implementation every writer of leadqual uses.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> with atomic_path_writer(target, newline="\\n") as out:
...     _ = out.write("hello\\n")
>>> target.read_text()
'hello\\n'
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import os
import secrets
from collections.abc import Iterator
from typing import IO

__all__ = ["atomic_path_writer"]


@contextlib.contextmanager
def atomic_path_writer(path: str | os.PathLike[str], *, newline: str) -> Iterator[IO[str]]:
    """Yield a UTF-8 text stream whose content replaces ``path`` only once complete.

    The text goes to a temporary file in the same directory, which is synced and then
    renamed over ``path`` (:func:`os.replace`); the directory is synced too. If anything
    fails, the temporary file is removed and ``path`` is left as it was. A path ending in
    ``.gz`` is gzipped (with a zero timestamp, so the output is deterministic).
    """
    final = os.path.abspath(os.fspath(path))
    directory, base = os.path.split(final)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"the folder {directory} does not exist", os.fspath(path)
        )
    tmp, fd = _create_temporary(directory, base)
    try:
        with open(fd, "wb") as raw:
            binary: IO[bytes] | gzip.GzipFile = raw
            if base.lower().endswith(".gz"):
                binary = gzip.GzipFile(filename=base[:-3], mode="wb", fileobj=raw, mtime=0)
            try:
                text = io.TextIOWrapper(binary, encoding="utf-8", newline=newline)
                try:
                    yield text
                finally:
                    text.detach()  # flushes, and leaves ``binary`` open
            finally:
                if binary is not raw:
                    binary.close()  # writes the gzip trailer; ``raw`` stays open
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_directory(directory)


def _create_temporary(directory: str, base: str) -> tuple[str, int]:
    """Create an empty file next to ``base``, with the permissions a new file gets."""
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - a 32-bit random name collided
            continue


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX only; elsewhere a no-op)."""
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)
