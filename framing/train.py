"""Training: choose settings by grouped cross-validation, pick per-frame thresholds from
out-of-fold predictions, fit the final pipeline, and score it honestly.

Cross-validation always holds whole articles out (leave one article out up to ten articles,
five group folds beyond). The codebook's constructed examples are added to every training
fold and never appear in a test fold, so every score is on real article text.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import average_precision_score, brier_score_loss, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut
from sklearn.pipeline import Pipeline

from framing.classifier import FrameClassifier, apply_scaling, platt_scaling
from framing.codebook import Codebook
from framing.errors import TrainingError
from framing.features import build_features, cue_masks, union_blocks
from framing.labels import MIN_EXAMPLES, LabelledSet
from framing.model import Model, environment
from framing.segment import segmenter_info

# The settings grids, searched by grouped cross-validation. ``cue_mode`` "own" lets each
# frame use only its own cue columns (see framing.classifier); ``labelled_weight`` weighs the
# hand-labelled real sentences against constructed corpus sentences (only when both are
# there). "full" is what bench/recipes.py compared; "quick" fixes all but C at the values
# "full" chose most often on the shipped data, for large data or a first look.
SEARCHES: dict[str, dict[str, list[Any]]] = {
    "full": {
        "C": [1.0, 4.0, 16.0],
        "word_ngrams": [(1, 2)],
        "min_df": [1, 2],
        "cue_weight": [0.0, 1.0],
        "cue_mode": ["own"],
        "labelled_weight": [1.0, 3.0],
    },
    "quick": {
        "C": [1.0, 4.0],
        "word_ngrams": [(1, 2)],
        "min_df": [2],
        "cue_weight": [1.0],
        "cue_mode": ["own"],
        "labelled_weight": [1.0],
    },
}
DEFAULT_GRID = SEARCHES["full"]
PLAIN_GRID: dict[str, list[Any]] = {"C": [1.0, 4.0, 16.0], "word_ngrams": [(1, 1), (1, 2)],
                                    "min_df": [1, 2]}
FEATURE_KEYS = ("word_ngrams", "char_ngrams", "min_df", "cue_weight")
DEFAULTS: dict[str, Any] = {"C": 4.0, "cue_mode": "all", "labelled_weight": 1.0}
CONSTRUCTED_GROUP = "<codebook constructed examples>"
LEAVE_ONE_OUT_MAX = 10  # up to this many articles, hold out one at a time
UNGROUPED_FOLDS = 5  # texts without articles: this many folds, so at least this many texts
# Above this many texts, nested CV is skipped unless asked for (``nested=True``): it costs
# about (outer folds + 1) times a plain search. The report then says it is not nested.
NESTED_MAX_TEXTS = 5_000
# Thresholds are searched within 0.3..0.7 only. With a handful of positives per frame the
# F1-optimal threshold far from 0.5 is mostly noise: on the seeds, a frame with 6 positives
# got 0.08 and then flagged most unrelated sentences. Nested CV on the seeds: micro F1 0.75
# with 0.05..0.95, 0.79 with 0.3..0.7.
THRESHOLD_GRID = np.round(np.linspace(0.3, 0.7, 41), 2)
CALIBRATION_BINS = 10

# Where a training row comes from. Hand-labelled texts (the seeds, or a user's file) are
# "labelled"; sentences of the constructed training corpus are "corpus"; the codebook's own
# constructed examples are "example". Scores are reported separately for labelled and
# corpus rows, never pooled, and examples are never tested.
LABELLED, CORPUS, EXAMPLE = "labelled", "corpus", "example"

Progress = Callable[[int, int], None]


@dataclass
class TrainingRows:
    """The rows a model is fitted on: labelled texts, corpus texts, then codebook examples."""

    texts: list[str]
    Y: np.ndarray
    groups: list[str]
    origin: np.ndarray
    frame_ids: list[str]
    grouped: bool

    @property
    def constructed(self) -> np.ndarray:
        """True for rows that are not real labelled text (corpus and codebook examples)."""
        return np.asarray(self.origin != LABELLED)

    @property
    def real(self) -> np.ndarray:
        return np.flatnonzero(self.origin == LABELLED)

    def weights(self, labelled_weight: float) -> np.ndarray:
        """Sample weights: ``labelled_weight`` for labelled rows, 1 for the others."""
        return np.where(self.origin == LABELLED, float(labelled_weight), 1.0)


@dataclass
class TrainResult:
    """A fitted model and what training found out about it."""

    model: Model
    params: dict[str, Any]
    cv: dict[str, Any]
    counts: dict[str, dict[str, int]]
    warnings: list[str] = field(default_factory=list)
    cv_constructed: dict[str, Any] | None = None


def training_rows(data: LabelledSet, codebook: Codebook, *, use_examples: bool = True) -> TrainingRows:
    """Stack the labelled texts (corpus rows marked) and, optionally, the codebook's examples."""
    texts, frames, groups = list(data.texts), list(data.frames), list(data.groups)
    origin = [CORPUS if c else LABELLED for c in data.constructed_flags()]
    if use_examples:
        for frame in codebook.frames:
            for example in frame.constructed_examples:
                texts.append(example)
                frames.append((frame.id,))
                groups.append(CONSTRUCTED_GROUP)
                origin.append(EXAMPLE)
    ids = codebook.ids
    column = {f: i for i, f in enumerate(ids)}
    Y = np.zeros((len(texts), len(ids)), dtype=np.int8)
    for row, fs in enumerate(frames):
        for f in fs:
            Y[row, column[f]] = 1
    return TrainingRows(texts, Y, groups, np.asarray(origin), ids, data.grouped)


def folds(rows: TrainingRows, test: tuple[str, ...] = (LABELLED,)) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs. Test folds hold rows of the ``test`` origins only, whole
    articles at a time; every other row (codebook examples always) is in every training fold."""
    testable = np.flatnonzero(np.isin(rows.origin, test))
    extra = np.flatnonzero(~np.isin(rows.origin, test))
    groups = np.asarray(rows.groups)[testable]
    n_groups = len(set(groups))
    grouped = rows.grouped or LABELLED not in test
    if grouped:
        if n_groups < 2:
            raise TrainingError("grouped cross-validation needs at least 2 articles; "
                                "label sentences of another article")
        splitter: Any = (LeaveOneGroupOut() if n_groups <= LEAVE_ONE_OUT_MAX
                         else GroupKFold(n_splits=5))
        split = splitter.split(testable, groups=groups)
    else:
        if len(testable) < UNGROUPED_FOLDS:
            raise TrainingError(f"cross-validation needs at least {UNGROUPED_FOLDS} labelled texts "
                                f"(got {len(testable)})")
        split = KFold(n_splits=UNGROUPED_FOLDS, shuffle=True, random_state=0).split(testable)
    return [(np.sort(np.concatenate([testable[tr], extra])), testable[te]) for tr, te in split]


def _features_only(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k in FEATURE_KEYS}


def _param(params: dict[str, Any], key: str) -> Any:
    return params.get(key, DEFAULTS[key])


def _fit(rows: TrainingRows, index: np.ndarray, params: dict[str, Any],
         cues: dict[str, list[str]]) -> Pipeline:
    """The pipeline fitted on rows ``index``: features, then the per-frame classifier."""
    texts = [rows.texts[i] for i in index]
    union = build_features(cues, **_features_only(params)).fit(texts)
    X = union.transform(texts)
    masks = cue_masks(union_blocks(union), rows.frame_ids, _param(params, "cue_mode"))
    classifier = FrameClassifier(C=_param(params, "C"), masks=masks)
    classifier.fit(X, rows.Y[index], sample_weight=rows.weights(_param(params, "labelled_weight"))[index])
    return Pipeline([("features", union), ("classifier", classifier)])


class _FoldFeatures:
    """Feature blocks of one fold, fitted once per block setting and reused across the grid.

    Only the classifier's settings and the cue weight change nothing in the vectorisers (the
    slow part), so each block is fitted once per (block setting, fold). The blocks are exactly
    the pipeline's (same transformers, same weights), so scores equal fitting the full
    pipeline each time.
    """

    def __init__(self, rows: TrainingRows, train: np.ndarray, test: np.ndarray,
                 cues: dict[str, list[str]]) -> None:
        self.train_texts = [rows.texts[i] for i in train]
        self.test_texts = [rows.texts[i] for i in test]
        self.cues = cues
        self.blocks: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}

    def _block(self, key: tuple[Any, ...], transformer: Any) -> tuple[Any, Any, Any]:
        if key not in self.blocks:
            fitted = transformer.fit(self.train_texts)
            self.blocks[key] = (fitted, fitted.transform(self.train_texts),
                                fitted.transform(self.test_texts))
        return self.blocks[key]

    def matrices(self, params: dict[str, Any]) -> tuple[Any, Any, list[tuple[str, Any, int]]]:
        union = build_features(self.cues, **_features_only(params))
        weights = union.transformer_weights or {}
        parts, blocks = [], []
        for name, transformer in union.transformer_list:
            key = (name, repr(sorted(transformer.get_params(deep=False).items(), key=str)))
            fitted, train_x, test_x = self._block(key, transformer)
            w = weights.get(name, 1.0)
            parts.append((train_x * w, test_x * w))
            blocks.append((name, fitted, train_x.shape[1]))
        return (sp.hstack([p[0] for p in parts], format="csr"),
                sp.hstack([p[1] for p in parts], format="csr"), blocks)


def out_of_fold(rows: TrainingRows, params: dict[str, Any], cues: dict[str, list[str]],
                splits: list[tuple[np.ndarray, np.ndarray]],
                tick: Callable[[], None] | None = None,
                cache: list[_FoldFeatures] | None = None) -> np.ndarray:
    """Out-of-fold probabilities (uncalibrated) for the rows tested in ``splits`` (NaN elsewhere)."""
    cache = cache or [_FoldFeatures(rows, tr, te, cues) for tr, te in splits]
    weights = rows.weights(_param(params, "labelled_weight"))
    P = np.full(rows.Y.shape, np.nan)
    for (train, test), fold in zip(splits, cache, strict=True):
        X_train, X_test, blocks = fold.matrices(params)
        masks = cue_masks(blocks, rows.frame_ids, _param(params, "cue_mode"))
        classifier = FrameClassifier(C=_param(params, "C"), masks=masks)
        classifier.fit(X_train, rows.Y[train], sample_weight=weights[train])
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


@dataclass
class Selection:
    """What a search over the grid chose: settings, calibration, thresholds, and its score."""

    params: dict[str, Any]
    scaling: np.ndarray
    thresholds: np.ndarray
    score: float
    oof: np.ndarray  # calibrated out-of-fold probabilities of the tested rows
    tested: np.ndarray


FoldCache = dict[tuple[bytes, bytes], _FoldFeatures]


def _fold_features(rows: TrainingRows, train: np.ndarray, test: np.ndarray,
                   cues: dict[str, list[str]], shared: FoldCache | None) -> _FoldFeatures:
    """A fold's feature cache, shared across calls through ``shared`` (same rows and cues)."""
    if shared is None:
        return _FoldFeatures(rows, train, test, cues)
    key = (train.tobytes(), test.tobytes())
    if key not in shared:
        shared[key] = _FoldFeatures(rows, train, test, cues)
    return shared[key]


def select(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]],
           splits: list[tuple[np.ndarray, np.ndarray]],
           tick: Callable[[], None] | None = None, shared: FoldCache | None = None) -> Selection:
    """Best settings by out-of-fold mean average precision; then Platt scaling fitted on
    their out-of-fold scores, and thresholds chosen on the calibrated ones.

    ``shared`` keeps fitted feature blocks across calls on the same rows and cues (a benchmark
    comparing grids); it grows with every fold seen, so pass it only where memory allows.
    """
    tested = np.concatenate([te for _, te in splits])
    best: tuple[float, dict[str, Any], np.ndarray] | None = None
    cache = [_fold_features(rows, tr, te, cues, shared) for tr, te in splits]
    for params in grid_settings(grid):
        P = out_of_fold(rows, params, cues, splits, tick, cache)
        score = selection_score(rows.Y[tested], P[tested])
        if best is None or score > best[0] + 1e-12:
            best = (score, params, P)
    assert best is not None
    score, params, P = best
    Y = rows.Y[tested].astype(bool)
    scaling = platt_scaling(Y, P[tested])
    calibrated = apply_scaling(P[tested], scaling)
    return Selection(params, scaling, choose_thresholds(Y, calibrated), score, calibrated, tested)


def calibration_errors(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> tuple[float, float]:
    """Brier score and expected calibration error (equal-width bins, weighted by count)."""
    brier = float(brier_score_loss(y, p)) if len(y) else 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            ece += inside.mean() * abs(float(y[inside].mean()) - float(p[inside].mean()))
    return brier, float(ece)


def report(Y: np.ndarray, pred: np.ndarray, frame_ids: list[str],
           P: np.ndarray | None = None) -> dict[str, Any]:
    """Precision, recall, F1 and support per frame, with micro and macro averages; with
    probabilities ``P`` also each frame's Brier score and expected calibration error."""
    per = precision_recall_fscore_support(Y, pred, average=None, zero_division=0,
                                          labels=range(len(frame_ids)))
    frames = {f: {"precision": float(per[0][k]), "recall": float(per[1][k]),
                  "f1": float(per[2][k]), "support": int(per[3][k]),
                  "few_examples": bool(per[3][k] < MIN_EXAMPLES)}
              for k, f in enumerate(frame_ids)}
    if P is not None:
        for k, f in enumerate(frame_ids):
            brier, ece = calibration_errors(Y[:, k], P[:, k])
            frames[f].update(brier=round(brier, 4), ece=round(ece, 4))
    averages = {}
    for kind in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(Y, pred, average=kind, zero_division=0)
        averages[kind] = {"precision": float(p), "recall": float(r), "f1": float(f),
                          "support": int(Y.sum())}
    if P is not None:
        brier, ece = calibration_errors(Y.ravel(), P.ravel())
        averages["micro"].update(brier=round(brier, 4), ece=round(ece, 4))
    return {"frames": frames, **averages}


def _inner_splits(rows: TrainingRows, train: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Selection folds over the training part of an outer fold, as indices into ``rows``."""
    sub = _subset(rows, train)
    testable = sub.origin != EXAMPLE
    if not testable.any():
        return []
    test = tuple(o for o in (LABELLED, CORPUS) if (sub.origin == o).any())
    if sub.grouped or LABELLED not in test:
        if len({sub.groups[i] for i in np.flatnonzero(testable)}) < 2:
            return []
    elif int(testable.sum()) < UNGROUPED_FOLDS:
        # An outer fold of 5-6 ungrouped texts trains on 4: too few for inner folds, so fall
        # back as for a single article instead of failing on data the outer check accepted.
        return []
    inner = folds(sub, test)
    return [(train[tr], train[te]) for tr, te in inner]


def _subset(rows: TrainingRows, index: np.ndarray) -> TrainingRows:
    return TrainingRows([rows.texts[i] for i in index], rows.Y[index],
                        [rows.groups[i] for i in index], rows.origin[index],
                        rows.frame_ids, rows.grouped)


def selection_folds(rows: TrainingRows) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds that choose the final model's settings: labelled and corpus rows tested."""
    return _inner_splits(rows, np.arange(len(rows.texts))) or folds(rows)


def _fits(rows: TrainingRows, grid: dict[str, list[Any]], test: tuple[str, ...]) -> int:
    """How many classifier fits a nested CV over ``test`` rows makes (for progress)."""
    settings = len(grid_settings(grid))
    return sum(settings * max(len(_inner_splits(rows, tr)), 1) + 1 for tr, _ in folds(rows, test))


def nested_cv(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]],
              progress: Progress | None = None, test: tuple[str, ...] = (LABELLED,),
              tick: Callable[[], None] | None = None, shared: FoldCache | None = None,
              keep_probabilities: bool = False) -> dict[str, Any]:
    """Honest scores: for each held-out article (or group fold), choose settings, calibration
    and thresholds on the other articles only, then predict the held-out rows. Selection is
    inside the loop, so the scores do not flatter the chosen settings."""
    outer = folds(rows, test)
    if tick is None:
        total, done = _fits(rows, grid, test), 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total)

    pred = np.zeros_like(rows.Y)
    probability = np.zeros(rows.Y.shape)
    for train, held_out in outer:
        inner = _inner_splits(rows, train)
        if inner:
            chosen = select(rows, cues, grid, inner, tick, shared)
            params, scaling, thresholds = chosen.params, chosen.scaling, chosen.thresholds
        else:  # a single training article: no inner CV possible, use the first settings
            params = grid_settings(grid)[0]
            scaling = np.tile([1.0, 0.0], (len(rows.frame_ids), 1))
            thresholds = np.full(len(rows.frame_ids), 0.5)
        pipeline = _fit(rows, train, params, cues)
        P = apply_scaling(pipeline.predict_proba([rows.texts[i] for i in held_out]), scaling)
        probability[held_out] = P
        pred[held_out] = (thresholds <= P).astype(np.int8)
        tick()
    tested = np.concatenate([te for _, te in outer])
    result = report(rows.Y[tested], pred[tested], rows.frame_ids, probability[tested])
    what = "labelled (real) texts" if test == (LABELLED,) else "constructed corpus texts"
    result["method"] = (f"nested grouped CV on {what}: {len(outer)} outer folds holding whole "
                        "articles out; settings, calibration and thresholds chosen inside each "
                        "fold; codebook examples only ever in training folds")
    result["nested"] = True
    result["n_test_texts"] = int(len(tested))
    if keep_probabilities:  # for benchmarks that compare systems row by row
        result["tested"], result["probabilities"], result["predictions"] = \
            tested, probability[tested], pred[tested]
    return result


def selection_cv(rows: TrainingRows, chosen: Selection, test: tuple[str, ...]) -> dict[str, Any]:
    """Scores of the chosen settings on the selection folds' out-of-fold predictions.

    Not nested: settings and thresholds were chosen on these same predictions, so the figures
    flatter the model a little. Used when nested CV is skipped on large data.
    """
    keep = np.isin(rows.origin[chosen.tested], test)
    Y, P = rows.Y[chosen.tested][keep], chosen.oof[keep]
    result = report(Y, (chosen.thresholds <= P).astype(np.int8), rows.frame_ids, P)
    result["method"] = ("selection CV, NOT nested (skipped on large data): out-of-fold scores of "
                        "the settings chosen on them; optimistic")
    result["nested"] = False
    result["n_test_texts"] = int(keep.sum())
    return result


def check_trainable(rows: TrainingRows) -> list[str]:
    """Raise for frames with no positive example in the texts; return warnings for rare frames."""
    texts = rows.Y[rows.origin != EXAMPLE]
    empty = [f for k, f in enumerate(rows.frame_ids) if not texts[:, k].any()]
    if empty:
        raise TrainingError(f"frame(s) with no positive example in the labelled data: "
                            f"{', '.join(empty)}; label at least one text for each, or train "
                            "without a codebook so frames come from the data")
    return [f"frame '{f}' has {int(n)} labelled example(s), fewer than {MIN_EXAMPLES}: "
            "its scores are unreliable"
            for f, n in zip(rows.frame_ids, texts.sum(axis=0), strict=True) if n < MIN_EXAMPLES]


def search_grid(search: str, *, use_codebook: bool, rows: TrainingRows) -> dict[str, list[Any]]:
    """The grid for a search mode, trimmed of settings that cannot matter for these rows."""
    if search not in SEARCHES:
        raise TrainingError(f"unknown search {search!r}; use one of {', '.join(SEARCHES)}")
    grid = dict(SEARCHES[search]) if use_codebook else dict(PLAIN_GRID)
    if not use_codebook:  # no cues: every cue weight gives the same features
        grid["cue_weight"] = [0.0]
    origins = set(rows.origin.tolist())
    if not {LABELLED, CORPUS} <= origins:  # weighting needs both kinds of text
        grid["labelled_weight"] = [1.0]
    if grid.get("cue_weight") == [0.0]:
        grid["cue_mode"] = ["all"]
    return grid


def train(
    data: LabelledSet,
    codebook: Codebook,
    *,
    grid: dict[str, list[Any]] | None = None,
    search: str = "full",
    nested: bool | None = None,
    use_codebook: bool = True,
    unit: str = "sentence",
    progress: Progress | None = None,
) -> TrainResult:
    """Fit a model on labelled texts.

    Parameters
    ----------
    search:
        ``"full"`` or ``"quick"``: which settings grid to search (``grid`` overrides it).
    nested:
        Score by nested CV (True), or report the selection CV's optimistic figures (False).
        None: nested up to :data:`NESTED_MAX_TEXTS` texts.
    use_codebook:
        Add the codebook's cue block and constructed examples (the default). False trains
        the plain TF-IDF + logistic regression on the labelled texts alone.
    unit:
        ``"sentence"`` or ``"article"``: what one labelled text is.
    progress:
        Called as ``progress(done, total)`` after every fit, over all phases.
    """
    use_codebook = use_codebook and any(f.cues or f.constructed_examples for f in codebook.frames)
    rows = training_rows(data, codebook, use_examples=use_codebook)
    grid = dict(grid) if grid is not None else search_grid(search, use_codebook=use_codebook, rows=rows)
    if not use_codebook:
        grid["cue_weight"] = [0.0]
    rare = check_trainable(rows)
    cues = {f.id: list(f.cues) for f in codebook.frames} if use_codebook else {}
    if nested is None:
        nested = int((rows.origin != EXAMPLE).sum()) <= NESTED_MAX_TEXTS
    reports = [t for t in ((LABELLED,), (CORPUS,)) if (rows.origin == t[0]).any()]

    splits = selection_folds(rows)
    total = len(grid_settings(grid)) * len(splits) + 1
    if nested:
        total += sum(_fits(rows, grid, t) for t in reports)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    scores = {t[0]: nested_cv(rows, cues, grid, test=t, tick=tick) for t in reports} if nested else {}
    chosen = select(rows, cues, grid, splits, tick)
    pipeline = _fit(rows, np.arange(len(rows.texts)), chosen.params, cues)
    pipeline[-1].calibrate(chosen.scaling)
    tick()
    if not nested:
        scores = {t[0]: selection_cv(rows, chosen, t) for t in reports}
    cv = scores.get(LABELLED) or scores[CORPUS]
    cv_constructed = scores.get(CORPUS) if LABELLED in scores else None

    counts = {f: {"labelled": int(rows.Y[rows.origin == LABELLED][:, k].sum()),
                  "corpus": int(rows.Y[rows.origin == CORPUS][:, k].sum()),
                  "constructed": int(rows.Y[rows.origin == EXAMPLE][:, k].sum())}
              for k, f in enumerate(rows.frame_ids)}
    corpus_rows = rows.origin == CORPUS
    meta = {
        "frame_names": {f.id: f.name for f in codebook.frames},
        "unit": unit,
        # Only a codebook file is recorded: a bare one (Codebook.from_ids) has no path or hash.
        "codebook": ({"path": codebook.path, "sha256": codebook.sha256}
                     if use_codebook and codebook.sha256 is not None else None),
        "labels": {"paths": data.sources, "sha256": data.sha256},
        "examples": {"labelled_texts": int((rows.origin == LABELLED).sum()),
                     "articles": len({g for g, o in zip(rows.groups, rows.origin, strict=True)
                                      if o == LABELLED}),
                     "corpus_texts": int(corpus_rows.sum()),
                     "corpus_articles": len(set(np.asarray(rows.groups)[corpus_rows].tolist())),
                     "constructed_texts": int((rows.origin == EXAMPLE).sum()), "per_frame": counts},
        "hyperparameters": {k: list(v) if isinstance(v, tuple) else v for k, v in chosen.params.items()},
        "search": {"mode": search if grid is None or grid == SEARCHES.get(search) else "custom",
                   "grid": {k: [list(x) if isinstance(x, tuple) else x for x in v]
                            for k, v in grid.items()},
                   "score": "mean average precision over out-of-fold predictions",
                   "best": round(chosen.score, 4), "nested_cv": bool(nested)},
        "calibration": {"method": "Platt scaling on out-of-fold scores, folded into the weights",
                        "scaling": {f: [round(float(a), 6), round(float(b), 6)]
                                    for f, (a, b) in zip(rows.frame_ids, chosen.scaling, strict=True)}},
        "cv": cv,
        "cv_constructed": cv_constructed,
        "segmenter": segmenter_info(),
        "versions": environment(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    model = Model(pipeline=pipeline, frame_ids=rows.frame_ids, thresholds=chosen.thresholds, meta=meta)
    return TrainResult(model=model, params=chosen.params, cv=cv, counts=counts, warnings=rare,
                       cv_constructed=cv_constructed)
