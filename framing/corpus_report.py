"""``framing report``: one self-contained HTML page describing a scored corpus.

From ``score-corpus`` output (and optionally its sentence table) it computes, per group
(outlet, or any ``--by`` columns) and per period (``--by week|month|quarter|year``):

- the share of articles carrying each frame, with its 95% Wilson interval;
- the mean coverage of each frame (share of an article's sentences carrying it; needs the
  sentence table), or without it the mean article score, with a 95% bootstrap interval;
- differences between the largest groups, with intervals (Newcombe for shares, bootstrap
  for means), so "A uses frame F more than B" is read off only where the interval says so;
- how often frames occur together in one article;
- the best evidence sentences per frame and group (a few each, so the page stays small).

Articles are read once, keeping a few numbers per article (tens of bytes: its group,
period, frames and scores); the sentence table is streamed and only the per-article
counts and the best few sentences per frame and group are kept.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np

from framing.corpus import FRAMES_COLUMN, SENTENCES_COLUMN, id_key
from framing.errors import FramingError, InputError
from framing.stats import DRAWS, SEED, bin_of, bootstrap_means, newcombe, percentile_interval, wilson
from framing.summarize import (
    MISSING,
    PERIODS,
    ScoreColumns,
    check_by,
    frames_of,
    group_value,
    iter_score_rows,
    score_columns,
)

ALL = "all articles"
OTHER = "(other groups)"
MAX_GROUPS = 30  # groups shown; smaller ones are pooled as OTHER (bounds the page)
MAX_LINES = 8  # groups drawn over time (the largest): more lines cannot be told apart
MAX_COMPARED = 6  # groups compared pairwise (the largest): 15 pairs per frame
EVIDENCE = 3  # sentences per frame and group
EVIDENCE_CHARS = 400
URL_COLUMNS = ("url", "link")
TITLE_COLUMNS = ("title", "headline")
_CHUNK = 10_000


@dataclass(frozen=True)
class Cell:
    """One frame in one group: articles, how many carry the frame and the share with its 95%
    interval; the mean (coverage or score) with its bootstrap interval (NaN if not computed)."""

    articles: int
    present: int
    low: float
    high: float
    mean: float = math.nan
    mean_low: float = math.nan
    mean_high: float = math.nan

    @property
    def share(self) -> float:
        return self.present / self.articles if self.articles else math.nan


@dataclass(frozen=True)
class Difference:
    """Frame ``frame`` in group ``a`` minus group ``b``: share and mean, with 95% intervals."""

    frame: str
    a: str
    b: str
    share: float
    low: float
    high: float
    mean: float
    mean_low: float
    mean_high: float

    @property
    def reading(self) -> str:
        """Which group uses the frame more, where the interval excludes no difference."""
        if self.low > 0:
            return f"{self.a} more"
        if self.high < 0:
            return f"{self.b} more"
        return "no clear difference"


@dataclass(frozen=True)
class Evidence:
    """A sentence carrying a frame: its text (shortened), score and article."""

    text: str
    score: float
    article: str
    url: str | None = None
    title: str | None = None


@dataclass
class CorpusReport:
    """Everything the report page shows; the page is :func:`render_report` of it."""

    scores: str
    sentences: str | None
    by: list[str]
    group_columns: list[str]
    period: str | None
    columns: ScoreColumns
    articles: int
    measure: str  # "coverage" or "score": what the means are means of
    groups: list[str]
    cells: dict[tuple[str, str], Cell]  # (group, frame)
    overall: dict[str, Cell]
    periods: list[str] = field(default_factory=list)
    line_groups: list[str] = field(default_factory=list)
    timeline: dict[tuple[str, str, str], Cell] = field(default_factory=dict)  # (group, period, frame)
    differences: list[Difference] = field(default_factory=list)
    cooccurrence: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    evidence: dict[str, dict[str, list[Evidence]]] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def frame_ids(self) -> list[str]:
        return self.columns.frame_ids

    def name(self, frame_id: str) -> str:
        return self.columns.frame_names.get(frame_id, frame_id)


@dataclass
class _Articles:
    """The few numbers per article a report needs, as arrays."""

    ids: list[str]
    groups: np.ndarray  # group number (index into names)
    group_names: list[str]
    periods: np.ndarray  # period number, -1 when missing
    period_names: list[str]
    present: np.ndarray  # bool, articles x frames
    scores: np.ndarray  # float32, articles x frames
    n_sentences: np.ndarray
    links: dict[str, tuple[str | None, str | None]]  # id -> (url, title), for evidence


def _safe_url(value: Any) -> str | None:
    """An http(s) link, or None: a ``javascript:`` URL must never become a link."""
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


def _read_articles(scores: Path, by: list[str], period: str | None, date_column: str, id_column: str,
                   model: Path | None, keep_links: bool) -> tuple[ScoreColumns, _Articles]:
    group_columns = [c for c in by if c != period]
    columns: ScoreColumns | None = None
    frame_ids: list[str] = []
    group_index: dict[str, int] = {}
    period_index: dict[str, int] = {}
    ids: list[str] = []
    groups: list[int] = []
    periods: list[int] = []
    n_sentences: list[int] = []
    present_parts: list[np.ndarray] = []
    score_parts: list[np.ndarray] = []
    present_rows: list[list[bool]] = []
    score_rows: list[list[float]] = []
    links: dict[str, tuple[str | None, str | None]] = {}
    url_column = title_column = None
    for where, row in iter_score_rows(scores):
        if columns is None:
            columns = score_columns(scores, row, where, model)
            frame_ids = columns.frame_ids
            check_by(scores, by, row, date_column)
            if id_column not in row:
                raise InputError(f"{where}: no column {id_column!r}; pass --id-column")
            url_column = next((c for c in URL_COLUMNS if c in row), None)
            title_column = next((c for c in TITLE_COLUMNS if c in row), None)
        group = " / ".join(group_value(row, c, date_column) for c in group_columns) or ALL
        groups.append(group_index.setdefault(group, len(group_index)))
        if period is not None:
            value = group_value(row, period, date_column)
            periods.append(-1 if value == MISSING else period_index.setdefault(value, len(period_index)))
        else:
            periods.append(-1)
        ident = id_key(row.get(id_column))
        ids.append(ident)
        carried = set(frames_of(row.get(FRAMES_COLUMN)))
        present_rows.append([f in carried for f in frame_ids])
        try:
            score_rows.append([float(row[f]) for f in frame_ids])
            n_sentences.append(int(row.get(SENTENCES_COLUMN) or 0))
        except (TypeError, ValueError, KeyError):
            raise InputError(f"{where}: a score or {SENTENCES_COLUMN!r} is missing or not a number; "
                             "is this `framing score-corpus` output?") from None
        if keep_links and (url_column or title_column):
            title = row.get(title_column) if title_column else None
            links[ident] = (_safe_url(row.get(url_column)) if url_column else None,
                            str(title) if title not in (None, "") else None)
        if len(score_rows) == _CHUNK:
            present_parts.append(np.array(present_rows, dtype=bool))
            score_parts.append(np.array(score_rows, dtype=np.float32))
            present_rows, score_rows = [], []
    if columns is None:
        raise InputError(f"{scores}: no scored articles; is it `framing score-corpus` output?")
    k = len(frame_ids)
    present_parts.append(np.array(present_rows, dtype=bool).reshape(-1, k))
    score_parts.append(np.array(score_rows, dtype=np.float32).reshape(-1, k))
    # Periods sort as text (2024-01 < 2024-02, 2024-W09 < 2024-W10, 2024-Q1 < 2024-Q2).
    # renumber maps first-seen numbers to sorted ones; its last entry keeps -1 (no date) at -1.
    period_names = sorted(period_index)
    renumber = np.array([period_names.index(p) for p in period_index] + [-1], dtype=np.int64)
    return columns, _Articles(
        ids=ids, groups=np.array(groups, dtype=np.int64), group_names=list(group_index),
        periods=renumber[np.array(periods, dtype=np.int64)], period_names=period_names,
        present=np.concatenate(present_parts), scores=np.concatenate(score_parts),
        n_sentences=np.array(n_sentences, dtype=np.int64), links=links)


Heaps = dict[tuple[int, int], list[Any]]  # (frame, group) -> the best sentences so far


def _read_sentences(path: Path, arts: _Articles, frame_ids: list[str], id_column: str,
                    shown: np.ndarray, notes: list[str]) -> tuple[np.ndarray, Heaps]:
    """Per article the sentences carrying each frame; the best few sentences per (frame, group)."""
    index = {ident: i for i, ident in enumerate(arts.ids)}
    position = {f: j for j, f in enumerate(frame_ids)}
    carried = np.zeros(arts.present.shape, dtype=np.int32)
    heaps: Heaps = {}
    unknown = 0
    counter = itertools.count()
    first = True
    for where, row in iter_score_rows(path):
        if first:
            missing = [c for c in (id_column, "text", FRAMES_COLUMN) if c not in row]
            if missing:
                raise InputError(f"{where}: no column(s) {', '.join(map(repr, missing))}; give the "
                                 "sentence table of `framing score-corpus --sentences`")
            first = False
        i = index.get(id_key(row.get(id_column)))
        if i is None:
            unknown += 1
            continue
        for f in frames_of(row.get(FRAMES_COLUMN)):
            j = position.get(f)
            if j is None:
                continue
            carried[i, j] += 1
            try:
                score = float(row[f])
            except (TypeError, ValueError, KeyError):
                raise InputError(f"{where}: no number in column {f!r}; is this the sentence table "
                                 "of `framing score-corpus --sentences`?") from None
            heap = heaps.setdefault((j, int(shown[i])), [])
            entry = (score, -next(counter), i, row.get("text"), row.get("index"))
            if len(heap) < EVIDENCE:
                heapq.heappush(heap, entry)
            elif entry[:2] > heap[0][:2]:
                heapq.heapreplace(heap, entry)
    if unknown:
        notes.append(f"{unknown:,} sentence(s) of {path} belong to no article of the score file and "
                     "were left out.")
    return carried, heaps


def _shown_groups(arts: _Articles, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each article's group as shown: the MAX_GROUPS - 1 largest groups, the rest pooled."""
    sizes = np.bincount(arts.groups, minlength=len(arts.group_names))
    order = sorted(range(len(sizes)), key=lambda g: (-sizes[g], arts.group_names[g]))
    if len(order) > MAX_GROUPS:
        kept = order[:MAX_GROUPS - 1]
        notes.append(f"{len(order) - len(kept):,} smaller groups ({int(sizes[order[len(kept):]].sum()):,} "
                     f"articles) are pooled as {OTHER!r}.")
    else:
        kept = order
    names = sorted((arts.group_names[g] for g in kept), key=lambda n: (n == MISSING, n))
    if len(kept) < len(order):
        names.append(OTHER)
    number = {n: i for i, n in enumerate(names)}
    mapping = np.array([number.get(arts.group_names[g], number.get(OTHER, 0))
                        for g in range(len(arts.group_names))], dtype=np.int64)
    return mapping[arts.groups], names


def _cells(group: np.ndarray, n_groups: int, present: np.ndarray, values: np.ndarray | None,
           rng: np.random.Generator) -> tuple[list[list[Cell]], np.ndarray | None]:
    """Cells per group and frame, and (with ``values``) the bootstrap draws of their means."""
    k = present.shape[1]
    sizes = np.bincount(group, minlength=n_groups)
    counts = np.stack([np.bincount(group, weights=present[:, j], minlength=n_groups) for j in range(k)], 1)
    out: list[list[Cell]] = []
    draws = None
    if values is not None:
        from framing.stats import BINS

        draws = np.full((n_groups, k, DRAWS), np.nan)
        width = BINS + 1
        bins = bin_of(values)
        for j in range(k):
            flat = group * width + bins[:, j]
            size = n_groups * width
            n_per = np.bincount(flat, minlength=size).reshape(n_groups, width).astype(float)
            s_per = np.bincount(flat, weights=values[:, j], minlength=size).reshape(n_groups, width)
            for g in range(n_groups):
                draws[g, j] = bootstrap_means(np.stack([n_per[g], s_per[g]]), rng=rng)
    sums = (np.stack([np.bincount(group, weights=values[:, j], minlength=n_groups) for j in range(k)], 1)
            if values is not None else None)
    for g in range(n_groups):
        row = []
        for j in range(k):
            n, c = int(sizes[g]), int(counts[g, j])
            low, high = wilson(c, n)
            if sums is not None and draws is not None and n:
                mlow, mhigh = percentile_interval(draws[g, j])
                row.append(Cell(n, c, low, high, float(sums[g, j] / n), mlow, mhigh))
            else:
                row.append(Cell(n, c, low, high))
        out.append(row)
    return out, draws


def _model_card(columns: ScoreColumns, model: Path | None, notes: list[str]) -> dict[str, Any]:
    """What is known of the model that scored: from ``--model`` or the sidecar's model."""
    from framing.model import read_meta

    sidecar = columns.sidecar or {}
    where: Path | None
    if model is not None:
        where, label = model, str(model)
    elif columns.sidecar is not None:
        named = sidecar.get("model")
        where = None if named in (None, "default") else Path(str(named))
        label = "shipped default" if where is None else str(where)
    else:
        notes.append("The score file has no sidecar (SCORES.framing.json) naming its model: the "
                     "model card is missing; pass --model to show it.")
        return {}
    try:
        meta = read_meta(where)
    except FramingError as exc:
        notes.append(f"The model that scored could not be read ({exc}); its card is missing.")
        meta = {}
    cv = meta.get("cv") or {}  # every key below is present, if empty, for the template
    per_cv = cv.get("frames", {})
    per_n = (meta.get("examples") or {}).get("per_frame", {})
    thresholds = columns.thresholds or {f: float(t) for f, t in (meta.get("thresholds") or {}).items()}
    return {
        "label": label,
        "created": meta.get("created"),
        "sha256": sidecar.get("model_sha256") or (meta.get("artifact") or {}).get("sha256"),
        **({"codebook": meta.get("codebook")} if meta else {}),  # unknown: no row, not "none"
        "labels": (meta.get("labels") or {}).get("paths", []),
        "unit": meta.get("unit"),
        "cv_method": cv.get("method"),
        "cv_micro": cv.get("micro"),
        "cv_macro": cv.get("macro"),
        "options": sidecar.get("options") or {},
        "frames": [{"id": f, "name": columns.frame_names.get(f) or meta.get("frame_names", {}).get(f, f),
                    "threshold": thresholds.get(f), "labelled": per_n.get(f, {}).get("labelled"),
                    **{k: per_cv.get(f, {}).get(k) for k in ("precision", "recall", "f1")}}
                   for f in columns.frame_ids],
    }


def article_link(template: str, ident: str, sentence: Any = None) -> str:
    """``template`` with ``{id}`` replaced by the article's id, URL-encoded, and (for a link
    without a fragment) ``#sN`` pointing at sentence N, as the article view names them."""
    url = template.replace("{id}", quote(ident, safe=""))
    try:
        index = int(sentence)
    except (TypeError, ValueError):
        return url
    return url if "#" in url else f"{url}#s{index}"


def check_link(template: str) -> None:
    """A link template must hold ``{id}`` and be a relative or http(s) address."""
    scheme = urlsplit(template).scheme.lower()
    if "{id}" not in template or scheme not in ("", "http", "https"):
        raise InputError(f"--link {template!r}: give an address holding {{id}}, relative or http(s), "
                         "e.g. 'articles/{id}.html'")


def build_report(scores: str | Path, *, sentences: str | Path | None = None, by: list[str] | None = None,
                 date_column: str = "date", id_column: str = "id", model: str | Path | None = None,
                 link: str | None = None) -> CorpusReport:
    """Compute everything the report shows from a score file (and its sentence table).

    ``by``: group columns; at most one of them may be a period (``week``, ``month``,
    ``quarter``, ``year`` of ``date_column``), which becomes the time axis. ``link``: where
    evidence links to, ``{id}`` standing for the article's id (e.g. ``articles/{id}.html``,
    the pages of ``framing score --format html``); default the score file's ``url`` column.
    """
    if link is not None:
        check_link(link)
    scores = Path(scores)
    by = list(by or [])
    period_columns = [c for c in by if c in PERIODS]
    if len(period_columns) > 1:
        raise InputError(f"--by {' and '.join(period_columns)}: give one period (the time axis)")
    period = period_columns[0] if period_columns else None
    notes: list[str] = []
    columns, arts = _read_articles(scores, by, period, date_column, id_column,
                                   Path(model) if model is not None else None, sentences is not None)
    frame_ids = columns.frame_ids
    n = len(arts.ids)
    if columns.sidecar is not None and columns.sidecar.get("complete") is False:
        notes.append("The sidecar says the scoring run has not finished (interrupted? resume it with "
                     "score-corpus --resume): the file may hold only part of the corpus.")
    group, names = _shown_groups(arts, notes)
    rng = np.random.default_rng(SEED)

    values: np.ndarray
    heaps: Heaps = {}
    if sentences is not None:
        carried, heaps = _read_sentences(Path(sentences), arts, frame_ids, id_column, group, notes)
        values = carried / np.maximum(arts.n_sentences, 1)[:, None]
        measure = "coverage"
        empty = int(((carried.sum(axis=1) == 0) & arts.present.any(axis=1)).sum())
        if empty:
            notes.append(f"{empty:,} article(s) carrying a frame have no carrying sentence in {sentences}: "
                         "is it the sentence table of the same run?")
    else:
        values = arts.scores.astype(float)
        measure = "score"
        notes.append("No sentence table given (--sentences): means are of article scores, not coverage, "
                     "and there are no evidence sentences.")

    table, draws = _cells(group, len(names), arts.present, values, rng)
    cells = {(g, f): table[gi][j] for gi, g in enumerate(names) for j, f in enumerate(frame_ids)}
    everything, _ = _cells(np.zeros(n, dtype=np.int64), 1, arts.present, values, rng)
    overall = {f: everything[0][j] for j, f in enumerate(frame_ids)}

    sizes = np.bincount(group, minlength=len(names))
    by_size = [g for g in np.argsort(-sizes, kind="stable") if names[g] != OTHER]

    report = CorpusReport(
        scores=str(scores), sentences=str(sentences) if sentences is not None else None, by=by,
        group_columns=[c for c in by if c != period], period=period, columns=columns, articles=n,
        measure=measure, groups=names, cells=cells, overall=overall, notes=notes)

    if period is not None:
        report.periods = arts.period_names
        lines = [int(g) for g in by_size[:MAX_LINES]]
        report.line_groups = [names[g] for g in lines]
        if len(by_size) > MAX_LINES:
            notes.append(f"Over time, the {MAX_LINES} largest groups are drawn and tabled; the "
                         "prevalence tables hold every group.")
        dated = arts.periods >= 0
        if (~dated).any():
            notes.append(f"{int((~dated).sum()):,} article(s) have no usable date in {date_column!r} and "
                         "are left out of the time charts.")
        n_periods = len(arts.period_names)
        cell_of = group[dated] * n_periods + arts.periods[dated]
        timeline, _ = _cells(cell_of, len(names) * n_periods, arts.present[dated], None, rng)
        for g in lines:
            for p, name in enumerate(arts.period_names):
                for j, f in enumerate(frame_ids):
                    report.timeline[(names[g], name, f)] = timeline[g * n_periods + p][j]

    compared = [int(g) for g in by_size[:MAX_COMPARED] if sizes[g]]
    if len(by_size) > MAX_COMPARED:
        notes.append(f"Differences are shown between the {MAX_COMPARED} largest groups.")
    for j, f in enumerate(frame_ids):
        for a, b in itertools.combinations(compared, 2):
            ca, cb = table[a][j], table[b][j]
            d, low, high = newcombe(ca.present, ca.articles, cb.present, cb.articles)
            mean_low, mean_high = (percentile_interval(draws[a, j] - draws[b, j]) if draws is not None
                                   else (math.nan, math.nan))
            report.differences.append(Difference(f, names[a], names[b], d, low, high, ca.mean - cb.mean,
                                                 mean_low, mean_high))

    as_int = arts.present.astype(np.int64)
    report.cooccurrence = as_int.T @ as_int
    for (j, g), heap in sorted(heaps.items()):
        frame = report.evidence.setdefault(frame_ids[j], {})
        frame[names[g]] = [
            Evidence(text=_shorten(text), score=score, article=arts.ids[i],
                     url=(article_link(link, arts.ids[i], index) if link is not None
                          else arts.links.get(arts.ids[i], (None, None))[0]),
                     title=arts.links.get(arts.ids[i], (None, None))[1])
            for score, _, i, text, index in sorted(heap, key=lambda e: e[:2], reverse=True)]
    report.model = _model_card(columns, Path(model) if model is not None else None, notes)
    return report


def _shorten(text: Any) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS - 1].rstrip() + "\u2026"


# --- The page -----------------------------------------------------------------------------

def _charts(report: CorpusReport) -> dict[str, Any]:
    from markupsafe import Markup

    from framing import charts

    frame_ids = report.frame_ids
    names = [report.name(f) for f in frame_ids]
    shares = np.array([[report.cells[(g, f)].share for f in frame_ids] for g in report.groups])
    out = {"heatmap": Markup(charts.heatmap(
        shares, report.groups, names, xlabel="frame", ylabel=" / ".join(report.group_columns) or "group",
        title="Share of articles carrying each frame", prefix="heat", vmax=1.0))}
    if report.periods:
        series: dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for f in frame_ids:
            series[f] = {}
            for g in report.line_groups:
                # A period without articles of the group is a gap in its line, not 0%.
                got = [report.timeline[(g, p, f)] for p in report.periods]
                series[f][g] = tuple(np.array([getattr(c, a) if c.articles else math.nan for c in got])
                                     for a in ("share", "low", "high"))  # type: ignore[assignment]
        out["timelines"] = Markup(charts.timelines(report.periods, series,
                                                   list(zip(frame_ids, names, strict=True)),
                                                   xlabel=report.period or "period", prefix="time",
                                                   legend=" / ".join(report.group_columns) or "group"))
    co = report.cooccurrence.astype(float)
    diagonal = np.diag(co)
    conditional = np.divide(co, diagonal[:, None], out=np.full_like(co, np.nan), where=diagonal[:, None] > 0)
    out["cooccurrence"] = Markup(charts.heatmap(
        conditional, names, names, xlabel="...also carrying this frame",
        ylabel="articles carrying this frame", title="Share of a frame's articles that also carry another",
        prefix="co", vmax=1.0, scale="share of the row frame's articles",
        annotations=[[f"{int(v)}" for v in row] for row in report.cooccurrence]))
    return out


def render_report(report: CorpusReport, *, title: str | None = None) -> str:
    """The report as one HTML page: CSS, JS and SVG charts inline, nothing fetched."""
    from importlib.metadata import version

    from framing.pages import frame_badge, render

    frames = [{"id": f, "name": report.name(f), **frame_badge(j)}
              for j, f in enumerate(report.frame_ids)]
    co = report.cooccurrence
    pairs = [{"a": report.name(a), "b": report.name(b), "both": int(co[i, j]),
              "of_a": co[i, j] / co[i, i], "of_b": co[i, j] / co[j, j]}
             for (i, a), (j, b) in itertools.combinations(enumerate(report.frame_ids), 2)
             if co[i, j]]  # both diagonals are then > 0
    return render("report.html.j2", scripts=("sortable.js",), r=report, frames=frames, pairs=pairs,
                  charts=_charts(report), title=title or f"Framing report: {Path(report.scores).name}",
                  generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                  version=version("framing"),
                  measure_name="coverage" if report.measure == "coverage" else "article score",
                  evidence_n=EVIDENCE, draws=DRAWS)
