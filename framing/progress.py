"""Progress of long runs (training, cross-validation) on stderr, with the time left.

On a terminal: one bar, redrawn in place at most a few times a second. Otherwise (``nohup``,
a redirect, a CI log): one plain line at most every :data:`LOG_INTERVAL` seconds (the first
after that long, so a short run writes nothing), and a closing line with the time taken, so a
log shows that the run is alive and when it should end without filling up. ``quiet`` shows
nothing.

This is deliberately small and self-contained: helper B's branch (issue 9) adds one progress
helper to ``cli.py`` for every command; the two are meant to be unified at merge. What the
training code needs from either is only a callable ``progress(done, total, phase)``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

LOG_INTERVAL = 30.0  # seconds between log lines when stderr is not a terminal
REDRAW_INTERVAL = 0.2  # seconds between redraws of the bar on a terminal
BAR_WIDTH = 24


def clock_text(seconds: float) -> str:
    """``h:mm:ss`` for a number of seconds."""
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class ProgressReporter:
    """``progress(done, total, phase)`` that writes a bar or log lines to ``stream``.

    Parameters
    ----------
    what:
        What is running (``"training"``), the start of every line.
    quiet:
        Write nothing.
    stream, tty, clock:
        Where to write (default stderr), whether it is a terminal (default: ask it), and the
        clock (default ``time.monotonic``); given by tests.
    """

    def __init__(self, what: str, *, quiet: bool = False, stream: TextIO | None = None,
                 tty: bool | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.quiet, self.clock = what, quiet, clock
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.start = clock()
        self.last: float | None = None
        self.shown = False
        self.done, self.total = 0, 0

    def line(self, done: int, total: int, phase: str) -> str:
        """The progress text: phase, fits done of all, share, and time left (or elapsed at the end)."""
        elapsed = self.clock() - self.start
        share = done / total if total else 1.0
        text = f"{self.what}: {phase + ', ' if phase else ''}{done}/{total} fits ({share:.0%})"
        if self.tty:
            filled = int(BAR_WIDTH * share)
            text = f"{self.what}: [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] " + text.split(": ", 1)[1]
        if 0 < done < total:
            text += f", {clock_text(elapsed / done * (total - done))} left"
        else:
            text += f", {clock_text(elapsed)} elapsed"
        return text

    def __call__(self, done: int, total: int, phase: str = "") -> None:
        self.done, self.total = done, total
        if self.quiet:
            return
        now = self.clock()
        interval = REDRAW_INTERVAL if self.tty else LOG_INTERVAL
        # On a terminal the bar is drawn at once and at the last fit, so it ends full. A log
        # gets its first line after LOG_INTERVAL (a short run logs nothing), and close()
        # reports the end of a run that logged.
        since = now - (self.last if self.last is not None else (self.start - interval if self.tty
                                                                 else self.start))
        due = since >= interval or (self.tty and done >= total)
        if not due:
            return
        self.last = now
        self.shown = True
        if self.tty:
            self.stream.write(f"\r{self.line(done, total, phase)}\033[K")
        else:
            self.stream.write(self.line(done, total, phase) + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (terminal), or log the time taken (when anything was logged)."""
        if self.quiet or not self.shown:
            return
        if self.tty:
            self.stream.write("\n")
        else:
            self.stream.write(f"{self.what}: done, {self.done}/{self.total} fits in "
                              f"{clock_text(self.clock() - self.start)}\n")
        self.stream.flush()
