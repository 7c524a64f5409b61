"""Progress of long runs (training, cross-validation, corpus scoring) on stderr, with time left.

The one progress display of the command line. On a terminal: one line redrawn in place at
most five times a second (count, rate, time left, and the phase of training). Otherwise
(``nohup``, a redirect, a CI log): one plain line at most every :data:`LOG_INTERVAL` seconds
(the first after that long, so a short run writes nothing) and a closing line with the time
taken, so a log shows that a run is alive and when it should end without filling up.
Library code only calls ``progress(done, total)`` or ``progress(done, total, phase)``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

LOG_INTERVAL = 30.0  # seconds between lines when stderr is not a terminal
REDRAW_INTERVAL = 0.2  # seconds between redraws on a terminal


def clock_text(seconds: float) -> str:
    """``h:mm:ss`` for a number of seconds."""
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Progress:
    """``progress(done, total, phase="")`` that draws a line on a terminal or logs elsewhere.

    Parameters
    ----------
    what, unit:
        What is running and what is counted (``"training"``, ``"fits"``).
    enabled:
        False writes nothing (``--quiet``, ``--no-progress``).
    delay:
        On a terminal, draw nothing until the run has gone on this long (a log waits ``every``).
    every:
        Seconds between lines in a log.
    stream, tty, clock:
        Where to write (default stderr), whether it is a terminal (default: ask it), and the
        clock (default ``time.monotonic``); given by tests.

    ``clear()`` before printing another line, ``close()`` when done; it is also a context
    manager that closes itself.
    """

    def __init__(self, what: str, unit: str = "fits", *, enabled: bool = True, delay: float = 0.0,
                 every: float | None = None, stream: Any = None, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.unit, self.enabled, self.delay = what, unit, enabled, delay
        self.every = LOG_INTERVAL if every is None else every
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.clock = clock
        self.start = clock()
        # a log gets its first line after ``every`` seconds: short jobs leave no trace there
        self.drawn = -1e18 if self.terminal else self.start
        self.shown = False
        self.done: int = 0
        self.total: int | None = None

    def __call__(self, done: int, total: int | None, phase: str = "") -> None:
        self.done, self.total = done, total
        if not self.enabled:
            return
        now = self.clock()
        finished = total is not None and done >= total
        if self.terminal and now - self.start < self.delay and not (finished and self.shown):
            return
        interval = REDRAW_INTERVAL if self.terminal else self.every
        if now - self.drawn < interval and not (finished and self.terminal):
            return
        self.drawn = now
        line = self.line(done, total, now - self.start, phase)
        self.stream.write(f"\r{line}\033[K" if self.terminal else line + "\n")
        self.stream.flush()
        self.shown = True

    def line(self, done: int, total: int | None, elapsed: float, phase: str = "") -> str:
        """``what: [phase, ]done/total unit  rate/s  h:mm:ss left``."""
        rate = done / max(elapsed, 1e-9)
        line = f"{self.what}: {phase + ', ' if phase else ''}"
        line += f"{done:,}/{total:,} {self.unit}" if total else f"{done:,} {self.unit}"
        line += f"  {rate:,.0f}/s" if rate >= 1 else f"  {rate:,.2f}/s"
        if total and rate > 0 and done < total:
            line += f"  {clock_text(max(total - done, 0) / rate)} left"
        return line

    def clear(self) -> None:
        """Clear the line so that another can be printed (a no-op off a terminal)."""
        if self.shown and self.terminal:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def close(self) -> None:
        """End the line on a terminal; in a log that has lines, say how long the run took."""
        if self.shown:
            if self.terminal:
                self.stream.write("\n")
            else:
                count = f"{self.done:,}/{self.total:,}" if self.total else f"{self.done:,}"
                self.stream.write(f"{self.what}: done, {count} {self.unit} in "
                                  f"{clock_text(self.clock() - self.start)}\n")
            self.stream.flush()
        self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
