"""What to label next (``--order``), and the model's suggestions that active ordering ranks by.

* ``document``: the source's reading order.
* ``random``: one fixed shuffle of all units, reproducible with ``--seed``: an unbiased sample
  for evaluation (label the first N).
* ``active``: uncertainty sampling with diversity. A unit's uncertainty is how close its
  most doubtful frame's probability is to that frame's threshold (1 at the threshold, 0 at
  0 or 1). Among the :data:`WINDOW` most uncertain units still to label, the one from the
  article with the fewest decisions so far comes next, so the queue does not dwell on one
  article.

Updating the model: every ``retrain_every`` labels a background thread refits, for each frame
that has at least :data:`MIN_EACH` positive and negative labels, a logistic regression on the
loaded model's own features plus its log-odds for that frame, so the update starts from the
model and moves with the coder's labels. It is cheap (no cross-validation) and never blocks a
request: the new probabilities replace the old in one assignment when they are ready.
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from framing.annotate.source import Unit

if TYPE_CHECKING:  # pragma: no cover
    from framing.annotate.journal import Decision
    from framing.model import Model

ORDERS = ("active", "random", "document")
WINDOW = 20  # active: the most uncertain units among which diversity picks
MIN_EACH = 2  # an update fits a frame once it has this many positive and negative labels
BATCH = 2048  # units featurised per model call


class Suggestions:
    """Per unit, a probability for each frame the model (or its update) can score.

    ``proba[:, k]`` is NaN for a frame nothing can score yet (not in the model, too few
    labels for an update). ``update`` counts the updates made; 0 is the loaded model.
    """

    def __init__(self, model: Model, units: Sequence[Unit], frame_ids: Sequence[str]) -> None:
        import scipy.sparse as sp

        self.model, self.frame_ids = model, list(frame_ids)
        self.index = {u.key: i for i, u in enumerate(units)}
        texts = [u.text for u in units]
        blocks = [model.features(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)]
        self.X = sp.vstack(blocks).tocsr() if blocks else sp.csr_matrix((0, 0))
        n = len(units)
        self.base = np.full((n, len(self.frame_ids)), np.nan)
        self.thresholds = np.full(len(self.frame_ids), 0.5)
        known = {f: k for k, f in enumerate(model.frame_ids)}
        P = model.proba_from_features(self.X) if n else np.zeros((0, len(known)))
        for j, f in enumerate(self.frame_ids):
            if f in known:
                self.base[:, j] = P[:, known[f]]
                self.thresholds[j] = float(model.thresholds[known[f]])
        self.proba = self.base.copy()
        self.cut = self.thresholds.copy()
        self.update = 0
        self.updated_on = 0
        self.modelled = [f for f in self.frame_ids if f in known]

    def of(self, key: str) -> dict[str, float]:
        """The probabilities of one unit (frames that can be scored)."""
        row = self.proba[self.index[key]]
        return {f: float(row[j]) for j, f in enumerate(self.frame_ids) if not math.isnan(row[j])}

    def threshold(self, frame: str) -> float:
        return float(self.cut[self.frame_ids.index(frame)])

    def uncertainty(self) -> np.ndarray:
        """Per unit, 1 - (distance of the most doubtful frame from its threshold), in 0..1."""
        if not len(self.proba):
            return np.zeros(0)
        span = np.maximum(self.cut, 1 - self.cut)
        closeness = 1 - np.abs(self.proba - self.cut) / span
        closeness = np.where(np.isnan(closeness), -np.inf, closeness)
        best = closeness.max(axis=1)
        return np.where(np.isfinite(best), best, 0.0)

    def refit(self, decisions: Sequence[Decision]) -> None:
        """Update the probabilities from labelled decisions (see the module's docstring)."""
        import scipy.sparse as sp
        from sklearn.linear_model import LogisticRegression

        labelled = [d for d in decisions if d.event == "label" and d.key in self.index]
        rows = np.asarray([self.index[d.key] for d in labelled], dtype=int)
        proba, cut = self.base.copy(), self.thresholds.copy()
        for j, frame in enumerate(self.frame_ids):
            y = np.asarray([frame in d.frames for d in labelled], dtype=int)
            if y.sum() < MIN_EACH or (len(y) - y.sum()) < MIN_EACH:
                continue
            base = self.base[:, j]
            logit = np.zeros(len(base)) if np.isnan(base).all() else \
                np.log(np.clip(base, 1e-4, 1 - 1e-4) / (1 - np.clip(base, 1e-4, 1 - 1e-4)))
            X = sp.hstack([self.X, sp.csr_matrix(logit[:, None])]).tocsr()
            fit = LogisticRegression(C=1.0, class_weight="balanced", solver="liblinear", max_iter=1000)
            fit.fit(X[rows], y)
            proba[:, j] = fit.predict_proba(X)[:, 1]
            cut[j] = 0.5  # balanced classes: 0.5 is where the update is undecided
        self.proba, self.cut = proba, cut  # one assignment each: readers see old or new
        self.update += 1
        self.updated_on = len(labelled)


class Queue:
    """Chooses the next unit to label; knows nothing of the page or the journal."""

    def __init__(self, units: Sequence[Unit], order: str, *, seed: int = 0,
                 suggestions: Suggestions | None = None) -> None:
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
        self.units, self.order, self.suggestions = list(units), order, suggestions
        ranks = list(range(len(self.units)))
        random.Random(seed).shuffle(ranks)
        self.rank = np.asarray(ranks, dtype=float)  # a unit's place in the seeded shuffle
        if order == "random":
            self.sequence = [self.units[i] for i in np.argsort(self.rank, kind="stable")]
        else:
            self.sequence = self.units

    def next(self, decided: set[str], per_article: Counter[str]) -> Unit | None:
        """The next unit with no standing decision, or None when all are decided."""
        if self.order != "active" or self.suggestions is None:
            return next((u for u in self.sequence if u.key not in decided), None)
        open_ = np.asarray([u.key not in decided for u in self.units])
        if not open_.any():
            return None
        u = self.suggestions.uncertainty()
        # most uncertain first; ties broken by the seeded shuffle, so a run is reproducible
        candidates = np.flatnonzero(open_)
        ordered = candidates[np.lexsort((self.rank[candidates], -u[candidates]))][:WINDOW]
        best = min(ordered, key=lambda i: (per_article[self.units[i].article], -u[i], self.rank[i]))
        return self.units[int(best)]


class Updater:
    """Runs :meth:`Suggestions.refit` in a background thread every ``every`` labels."""

    def __init__(self, suggestions: Suggestions, every: int,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        self.suggestions, self.every, self.on_error = suggestions, every, on_error
        self.thread: threading.Thread | None = None
        self.error: str | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def maybe_start(self, decisions: Sequence[Decision], *, force: bool = False) -> bool:
        """Start an update if ``every`` labels came since the last one (and none is running)."""
        labelled = sum(1 for d in decisions if d.event == "label")
        due = labelled - self.suggestions.updated_on >= self.every
        if self.every <= 0 or self.running or not (due or force) or not labelled:
            return False
        snapshot = list(decisions)
        self.thread = threading.Thread(target=self._run, args=(snapshot,), daemon=True,
                                       name="framing-annotate-update")
        self.thread.start()
        return True

    def _run(self, decisions: list[Decision]) -> None:
        try:
            self.suggestions.refit(decisions)
            self.error = None
        except Exception as exc:  # noqa: BLE001 - an update that fails must not stop labelling
            self.error = f"{type(exc).__name__}: {exc}"
            if self.on_error:
                self.on_error(exc)
