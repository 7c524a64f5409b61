"""framing.progress: a line redrawn on a terminal, a log line at most every 30 s otherwise, or nothing."""

from __future__ import annotations

import io

from framing.progress import LOG_INTERVAL, Progress, clock_text


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_clock_text() -> None:
    assert clock_text(0) == "0:00:00"
    assert clock_text(3725.4) == "1:02:05"


def test_a_log_gets_a_line_at_most_every_30_seconds_with_the_phase_and_time_left() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress("training", "fits", stream=stream, tty=False, clock=clock)
    for done in range(1, 101):  # 100 fits, one a second
        clock.now = float(done)
        progress(done, 100, "nested CV" if done <= 80 else "selection")
    progress.close()
    assert stream.getvalue().splitlines() == [
        "training: nested CV, 30/100 fits  1/s  0:01:10 left",
        "training: nested CV, 60/100 fits  1/s  0:00:40 left",
        "training: selection, 90/100 fits  1/s  0:00:10 left",
        "training: done, 100/100 fits in 0:01:40",
    ]
    assert LOG_INTERVAL == 30.0


def test_a_short_run_logs_nothing() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress("training", "fits", stream=stream, tty=False, clock=clock)
    for done in range(1, 11):
        clock.now = done / 10
        progress(done, 10, "selection")
    progress.close()
    assert stream.getvalue() == ""


def test_a_terminal_gets_a_line_redrawn_in_place() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress("training", "fits", stream=stream, tty=True, clock=clock)
    clock.now = 10.0
    progress(1, 4, "nested CV")
    clock.now = 10.1
    progress(2, 4, "nested CV")  # too soon to redraw
    clock.now = 40.0
    progress(4, 4, "final fit")  # the last fit is always drawn
    progress.close()
    assert stream.getvalue() == ("\rtraining: nested CV, 1/4 fits  0.10/s  0:00:30 left\033[K"
                                 "\rtraining: final fit, 4/4 fits  0.10/s\033[K\n")


def test_disabled_writes_nothing() -> None:
    for tty in (True, False):
        stream, clock = io.StringIO(), Clock()
        progress = Progress("training", "fits", enabled=False, stream=stream, tty=tty, clock=clock)
        for done in range(1, 101):
            clock.now = done * 10.0
            progress(done, 100, "nested CV")
        progress.close()
        assert stream.getvalue() == ""
