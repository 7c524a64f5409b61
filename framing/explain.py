"""Why the model says so: each feature's contribution (coefficient x feature value).

A frame's log-odds is its classifier's intercept plus the sum of contributions of the
features present in the text, so the largest contributions are the terms that pushed the
frame up, and the most negative ones the terms that pushed it down.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from framing.featurise import Rows
from framing.model import Model

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse as sp

_NUMBER_TOKEN = re.compile(r"\b0\b")  # numbers are folded to "0" by features.normalise


@dataclass(frozen=True)
class Term:
    """One feature's push on one frame: a readable name and its contribution to the log-odds."""

    term: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "weight": round(self.weight, 4)}


@dataclass
class FrameExplanation:
    """A frame's probability for a text and the terms behind it."""

    frame: str
    name: str
    probability: float
    threshold: float
    intercept: float
    up: list[Term] = field(default_factory=list)
    down: list[Term] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return self.probability >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {"frame": self.frame, "name": self.name, "probability": round(self.probability, 4),
                "threshold": round(self.threshold, 4), "present": self.present,
                "intercept": round(self.intercept, 4),
                "up": [t.to_dict() for t in self.up], "down": [t.to_dict() for t in self.down]}


def readable(feature: str) -> str:
    """A feature name as a user reads it: ``words__fire without`` -> ``fire without``."""
    block, _, name = feature.partition("__")
    if block == "words":
        return _NUMBER_TOKEN.sub("<number>", name)
    if block == "chars":
        return f"chars '{name}'"
    return name  # cues: "cue 'terrorists'" or "terrorism_label cues"


def contributions(model: Model, row: sp.csr_matrix, column: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature indices present in ``row`` and their contributions to frame ``column``."""
    coef = model.coefficients[column]
    if coef is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    row = row.tocsr()
    return row.indices, row.data * coef[row.indices]


def top_terms(model: Model, row: sp.csr_matrix, column: int, n: int = 5) -> tuple[list[Term], list[Term]]:
    """The ``n`` terms pushing frame ``column`` up most, and the ``n`` pushing it down most.

    Character n-grams that only restate a word already listed are kept: they are real
    features, and hiding them would misstate what the model used.
    """
    indices, weights = contributions(model, row, column)
    return _ranked(model, indices, weights, n)


def _ranked(model: Model, indices: np.ndarray, weights: np.ndarray, n: int) -> tuple[list[Term], list[Term]]:
    order = np.argsort(-weights, kind="stable")
    up = [Term(readable(model.featuriser.feature_name(int(indices[i]))), float(weights[i]))
          for i in order[:n] if weights[i] > 0]
    down = [Term(readable(model.featuriser.feature_name(int(indices[i]))), float(weights[i]))
            for i in order[::-1][:n] if weights[i] < 0]
    return up, down


def batch_terms(model: Model, rows: Rows, pair_rows: Sequence[int], pair_columns: Sequence[int],
                n: int = 5) -> list[list[Term]]:
    """For each pair (row ``pair_rows[j]``, frame column ``pair_columns[j]``), the ``n`` terms
    pushing that frame up most in that row: strongest first, ties in column order (as
    :func:`top_terms` ranks them).

    All pairs of a batch at once, in a few array operations: the scorer asks only for the
    frames it lists, and only for the sentences whose terms are shown.
    """
    p = len(pair_rows)
    if p == 0:
        return []
    which = np.asarray(pair_rows, dtype=np.intp)
    frame = np.asarray(pair_columns, dtype=np.intp)
    starts = rows.indptr[which]
    lengths = rows.indptr[which + 1] - starts
    pair = np.repeat(np.arange(p), lengths)
    entry = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
    columns = rows.indices[entry]
    pushes = rows.data[entry] * model.weights[columns, frame[pair]]
    if rows.sums.shape[1]:
        summed = rows.sums[which]
        sum_pair, sum_index = np.nonzero(summed)
        sum_columns = rows.sum_columns[sum_index]
        pair = np.concatenate([pair, sum_pair])
        columns = np.concatenate([columns, sum_columns])
        pushes = np.concatenate([pushes, summed[sum_pair, sum_index]
                                 * model.weights[sum_columns, frame[sum_pair]]])
    keep = (pushes > 0) & np.isfinite(model.biases)[frame[pair]]  # a constant frame has no terms
    pair, columns, pushes = pair[keep], columns[keep], pushes[keep]
    # Only values reaching their pair's n-th largest can rank: find it with one partition of
    # a (pairs x longest) matrix, keep those (ties included), then sort the few kept.
    grouped = np.argsort(pair.astype(np.uint16) if p < 2**16 else pair, kind="stable")
    pair, columns, pushes = pair[grouped], columns[grouped], pushes[grouped]
    counts = np.bincount(pair, minlength=p)
    position = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
    longest = int(counts.max(initial=0))
    if longest > n:
        table = np.zeros((p, longest))
        table[pair, position] = pushes
        nth = np.partition(table, longest - n, axis=1)[:, longest - n]
        kept = pushes >= nth[pair]
        pair, columns, pushes = pair[kept], columns[kept], pushes[kept]
    order = np.lexsort((columns, -pushes, pair))
    ranked = pair[order]
    first = np.searchsorted(ranked, ranked, side="left")
    top = order[np.arange(len(order)) - first < n]
    names = _names(model)
    out: list[list[Term]] = [[] for _ in range(p)]
    found = zip(pair[top].tolist(), columns[top].tolist(), pushes[top].tolist(), strict=True)
    for j, column, weight in found:
        out[j].append(Term(names[column], weight))
    return out


def row_terms(model: Model, rows: Rows, i: int, columns: Sequence[int], n: int = 5) -> list[list[Term]]:
    """:func:`batch_terms` for frames ``columns`` of row ``i``."""
    return batch_terms(model, rows, [i] * len(columns), columns, n)


class _Names(dict[int, str]):
    """Column -> readable feature name, made on first use."""

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.featuriser = model.featuriser

    def __missing__(self, column: int) -> str:
        found = self[column] = readable(self.featuriser.feature_name(column))
        return found


def _names(model: Model) -> _Names:
    """The model's readable names, memoised on it (the same few are asked for again and again)."""
    memo = getattr(model, "_readable", None)
    if memo is None:
        memo = _Names(model)
        model._readable = memo  # type: ignore[attr-defined]
    return memo


def explain(text: str, *, model: Model | None = None, top: int = 8) -> list[FrameExplanation]:
    """For each frame: probability, threshold, and the terms that pushed it up and down."""
    from framing.model import load_model

    if not isinstance(text, str):
        raise TypeError(f"explain takes a sentence as str, not {type(text).__name__}")
    if model is not None and not isinstance(model, Model):
        raise TypeError(f"model must be a framing.Model (framing.load_model(path) loads one), "
                        f"not {type(model).__name__}")
    model = model or load_model()
    rows = model.rows([text])
    P = model.proba_from_rows(rows)[0]
    indices, values = rows.row(0)
    result = []
    coefficients = model.coefficients
    for k, frame_id in enumerate(model.frame_ids):
        coef = coefficients[k]
        weights = values * coef[indices] if coef is not None else np.zeros(0)
        up, down = _ranked(model, indices if coef is not None else indices[:0], weights, top)
        result.append(FrameExplanation(
            frame=frame_id, name=model.frame_names[frame_id], probability=float(P[k]),
            threshold=float(model.thresholds[k]), intercept=model.intercepts[k], up=up, down=down))
    return result
