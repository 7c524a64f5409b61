"""Frame prevalence per group: from ``framing score-corpus`` output to a table of how often
each frame appears (share of articles carrying it) and how strongly (mean article score),
per outlet, per month, or any other column.

The scores are read row by row, so memory holds one counter per group, not the corpus.
``month`` is derived from a date column as ``YYYY-MM`` (ISO dates, or Parquet dates and
timestamps); a row whose group value is missing or not a date is counted under
``(missing)``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from framing.corpus import DELIMITERS, FRAMES_COLUMN, file_format, require_pyarrow
from framing.errors import InputError
from framing.model import read_meta

MONTH = "month"
MISSING = "(missing)"
_MONTH = re.compile(r"^(\d{4})-(\d{2})")
FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Prevalence:
    """One frame in one group: articles in the group, how many carry the frame, the mean score."""

    group: tuple[str, ...]
    frame: str
    articles: int
    present: int
    mean_score: float

    @property
    def share(self) -> float:
        return self.present / self.articles if self.articles else 0.0


@dataclass
class Summary:
    """Prevalence of every frame in every group, groups sorted, frames in the model's order."""

    by: list[str]
    frame_ids: list[str]
    rows: list[Prevalence]

    def records(self) -> list[dict[str, Any]]:
        """Plain JSON types, one dict per group and frame."""
        return [{**dict(zip(self.by, r.group, strict=True)), "frame": r.frame, "articles": r.articles,
                 "with_frame": r.present, "share": round(r.share, 4),
                 "mean_score": round(r.mean_score, 4)} for r in self.rows]


def month_of(value: Any) -> str | None:
    """``YYYY-MM`` of a date (ISO text, or a date/datetime); None when it is not one."""
    if isinstance(value, date):  # datetime is a date too
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        match = _MONTH.match(value.strip())
        if match and 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{match.group(2)}"
    return None


def _group_value(row: dict[str, Any], column: str, date_column: str) -> str:
    if column == MONTH and column not in row:
        return month_of(row.get(date_column)) or MISSING
    value = row.get(column)
    if value is None or value == "":
        return MISSING
    return value if isinstance(value, str) else str(value)


def summarize(scores: str | Path, *, by: Sequence[str] = (), date_column: str = "date",
              model: str | Path | None = None) -> Summary:
    """Frame prevalence per group of a ``score-corpus`` output (file, or directory of parts).

    Parameters
    ----------
    by:
        Columns to group by; ``month`` (unless the file has a ``month`` column) is the
        ``YYYY-MM`` of ``date_column``. No columns: one group, the whole corpus.
    model:
        The model that scored the file (its frames name the score columns); default the
        shipped model. Only its metadata is read.
    """
    scores = Path(scores)
    frame_ids = list(read_meta(model)["frame_ids"])
    by = list(by)
    sources = {c: (date_column if c == MONTH else c) for c in by}
    found = dict.fromkeys(by, False)
    counts: dict[tuple[str, ...], list[Any]] = {}
    k = len(frame_ids)
    first = True
    for where, row in iter_score_rows(scores):
        if first:
            missing = [f for f in frame_ids if f not in row]
            if missing:
                raise InputError(f"{where}: no score column for frame(s) {', '.join(map(repr, missing))}; "
                                 "is it `framing score-corpus` output of this model? (pass --model)")
            first = False
        for column in by:
            found[column] = found[column] or sources[column] in row or column in row
        key = tuple(_group_value(row, c, date_column) for c in by)
        entry = counts.get(key)
        if entry is None:
            entry = counts[key] = [0, np.zeros(k, dtype=np.int64), np.zeros(k)]
        try:
            values = np.array([float(row[f]) for f in frame_ids])
        except (TypeError, ValueError):
            raise InputError(f"{where}: a score is not a number; is this `framing score-corpus` "
                             "output?") from None
        present = set(_frames(row.get(FRAMES_COLUMN)))
        entry[0] += 1
        entry[1] += [f in present for f in frame_ids]
        entry[2] += values
    absent = [c for c in by if not found[c]] if not first else []
    if absent:
        column = sources[absent[0]]
        hint = " (month comes from --date-column)" if absent[0] == MONTH else ""
        raise InputError(f"{scores}: no column {column!r} to group by{hint}")
    rows = [Prevalence(group=key, frame=f, articles=int(n), present=int(present[j]),
                       mean_score=float(sums[j] / n) if n else 0.0)
            for key, (n, present, sums) in sorted(counts.items())
            for j, f in enumerate(frame_ids)]
    return Summary(by=by, frame_ids=frame_ids, rows=rows)


def _frames(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # CSV: frame ids joined with ';'
        return value.split(";")
    return [str(v) for v in value]


def iter_score_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, row)`` for each row of a score file or a directory of part files."""
    if path.is_dir():
        parts = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not parts:
            raise InputError(f"{path}: an empty directory; give a score file or a directory of parts")
        for part in parts:
            yield from iter_score_rows(part)
        return
    if not path.is_file():
        raise InputError(f"{path}: no such file; check the path")
    fmt = file_format(path)
    if fmt == "jsonl":
        with open(path, "rb") as f:
            for line, raw in enumerate(f, start=1):
                if raw.strip():
                    try:
                        row = json.loads(raw)
                    except ValueError:
                        raise InputError(f"{path}:{line}: not a JSON row") from None
                    yield f"{path}:{line}", row
    elif fmt in DELIMITERS:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f, delimiter=DELIMITERS[fmt])
            for row in reader:
                yield f"{path}:{reader.line_num}", row
    else:
        require_pyarrow(str(path))
        import pyarrow.parquet as pq

        n = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                n += 1
                yield f"{path} row {n}", row


def render_table(summary: Summary) -> str:
    """Aligned text: one line per group and frame."""
    heads = [*summary.by, "frame", "articles", "with frame", "share", "mean score"]
    cells = [[*r.group, r.frame, str(r.articles), str(r.present), f"{r.share:.1%}", f"{r.mean_score:.3f}"]
             for r in summary.rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(heads)]
    text_columns = len(summary.by) + 1
    lines = []
    for cells_row in [heads, *cells]:
        lines.append("  ".join(c.ljust(w) if i < text_columns else c.rjust(w)
                               for i, (c, w) in enumerate(zip(cells_row, widths, strict=True))).rstrip())
    return "\n".join(lines) + "\n"


def render_csv(summary: Summary) -> str:
    buffer = io.StringIO()
    records = summary.records()
    writer = csv.DictWriter(buffer, fieldnames=[*summary.by, "frame", "articles", "with_frame", "share",
                                                "mean_score"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def render_json(summary: Summary) -> str:
    return json.dumps({"by": summary.by, "frames": summary.frame_ids, "groups": summary.records()},
                      indent=2, ensure_ascii=False) + "\n"
