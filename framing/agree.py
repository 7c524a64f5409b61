"""Agreement between coders and gold labels from several codings of the same units.

A coding is one coder's labels file (any file ``framing train --labels`` reads). Units are
matched across files by article and character offsets when the files have them (the seed
files and ``framing annotate``'s output do), else by article and text, else by text.

Per frame, each coder's decision on a unit is binary (the frame is there or not):

* two coders: Cohen's kappa, computed here (a 2x2 table; scikit-learn's version warns and
  returns NaN when a frame is never used, where we say "undefined");
* three or more: Krippendorff's alpha (nominal), from the ``krippendorff`` package, which
  also handles units not coded by everyone.

Each comes with the percent agreement, the number of units behind it, and a bootstrap 95%
interval (units resampled with replacement). Gold labels are a majority of coders per frame,
or an adjudicator's decision where one is given.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from framing.errors import LabelError
from framing.labels import labelled_rows, split_frames

BOOTSTRAP = 1000
GOLD_COLUMNS = ("article", "index", "start", "end", "text", "frames", "note", "coders", "method")


@dataclass(frozen=True)
class CodedUnit:
    """A unit as one file gives it: where it is, its text and its frames."""

    key: str
    article: str
    index: str
    start: str
    end: str
    text: str
    frames: tuple[str, ...]


@dataclass
class Coding:
    """One coder's labels, by unit key, in file order."""

    name: str
    path: str
    units: dict[str, CodedUnit]


def _key(row: dict[str, str], text: str) -> str:
    article = row.get("article", "")
    start, end = row.get("start", ""), row.get("end", "")
    if article and start.strip().isdigit() and end.strip().isdigit():
        return f"{article}@{int(start)}:{int(end)}"
    return f"{article}|{text}" if article else text


def read_coding(path: str | Path, *, text_column: str = "text", frames_column: str = "frames",
                separator: str = ";", name: str | None = None) -> Coding:
    """Read one coder's file. Raises LabelError with ``file:line`` for a bad or repeated row."""
    path = Path(path)
    units: dict[str, CodedUnit] = {}
    annotators: set[str] = set()
    lines: dict[str, int] = {}
    for line, row in labelled_rows(path, frames_column=frames_column, separator=separator):
        if text_column not in row or frames_column not in row:
            raise LabelError(f"{path}:{line}: needs columns '{text_column}' and '{frames_column}' "
                             "(name others with --text-column / --frames-column)")
        text = row[text_column]
        if not text.strip():
            raise LabelError(f"{path}:{line}: empty text; remove the row or fill in '{text_column}'")
        key = _key(row, text)
        if key in units:
            raise LabelError(f"{path}:{line}: the same unit as line {lines[key]}; a coder labels a "
                             "unit once (remove one of the rows)")
        lines[key] = line
        units[key] = CodedUnit(key, row.get("article", ""), row.get("index", ""), row.get("start", ""),
                               row.get("end", ""), text, split_frames(row[frames_column], separator))
        if row.get("annotator"):
            annotators.add(row["annotator"])
    if not units:
        raise LabelError(f"{path}: no labelled rows")
    return Coding(name or (annotators.pop() if len(annotators) == 1 else path.stem), str(path), units)


def _unique_names(codings: Sequence[Coding]) -> None:
    seen: dict[str, int] = {}
    for c in codings:
        if c.name in seen:
            seen[c.name] += 1
            c.name = f"{c.name} ({Path(c.path).name})"
        else:
            seen[c.name] = 1


def _round(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 4)


@dataclass
class FrameAgreement:
    """Agreement on one frame: the coefficient (kappa or alpha), its interval, and counts."""

    frame: str
    measure: str
    value: float | None
    low: float | None
    high: float | None
    percent: float
    n: int
    positives: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.frame, "measure": self.measure, "value": _round(self.value),
                "ci95": [_round(self.low), _round(self.high)], "percent_agreement": _round(self.percent),
                "n": self.n, "positives": self.positives}


@dataclass
class Agreement:
    """What :func:`agree` found."""

    coders: list[str]
    files: list[str]
    measure: str
    frames: list[FrameAgreement]
    units: int
    exact: float
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    bootstrap: int = BOOTSTRAP

    def to_dict(self) -> dict[str, Any]:
        return {"coders": self.coders, "files": self.files, "measure": self.measure,
                "units": self.units, "exact_agreement": round(self.exact, 4),
                "bootstrap": self.bootstrap, "frames": [f.to_dict() for f in self.frames],
                "disagreements": self.disagreements}


def _kappa(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cohen's kappa of binary codings along the last axis; NaN where it is undefined."""
    po = (a == b).mean(axis=-1)
    pa, pb = a.mean(axis=-1), b.mean(axis=-1)
    pe = pa * pb + (1 - pa) * (1 - pb)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pe < 1, (po - pe) / (1 - pe), np.nan)


def _alpha(data: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) of a coders x units matrix with NaN for missing."""
    import krippendorff

    values = data[~np.isnan(data)]
    if values.size == 0 or np.all(values == values[0]):
        return math.nan  # one value only: alpha is undefined
    try:
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except (ValueError, ZeroDivisionError):
        return math.nan


def _pairwise_percent(data: np.ndarray) -> float:
    """Share of agreeing coder pairs, over units, among coders who coded each unit."""
    agree = pairs = 0.0
    for column in data.T:
        coded = column[~np.isnan(column)]
        ones = int(coded.sum())
        zeros = len(coded) - ones
        agree += ones * (ones - 1) / 2 + zeros * (zeros - 1) / 2
        pairs += len(coded) * (len(coded) - 1) / 2
    return agree / pairs if pairs else math.nan


def _interval(samples: np.ndarray) -> tuple[float | None, float | None]:
    samples = samples[~np.isnan(samples)]
    if samples.size < 10:
        return None, None
    return float(np.percentile(samples, 2.5)), float(np.percentile(samples, 97.5))


def _none(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def agree(codings: Sequence[Coding], *, frames: Sequence[str] | None = None,
          bootstrap: int = BOOTSTRAP, seed: int = 0) -> Agreement:
    """Per-frame agreement between two or more codings of the same units.

    ``frames`` (e.g. a codebook's ids) lists the frames to report, including those nobody
    used; by default the frames found in the files. Units coded by fewer than two coders
    are left out. Raises LabelError when fewer than two codings share a unit.
    """
    if len(codings) < 2:
        raise LabelError("agreement needs at least two coders' files")
    _unique_names(codings)
    counts: dict[str, int] = {}
    for c in codings:
        for key in c.units:
            counts[key] = counts.get(key, 0) + 1
    order = [k for c in codings for k in c.units]
    keys = list(dict.fromkeys(k for k in order if counts[k] >= 2))
    if len(codings) == 2:
        keys = [k for k in keys if counts[k] == 2]
    if not keys:
        raise LabelError(f"{', '.join(c.path for c in codings)}: no unit is labelled in two files; "
                         "the files must label the same sentences (same article and offsets, or "
                         "same text)")
    found = sorted({f for c in codings for u in c.units.values() for f in u.frames})
    frame_ids = list(frames) if frames is not None else found
    unknown = [f for f in found if f not in frame_ids]
    if unknown:
        raise LabelError(f"frame(s) {', '.join(unknown)} are in the files but not in the codebook")
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(keys), size=(bootstrap, len(keys)))
    measure = "cohen_kappa" if len(codings) == 2 else "krippendorff_alpha"
    results = []
    for frame in frame_ids:
        data = np.array([[float(frame in c.units[k].frames) if k in c.units else np.nan for k in keys]
                         for c in codings])
        positives = {c.name: int(np.nansum(row)) for c, row in zip(codings, data, strict=True)}
        if measure == "cohen_kappa":
            value = float(_kappa(data[0], data[1]))
            boot = _kappa(data[0][samples], data[1][samples])
        else:
            value = _alpha(data)
            boot = np.array([_alpha(data[:, s]) for s in samples])
        low, high = _interval(boot)
        results.append(FrameAgreement(frame, measure, _none(value), low, high,
                                      _pairwise_percent(data), len(keys), positives))
    disagreements = []
    exact = 0
    for k in keys:
        coded = {c.name: c.units[k].frames for c in codings if k in c.units}
        if len({frozenset(f) for f in coded.values()}) == 1:
            exact += 1
            continue
        unit = next(c.units[k] for c in codings if k in c.units)
        disagreements.append({"key": k, "article": unit.article, "start": unit.start, "end": unit.end,
                              "text": unit.text, "frames": {n: list(f) for n, f in coded.items()}})
    return Agreement([c.name for c in codings], [c.path for c in codings], measure, results,
                     len(keys), exact / len(keys), disagreements, bootstrap)


def render_table(result: Agreement, *, show: int = 20) -> str:
    """The agreement as a readable table, with the first ``show`` disagreements."""
    label = "kappa" if result.measure == "cohen_kappa" else "alpha"
    lines = [f"coders: {', '.join(result.coders)}; {result.units} units coded by "
             f"{'both' if len(result.coders) == 2 else 'two or more'}; all frames the same on "
             f"{result.exact:.0%}",
             f"{'frame':<24}{label:>7}  {'95% interval':<15}{'agree':>7}{'n':>6}  positives"]
    for f in result.frames:
        value = "n/a" if f.value is None else f"{f.value:.2f}"
        interval = "" if f.low is None else f"[{f.low:.2f}, {f.high:.2f}]"
        positives = " / ".join(str(n) for n in f.positives.values())
        lines.append(f"{f.frame:<24}{value:>7}  {interval:<15}{f.percent:>7.0%}{f.n:>6}  {positives}")
    lines.append(f"({label} is n/a, undefined, for a frame used on no unit or on every unit; "
                 f"95% intervals from {result.bootstrap} bootstrap resamples of the units)")
    if result.disagreements:
        lines.append("")
        lines.append(f"{len(result.disagreements)} disagreement(s)"
                     + (f", the first {show}:" if len(result.disagreements) > show else ":"))
        for d in result.disagreements[:show]:
            text = d["text"] if len(d["text"]) <= 70 else d["text"][:67] + "..."
            lines.append(f"  {d['key']}: {text}")
            for name, fs in d["frames"].items():
                lines.append(f"      {name}: {', '.join(fs) or '(no frame)'}")
    return "\n".join(lines)


def disagreements_csv(result: Agreement) -> str:
    """The disagreements as CSV, one row per unit, one column per coder (an adjudication sheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["article", "start", "end", "text", *result.coders, "frames", "note"])
    for d in result.disagreements:
        writer.writerow([d["article"], d["start"], d["end"], d["text"],
                         *(";".join(d["frames"].get(n, ["(not coded)"])) for n in result.coders), "", ""])
    return out.getvalue()


@dataclass
class Gold:
    """Merged labels: rows for the gold file, and the units left for an adjudicator."""

    rows: list[dict[str, Any]]
    unresolved: list[dict[str, Any]]
    adjudicated: int


def merge(codings: Sequence[Coding], *, adjudication: Coding | None = None,
          min_coders: int = 2) -> Gold:
    """Gold labels: per frame, present when more than half of a unit's coders gave it.

    A tie (as many for as against) leaves the unit unresolved unless ``adjudication`` decides
    it; an adjudication file's frames replace the coders' for every unit it lists. Units coded
    by fewer than ``min_coders`` coders (and not adjudicated) are left out.
    """
    if not codings:
        raise LabelError("merge needs at least one coder's file")
    _unique_names(codings)
    keys = list(dict.fromkeys(k for c in codings for k in c.units))
    judged = adjudication.units if adjudication is not None else {}
    stray = [k for k in judged if k not in keys]
    if stray:
        raise LabelError(f"{adjudication.path if adjudication else ''}: unit {stray[0]} is not in any "
                         "coder's file; the adjudication file must name units the coders labelled")
    rows: list[dict[str, Any]] = []
    unresolved: list[dict[str, Any]] = []
    for k in keys:
        coded = {c.name: c.units[k] for c in codings if k in c.units}
        unit = next(iter(coded.values()))
        base = {"article": unit.article, "index": unit.index, "start": unit.start, "end": unit.end,
                "text": unit.text, "coders": len(coded)}
        if k in judged:
            rows.append({**base, "frames": judged[k].frames, "method": "adjudicated",
                         "note": ""})
            continue
        if len(coded) < min_coders:
            continue
        votes: dict[str, int] = {}
        for u in coded.values():
            for f in u.frames:
                votes[f] = votes.get(f, 0) + 1
        n = len(coded)
        ties = sorted(f for f, v in votes.items() if 2 * v == n)
        if ties:
            unresolved.append({**base, "key": k, "ties": ties,
                               "majority": [f for f, v in votes.items() if 2 * v > n],
                               "frames": {name: list(u.frames) for name, u in coded.items()}})
            continue
        frames = tuple(f for f, v in votes.items() if 2 * v > n)
        agreed = all(set(u.frames) == set(frames) for u in coded.values())
        rows.append({**base, "frames": frames, "method": "unanimous" if agreed else "majority",
                     "note": "" if agreed else "; ".join(f"{f} {votes[f]}/{n}" for f in sorted(votes))})
    rows.sort(key=lambda r: (r["article"], int(str(r["start"])) if str(r["start"]).isdigit() else -1,
                             r["text"]))
    return Gold(rows, unresolved, sum(1 for r in rows if r["method"] == "adjudicated"))


def gold_csv(gold: Gold) -> str:
    """The gold rows as CSV (``framing train --labels`` reads it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GOLD_COLUMNS)
    for r in gold.rows:
        writer.writerow([r["article"], r["index"], r["start"], r["end"], r["text"], ";".join(r["frames"]),
                         r["note"], r["coders"], r["method"]])
    return out.getvalue()


def unresolved_csv(gold: Gold, coders: Sequence[str]) -> str:
    """The unresolved units as an adjudication file: ``frames`` holds the majority's frames;
    the adjudicator adds the tied frames (column ``ties``) that the unit carries."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["article", "index", "start", "end", "text", "frames", "ties", *coders])
    for r in gold.unresolved:
        writer.writerow([r["article"], r["index"], r["start"], r["end"], r["text"], ";".join(r["majority"]),
                         ";".join(r["ties"]),
                         *(";".join(r["frames"].get(n, ["(not coded)"])) for n in coders)])
    return out.getvalue()
