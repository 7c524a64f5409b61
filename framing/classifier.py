"""The classifier: one logistic regression per frame over the shared feature row.

Three things set it apart from scikit-learn's ``OneVsRestClassifier``, each chosen by
cross-validation (see ``bench/recipes.py``) rather than by taste:

* **Own cues only** (``masks``): a frame's regression may be barred from feature columns,
  typically the cue-block columns of *other* frames. With the codebook's cue block shared by
  all frames, "no different from terrorists" moved foreign_instigation through the cue sums,
  and "violent crackdown" moved lethal_force through rights_concern's cues. A barred column
  is zeroed for that frame's fit, so its weight is exactly 0.
* **Sample weights**: hand-labelled real sentences can weigh more than constructed ones.
* **Calibration** (:meth:`FrameClassifier.calibrate`): Platt scaling fitted on out-of-fold
  scores, ``p = expit(a * z + b)`` for a raw decision value ``z``. Because ``z`` is linear in
  the features, the scaling is folded into the weights, so a calibrated model is still
  ``p = expit(x @ w + b)`` per frame: the form a saved model stores.

After fitting, ``coef_`` (frames x features) and ``intercept_`` (frames) define the model;
``estimators_`` holds one estimator per frame (a ``LogisticRegression``, or a
:class:`ConstantFrame` for a frame with one class in training) with the same numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

# Probabilities are clipped this far from 0 and 1 before taking logits for calibration.
_EPS = 1e-6


class ConstantFrame:
    """A frame seen with one class only in training: a constant probability, no weights."""

    def __init__(self, positive: bool, n_features: int) -> None:
        self.coef_ = np.zeros((1, n_features))
        # An infinite intercept makes p exactly 1 or 0, and marks the frame as constant in a
        # saved model (framing.model.linear_layer keeps it).
        self.intercept_ = np.array([np.inf if positive else -np.inf])
        self.classes_ = np.array([0, 1])

    def predict_proba(self, X: Any) -> np.ndarray:
        p = expit(np.full(X.shape[0], self.intercept_[0]))
        return np.column_stack([1 - p, p])


def build_regression(C: float) -> LogisticRegression:  # noqa: N803 - scikit-learn's name
    """One frame's logistic regression: balanced classes, liblinear in the dual.

    The dual is far faster when features outnumber texts, as here (same solution).
    """
    return LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True,
                              max_iter=1000, random_state=0)


class FrameClassifier(ClassifierMixin, BaseEstimator):
    """One balanced logistic regression per frame (multi-label), with optional column masks.

    Parameters
    ----------
    C:
        Inverse regularisation strength, as in ``LogisticRegression``.
    masks:
        Per frame, a boolean array over the feature columns (True = usable), or None for all.
        Set by the training code from the fitted features (see ``framing.features``).
    """

    def __init__(self, C: float = 4.0, masks: Sequence[np.ndarray | None] | None = None) -> None:  # noqa: N803
        self.C = C
        self.masks = masks

    def fit(self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> FrameClassifier:
        X = sp.csr_matrix(X)
        Y = np.asarray(Y)
        n_frames = Y.shape[1]
        masks = list(self.masks) if self.masks is not None else [None] * n_frames
        self.estimators_: list[Any] = []
        for k in range(n_frames):
            y = Y[:, k].astype(np.int8)
            if y.min() == y.max():
                self.estimators_.append(ConstantFrame(bool(y[0]), X.shape[1]))
                continue
            mask = masks[k]
            Xk = X if mask is None else X @ sp.diags(mask.astype(np.float64))
            regression = build_regression(self.C)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Liblinear failed to converge")
                regression.fit(Xk, y, sample_weight=sample_weight)
            self.estimators_.append(regression)
        self.classes_ = np.arange(n_frames)
        self.n_features_in_ = X.shape[1]
        self.calibration_ = np.tile([1.0, 0.0], (n_frames, 1))
        return self

    @property
    def coef_(self) -> np.ndarray:
        """Weights, frames x features (calibration included)."""
        return np.vstack([np.ravel(e.coef_) for e in self.estimators_])

    @property
    def intercept_(self) -> np.ndarray:
        """Intercepts, one per frame (calibration included)."""
        return np.array([float(np.ravel(e.intercept_)[0]) for e in self.estimators_])

    def decision_function(self, X: Any) -> np.ndarray:
        X = sp.csr_matrix(X)
        columns = []
        for e in self.estimators_:
            b = float(np.ravel(e.intercept_)[0])
            # a constant frame: X @ 0 + inf would give nan where X has no entries, so no product
            columns.append(np.full(X.shape[0], b) if not np.isfinite(b)
                           else np.asarray(X @ np.ravel(e.coef_)).ravel() + b)
        return np.column_stack(columns)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each frame (columns in frame order), independently per frame."""
        return np.asarray(expit(self.decision_function(X)), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X) >= 0.5).astype(np.int8)

    def calibrate(self, scaling: np.ndarray) -> FrameClassifier:
        """Fold per-frame Platt scaling ``(a, b)`` into the weights: ``z -> a * z + b``."""
        for estimator, (a, b) in zip(self.estimators_, np.asarray(scaling), strict=True):
            if isinstance(estimator, ConstantFrame):
                continue
            estimator.coef_ = estimator.coef_ * a
            estimator.intercept_ = estimator.intercept_ * a + b
        self.calibration_ = np.asarray(scaling, dtype=np.float64).copy()
        return self


def platt_scaling(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per frame, Platt's ``(a, b)`` mapping out-of-fold probabilities to calibrated ones.

    Fitted by an (almost) unregularised one-feature logistic regression of the label on the
    out-of-fold logit. A frame with one class, or with a slope that is not positive (the
    scores do not rank the frame at all), keeps the identity ``(1, 0)``.
    """
    scaling = np.tile([1.0, 0.0], (Y.shape[1], 1))
    for k in range(Y.shape[1]):
        y = Y[:, k].astype(int)
        if y.min() == y.max():
            continue
        z = logit(np.clip(P[:, k], _EPS, 1 - _EPS)).reshape(-1, 1)
        fit = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000).fit(z, y)
        a, b = float(fit.coef_[0, 0]), float(fit.intercept_[0])
        if a > 0:
            scaling[k] = (a, b)
    return scaling


def apply_scaling(P: np.ndarray, scaling: np.ndarray) -> np.ndarray:
    """Calibrated probabilities from raw ones with per-frame ``(a, b)`` (see :func:`platt_scaling`)."""
    z = logit(np.clip(P, _EPS, 1 - _EPS))
    return np.asarray(expit(z * scaling[:, 0] + scaling[:, 1]), dtype=np.float64)
