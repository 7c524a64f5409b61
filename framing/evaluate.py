"""Evaluation: honest scores by grouped cross-validation, or a trained model on a test file."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from framing.atomic import atomic_path
from framing.codebook import Codebook
from framing.errors import LabelError, OutputError, TrainingError
from framing.labels import LabelledSet
from framing.model import Model
from framing.train import (
    CORPUS,
    LABELLED,
    FoldSpec,
    Progress,
    nested_cv,
    plan,
    report,
)

PREDICTION_FORMATS = {".csv": ",", ".tsv": "\t", ".jsonl": None}


@dataclass
class CVRun:
    """A cross-validation: the scores (pooled and per fold) and one prediction per tested row."""

    scores: dict[str, Any]
    predictions: list[dict[str, Any]]
    frame_ids: list[str]
    cue_note: str = ""


def cross_validate(
    data: LabelledSet,
    codebook: Codebook,
    *,
    grid: dict[str, list[Any]] | None = None,
    search: str = "full",
    use_codebook: bool = True,
    progress: Progress | None = None,
    folds: FoldSpec | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Per-frame precision, recall, F1, support and calibration by nested grouped CV.

    Whole articles are held out; settings, calibration and thresholds are chosen inside each
    fold; constructed examples are only ever in training folds. The scores are on the
    labelled (real) texts; on the constructed corpus only when there are no labelled texts.
    """
    return run_cv(data, codebook, grid=grid, search=search, use_codebook=use_codebook,
                  progress=progress, folds=folds, jobs=jobs).scores


def run_cv(
    data: LabelledSet,
    codebook: Codebook,
    *,
    grid: dict[str, list[Any]] | None = None,
    search: str = "full",
    use_codebook: bool = True,
    progress: Progress | None = None,
    folds: FoldSpec | None = None,
    jobs: int = 1,
) -> CVRun:
    """Nested cross-validation as ``framing cv`` runs it: scores pooled over every held-out
    row and per outer fold, and each tested row's out-of-fold probabilities and frames.

    ``folds`` sets the number of folds, shuffling and seed; a fold column in ``data`` sets
    the folds themselves. ``jobs`` runs the outer folds in parallel (same results).
    """
    if jobs < 1:
        raise TrainingError(f"--jobs must be at least 1 (got {jobs})")
    setup = plan(data, codebook, grid=grid, search=search, use_codebook=use_codebook)
    rows = setup.rows
    test = (LABELLED,) if (rows.origin == LABELLED).any() else (CORPUS,)
    result = nested_cv(rows, setup.cues, setup.grid, progress, test=test, keep_probabilities=True,
                       spec=folds, jobs=jobs)
    tested, P, pred, fold_of = (result.pop(k) for k in ("tested", "probabilities", "predictions", "fold_of"))
    result["grouped"] = data.grouped
    result["rows_grouped_with_a_duplicate"] = int(rows.merged_duplicates)
    names = data.row_names()
    predictions = []
    for i, row in enumerate(tested.tolist()):
        predictions.append({
            "row": names[row] if row < len(names) else str(row + 1),
            "group": data.groups[row] if row < len(data) else rows.groups[row],
            "fold": fold_of[i],
            "text": rows.texts[row],
            "frames": [f for k, f in enumerate(rows.frame_ids) if rows.Y[row, k]],
            "predicted": [f for k, f in enumerate(rows.frame_ids) if pred[i, k]],
            "probabilities": {f: round(float(P[i, k]), 6) for k, f in enumerate(rows.frame_ids)},
        })
    return CVRun(scores=result, predictions=predictions, frame_ids=rows.frame_ids,
                 cue_note=setup.cue_note)


def write_predictions(run: CVRun, path: str | Path, separator: str = ";") -> Path:
    """Write one line per tested row (``.csv``, ``.tsv`` or ``.jsonl``), atomically.

    Columns: ``row`` (file:line), ``group``, ``fold``, ``text``, ``frames`` (gold),
    ``predicted``, then one probability column per frame (``p:<frame id>``, JSONL: a
    ``probabilities`` object). In CSV and TSV the frame lists are joined with ``separator``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PREDICTION_FORMATS:
        raise OutputError(f"{path}: unknown predictions format '{suffix}'; use .csv, .tsv or .jsonl")
    delimiter = PREDICTION_FORMATS[suffix]
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        if delimiter is None:
            for record in run.predictions:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            writer.writerow(["row", "group", "fold", "text", "frames", "predicted",
                             *(f"p:{f}" for f in run.frame_ids)])
            for r in run.predictions:
                writer.writerow([r["row"], r["group"], r["fold"], r["text"], separator.join(r["frames"]),
                                 separator.join(r["predicted"]),
                                 *(r["probabilities"][f] for f in run.frame_ids)])
    return path


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
