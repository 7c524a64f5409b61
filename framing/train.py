"""Training: choose settings by grouped cross-validation, pick per-frame thresholds from
out-of-fold predictions, fit the final pipeline, and score it honestly.

Cross-validation always holds whole articles out (leave one article out up to ten articles,
five group folds beyond). The codebook's constructed examples are added to every training
fold and never appear in a test fold, so every score is on real article text.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import average_precision_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut

from framing.codebook import Codebook
from framing.errors import TrainingError
from framing.features import build_features
from framing.labels import MIN_EXAMPLES, LabelledSet
from framing.model import Model, build_classifier, build_pipeline, environment
from framing.segment import segmenter_info

# Searched by grouped cross-validation. Kept small on purpose: with ~100 sentences in five
# articles a larger grid mostly fits noise in the selection score.
DEFAULT_GRID: dict[str, list[Any]] = {
    "C": [1.0, 4.0, 16.0],
    "word_ngrams": [(1, 1), (1, 2)],
    "min_df": [1, 2],
    "cue_weight": [0.0, 1.0, 2.0],
}
PLAIN_GRID: dict[str, list[Any]] = {k: v for k, v in DEFAULT_GRID.items() if k != "cue_weight"}
CONSTRUCTED_GROUP = "<codebook constructed examples>"
LEAVE_ONE_OUT_MAX = 10  # up to this many articles, hold out one at a time
UNGROUPED_FOLDS = 5  # texts without articles: this many folds, so at least this many texts
# Thresholds are searched within 0.3..0.7 only. With a handful of positives per frame the
# F1-optimal threshold far from 0.5 is mostly noise: on the seeds, a frame with 6 positives
# got 0.08 and then flagged most unrelated sentences. Nested CV on the seeds: micro F1 0.75
# with 0.05..0.95, 0.79 with 0.3..0.7.
THRESHOLD_GRID = np.round(np.linspace(0.3, 0.7, 41), 2)

Progress = Callable[[int, int], None]


@dataclass
class TrainingRows:
    """The rows a model is fitted on: real labelled texts, then constructed examples."""

    texts: list[str]
    Y: np.ndarray
    groups: list[str]
    constructed: np.ndarray
    frame_ids: list[str]
    grouped: bool

    @property
    def real(self) -> np.ndarray:
        return np.flatnonzero(~self.constructed)


@dataclass
class TrainResult:
    """A fitted model and what training found out about it."""

    model: Model
    params: dict[str, Any]
    cv: dict[str, Any]
    counts: dict[str, dict[str, int]]
    warnings: list[str] = field(default_factory=list)


def training_rows(data: LabelledSet, codebook: Codebook, *, use_examples: bool = True) -> TrainingRows:
    """Stack the labelled texts and (optionally) the codebook's constructed examples."""
    texts, frames, groups = list(data.texts), list(data.frames), list(data.groups)
    n_real = len(texts)
    if use_examples:
        for frame in codebook.frames:
            for example in frame.constructed_examples:
                texts.append(example)
                frames.append((frame.id,))
                groups.append(CONSTRUCTED_GROUP)
    ids = codebook.ids
    column = {f: i for i, f in enumerate(ids)}
    Y = np.zeros((len(texts), len(ids)), dtype=np.int8)
    for row, fs in enumerate(frames):
        for f in fs:
            Y[row, column[f]] = 1
    constructed = np.arange(len(texts)) >= n_real
    return TrainingRows(texts, Y, groups, constructed, ids, data.grouped)


def folds(rows: TrainingRows) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs; test folds hold real rows only, whole articles at a time."""
    real = rows.real
    extra = np.flatnonzero(rows.constructed)
    groups = np.asarray(rows.groups)[real]
    n_groups = len(set(groups))
    if rows.grouped:
        if n_groups < 2:
            raise TrainingError("grouped cross-validation needs at least 2 articles; "
                                "label sentences of another article")
        splitter: Any = (LeaveOneGroupOut() if n_groups <= LEAVE_ONE_OUT_MAX
                         else GroupKFold(n_splits=5))
        split = splitter.split(real, groups=groups)
    else:
        if len(real) < UNGROUPED_FOLDS:
            raise TrainingError(f"cross-validation needs at least {UNGROUPED_FOLDS} labelled texts "
                                f"(got {len(real)})")
        split = KFold(n_splits=UNGROUPED_FOLDS, shuffle=True, random_state=0).split(real)
    return [(np.concatenate([real[tr], extra]), real[te]) for tr, te in split]


def _fit(rows: TrainingRows, index: np.ndarray, params: dict[str, Any],
         cues: dict[str, list[str]]) -> Any:
    pipeline = build_pipeline(cues, **params)
    with warnings.catch_warnings():
        # A frame absent from a training fold is predicted as constant 0; that is expected.
        warnings.filterwarnings("ignore", message="Label .* is present in all training examples")
        pipeline.fit([rows.texts[i] for i in index], rows.Y[index])
    return pipeline


class _FoldFeatures:
    """Feature blocks of one fold, fitted once per block setting and reused across the grid.

    Only C and the cue weight change the classifier, so the vectorisers (the slow part) are
    fitted once per (word n-grams, min_df) and fold. The blocks are exactly the pipeline's
    (same transformers, same weights), so scores equal fitting the full pipeline each time.
    """

    def __init__(self, rows: TrainingRows, train: np.ndarray, test: np.ndarray,
                 cues: dict[str, list[str]]) -> None:
        self.train_texts = [rows.texts[i] for i in train]
        self.test_texts = [rows.texts[i] for i in test]
        self.cues = cues
        self.blocks: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def _block(self, key: tuple[Any, ...], transformer: Any) -> tuple[Any, Any]:
        if key not in self.blocks:
            fitted = transformer.fit(self.train_texts)
            self.blocks[key] = (fitted.transform(self.train_texts), fitted.transform(self.test_texts))
        return self.blocks[key]

    def matrices(self, params: dict[str, Any]) -> tuple[Any, Any]:
        union = build_features(self.cues, **{k: v for k, v in params.items() if k != "C"})
        weights = union.transformer_weights or {}
        parts = []
        for name, transformer in union.transformer_list:
            key = (name, repr(sorted(transformer.get_params(deep=False).items(), key=str)))
            train_x, test_x = self._block(key, transformer)
            parts.append((train_x * weights.get(name, 1.0), test_x * weights.get(name, 1.0)))
        return (sp.hstack([p[0] for p in parts], format="csr"),
                sp.hstack([p[1] for p in parts], format="csr"))


def out_of_fold(rows: TrainingRows, params: dict[str, Any], cues: dict[str, list[str]],
                splits: list[tuple[np.ndarray, np.ndarray]],
                tick: Callable[[], None] | None = None,
                cache: list[_FoldFeatures] | None = None) -> np.ndarray:
    """Out-of-fold probabilities for the rows tested in ``splits`` (NaN elsewhere)."""
    cache = cache or [_FoldFeatures(rows, tr, te, cues) for tr, te in splits]
    P = np.full(rows.Y.shape, np.nan)
    for (train, test), fold in zip(splits, cache, strict=True):
        X_train, X_test = fold.matrices(params)
        classifier = build_classifier(params.get("C", 4.0))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Label .* is present in all training examples")
            classifier.fit(X_train, rows.Y[train])
        P[test] = classifier.predict_proba(X_test)
        if tick:
            tick()
    return P


def selection_score(Y: np.ndarray, P: np.ndarray) -> float:
    """Mean average precision over frames with a positive example (threshold-free)."""
    values = [average_precision_score(Y[:, k], P[:, k]) for k in range(Y.shape[1]) if Y[:, k].any()]
    return float(np.mean(values)) if values else 0.0


def choose_thresholds(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per frame, the threshold on a 0.3..0.7 grid with the best out-of-fold F1.

    Ties go to the threshold nearest 0.5; a frame with no positive example keeps 0.5.
    """
    thresholds = np.full(Y.shape[1], 0.5)
    order = np.argsort(np.abs(THRESHOLD_GRID - 0.5), kind="stable")
    for k in range(Y.shape[1]):
        if not Y[:, k].any():
            continue
        f1 = [_f1(Y[:, k], P[:, k] >= t) for t in THRESHOLD_GRID[order]]
        thresholds[k] = THRESHOLD_GRID[order][int(np.argmax(f1))]
    return thresholds


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float(np.sum(y & pred))
    denominator = float(np.sum(y) + np.sum(pred))
    return 2 * tp / denominator if denominator else 0.0


def grid_settings(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid, in a fixed order (earlier wins ties)."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]


def select(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]],
           splits: list[tuple[np.ndarray, np.ndarray]],
           tick: Callable[[], None] | None = None) -> tuple[dict[str, Any], np.ndarray, float]:
    """Best settings by out-of-fold mean average precision, and thresholds for them."""
    tested = np.concatenate([te for _, te in splits])
    best: tuple[float, dict[str, Any], np.ndarray] | None = None
    cache = [_FoldFeatures(rows, tr, te, cues) for tr, te in splits]
    for params in grid_settings(grid):
        P = out_of_fold(rows, params, cues, splits, tick, cache)
        score = selection_score(rows.Y[tested], P[tested])
        if best is None or score > best[0] + 1e-12:
            best = (score, params, P)
    assert best is not None
    score, params, P = best
    return params, choose_thresholds(rows.Y[tested].astype(bool), P[tested]), score


def report(Y: np.ndarray, pred: np.ndarray, frame_ids: list[str]) -> dict[str, Any]:
    """Precision, recall, F1 and support per frame, with micro and macro averages."""
    per = precision_recall_fscore_support(Y, pred, average=None, zero_division=0,
                                          labels=range(len(frame_ids)))
    frames = {f: {"precision": float(per[0][k]), "recall": float(per[1][k]),
                  "f1": float(per[2][k]), "support": int(per[3][k]),
                  "few_examples": bool(per[3][k] < MIN_EXAMPLES)}
              for k, f in enumerate(frame_ids)}
    averages = {}
    for kind in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(Y, pred, average=kind, zero_division=0)
        averages[kind] = {"precision": float(p), "recall": float(r), "f1": float(f),
                          "support": int(Y.sum())}
    return {"frames": frames, **averages}


def nested_cv(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]],
              progress: Progress | None = None) -> dict[str, Any]:
    """Honest scores: for each held-out article, choose settings and thresholds on the
    other articles only, then predict the held-out one. Selection is inside the loop, so
    the scores do not flatter the chosen settings."""
    outer = folds(rows)
    settings = len(grid_settings(grid))
    total = sum(settings * max(len(_inner_splits(rows, train)), 1) + 1 for train, _ in outer)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    pred = np.zeros_like(rows.Y)
    for train, test in outer:
        inner = _inner_splits(rows, train)
        if inner:
            params, thresholds, _ = select(rows, cues, grid, inner, tick)
        else:  # a single training article: no inner CV possible, use the first settings
            params, thresholds = grid_settings(grid)[0], np.full(len(rows.frame_ids), 0.5)
        pipeline = _fit(rows, train, params, cues)
        P = pipeline.predict_proba([rows.texts[i] for i in test])
        pred[test] = (thresholds <= P).astype(np.int8)
        tick()
    tested = np.concatenate([te for _, te in outer])
    result = report(rows.Y[tested], pred[tested], rows.frame_ids)
    result["method"] = (f"nested grouped CV: {len(outer)} outer folds holding whole articles out; "
                        "settings and thresholds chosen inside each fold; constructed examples "
                        "only ever in training folds")
    result["n_test_texts"] = int(len(tested))
    return result


def _inner_splits(rows: TrainingRows, train: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds over the training part of an outer fold, as indices into ``rows``."""
    real = train[~rows.constructed[train]]
    if rows.grouped and len({rows.groups[i] for i in real}) < 2:
        return []
    if not rows.grouped and len(real) < UNGROUPED_FOLDS:
        # An outer fold of 5-6 ungrouped texts trains on 4: too few for inner folds, so fall
        # back as for a single article instead of failing on data the outer check accepted.
        return []
    inner = folds(_subset(rows, train))
    return [(train[tr], train[te]) for tr, te in inner]


def _subset(rows: TrainingRows, index: np.ndarray) -> TrainingRows:
    return TrainingRows([rows.texts[i] for i in index], rows.Y[index],
                        [rows.groups[i] for i in index], rows.constructed[index],
                        rows.frame_ids, rows.grouped)


def check_trainable(rows: TrainingRows) -> list[str]:
    """Raise for frames with no positive real example; return warnings for rare frames."""
    real = rows.Y[rows.real]
    empty = [f for k, f in enumerate(rows.frame_ids) if not real[:, k].any()]
    if empty:
        raise TrainingError(f"frame(s) with no positive example in the labelled data: "
                            f"{', '.join(empty)}; label at least one text for each, or train "
                            "without a codebook so frames come from the data")
    return [f"frame '{f}' has {int(n)} labelled example(s), fewer than {MIN_EXAMPLES}: "
            "its scores are unreliable"
            for f, n in zip(rows.frame_ids, real.sum(axis=0), strict=True) if n < MIN_EXAMPLES]


def train(
    data: LabelledSet,
    codebook: Codebook,
    *,
    grid: dict[str, list[Any]] | None = None,
    use_codebook: bool = True,
    unit: str = "sentence",
    progress: Progress | None = None,
) -> TrainResult:
    """Fit a model on labelled texts.

    Parameters
    ----------
    use_codebook:
        Add the codebook's cue block and constructed examples (the default). False trains
        the plain TF-IDF + logistic regression on the labelled texts alone.
    unit:
        ``"sentence"`` or ``"article"``: what one labelled text is.
    progress:
        Called as ``progress(done, total)`` after every fit of the search.
    """
    use_codebook = use_codebook and any(f.cues or f.constructed_examples for f in codebook.frames)
    grid = dict(grid or (DEFAULT_GRID if use_codebook else PLAIN_GRID))
    if not use_codebook:  # no cues: every cue weight gives the same features
        grid["cue_weight"] = [0.0]
    rows = training_rows(data, codebook, use_examples=use_codebook)
    rare = check_trainable(rows)
    cues = {f.id: list(f.cues) for f in codebook.frames} if use_codebook else {}

    cv = nested_cv(rows, cues, grid, progress)
    splits = folds(rows)
    params, thresholds, search_score = select(rows, cues, grid, splits)
    pipeline = _fit(rows, np.arange(len(rows.texts)), params, cues)

    real_counts = rows.Y[rows.real].sum(axis=0)
    constructed_counts = rows.Y[rows.constructed].sum(axis=0)
    counts = {f: {"labelled": int(real_counts[k]), "constructed": int(constructed_counts[k])}
              for k, f in enumerate(rows.frame_ids)}
    meta = {
        "frame_names": {f.id: f.name for f in codebook.frames},
        "unit": unit,
        # Only a codebook file is recorded: a bare one (Codebook.from_ids) has no path or hash.
        "codebook": ({"path": codebook.path, "sha256": codebook.sha256}
                     if use_codebook and codebook.sha256 is not None else None),
        "labels": {"paths": data.sources, "sha256": data.sha256},
        "examples": {"labelled_texts": len(data), "articles": len(set(data.groups)),
                     "constructed_texts": int(rows.constructed.sum()), "per_frame": counts},
        "hyperparameters": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        "search": {"grid": {k: [list(x) if isinstance(x, tuple) else x for x in v]
                            for k, v in grid.items()},
                   "score": "mean average precision over out-of-fold predictions",
                   "best": round(search_score, 4)},
        "cv": cv,
        "segmenter": segmenter_info(),
        "versions": environment(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    model = Model(pipeline=pipeline, frame_ids=rows.frame_ids, thresholds=thresholds, meta=meta)
    return TrainResult(model=model, params=params, cv=cv, counts=counts, warnings=rare)


