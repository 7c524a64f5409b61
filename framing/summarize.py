"""Frame prevalence per group: from ``framing score-corpus`` output to a table of how often
each frame appears (share of articles carrying it, with its 95% Wilson interval) and how
strongly (mean article score), per outlet, per month, or any other column.

The scores are read row by row, so memory holds one counter per group, not the corpus.
``week``, ``month``, ``quarter`` and ``year`` are derived from a date column (ISO dates, or
Parquet dates and timestamps) as ``2024-W05``, ``2024-01``, ``2024-Q1`` and ``2024``, unless
the file has a column of that name; a row whose group value is missing or not a date is
counted under ``(missing)``.

Which columns are frame scores is read from the sidecar ``OUT.framing.json`` that
``score-corpus --output OUT`` writes beside its output (frame ids, thresholds, names, the
model); without a sidecar, from the file itself: ``score-corpus`` writes the frame columns
between ``n_sentences`` and ``frames``. So no ``--model`` is needed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from framing.corpus import DELIMITERS, FRAMES_COLUMN, SENTENCES_COLUMN, file_format, require_pyarrow
from framing.errors import InputError
from framing.model import read_meta
from framing.stats import wilson

MONTH = "month"
PERIODS = ("week", "month", "quarter", "year")
MISSING = "(missing)"
_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?")
FORMATS = ("table", "csv", "json")
SIDECAR_SUFFIX = ".framing.json"


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

    @property
    def interval(self) -> tuple[float, float]:
        """95% Wilson interval of :attr:`share`."""
        return wilson(self.present, self.articles)


@dataclass
class Summary:
    """Prevalence of every frame in every group, groups sorted, frames in the model's order."""

    by: list[str]
    frame_ids: list[str]
    rows: list[Prevalence]
    columns: ScoreColumns | None = None

    def records(self) -> list[dict[str, Any]]:
        """Plain JSON types, one dict per group and frame."""
        return [{**dict(zip(self.by, r.group, strict=True)), "frame": r.frame, "articles": r.articles,
                 "with_frame": r.present, "share": round(r.share, 4),
                 "share_low": round(r.interval[0], 4), "share_high": round(r.interval[1], 4),
                 "mean_score": round(r.mean_score, 4)} for r in self.rows]

    def groups(self) -> list[tuple[str, ...]]:
        """The groups, in order, each once."""
        return list(dict.fromkeys(r.group for r in self.rows))


@dataclass
class ScoreColumns:
    """Which columns of a score file are frame scores, and what is known of the model.

    ``source`` says where they were found: ``sidecar`` (``OUT.framing.json``), ``model``
    (``--model``) or ``file`` (the columns between ``n_sentences`` and ``frames``).
    """

    frame_ids: list[str]
    source: str
    thresholds: dict[str, float] = field(default_factory=dict)
    frame_names: dict[str, str] = field(default_factory=dict)
    sidecar: dict[str, Any] | None = None


def sidecar_path(scores: str | Path) -> Path:
    """Where ``score-corpus --output SCORES`` writes its sidecar: ``SCORES.framing.json``."""
    return Path(str(scores).rstrip("/") + SIDECAR_SUFFIX)


def read_sidecar(scores: str | Path) -> dict[str, Any] | None:
    """The sidecar of a score file, or None when there is none."""
    path = sidecar_path(scores)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a JSON sidecar ({exc}); delete it to read frames from the "
                         "score file itself") from None
    if not isinstance(data, dict) or not isinstance(data.get("frame_ids"), list) or not all(
            isinstance(f, str) for f in data["frame_ids"]):
        raise InputError(f"{path}: no list of 'frame_ids'; delete it to read frames from the score "
                         "file itself")
    return data


def score_columns(scores: str | Path, row: dict[str, Any], where: str,
                  model: str | Path | None = None) -> ScoreColumns:
    """The frame columns of a score file whose first row is ``row``: from ``--model`` when
    given, else from the sidecar, else from the row's columns."""
    if model is not None:
        meta = read_meta(model)
        found = ScoreColumns(list(meta["frame_ids"]), "model",
                             {f: float(t) for f, t in meta.get("thresholds", {}).items()},
                             dict(meta.get("frame_names", {})))
    elif (sidecar := read_sidecar(scores)) is not None:
        found = ScoreColumns(list(sidecar["frame_ids"]), "sidecar",
                             {f: float(t) for f, t in (sidecar.get("thresholds") or {}).items()},
                             dict(sidecar.get("frame_names") or {}), sidecar)
    else:
        keys = list(row)
        if SENTENCES_COLUMN not in keys or FRAMES_COLUMN not in keys or (
                keys.index(FRAMES_COLUMN) <= keys.index(SENTENCES_COLUMN) + 1):
            raise InputError(f"{where}: no score columns found (expected them between "
                             f"{SENTENCES_COLUMN!r} and {FRAMES_COLUMN!r}) and no sidecar "
                             f"{sidecar_path(scores).name}; is it `framing score-corpus` output? "
                             "(else pass --model)")
        found = ScoreColumns(keys[keys.index(SENTENCES_COLUMN) + 1:keys.index(FRAMES_COLUMN)], "file")
    missing = [f for f in found.frame_ids if f not in row]
    if missing:
        raise InputError(f"{where}: no score column for frame(s) {', '.join(map(repr, missing))}; "
                         f"is it `framing score-corpus` output of this model? (frames from the "
                         f"{found.source}; pass --model to name the model that scored it)")
    return found


def month_of(value: Any) -> str | None:
    """``YYYY-MM`` of a date (ISO text, or a date/datetime); None when it is not one."""
    return period_of(value, MONTH)


def _as_date(value: Any, need_day: bool) -> date | None:
    if isinstance(value, date):  # datetime is a date too
        return value
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), match.group(3)
    if day is None and need_day:
        return None
    try:
        return date(year, month, int(day) if day else 1)
    except ValueError:
        return None


def period_of(value: Any, period: str) -> str | None:
    """The week (``2024-W05``, ISO), month (``2024-01``), quarter (``2024-Q1``) or year of a
    date given as ISO text or a date/datetime; None when it is not a date (a week needs the day).
    """
    day = _as_date(value, need_day=period == "week")
    if day is None:
        return None
    if period == "week":
        iso = day.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}"
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return f"{day.year:04d}"
    raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")


def group_value(row: dict[str, Any], column: str, date_column: str) -> str:
    """A row's value for one ``--by`` column (a period of the date column for week..year)."""
    if column in PERIODS and column not in row:
        return period_of(row.get(date_column), column) or MISSING
    value = row.get(column)
    if value is None or value == "":
        return MISSING
    return value if isinstance(value, str) else str(value)


def check_by(scores: Path, by: Sequence[str], row: dict[str, Any], date_column: str) -> None:
    """Refuse a ``--by`` column the file does not have (checked on its first row)."""
    for column in by:
        source = date_column if column in PERIODS else column
        if column not in row and source not in row:
            hint = f" ({column} comes from --date-column)" if column in PERIODS else ""
            raise InputError(f"{scores}: no column {source!r} to group by{hint}")


def frames_of(value: Any) -> list[str]:
    """The ``frames`` cell of a row as a list (CSV joins them with ';')."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return value.split(";")
    return [str(v) for v in value]


def summarize(scores: str | Path, *, by: Sequence[str] = (), date_column: str = "date",
              model: str | Path | None = None) -> Summary:
    """Frame prevalence per group of a ``score-corpus`` output (file, or directory of parts).

    Parameters
    ----------
    by:
        Columns to group by; ``week``, ``month``, ``quarter`` or ``year`` (unless the file has
        a column of that name) is that period of ``date_column``. No columns: one group, the
        whole corpus.
    model:
        The model that scored the file, to name its score columns. Default: the sidecar
        ``SCORES.framing.json``, else the columns between ``n_sentences`` and ``frames``.
    """
    scores = Path(scores)
    by = list(by)
    columns: ScoreColumns | None = None
    frame_ids: list[str] = []
    counts: dict[tuple[str, ...], list[Any]] = {}
    for where, row in iter_score_rows(scores):
        if columns is None:
            columns = score_columns(scores, row, where, model)
            frame_ids = columns.frame_ids
            check_by(scores, by, row, date_column)
        key = tuple(group_value(row, c, date_column) for c in by)
        entry = counts.get(key)
        if entry is None:
            entry = counts[key] = [0, np.zeros(len(frame_ids), dtype=np.int64), np.zeros(len(frame_ids))]
        try:
            values = np.array([float(row[f]) for f in frame_ids])
        except (TypeError, ValueError, KeyError):
            raise InputError(f"{where}: a score is missing or not a number; is this `framing "
                             "score-corpus` output?") from None
        present = set(frames_of(row.get(FRAMES_COLUMN)))
        entry[0] += 1
        entry[1] += [f in present for f in frame_ids]
        entry[2] += values
    if columns is None:  # an empty file: frames from the sidecar or the model when there is one
        sidecar = read_sidecar(scores)
        frame_ids = (list(read_meta(model)["frame_ids"]) if model is not None
                     else list(sidecar["frame_ids"]) if sidecar else [])
    rows = [Prevalence(group=key, frame=f, articles=int(n), present=int(present[j]),
                       mean_score=float(sums[j] / n) if n else 0.0)
            for key, (n, present, sums) in sorted(counts.items())
            for j, f in enumerate(frame_ids)]
    return Summary(by=by, frame_ids=frame_ids, rows=rows, columns=columns)


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


def _share_cell(r: Prevalence) -> str:
    low, high = r.interval
    return f"{r.share:.1%} ({low:.1%}-{high:.1%})"


def _align(heads: list[str], cells: list[list[str]], text_columns: int) -> str:
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(heads)]
    lines = []
    for cells_row in [heads, *cells]:
        lines.append("  ".join(c.ljust(w) if i < text_columns else c.rjust(w)
                               for i, (c, w) in enumerate(zip(cells_row, widths, strict=True))).rstrip())
    return "\n".join(lines) + "\n"


def render_table(summary: Summary) -> str:
    """Aligned text: one line per group and frame; shares with their 95% interval."""
    heads = [*summary.by, "frame", "articles", "with frame", "share (95% CI)", "mean score"]
    cells = [[*r.group, r.frame, str(r.articles), str(r.present), _share_cell(r), f"{r.mean_score:.3f}"]
             for r in summary.rows]
    return _align(heads, cells, len(summary.by) + 1)


def render_csv(summary: Summary) -> str:
    buffer = io.StringIO()
    records = summary.records()
    writer = csv.DictWriter(buffer, fieldnames=[*summary.by, "frame", "articles", "with_frame", "share",
                                                "share_low", "share_high", "mean_score"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def _header(summary: Summary) -> dict[str, Any]:
    """What a JSON summary says about itself: groups, frames, their thresholds when known."""
    thresholds = summary.columns.thresholds if summary.columns is not None else {}
    known = {"thresholds": thresholds} if thresholds else {}
    return {"by": summary.by, "frames": summary.frame_ids, **known, "interval": "95% Wilson"}


def render_json(summary: Summary) -> str:
    return json.dumps({**_header(summary), "groups": summary.records()}, indent=2, ensure_ascii=False) + "\n"


def pivot(summary: Summary) -> list[dict[str, Any]]:
    """One record per group: its columns, its article count, and per frame the share of
    articles carrying it with the 95% interval and the mean score."""
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for r in summary.rows:
        record = out.setdefault(r.group, {**dict(zip(summary.by, r.group, strict=True)),
                                          "articles": r.articles, "frames": {}})
        low, high = r.interval
        record["frames"][r.frame] = {"with_frame": r.present, "share": round(r.share, 4),
                                     "share_low": round(low, 4), "share_high": round(high, 4),
                                     "mean_score": round(r.mean_score, 4)}
    return list(out.values())


def render_pivot_table(summary: Summary) -> str:
    """Aligned text: a line per group, a column per frame (share and 95% interval)."""
    heads = [*summary.by, "articles", *summary.frame_ids]
    by_group: dict[tuple[str, ...], list[Prevalence]] = {}
    for r in summary.rows:
        by_group.setdefault(r.group, []).append(r)
    cells = [[*group, str(rows[0].articles), *(_share_cell(r) for r in rows)]
             for group, rows in by_group.items()]
    return _align(heads, cells, len(summary.by))


def render_pivot_csv(summary: Summary) -> str:
    """A row per group; per frame the columns ``F``, ``F_low``, ``F_high`` (shares)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*summary.by, "articles",
                     *(c for f in summary.frame_ids for c in (f, f"{f}_low", f"{f}_high"))])
    for record in pivot(summary):
        writer.writerow([*(record[c] for c in summary.by), record["articles"],
                         *(record["frames"][f][c] for f in summary.frame_ids
                           for c in ("share", "share_low", "share_high"))])
    return buffer.getvalue()


def render_pivot_json(summary: Summary) -> str:
    return json.dumps({**_header(summary), "groups": pivot(summary)}, indent=2, ensure_ascii=False) + "\n"


def render(summary: Summary, fmt: str, *, pivoted: bool = False) -> str:
    """``summary`` as ``table``, ``csv`` or ``json``, long (a row per group and frame) or pivoted."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if pivoted:
        return {"table": render_pivot_table, "csv": render_pivot_csv, "json": render_pivot_json}[fmt](summary)
    return {"table": render_table, "csv": render_csv, "json": render_json}[fmt](summary)
