"""The annotation journal: an append-only JSON Lines file, the source of truth for a coder's labels.

Every decision (a label, a skip, an undo) is one line, written, flushed and fsynced before the
page moves on, so a server killed at any moment loses nothing that the coder saw saved. The
labels CSV that ``framing train --labels`` reads is rebuilt from the journal (atomically)
after every decision and again at start-up. A line cut short by a crash is dropped at the next
start (it was never acknowledged to the page); any other malformed line is an error naming
the line, because guessing would lose or invent labels.

One journal belongs to one coder: it records the annotator's name, and opening it under
another name is refused, so two coders always work in separate files. An exclusive lock
(``flock``, released by the kernel even after ``kill -9``) keeps two servers from writing the
same journal.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from framing.atomic import write_text_atomic
from framing.errors import LabelError

JOURNAL_VERSION = 1  # bump when a field changes meaning; replay refuses other versions
EVENTS = ("label", "skip", "undo")
# The labels CSV: the seed file's columns plus who labelled and when. `framing train
# --labels` reads it as is (text, frames, grouped by article).
LABEL_COLUMNS = ("article", "index", "start", "end", "text", "frames", "note", "annotator", "time")


def journal_path(labels: str | Path) -> Path:
    """The journal that belongs to a labels CSV: ``OUT.csv`` -> ``OUT.journal.jsonl``."""
    labels = Path(labels)
    return labels.with_name(labels.stem + ".journal.jsonl")


def unit_key(article: str, start: int | None, end: int | None, index: int) -> str:
    """The identity of a unit across files: its article and span (its index when it has none)."""
    if start is None or end is None:
        return f"{article}#{index}"
    return f"{article}@{start}:{end}"


@dataclass
class Decision:
    """One standing decision about a unit (the last label or skip not undone)."""

    event: str
    key: str
    article: str
    index: int
    start: int | None
    end: int | None
    text: str
    frames: tuple[str, ...]
    note: str
    annotator: str
    time: str
    model_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class JournalState:
    """What replaying a journal gives: standing decisions, in the order they were made."""

    decisions: dict[str, Decision] = field(default_factory=dict)
    annotator: str | None = None
    events: int = 0

    @property
    def labelled(self) -> int:
        return sum(1 for d in self.decisions.values() if d.event == "label")

    @property
    def skipped(self) -> int:
        return sum(1 for d in self.decisions.values() if d.event == "skip")

    def apply(self, record: dict[str, Any]) -> None:
        """Apply one journal record (already validated)."""
        self.events += 1
        self.annotator = self.annotator or record["annotator"]
        key = record["key"]
        if record["event"] == "undo":
            self.decisions.pop(key, None)
            return
        self.decisions.pop(key, None)  # re-decided: it moves to the end of the order
        self.decisions[key] = Decision(
            event=record["event"], key=key, article=record["article"], index=record["index"],
            start=record.get("start"), end=record.get("end"), text=record["text"],
            frames=tuple(record.get("frames") or ()), note=record.get("note") or "",
            annotator=record["annotator"], time=record["time"],
            model_sha256=record.get("model_sha256"),
            extra={k: v for k, v in record.items() if k in ("model_update", "suggestions_shown")})

    def last(self) -> Decision | None:
        """The most recent standing decision (what undo takes back)."""
        return next(reversed(self.decisions.values()), None)


def _check_record(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise LabelError(f"{where}: a JSON object is expected")
    if record.get("v") != JOURNAL_VERSION:
        raise LabelError(f"{where}: journal version {record.get('v')!r}, this framing writes "
                         f"version {JOURNAL_VERSION}; use the framing that wrote it")
    if record.get("event") not in EVENTS:
        raise LabelError(f"{where}: unknown event {record.get('event')!r}")
    for name in ("key", "annotator", "time"):
        if not isinstance(record.get(name), str):
            raise LabelError(f"{where}: no {name!r}")
    if record["event"] != "undo":
        if not isinstance(record.get("text"), str) or not isinstance(record.get("article"), str):
            raise LabelError(f"{where}: a {record['event']} needs 'article' and 'text'")
        frames = record.get("frames", [])
        if not isinstance(frames, list) or not all(isinstance(f, str) for f in frames):
            raise LabelError(f"{where}: 'frames' must be a list of frame ids")
    return record


def replay(path: str | Path) -> tuple[JournalState, int]:
    """Read a journal; return its state and the byte length of its complete lines.

    A last line without its newline (a write cut short by a crash) is left out of both.
    Raises LabelError naming the line for anything else that is not a journal record.
    """
    path = Path(path)
    state = JournalState()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return state, 0
    except OSError as exc:
        raise LabelError(f"{path}: cannot read the journal ({exc.strerror})") from None
    complete = data.rfind(b"\n") + 1
    for number, raw in enumerate(data[:complete].splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LabelError(f"{where}: not a journal record ({exc}); the journal was edited by "
                             "hand: restore it from a copy, or remove that line") from None
        state.apply(_check_record(record, where))
    return state, complete


def now() -> str:
    """The time of a decision: UTC, ISO 8601, to the millisecond."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


class Journal:
    """An open journal of one annotator, with its replayed state and its labels CSV.

    ``record`` appends one event durably (write, flush, fsync) and then rewrites the labels
    CSV atomically. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, labels: str | Path, annotator: str) -> None:
        annotator = annotator.strip()
        if not annotator or any(ord(c) < 32 for c in annotator):
            raise LabelError(f"annotator name {annotator!r}: give a plain name, e.g. --annotator alice")
        self.labels = Path(labels)
        if self.labels.suffix.lower() != ".csv":
            raise LabelError(f"{self.labels}: the labels file is written as CSV; name it *.csv")
        self.path = journal_path(self.labels)
        self.annotator = annotator
        self.state, complete = replay(self.path)
        if self.state.annotator is not None and self.state.annotator != annotator:
            raise LabelError(f"{self.labels}: labelled by {self.state.annotator!r}, not {annotator!r}; "
                             f"each coder writes their own file: pass --labels with a new file name "
                             f"for {annotator!r}")
        if self.labels.exists() and not self.path.exists():
            raise LabelError(f"{self.labels}: exists but has no journal {self.path.name}; it was not "
                             "written by `framing annotate`. To review it, pass it as SOURCE and "
                             "write to a new --labels file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] = open(self.path, "ab")  # noqa: SIM115 - held open for the run
        except OSError as exc:
            raise LabelError(f"{self.path}: cannot write the journal ({exc.strerror})") from None
        self._lock()
        size = self._file.seek(0, os.SEEK_END)
        if size > complete:  # a half-written last line from a crash: it was never acknowledged
            self._file.truncate(complete)
            self._file.flush()
            os.fsync(self._file.fileno())
        self.dropped_partial = size > complete
        self.write_labels()

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock, one server by convention
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            raise LabelError(f"{self.path}: another `framing annotate` is writing this journal; "
                             "stop it first, or label into another --labels file") from None

    def record(self, event: str, unit: dict[str, Any] | None = None, *, frames: Iterable[str] = (),
               note: str = "", key: str | None = None, **extra: Any) -> dict[str, Any]:
        """Append one event durably and rebuild the labels CSV; return the record written.

        ``unit`` holds ``key``, ``article``, ``index``, ``start``, ``end`` and ``text`` (for
        label and skip); an undo names only the ``key`` it takes back.
        """
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}")
        record: dict[str, Any] = {"v": JOURNAL_VERSION, "event": event, "annotator": self.annotator,
                                  "time": now()}
        if event == "undo":
            record["key"] = key
        else:
            if unit is None:
                raise ValueError(f"a {event} needs the unit decided")
            record.update({k: unit[k] for k in ("key", "article", "index", "start", "end", "text")})
            record["frames"] = list(frames) if event == "label" else []
            record["note"] = note
        record.update(extra)
        _check_record(record, str(self.path))
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        end = self._file.seek(0, os.SEEK_END)
        try:
            self._file.write(line.encode("utf-8"))
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:  # e.g. disk full: leave no half line for the next record to follow
            with contextlib.suppress(OSError):
                self._file.truncate(end)
            raise LabelError(f"{self.path}: cannot write the journal ({exc.strerror}); the decision "
                             "was not saved: free some space and save it again") from None
        self.state.apply(record)
        self.write_labels()
        return record

    def write_labels(self) -> None:
        """Rewrite the labels CSV from the standing labels (skips are not labels), atomically."""
        write_text_atomic(self.labels, labels_csv(self.state.decisions.values()))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def labels_csv(decisions: Iterable[Decision]) -> str:
    """The labels CSV text of these decisions: labels only, by article then position."""
    rows = sorted((d for d in decisions if d.event == "label"),
                  key=lambda d: (d.article, d.start if d.start is not None else -1, d.index))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LABEL_COLUMNS)
    for d in rows:
        writer.writerow([d.article, d.index, "" if d.start is None else d.start,
                         "" if d.end is None else d.end, d.text, ";".join(d.frames), d.note,
                         d.annotator, d.time])
    return out.getvalue()
