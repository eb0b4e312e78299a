"""Progress of a long read on stderr: count, rate, elapsed, and the share done and the time
left when the size of the input is known.

On a terminal the line is redrawn about twice a second; elsewhere (cron, CI, a notebook) a
line is written every ten seconds. A summary line ends every read that took more than a
couple of seconds, unless ``--quiet``.

>>> import io
>>> ticks = iter([0.0, 4.0])  # the start, then the end
>>> out = io.StringIO()
>>> progress = Progress("events", total=3, out=out, clock=lambda: next(ticks), tty=False)
>>> list(progress.watch(iter("abc")))
['a', 'b', 'c']
>>> progress.done()
>>> print(out.getvalue(), end="")
leadqual: 3 events read in 4.0 s (1/s)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, TypeVar

__all__ = ["Progress", "count_lines", "progress_for"]

_T = TypeVar("_T")

#: Seconds a read takes before it ends with a summary line.
SUMMARY_AFTER = 2.0


def count_lines(path: str, *, header: bool = False) -> int | None:
    """The rows in a plain text file (``None`` for a compressed file or one that cannot be
    read): fast, in binary, so that progress can say how much is left."""
    if path.endswith(".gz"):
        return None
    try:
        with open(path, "rb") as handle:
            n = 0
            last = b"\n"
            while chunk := handle.read(1 << 20):
                n += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return None
    n += last != b"\n"  # a last line without a line break
    return max(n - header, 0)


class Progress:
    """Counts what passes through :meth:`watch` and reports it on ``out``."""

    def __init__(
        self,
        what: str,
        *,
        total: int | None = None,
        out: IO[str] | None = None,
        quiet: bool = False,
        clock: Callable[[], float] = time.monotonic,
        tty: bool | None = None,
    ) -> None:
        self.what = what
        self.total = total
        self.out = sys.stderr if out is None else out
        self.quiet = quiet
        self.clock = clock
        self.tty = self.out.isatty() if tty is None else tty
        self.count = 0
        self.started = clock()
        self._next = self.started + (0.5 if self.tty else 10.0)
        self._drawn = False
        self._reported = False

    def watch(self, items: Iterator[_T]) -> Iterator[_T]:
        """Pass ``items`` through, reporting now and then."""
        clock = self.clock
        for item in items:
            self.count += 1
            if not self.quiet and self.count % 1024 == 0:
                now = clock()
                if now >= self._next:
                    self._report(now)
            yield item

    def _report(self, now: float) -> None:
        self._reported = True
        elapsed = now - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        text = f"{self.count:,} {self.what}"
        if self.total:
            share = min(self.count / self.total, 1.0)
            text += f" of {self.total:,} ({share:.0%})"
        text += f", {rate:,.0f}/s, {elapsed:.0f} s"
        if self.total and rate > 0 and self.count < self.total:
            text += f", about {(self.total - self.count) / rate:.0f} s left"
        if self.tty:
            self.out.write(f"\r{text}   ")
            self._drawn = True
            self._next = now + 0.5
        else:
            self.out.write(f"leadqual: {text}\n")
            self._next = now + 10.0
        self.out.flush()

    def done(self) -> None:
        """The summary line of a read that took a while (at least :data:`SUMMARY_AFTER`
        seconds, or that reported progress); nothing when quiet."""
        if self.quiet or not self.count:
            return
        elapsed = self.clock() - self.started
        if elapsed < SUMMARY_AFTER and not self._reported:
            return
        rate = f" ({self.count / elapsed:,.0f}/s)" if elapsed > 0 else ""
        if self._drawn:
            self.out.write("\r")
        self.out.write(f"leadqual: {self.count:,} {self.what} read in {elapsed:.1f} s{rate}\n")
        self.out.flush()


def progress_for(path: str, what: str, *, quiet: bool, header: bool) -> Progress:
    """A progress report for reading the file at ``path``."""
    total = count_lines(path, header=header) if os.path.isfile(path) else None
    return Progress(what, total=total, quiet=quiet)
