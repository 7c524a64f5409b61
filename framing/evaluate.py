"""Evaluation: honest scores by grouped cross-validation, or a trained model on a test file."""

from __future__ import annotations

from typing import Any

import numpy as np

from framing.codebook import Codebook
from framing.errors import LabelError
from framing.labels import LabelledSet
from framing.model import Model
from framing.train import (
    CORPUS,
    LABELLED,
    Progress,
    check_trainable,
    nested_cv,
    report,
    search_grid,
    training_rows,
)


def cross_validate(
    data: LabelledSet,
    codebook: Codebook,
    *,
    grid: dict[str, list[Any]] | None = None,
    search: str = "full",
    use_codebook: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Per-frame precision, recall, F1, support and calibration by nested grouped CV.

    Whole articles are held out; settings, calibration and thresholds are chosen inside each
    fold; constructed examples are only ever in training folds. The scores are on the
    labelled (real) texts; on the constructed corpus only when there are no labelled texts.
    """
    use_codebook = use_codebook and any(f.cues or f.constructed_examples for f in codebook.frames)
    rows = training_rows(data, codebook, use_examples=use_codebook)
    grid = dict(grid) if grid is not None else search_grid(search, use_codebook=use_codebook, rows=rows)
    if not use_codebook:
        grid["cue_weight"] = [0.0]
    check_trainable(rows)
    cues = {f.id: list(f.cues) for f in codebook.frames} if use_codebook else {}
    test = (LABELLED,) if (rows.origin == LABELLED).any() else (CORPUS,)
    result = nested_cv(rows, cues, grid, progress, test=test)
    result["grouped"] = data.grouped
    return result


def evaluate_model(model: Model, data: LabelledSet) -> dict[str, Any]:
    """Score a trained model, with its own thresholds, on separately labelled texts."""
    unknown = sorted({f for fs in data.frames for f in fs} - set(model.frame_ids))
    if unknown:
        raise LabelError(f"{', '.join(data.sources)}: frame(s) {', '.join(unknown)} are not "
                         f"frames of this model ({', '.join(model.frame_ids)})")
    column = {f: k for k, f in enumerate(model.frame_ids)}
    Y = np.zeros((len(data), len(model.frame_ids)), dtype=np.int8)
    for row, fs in enumerate(data.frames):
        for f in fs:
            Y[row, column[f]] = 1
    pred = (model.predict_proba(data.texts) >= model.thresholds).astype(np.int8)
    result = report(Y, pred, model.frame_ids)
    result["method"] = f"model {model.path} on {', '.join(data.sources)} with its own thresholds"
    result["n_test_texts"] = len(data)
    return result
