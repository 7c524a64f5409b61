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

# The regression's settings, shared by build_regression and the direct liblinear fit below.
_TOL = 1e-4  # LogisticRegression's default tolerance
_MAX_ITER = 1000
_RANDOM_STATE = 0

# Training makes thousands of tiny fits (one per frame, setting and fold), and for each one
# LogisticRegression.fit spends about as long validating its parameters and input as liblinear
# spends solving. So the fits call liblinear the way LogisticRegression.fit does inside
# (sklearn.svm._base._fit_liblinear), with the same inputs: class weights, sample weights,
# bias, tolerance, seed and solver type. That binding is private to scikit-learn: if it is
# missing, or its signature or results differ from LogisticRegression's (checked once per
# process, see _direct_fit_agrees), the public LogisticRegression path is used instead. Either
# way the coefficients are the same, bit for bit (tests/test_classifier.py compares them).
try:
    from sklearn.svm import _liblinear
    from sklearn.svm._base import _get_liblinear_solver_type

    _train_wrap: Any = _liblinear.train_wrap
    _set_verbosity: Any = _liblinear.set_verbosity_wrap
    _SOLVER_TYPE = _get_liblinear_solver_type("ovr", "l2", "logistic_regression", True)
    # _fit_liblinear draws liblinear's seed from check_random_state(random_state)
    _SEED = int(np.random.RandomState(_RANDOM_STATE).randint(np.iinfo("i").max))
except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover - other versions
    _train_wrap = None
_direct_checked: bool | None = None  # None: not checked yet in this process


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
                              max_iter=_MAX_ITER, random_state=_RANDOM_STATE, tol=_TOL)


def fit_regression(X: sp.csr_matrix, y: np.ndarray, C: float,  # noqa: N803
                   sample_weight: np.ndarray | None = None) -> LogisticRegression:
    """:func:`build_regression` fitted on ``X`` (canonical float64 CSR) and 0/1 labels ``y``.

    The same coefficients as ``build_regression(C).fit(X, y, sample_weight)``, bit for bit,
    through liblinear directly when that is known to agree (see ``_train_wrap`` above).
    """
    if _direct_ok():
        try:
            return _fit_direct(X, y, C, sample_weight)
        except (TypeError, ValueError):  # pragma: no cover - a changed private binding
            _disable_direct()
    return _fit_public(X, y, C, sample_weight)


def _fit_public(X: Any, y: np.ndarray, C: float,  # noqa: N803
                sample_weight: np.ndarray | None) -> LogisticRegression:
    regression = build_regression(C)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Liblinear failed to converge")
        regression.fit(X, y, sample_weight=sample_weight)
    return regression


def _fit_direct(X: sp.csr_matrix, y: np.ndarray, C: float,  # noqa: N803
                sample_weight: np.ndarray | None) -> LogisticRegression:
    """What LogisticRegression.fit and _fit_liblinear do for this one configuration."""
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) != 2:
        raise ValueError("a frame's regression needs both classes")
    y_index = (y == classes[1]).astype(np.float64)  # LabelEncoder's 0/1, as doubles
    weights = (np.ones(X.shape[0], dtype=np.float64) if sample_weight is None
               else np.asarray(sample_weight, dtype=np.float64))
    # compute_class_weight("balanced", ..., sample_weight): total weight / (2 * class weight)
    counts = np.bincount(y_index.astype(np.intp), weights=weights, minlength=2)
    class_weight = np.sum(counts) / (2 * counts)
    _set_verbosity(0)  # liblinear's print switch is global: _fit_liblinear sets it every fit
    raw_coef, n_iter = _train_wrap(X, y_index, True, _SOLVER_TYPE, _TOL, 1.0, C, class_weight,
                                   _MAX_ITER, _SEED, 0.1, weights)
    regression = build_regression(C)
    regression.coef_ = raw_coef[:, :-1]
    regression.intercept_ = 1.0 * raw_coef[:, -1]  # intercept_scaling 1
    regression.n_iter_ = n_iter
    regression.classes_ = classes
    regression.n_features_in_ = X.shape[1]
    return regression


def _direct_ok() -> bool:
    """Whether the direct fit is available and agrees with LogisticRegression (checked once)."""
    global _direct_checked
    if _train_wrap is None:
        return False
    if _direct_checked is None:
        try:
            _direct_checked = _direct_fit_agrees()
        except (TypeError, ValueError):  # pragma: no cover - a changed private binding
            _direct_checked = False
    return _direct_checked


def _disable_direct() -> None:  # pragma: no cover - a changed private binding
    global _direct_checked
    _direct_checked = False


def _direct_fit_agrees() -> bool:
    """Fit a small weighted problem both ways: equal coefficients mean the binding is the one
    this module was written for."""
    rng = np.random.RandomState(0)
    X = sp.random(40, 30, density=0.2, format="csr", random_state=rng)
    X.sort_indices()
    y = (rng.rand(40) < 0.3).astype(np.int8)
    y[:2] = (0, 1)
    weights = rng.choice([1.0, 3.0], size=40)
    direct = _fit_direct(X, y, 4.0, weights)
    public = _fit_public(X, y, 4.0, weights)
    return bool(np.array_equal(direct.coef_, public.coef_)
                and np.array_equal(direct.intercept_, public.intercept_))


def mask_columns(X: sp.csr_matrix, mask: np.ndarray | None) -> sp.csr_matrix:
    """``X`` in canonical CSR form, with the entries of columns where ``mask`` is False removed.

    The matrix LogisticRegression received from ``X @ sp.diags(mask)`` (a product drops the
    zeros it makes; scikit-learn then sorts the indices), without the product: the same
    values in the same order, so liblinear's sums are the same.
    """
    X = _canonical(X)
    return X if mask is None else _masked(X, mask, _entry_rows(X))


def _canonical(X: Any) -> sp.csr_matrix:
    """Float64 CSR with sorted indices and no duplicates (what scikit-learn hands liblinear)."""
    X = sp.csr_matrix(X, dtype=np.float64)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def _entry_rows(X: sp.csr_matrix) -> np.ndarray:
    """The row of each stored entry of ``X``."""
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))


def _masked(X: sp.csr_matrix, mask: np.ndarray, rows: np.ndarray) -> sp.csr_matrix:
    """:func:`mask_columns` of a canonical ``X``, given :func:`_entry_rows`."""
    keep = np.asarray(mask, dtype=bool)[X.indices] & (X.data != 0)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=X.shape[0]))])
    masked = sp.csr_matrix((X.data[keep], X.indices[keep], indptr.astype(X.indices.dtype)),
                           shape=X.shape)
    masked.has_sorted_indices = True
    return masked


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
        X = _canonical(X)  # once for all frames, not in every fit
        rows = _entry_rows(X)
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
            Xk = X if mask is None else _masked(X, mask, rows)
            self.estimators_.append(fit_regression(Xk, y, self.C, sample_weight))
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
