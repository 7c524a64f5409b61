"""The per-frame classifier: its direct liblinear fits give LogisticRegression's model, bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from framing import classifier
from framing.classifier import ConstantFrame, FrameClassifier, build_regression, mask_columns
from framing.features import build_features, cue_masks, union_blocks
from framing.labels import load_training_data
from framing.train import LABELLED, training_rows


def reference_fit(X: Any, Y: np.ndarray, C: float, masks: list[np.ndarray | None],  # noqa: N803
                  sample_weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The classifier as it was fitted before the direct path: one scikit-learn
    LogisticRegression per frame on ``X @ diags(mask)``. Returns (coef, intercept)."""
    X = sp.csr_matrix(X)
    coef, intercept = [], []
    for k in range(Y.shape[1]):
        y = Y[:, k].astype(np.int8)
        if y.min() == y.max():
            coef.append(np.zeros(X.shape[1]))
            intercept.append(np.inf if y[0] else -np.inf)
            continue
        mask = masks[k]
        Xk = X if mask is None else X @ sp.diags(mask.astype(np.float64))
        regression = build_regression(C).fit(Xk, y, sample_weight=sample_weight)
        coef.append(regression.coef_.ravel())
        intercept.append(float(regression.intercept_[0]))
    return np.vstack(coef), np.asarray(intercept)


def generated(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, list[np.ndarray | None], np.ndarray]:
    """A small sparse problem: 5 frames (one never positive), masks on two, weights 1 or 3."""
    rng = np.random.RandomState(seed)
    X = sp.random(120, 400, density=0.05, format="csr", random_state=rng)
    Y = (rng.rand(120, 5) < 0.25).astype(np.int8)
    Y[:, 3] = 0
    masks: list[np.ndarray | None] = [None, rng.rand(400) < 0.6, None, None, rng.rand(400) < 0.3]
    weights = rng.choice([1.0, 3.0], size=120)
    return X, Y, masks, weights


def assert_same_model(fitted: FrameClassifier, coef: np.ndarray, intercept: np.ndarray) -> None:
    np.testing.assert_array_equal(fitted.coef_, coef)
    np.testing.assert_array_equal(fitted.intercept_, intercept)


def test_the_direct_liblinear_fit_is_in_use_with_this_scikit_learn() -> None:
    assert classifier._direct_ok()


@pytest.mark.parametrize("weighted", [False, True])
def test_generated_problem_gives_logistic_regressions_model(weighted: bool) -> None:
    X, Y, masks, weights = generated()
    sample_weight = weights if weighted else None
    fitted = FrameClassifier(C=8.0, masks=masks).fit(X, Y, sample_weight=sample_weight)
    assert_same_model(fitted, *reference_fit(X, Y, 8.0, masks, sample_weight))
    assert isinstance(fitted.estimators_[3], ConstantFrame)
    for k in (0, 1, 2, 4):
        estimator = fitted.estimators_[k]
        assert isinstance(estimator, LogisticRegression)
        assert estimator.get_params() == build_regression(8.0).get_params()
        np.testing.assert_array_equal(estimator.classes_, [0, 1])
        assert estimator.n_features_in_ == X.shape[1]


def test_the_public_fallback_gives_the_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    X, Y, masks, weights = generated(1)
    direct = FrameClassifier(C=2.0, masks=masks).fit(X, Y, sample_weight=weights)
    monkeypatch.setattr(classifier, "_train_wrap", None)  # as if the private binding were gone
    public = FrameClassifier(C=2.0, masks=masks).fit(X, Y, sample_weight=weights)
    assert_same_model(direct, public.coef_, public.intercept_)


def test_seed_features_give_logistic_regressions_model() -> None:
    data, book = load_training_data()
    rows = training_rows(data, book)
    cues = {f.id: list(f.cues) for f in book.frames}
    union = build_features(cues, cue_weight=0.25).fit(rows.texts)
    X = union.transform(rows.texts)
    masks = cue_masks(union_blocks(union), rows.frame_ids, "own")
    assert masks is not None and any(not m.all() for m in masks if m is not None)
    weights = np.where(rows.origin == LABELLED, 3.0, 1.0)
    fitted = FrameClassifier(C=32.0, masks=masks).fit(X, rows.Y, sample_weight=weights)
    assert_same_model(fitted, *reference_fit(X, rows.Y, 32.0, list(masks), weights))
    # calibration still folds into the direct fits' weights
    before = fitted.coef_.copy()
    fitted.calibrate(np.tile([2.0, -1.0], (len(rows.frame_ids), 1)))
    np.testing.assert_array_equal(fitted.coef_, before * 2.0)


def test_mask_columns_is_the_product_with_a_diagonal_in_canonical_form() -> None:
    X, _, masks, _ = generated(2)
    X = X.tolil()
    X[0, 0], X[1, 5] = 0.0, 0.0  # explicit zeros are dropped by the product
    X = sp.csr_matrix(X)
    mask = masks[1]
    assert mask is not None
    expected = X @ sp.diags(mask.astype(np.float64))
    expected.sort_indices()
    masked = mask_columns(X, mask)
    assert masked.has_sorted_indices
    np.testing.assert_array_equal(masked.indptr, expected.indptr)
    np.testing.assert_array_equal(masked.indices, expected.indices)
    np.testing.assert_array_equal(masked.data, expected.data)
    assert (mask_columns(X, None) != X).nnz == 0
