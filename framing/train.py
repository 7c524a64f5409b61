"""Training: choose settings by grouped cross-validation, pick per-frame thresholds from
out-of-fold predictions, fit the final pipeline, and score it honestly.

Cross-validation always holds whole articles out (leave one article out up to ten articles,
five group folds beyond). The codebook's constructed examples are added to every training
fold and never appear in a test fold, so every score is on real article text.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Integral
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.metrics import average_precision_score, brier_score_loss, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut
from sklearn.pipeline import Pipeline

from framing.classifier import FrameClassifier, apply_scaling, platt_scaling
from framing.codebook import Codebook
from framing.errors import TrainingError
from framing.features import CueFeatures, build_features, cue_masks, union_blocks
from framing.labels import MIN_EXAMPLES, LabelledSet
from framing.model import Model, environment
from framing.resources import display_path
from framing.segment import segmenter_info

# The settings grids, searched by grouped cross-validation. ``cue_mode`` "own" lets each
# frame use only its own cue columns (see framing.classifier); ``labelled_weight`` weighs the
# hand-labelled real sentences against constructed corpus sentences (only when both are
# there). "full" is what bench/recipes.py compared; "quick" fixes all but C at the values
# "full" chose most often on the shipped data, for large data or a first look.
SEARCHES: dict[str, dict[str, list[Any]]] = {
    # bench/recipes.py, nested grouped CV on seed + corpus (corpus grouped by crisis): own cues
    # beat sharing every cue column (seeds 0.866 vs 0.810 micro-F1, corpus 0.720 vs 0.700) and
    # weighting seed sentences 3x or 10x changed no prediction. Then, by grouped CV on the same
    # training data (never the challenge set), mean average precision rose with C up to about
    # 16-64 and peaked at a cue weight near 0.25 (0.81, against 0.79 at 1.0 and 0.78 at 0).
    # Re-measured on the corpus grown to 3,954 units: this grid 0.86 seeds / 0.78 corpus,
    # own cues with C 1-16 and cue weight 1-2 0.89 / 0.77, no cues 0.83 / 0.76.
    "full": {
        "C": [8.0, 32.0],
        "word_ngrams": [(1, 2)],
        "min_df": [1],
        "cue_weight": [0.25, 0.5],
        "cue_mode": ["own"],
        "labelled_weight": [1.0],
    },
    "quick": {
        "C": [8.0, 32.0],
        "word_ngrams": [(1, 2)],
        "min_df": [1],
        "cue_weight": [0.25],
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
# Cross-validation folds take their TF-IDF blocks from counts shared by all folds
# (TextCounts); False fits every fold's vectorisers from its texts, the reference path (same
# numbers, much slower) that tests and bench/bench_train_cost.py compare with.
SHARE_COUNTS = True

# Where a training row comes from. Hand-labelled texts (the seeds, or a user's file) are
# "labelled"; sentences of the constructed training corpus are "corpus"; the codebook's own
# constructed examples are "example". Scores are reported separately for labelled and
# corpus rows, never pooled, and examples are never tested.
LABELLED, CORPUS, EXAMPLE = "labelled", "corpus", "example"

# ``progress(done, total, phase)``: fits done of all the run's fits, and the phase running.
Progress = Callable[[int, int, str], None]
Tick = Callable[[int], None]  # ``tick(n)``: n more fits done


@dataclass
class TrainingRows:
    """The rows a model is fitted on: labelled texts, corpus texts, then codebook examples."""

    texts: list[str]
    Y: np.ndarray
    groups: list[str]
    origin: np.ndarray
    frame_ids: list[str]
    grouped: bool
    # The user's fold per row ("" for codebook examples), or None: folds made by framing.
    fold: np.ndarray | None = None
    # How many rows were moved into another group because their text occurs there too.
    merged_duplicates: int = 0

    @property
    def constructed(self) -> np.ndarray:
        """True for rows that are not real labelled text (corpus and codebook examples)."""
        return np.asarray(self.origin != LABELLED)

    @property
    def real(self) -> np.ndarray:
        return np.flatnonzero(self.origin == LABELLED)

    @cached_property
    def text_counts(self) -> TextCounts:
        """Term counts of these rows, shared by every fold of a training run."""
        return TextCounts(self.texts)

    @cached_property
    def keys(self) -> list[str]:
        """Each row's text as duplicates are recognised (:func:`duplicate_key`)."""
        return [duplicate_key(t) for t in self.texts]

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
    cue_note: str = ""  # what the codebook contributed: the cue block, or why there is none


@dataclass(frozen=True)
class FoldSpec:
    """How the cross-validation folds are made (``framing cv --folds --seed --shuffle``).

    ``n_folds`` None keeps the default: leave one article out up to
    :data:`LEAVE_ONE_OUT_MAX` articles, five group folds beyond, five folds of texts when
    there are no groups. ``shuffle`` None keeps the default: articles are not shuffled (folds
    balanced by size, as GroupKFold makes them), ungrouped texts are. A fold column of the
    user's own (``LabelledSet.folds``) replaces all of this for the outer folds.
    """

    n_folds: int | None = None
    shuffle: bool | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_folds is not None and self.n_folds < 2:
            raise TrainingError(f"--folds must be at least 2 (got {self.n_folds})")


def duplicate_key(text: str) -> str:
    """The text as duplicates are recognised: case and runs of whitespace ignored."""
    return " ".join(text.split()).casefold()


def merge_duplicate_groups(texts: list[str], groups: list[str],
                           testable: np.ndarray) -> tuple[list[str], int]:
    """Groups in which every copy of a text (see :func:`duplicate_key`) is in the group of its
    first occurrence.

    Cross-validation holds groups out, so a text that occurs in two articles (a repeated
    paragraph, a boilerplate line, the same sentence labelled twice) could be trained on in
    one fold and tested in another: a leak that flatters the scores. Moving the copies into
    the first one's group keeps them in one fold. Only the copies move, not their articles:
    merging whole articles would chain them (A shares a line with B, B with C, ...) until a
    few boilerplate lines put most articles in one group. Only ``testable`` rows are moved.
    Returns the groups and how many rows changed group.
    """
    first: dict[str, int] = {}
    merged = list(groups)
    for i in np.flatnonzero(testable).tolist():
        j = first.setdefault(duplicate_key(texts[i]), i)
        merged[i] = groups[j]
    return merged, sum(1 for a, b in zip(groups, merged, strict=True) if a != b)


def training_rows(data: LabelledSet, codebook: Codebook, *, use_examples: bool = True) -> TrainingRows:
    """Stack the labelled texts (corpus rows marked) and, optionally, the codebook's examples.

    Rows with identical texts are put in one group (see :func:`merge_duplicate_groups`).
    """
    texts, frames, groups = list(data.texts), list(data.frames), list(data.groups)
    origin = [CORPUS if c else LABELLED for c in data.constructed_flags()]
    fold = list(data.folds) if data.folds else None
    if use_examples:
        for frame in codebook.frames:
            for example in frame.constructed_examples:
                texts.append(example)
                frames.append((frame.id,))
                groups.append(CONSTRUCTED_GROUP)
                origin.append(EXAMPLE)
                if fold is not None:
                    fold.append("")
    ids = codebook.ids
    column = {f: i for i, f in enumerate(ids)}
    Y = np.zeros((len(texts), len(ids)), dtype=np.int8)
    for row, fs in enumerate(frames):
        for f in fs:
            Y[row, column[f]] = 1
    origins = np.asarray(origin)
    groups, merged = merge_duplicate_groups(texts, groups, origins != EXAMPLE)
    return TrainingRows(texts, Y, groups, origins, ids, data.grouped,
                        fold=None if fold is None else np.asarray(fold, dtype=object),
                        merged_duplicates=merged)


def _group_split(groups: np.ndarray, grouped: bool, spec: FoldSpec, *,
                 outer: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions into ``groups`` that never split a group."""
    unique = list(dict.fromkeys(groups.tolist()))  # first appearance: no dependence on hashing
    n_groups = len(unique)
    if grouped:
        if n_groups < 2:
            raise TrainingError("grouped cross-validation needs at least 2 articles; "
                                "label sentences of another article")
        k = spec.n_folds or (n_groups if n_groups <= LEAVE_ONE_OUT_MAX else 5)
        if k > n_groups and outer:
            raise TrainingError(f"--folds {k} asks for more folds than there are articles "
                                f"({n_groups}); use --folds {n_groups} or fewer")
        k = min(k, n_groups)
        shuffle = bool(spec.shuffle)
        if k == n_groups and not shuffle:
            return list(LeaveOneGroupOut().split(groups, groups=groups))
        splitter = GroupKFold(n_splits=k, shuffle=shuffle, random_state=spec.seed if shuffle else None)
        return list(splitter.split(groups, groups=groups))
    k = spec.n_folds or UNGROUPED_FOLDS
    if n_groups < k:
        raise TrainingError(f"cross-validation needs at least {k} labelled texts (got {n_groups}"
                            f"{' different' if n_groups < len(groups) else ''})")
    shuffle = True if spec.shuffle is None else spec.shuffle
    # Folds of whole groups (a group here is one text, or identical texts merged), so that with
    # no duplicates this is exactly KFold over the texts.
    position = {g: i for i, g in enumerate(unique)}
    index = np.asarray([position[g] for g in groups.tolist()])
    kfold = KFold(n_splits=k, shuffle=shuffle, random_state=spec.seed if shuffle else None)
    return [(np.flatnonzero(np.isin(index, tr)), np.flatnonzero(np.isin(index, te)))
            for tr, te in kfold.split(np.arange(n_groups))]


def folds(rows: TrainingRows, test: tuple[str, ...] = (LABELLED,), spec: FoldSpec | None = None,
          *, outer: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs. Test folds hold rows of the ``test`` origins only, whole
    articles at a time; every other row (codebook examples always) is in every training fold,
    unless it is a copy of a text tested in that fold.

    The outer folds follow the user's fold column when the rows have one; ``outer=False``
    (folds inside a training part) always makes its own, with ``spec``'s settings, and fewer
    folds when the part has too few articles for ``spec.n_folds``.
    """
    spec = spec or FoldSpec()
    testable = np.flatnonzero(np.isin(rows.origin, test))
    extra = np.flatnonzero(~np.isin(rows.origin, test))
    if outer and rows.fold is not None:
        values = rows.fold[testable]
        names = fold_names(rows, test)
        if len(names) < 2:
            raise TrainingError(f"the fold column gives {len(names)} fold(s); cross-validation "
                                "needs at least 2")
        split = [(np.flatnonzero(values != v), np.flatnonzero(values == v)) for v in names]
    else:
        groups = np.asarray(rows.groups, dtype=object)[testable]
        split = _group_split(groups, rows.grouped or LABELLED not in test, spec, outer=outer)
    out = []
    for tr, te in split:
        # a row of another origin (a corpus sentence, a codebook example) that is a copy of a
        # tested text would train on the answer: leave it out of this fold's training part
        tested = {rows.keys[i] for i in testable[te]}
        kept = np.asarray([i for i in extra if rows.keys[i] not in tested], dtype=int)
        out.append((np.sort(np.concatenate([testable[tr], kept])), testable[te]))
    return out


def fold_names(rows: TrainingRows, test: tuple[str, ...] = (LABELLED,)) -> list[str]:
    """The user's fold values among the ``test`` rows, in order (numbers numerically)."""
    assert rows.fold is not None
    values = set(rows.fold[np.isin(rows.origin, test)].tolist())
    return sorted(values, key=lambda v: (0, int(v), v) if v.lstrip("-").isdigit() else (1, 0, v))


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


class TextCounts:
    """Term counts of every training row, one matrix per vectoriser setting, shared by all folds.

    A fold's TF-IDF block is fitted on its training rows: a vocabulary (terms in enough of
    them), then idf from their counts. Counting n-grams is the slow part, and a row's counts do
    not depend on the fold; so each row is counted once, over the vocabulary of all rows, and a
    fold takes its rows and the columns of its own vocabulary. The counts are the ones the
    fold's own ``CountVectorizer.transform`` makes (same values and order: columns sorted by
    term in both), so the TF-IDF blocks are the same, bit for bit (tests/test_train.py).
    """

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.matrices: dict[str, sp.csr_matrix] = {}

    @staticmethod
    def supports(vectorizer: Any) -> bool:
        """Whether a fold's fit of ``vectorizer`` can be taken from shared counts."""
        return (isinstance(vectorizer, TfidfVectorizer) and not vectorizer.binary
                and vectorizer.max_features is None and isinstance(vectorizer.min_df, Integral)
                and vectorizer.max_df == 1.0 and vectorizer.input == "content")

    def counts(self, vectorizer: TfidfVectorizer) -> sp.csr_matrix:
        """Counts of every row: over the vectoriser's fixed vocabulary, or every term seen."""
        settings = {k: v for k, v in vectorizer.get_params().items()
                    if k not in ("min_df", "max_df", "norm", "use_idf", "smooth_idf", "sublinear_tf")}
        key = repr(sorted(settings.items(), key=str))
        if key not in self.matrices:
            every = clone(vectorizer).set_params(min_df=1, max_df=1.0).fit(self.texts)
            # CountVectorizer.transform: the raw counts a fitted TfidfVectorizer weighs
            self.matrices[key] = CountVectorizer.transform(every, self.texts)
        return self.matrices[key]

    def fit_block(self, vectorizer: TfidfVectorizer, train: np.ndarray,
                  test: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix] | None:
        """TF-IDF of the ``train`` and ``test`` rows, as ``vectorizer`` fitted on the ``train``
        rows would make them; None when the fit would fail (to fail there, as it does)."""
        counts = self.counts(vectorizer)
        train_counts = counts[train]
        if vectorizer.vocabulary is None:  # terms in enough training rows, in term order
            df = np.bincount(train_counts.indices, minlength=counts.shape[1])
            kept = np.flatnonzero((df > 0) & (df >= vectorizer.min_df))
            if len(kept) == 0:
                return None
            train_counts, test_counts = train_counts[:, kept], counts[test][:, kept]
        else:
            test_counts = counts[test]
        for matrix in (train_counts, test_counts):
            matrix.sort_indices()
        tfidf = TfidfTransformer(norm=vectorizer.norm, use_idf=vectorizer.use_idf,
                                 smooth_idf=vectorizer.smooth_idf,
                                 sublinear_tf=vectorizer.sublinear_tf).fit(train_counts)
        return tfidf.transform(train_counts), tfidf.transform(test_counts)


class _FoldFeatures:
    """Feature blocks of one fold, fitted once per block setting and reused across the grid.

    Only the classifier's settings and the cue weight change nothing in the vectorisers (the
    slow part), so each block is fitted once per (block setting, fold), from the counts shared
    by all folds (:class:`TextCounts`) where it can be. The blocks are exactly the pipeline's
    (same transformers, same weights), so scores equal fitting the full pipeline each time.
    """

    def __init__(self, rows: TrainingRows, train: np.ndarray, test: np.ndarray,
                 cues: dict[str, list[str]]) -> None:
        self.rows, self.train, self.test = rows, train, test
        self.cues = cues
        self.shared = shared_counts(rows)
        self.blocks: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}

    def _block(self, key: tuple[Any, ...], transformer: Any) -> tuple[Any, Any, Any]:
        if key not in self.blocks:
            self.blocks[key] = self._from_counts(transformer) or self._fitted(transformer)
        return self.blocks[key]

    def _from_counts(self, transformer: Any) -> tuple[Any, Any, Any] | None:
        if self.shared is None:
            return None
        cue = isinstance(transformer, CueFeatures)
        vectorizer = _counted_vectorizer(transformer)
        if vectorizer is None:
            return None
        made = self.shared.fit_block(vectorizer, self.train, self.test)
        if made is None:
            return None
        train_x, test_x = made
        if cue:
            train_x, test_x = transformer.with_sums(train_x), transformer.with_sums(test_x)
        return transformer, train_x, test_x

    def _fitted(self, transformer: Any) -> tuple[Any, Any, Any]:
        train_texts = [self.rows.texts[i] for i in self.train]
        fitted = transformer.fit(train_texts)
        return (fitted, fitted.transform(train_texts),
                fitted.transform([self.rows.texts[i] for i in self.test]))

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


def shared_counts(rows: TrainingRows) -> TextCounts | None:
    """The rows' :class:`TextCounts`, made on first use and kept with the rows (one training
    run); None where :data:`SHARE_COUNTS` is off."""
    if not SHARE_COUNTS:
        return None
    return rows.text_counts


def warm_counts(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]]) -> None:
    """Count the rows' terms for every vectoriser setting of ``grid`` now, in this process.

    Before tasks go to worker processes: the counts travel with the rows, so each worker
    takes its folds from them instead of counting every text again (the slow part).
    """
    counts = shared_counts(rows)
    if counts is None:
        return
    seen = set()
    for params in grid_settings(grid):
        features = _features_only(params)
        key = repr(sorted(features.items()))
        if key in seen:
            continue
        seen.add(key)
        for _, transformer in build_features(cues, **features).transformer_list:
            vectorizer = _counted_vectorizer(transformer)
            if vectorizer is not None:
                counts.counts(vectorizer)


def _counted_vectorizer(transformer: Any) -> TfidfVectorizer | None:
    """The TF-IDF vectoriser whose fold fits :class:`TextCounts` makes for a feature block (the
    cue block's term vectoriser for :class:`CueFeatures`), or None where it cannot."""
    vectorizer = transformer.structure() if isinstance(transformer, CueFeatures) else transformer
    return vectorizer if TextCounts.supports(vectorizer) else None


def _fold_fits(rows: TrainingRows, train: np.ndarray, test: np.ndarray, settings: list[dict[str, Any]],
               cues: dict[str, list[str]], fold: _FoldFeatures | None = None,
               tick: Tick | None = None) -> list[np.ndarray]:
    """Probabilities (uncalibrated) of the ``test`` rows under each of ``settings``, fitted on
    ``train``: one fold's share of a grid search, the unit of work that ``jobs`` spreads."""
    fold = fold or _FoldFeatures(rows, train, test, cues)
    out = []
    for params in settings:
        X_train, X_test, blocks = fold.matrices(params)
        masks = cue_masks(blocks, rows.frame_ids, _param(params, "cue_mode"))
        classifier = FrameClassifier(C=_param(params, "C"), masks=masks)
        weights = rows.weights(_param(params, "labelled_weight"))
        classifier.fit(X_train, rows.Y[train], sample_weight=weights[train])
        out.append(classifier.predict_proba(X_test))
        if tick:
            tick(1)
    return out


def out_of_fold(rows: TrainingRows, params: dict[str, Any], cues: dict[str, list[str]],
                splits: list[tuple[np.ndarray, np.ndarray]],
                tick: Tick | None = None,
                cache: list[_FoldFeatures] | None = None) -> np.ndarray:
    """Out-of-fold probabilities (uncalibrated) for the rows tested in ``splits`` (NaN elsewhere)."""
    cache = cache or [_FoldFeatures(rows, tr, te, cues) for tr, te in splits]
    P = np.full(rows.Y.shape, np.nan)
    for (train, test), fold in zip(splits, cache, strict=True):
        P[test] = _fold_fits(rows, train, test, [params], cues, fold, tick)[0]
    return P


def run_tasks(func: Callable[..., Any], tasks: list[tuple[Any, ...]], jobs: int,
              tick: Tick | None, weights: list[int]) -> list[Any]:
    """``[func(*args, tick=...) for args in tasks]``, in ``jobs`` processes when above 1.

    Each task is computed whole in one process and the results are put back in task order,
    so the numbers are the same whatever ``jobs`` is. With one job ``tick`` is passed to
    ``func`` (progress after every fit); with several, ``tick(weights[i])`` is called as
    task ``i`` finishes.

    The processes are joblib's reusable loky executor, used directly as ``framing.corpus``
    uses it: ``joblib.Parallel`` expects extra state on that shared executor and fails
    (``_temp_folder_manager``) once corpus scoring has created it.
    """
    if jobs == 1 or len(tasks) < 2:
        return [func(*args, tick=tick) for args in tasks]
    from concurrent.futures import as_completed

    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=min(jobs, len(tasks)))
    futures = {executor.submit(func, *args): i for i, args in enumerate(tasks)}
    results: list[Any] = [None] * len(tasks)
    for future in as_completed(futures):
        i = futures[future]
        results[i] = future.result()
        if tick:
            tick(weights[i])
    return results


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
           tick: Tick | None = None, shared: FoldCache | None = None, *, jobs: int = 1) -> Selection:
    """Best settings by out-of-fold mean average precision; then Platt scaling fitted on
    their out-of-fold scores, and thresholds chosen on the calibrated ones.

    ``jobs`` fits the folds in that many processes (same result). ``shared`` keeps fitted
    feature blocks across calls on the same rows and cues (a benchmark comparing grids, one
    job only); it grows with every fold seen, so pass it only where memory allows.
    """
    tested = np.concatenate([te for _, te in splits])
    settings = grid_settings(grid)
    if jobs == 1:
        per_fold = [_fold_fits(rows, tr, te, settings, cues, _fold_features(rows, tr, te, cues, shared),
                               tick) for tr, te in splits]
    else:
        warm_counts(rows, cues, grid)
        per_fold = run_tasks(_fold_fits, [(rows, tr, te, settings, cues) for tr, te in splits],
                             jobs, tick, [len(settings)] * len(splits))
    best: tuple[float, dict[str, Any], np.ndarray] | None = None
    for s, params in enumerate(settings):
        P = np.full(rows.Y.shape, np.nan)
        for (_, test), fold in zip(splits, per_fold, strict=True):
            P[test] = fold[s]
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


def _inner_splits(rows: TrainingRows, train: np.ndarray,
                  spec: FoldSpec | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Selection folds over the training part of an outer fold, as indices into ``rows``."""
    spec = spec or FoldSpec()
    sub = _subset(rows, train)
    testable = sub.origin != EXAMPLE
    if not testable.any():
        return []
    test = tuple(o for o in (LABELLED, CORPUS) if (sub.origin == o).any())
    n_groups = len({sub.groups[i] for i in np.flatnonzero(testable)})
    if sub.grouped or LABELLED not in test:
        if n_groups < 2:
            return []
    elif n_groups < (spec.n_folds or UNGROUPED_FOLDS):
        # An outer fold of 5-6 ungrouped texts trains on 4: too few for inner folds, so fall
        # back as for a single article instead of failing on data the outer check accepted.
        return []
    inner = folds(sub, test, spec, outer=False)
    return [(train[tr], train[te]) for tr, te in inner]


def _subset(rows: TrainingRows, index: np.ndarray) -> TrainingRows:
    return TrainingRows([rows.texts[i] for i in index], rows.Y[index],
                        [rows.groups[i] for i in index], rows.origin[index],
                        rows.frame_ids, rows.grouped,
                        fold=None if rows.fold is None else rows.fold[index])


def selection_folds(rows: TrainingRows, spec: FoldSpec | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds that choose the final model's settings: labelled and corpus rows tested.

    They follow the user's fold column when there is one (so that, when nested CV is skipped,
    the reported figures are on the user's folds).
    """
    if rows.fold is not None:
        return folds(rows, tuple(o for o in (LABELLED, CORPUS) if (rows.origin == o).any()), spec)
    return _inner_splits(rows, np.arange(len(rows.texts)), spec) or folds(rows, spec=spec)


def _outer_fits(rows: TrainingRows, grid: dict[str, list[Any]], train: np.ndarray,
                spec: FoldSpec | None) -> int:
    return len(grid_settings(grid)) * max(len(_inner_splits(rows, train, spec)), 1) + 1


def _fits(rows: TrainingRows, grid: dict[str, list[Any]], test: tuple[str, ...],
          spec: FoldSpec | None = None) -> int:
    """How many classifier fits a nested CV over ``test`` rows makes (for progress)."""
    return sum(_outer_fits(rows, grid, tr, spec) for tr, _ in folds(rows, test, spec))


def _outer_fold(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]],
                train: np.ndarray, held_out: np.ndarray, spec: FoldSpec | None,
                shared: FoldCache | None = None, *, tick: Tick | None = None
                ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """One outer fold of nested CV: choose on ``train``, fit, predict ``held_out``.

    Returns calibrated probabilities and 0/1 predictions of the held-out rows, and the
    settings chosen.
    """
    inner = _inner_splits(rows, train, spec)
    if inner:
        chosen = select(rows, cues, grid, inner, tick, shared)
        params, scaling, thresholds = chosen.params, chosen.scaling, chosen.thresholds
    else:  # a single training article: no inner CV possible, use the first settings
        params = grid_settings(grid)[0]
        scaling = np.tile([1.0, 0.0], (len(rows.frame_ids), 1))
        thresholds = np.full(len(rows.frame_ids), 0.5)
    # The pipeline _fit(rows, train, params, cues) would make, applied to the held-out texts:
    # the same features and fit (see _FoldFeatures), without fitting the vectorisers again.
    P = apply_scaling(_fold_fits(rows, train, held_out, [params], cues, tick=tick)[0], scaling)
    return P, (thresholds <= P).astype(np.int8), params


def _short(result: dict[str, Any]) -> dict[str, Any]:
    return {k: {m: result[k][m] for m in ("precision", "recall", "f1", "support")}
            for k in ("micro", "macro")}


def nested_cv(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]],
              progress: Progress | None = None, test: tuple[str, ...] = (LABELLED,),
              tick: Tick | None = None, shared: FoldCache | None = None,
              keep_probabilities: bool = False, *, spec: FoldSpec | None = None,
              jobs: int = 1) -> dict[str, Any]:
    """Honest scores: for each held-out article (or group fold), choose settings, calibration
    and thresholds on the other articles only, then predict the held-out rows. Selection is
    inside the loop, so the scores do not flatter the chosen settings.

    The result holds the pooled scores (every held-out row once) at its top level, and the
    scores of each outer fold under ``"folds"``. ``spec`` says how the outer folds are made
    (the user's fold column, if the rows have one, wins); ``jobs`` runs the outer folds in that
    many processes, with the same result as one. ``keep_probabilities`` adds ``tested``,
    ``probabilities``, ``predictions`` and ``fold_of`` (arrays, for per-row outputs).
    """
    if tick is None:
        total, done = _fits(rows, grid, test, spec), 0

        def tick(n: int = 1) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, total, "nested CV")

    return nested_cvs(rows, cues, grid, [test], tick=tick, shared=shared,
                      keep_probabilities=keep_probabilities, spec=spec, jobs=jobs)[test]


def nested_cvs(rows: TrainingRows, cues: dict[str, list[str]], grid: dict[str, list[Any]],
               tests: list[tuple[str, ...]], *, tick: Tick | None = None,
               shared: FoldCache | None = None, keep_probabilities: bool = False,
               spec: FoldSpec | None = None, jobs: int = 1) -> dict[tuple[str, ...], dict[str, Any]]:
    """:func:`nested_cv` for several test sets (the seed articles and the corpus), their outer
    folds run as one pool of tasks: with ``jobs`` processes no worker waits at the end of one
    set's folds while the other set's are still to come. Same results as one call per set."""
    outers = {test: folds(rows, test, spec) for test in tests}
    if jobs > 1:
        shared = None  # a feature cache cannot be shared across processes
        warm_counts(rows, cues, grid)
    tasks = [(rows, cues, grid, tr, te, spec, shared) for test in tests for tr, te in outers[test]]
    weights = [_outer_fits(rows, grid, tr, spec) for test in tests for tr, _ in outers[test]]
    results = run_tasks(_outer_fold, tasks, jobs, tick, weights)
    out, start = {}, 0
    for test in tests:
        n = len(outers[test])
        out[test] = _nested_report(rows, test, outers[test], results[start:start + n], keep_probabilities)
        start += n
    return out


def _nested_report(rows: TrainingRows, test: tuple[str, ...],
                   outer: list[tuple[np.ndarray, np.ndarray]],
                   results: list[tuple[np.ndarray, np.ndarray, dict[str, Any]]],
                   keep_probabilities: bool) -> dict[str, Any]:
    """Pooled and per-fold scores of one test set's outer folds (see :func:`nested_cv`)."""
    pred = np.zeros_like(rows.Y)
    probability = np.zeros(rows.Y.shape)
    fold_of = np.full(len(rows.texts), "", dtype=object)
    names = (fold_names(rows, test) if rows.fold is not None
             else [str(i) for i in range(1, len(outer) + 1)])
    per_fold = []
    for name, (_, held_out), (P, predicted, params) in zip(names, outer, results, strict=True):
        probability[held_out], pred[held_out], fold_of[held_out] = P, predicted, name
        scores = report(rows.Y[held_out], predicted, rows.frame_ids)
        per_fold.append({"fold": name, "n_test_texts": int(len(held_out)), **_short(scores),
                         "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}})
    tested = np.concatenate([te for _, te in outer])
    result = report(rows.Y[tested], pred[tested], rows.frame_ids, probability[tested])
    what = "labelled (real) texts" if test == (LABELLED,) else "constructed corpus texts"
    how = ("from the user's fold column" if rows.fold is not None
           else "holding whole groups out (the constructed corpus is grouped by crisis where its "
                "articles.csv names them)" if test != (LABELLED,)
           else "holding whole articles out" if rows.grouped
           else "holding texts out (no groups; identical texts kept together)")
    result["method"] = (f"nested grouped CV on {what}: {len(outer)} outer folds {how}; settings, "
                        "calibration and thresholds chosen inside each fold; codebook examples "
                        "only ever in training folds")
    result["nested"] = True
    result["n_test_texts"] = int(len(tested))
    result["folds"] = per_fold
    f1s = [f["micro"]["f1"] for f in per_fold]
    result["fold_micro_f1"] = {"mean": round(float(np.mean(f1s)), 4), "sd": round(float(np.std(f1s)), 4)}
    if keep_probabilities:  # for per-row outputs and benchmarks that compare systems row by row
        result["tested"], result["probabilities"], result["predictions"] = \
            tested, probability[tested], pred[tested]
        result["fold_of"] = fold_of[tested]
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


def search_grid(search: str, *, use_codebook: bool, rows: TrainingRows,
                cues: bool | None = None) -> dict[str, list[Any]]:
    """The grid for a search mode, trimmed of settings that cannot matter for these rows.

    ``cues`` (default: ``use_codebook``) says whether there are cue terms; without them every
    cue weight gives the same features, so only 0 is searched.
    """
    if search not in SEARCHES:
        raise TrainingError(f"unknown search {search!r}; use one of {', '.join(SEARCHES)}")
    grid = dict(SEARCHES[search]) if use_codebook else dict(PLAIN_GRID)
    if not (use_codebook if cues is None else cues):
        grid["cue_weight"] = [0.0]
    origins = set(rows.origin.tolist())
    if not {LABELLED, CORPUS} <= origins:  # weighting needs both kinds of text
        grid["labelled_weight"] = [1.0]
    if grid.get("cue_weight") == [0.0]:
        grid["cue_mode"] = ["all"]
    return grid


@dataclass
class Plan:
    """What training or cross-validation will fit: the rows, cues, grid, and what the codebook
    contributes (decided once, before any fitting, for ``train`` and ``framing cv`` alike)."""

    rows: TrainingRows
    cues: dict[str, list[str]]
    grid: dict[str, list[Any]]
    codebook: dict[str, Any] | None
    cue_note: str
    rare: list[str]


def plan(data: LabelledSet, codebook: Codebook, *, grid: dict[str, list[Any]] | None = None,
         search: str = "full", use_codebook: bool = True) -> Plan:
    """Rows, cue terms and settings grid for ``data``; raises for untrainable data.

    A codebook with definitions but no cue terms is still the model's codebook: its path,
    sha256, names and definitions are recorded, its constructed examples (if any) are
    trained on, and the cue block is left out (said so in ``cue_note``, not hidden as a cue
    weight of 0).
    """
    has_cues = use_codebook and codebook.has_cues
    use_examples = use_codebook and codebook.has_examples
    rows = training_rows(data, codebook, use_examples=use_examples)
    if grid is not None:
        grid = dict(grid)
    else:
        grid = search_grid(search, use_codebook=use_codebook and (has_cues or use_examples),
                           rows=rows, cues=has_cues)
    if not has_cues:
        grid["cue_weight"] = [0.0]
        if "cue_mode" in grid:
            grid["cue_mode"] = ["all"]
    rare = check_trainable(rows)
    cues = {f.id: list(f.cues) for f in codebook.frames} if has_cues else {}
    recorded = codebook.sha256 is not None and use_codebook
    if not recorded:
        note = "no codebook: no cue block, no constructed examples"
    elif has_cues:
        note = f"cue block from {codebook.path} ({sum(len(f.cues) for f in codebook.frames)} cue terms)"
    else:
        note = (f"no cue block: the codebook {codebook.path} has no cue terms (its names and "
                "definitions are recorded in the model"
                + (", its constructed examples are trained on)" if use_examples else ")"))
    described = ({**codebook.describe(), "path": display_path(codebook.path) if codebook.path else None,
                  "cue_terms": has_cues, "constructed_examples_used": use_examples}
                 if recorded else None)
    return Plan(rows, cues, grid, described, note, rare)


def _strip_process_state(pipeline: Pipeline) -> Pipeline:
    """Remove what would make two identical fits save differently, in place.

    scikit-learn's text vectorisers cache ``id(self.stop_words)`` (a memory address, so
    different in every process) as ``_stop_words_id`` once they have analysed text; it is a
    cache only, rebuilt on the next transform. Vocabularies are put in sorted order, so that
    a saved mapping does not depend on the order the texts came in.
    """
    union = pipeline[0]
    vectorizers = []
    for _, transformer in union.transformer_list:
        vectorizers.append(transformer)
        inner = getattr(transformer, "vectorizer_", None)  # CueFeatures
        if inner is not None:
            vectorizers.append(inner)
    for vectorizer in vectorizers:
        if hasattr(vectorizer, "_stop_words_id"):
            del vectorizer._stop_words_id
        vocabulary = getattr(vectorizer, "vocabulary_", None)
        if isinstance(vocabulary, dict):
            vectorizer.vocabulary_ = dict(sorted(vocabulary.items()))
    return pipeline


def created_time() -> str:
    """Now in UTC, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds' convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch and epoch.isdigit()
            else dt.datetime.now(dt.timezone.utc))
    return when.isoformat(timespec="seconds")


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
    folds: FoldSpec | None = None,
    jobs: int = 1,
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
        Use the codebook's cue block (when it has cue terms) and constructed examples (the
        default). False trains the plain TF-IDF + logistic regression on the labelled texts.
    unit:
        ``"sentence"`` or ``"article"``: what one labelled text is.
    progress:
        Called as ``progress(done, total, phase)`` as fits finish, over all phases (``"nested
        CV"``, ``"selection"``, ``"final fit"``); ``total`` counts every fit of the run.
    folds:
        How the cross-validation folds are made (default :class:`FoldSpec`); a fold column
        in ``data`` sets the outer folds.
    jobs:
        Processes for the cross-validation fits; the model is the same, byte for byte.

    The saved model is the same, byte for byte, for the same data and settings: nothing in
    the pipeline depends on the process, the time or the number of jobs.
    """
    if jobs < 1:
        raise TrainingError(f"--jobs must be at least 1 (got {jobs})")
    searched = search if grid is None else "custom"
    setup = plan(data, codebook, grid=grid, search=search, use_codebook=use_codebook)
    rows, cues, grid = setup.rows, setup.cues, setup.grid
    if nested is None:
        nested = int((rows.origin != EXAMPLE).sum()) <= NESTED_MAX_TEXTS
    reports: list[tuple[str, ...]] = [t for t in ((LABELLED,), (CORPUS,)) if (rows.origin == t[0]).any()]

    splits = selection_folds(rows, folds)
    n_settings = len(grid_settings(grid))
    total = n_settings * len(splits) + 1
    if nested:
        total += sum(_fits(rows, grid, t, folds) for t in reports)
    done = 0
    phase = "nested CV" if nested else "selection"

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total, phase)

    scores = ({t[0]: result for t, result in
               nested_cvs(rows, cues, grid, reports, tick=tick, spec=folds, jobs=jobs).items()}
              if nested else {})
    phase = "selection"
    chosen = select(rows, cues, grid, splits, tick, jobs=jobs)
    phase = "final fit"
    pipeline = _fit(rows, np.arange(len(rows.texts)), chosen.params, cues)
    pipeline[-1].calibrate(chosen.scaling)
    _strip_process_state(pipeline)
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
    cue_note = setup.cue_note
    if cues and float(chosen.params.get("cue_weight", 1.0)) == 0.0:
        cue_note += "; searched, but cue_weight=0 scored best, so the model has no cue block"
    meta = {
        "frame_names": {f.id: f.name for f in codebook.frames},
        "unit": unit,
        # Only a codebook file is recorded: a bare one (Codebook.from_ids) has no path or hash.
        "codebook": setup.codebook,
        "cue_block": {"used": any(name == "cues" for name, _ in pipeline[0].transformer_list),
                      "note": cue_note},
        "labels": {"paths": [display_path(p) for p in data.sources],
                   "sha256": {display_path(p): digest for p, digest in data.sha256.items()}},
        "examples": {"labelled_texts": int((rows.origin == LABELLED).sum()),
                     "articles": len({data.groups[i] for i in range(len(data))
                                      if rows.origin[i] == LABELLED}),
                     "corpus_texts": int(corpus_rows.sum()),
                     "corpus_groups": len(set(np.asarray(rows.groups)[corpus_rows].tolist())),
                     "constructed_texts": int((rows.origin == EXAMPLE).sum()), "per_frame": counts,
                     "grouped": bool(data.grouped),
                     "rows_grouped_with_a_duplicate": int(rows.merged_duplicates)},
        "hyperparameters": {k: list(v) if isinstance(v, tuple) else v for k, v in chosen.params.items()},
        "search": {"mode": searched,
                   "grid": {k: [list(x) if isinstance(x, tuple) else x for x in v]
                            for k, v in grid.items()},
                   "score": "mean average precision over out-of-fold predictions",
                   "best": round(chosen.score, 4), "nested_cv": bool(nested),
                   "folds": {"n_folds": folds.n_folds, "shuffle": folds.shuffle, "seed": folds.seed}
                   if folds else None,
                   "fold_column": bool(data.folds)},
        "calibration": {"method": "Platt scaling on out-of-fold scores, folded into the weights",
                        "scaling": {f: [round(float(a), 6), round(float(b), 6)]
                                    for f, (a, b) in zip(rows.frame_ids, chosen.scaling, strict=True)}},
        "cv": cv,
        "cv_constructed": cv_constructed,
        "segmenter": segmenter_info(),
        "versions": environment(),
        "created": created_time(),
    }
    model = Model(pipeline=pipeline, frame_ids=rows.frame_ids, thresholds=chosen.thresholds, meta=meta)
    return TrainResult(model=model, params=chosen.params, cv=cv, counts=counts, warnings=setup.rare,
                       cv_constructed=cv_constructed, cue_note=cue_note)
