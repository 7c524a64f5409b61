"""framing.evaluate: nested grouped cross-validation, and a trained model on a test file."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from framing.errors import LabelError, OutputError
from framing.evaluate import cross_validate, evaluate_model, run_cv, write_predictions
from framing.labels import load_training_data, read_labelled
from framing.model import Model, save_model
from framing.train import FoldSpec, report

SCORES = {"precision", "recall", "f1", "support", "few_examples", "brier", "ece"}
WriteTable = Callable[..., Path]


def test_cross_validate_reports_every_frame_and_both_averages(toy_labels: Path,
                                                              toy_codebook: Path) -> None:
    data, book = load_training_data(toy_labels, toy_codebook)
    result = cross_validate(data, book, grid={"C": [1.0], "cue_weight": [1.0]})
    assert list(result["frames"]) == ["prices", "terror", "talks"]
    for scores in result["frames"].values():
        assert set(scores) == SCORES
        assert 0.0 <= scores["precision"] <= 1.0 and 0.0 <= scores["recall"] <= 1.0
    assert set(result["micro"]) == {"precision", "recall", "f1", "support", "brier", "ece"}
    assert set(result["macro"]) == {"precision", "recall", "f1", "support"}
    for scores in result["frames"].values():
        assert 0.0 <= scores["brier"] <= 1.0 and 0.0 <= scores["ece"] <= 1.0
    assert result["grouped"] is True
    assert result["method"].startswith("nested grouped CV on labelled (real) texts: 4 outer folds "
                                       "holding whole articles out")
    # Constructed examples are never tested: support counts the real labelled texts only.
    assert len(book.frame("talks").constructed_examples) == 2
    assert result["n_test_texts"] == len(data) == 32
    assert {f: s["support"] for f, s in result["frames"].items()} == data.counts()
    assert result["micro"]["support"] == sum(data.counts().values()) == 32
    assert not any(s["few_examples"] for s in result["frames"].values())


def test_cross_validate_scores_agree_with_the_per_frame_counts(toy_labels: Path,
                                                               toy_codebook: Path) -> None:
    data, book = load_training_data(toy_labels, toy_codebook)
    result = cross_validate(data, book, grid={"C": [1.0]})
    frames = result["frames"].values()
    assert result["macro"]["f1"] == pytest.approx(np.mean([s["f1"] for s in frames]))
    for s in frames:
        if s["precision"] + s["recall"]:
            assert s["f1"] == pytest.approx(2 * s["precision"] * s["recall"]
                                            / (s["precision"] + s["recall"]))


def test_cross_validate_without_codebook_flags_few_examples(
        tmp_path: Path, toy_rows: list[dict[str, str]], write_table: WriteTable) -> None:
    rows = [r for r in toy_rows if "talks" not in r["frames"] or r["article"] in ("a1", "a2")]
    data, book = load_training_data(write_table(tmp_path / "few.csv", rows))
    result = cross_validate(data, book, grid={"C": [1.0]}, use_codebook=False)
    assert result["frames"]["talks"]["support"] == 4
    assert result["frames"]["talks"]["few_examples"] is True
    assert result["frames"]["prices"]["few_examples"] is False


def test_report_counts_precision_recall_and_f1() -> None:
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    pred = np.array([[1, 0], [0, 0], [0, 1], [1, 1]])
    result = report(Y, pred, ["a", "b"])
    assert result["frames"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2,
                                     "few_examples": True}
    assert result["frames"]["b"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3),
                                     "support": 1, "few_examples": True}
    assert result["micro"] == {"precision": 0.5, "recall": pytest.approx(2 / 3),
                               "f1": pytest.approx(4 / 7), "support": 3}
    assert result["macro"]["f1"] == pytest.approx((0.5 + 2 / 3) / 2)


def test_evaluate_model_scores_a_test_file_with_the_models_thresholds(
        toy_model: Model, tmp_path: Path, write_table: WriteTable) -> None:
    rows = [
        {"text": "Fuel prices in Tashkent doubled and wages fell.", "frames": "prices"},
        {"text": "Officials in Tashkent called the marchers terrorists.", "frames": "terror"},
        {"text": "Elders in Tashkent urged calm and offered talks.", "frames": "talks"},
        {"text": "In Tashkent, terrorists were blamed for the fuel prices.", "frames": "terror;prices"},
        {"text": "The weather in Tashkent was mild.", "frames": ""},
    ]
    path = write_table(tmp_path / "test.csv", rows)
    toy_model.thresholds = np.array([0.999, 0.001, 0.5])  # far from 0.5, to show they are used
    model_dir = save_model(toy_model, tmp_path / "model")
    result = evaluate_model(toy_model, read_labelled(path))
    assert result["method"] == f"model {model_dir} on {path} with its own thresholds"
    assert result["n_test_texts"] == 5
    assert {f: s["support"] for f, s in result["frames"].items()} == {"prices": 2, "terror": 2,
                                                                      "talks": 1}
    # the same figures, counted by hand from the model's own decisions
    predicted = toy_model.predict_proba([r["text"] for r in rows]) >= toy_model.thresholds
    for k, frame_id in enumerate(toy_model.frame_ids):
        truth = np.array([frame_id in r["frames"].split(";") for r in rows])
        tp = int((truth & predicted[:, k]).sum())
        precision = tp / predicted[:, k].sum() if predicted[:, k].any() else 0.0
        assert result["frames"][frame_id]["precision"] == pytest.approx(precision)
        assert result["frames"][frame_id]["recall"] == pytest.approx(tp / truth.sum())
    assert result["frames"]["prices"]["recall"] < 1.0  # 0.999: hardly anything is prices
    assert result["frames"]["terror"]["precision"] < 1.0  # 0.001: nearly everything is terror


def test_evaluate_model_refuses_a_frame_the_model_does_not_know(
        toy_model: Model, tmp_path: Path, write_table: WriteTable) -> None:
    path = write_table(tmp_path / "test.csv", [
        {"text": "Fuel prices rose.", "frames": "prices"},
        {"text": "Troops arrived.", "frames": "foreign_troops;peacekeepers"},
    ])
    with pytest.raises(LabelError) as info:
        evaluate_model(toy_model, read_labelled(path))
    assert str(info.value) == (f"{path}: frame(s) foreign_troops, peacekeepers are not frames of "
                               "this model (prices, terror, talks)")


# --- issue 13: framing cv's engine: per-fold and pooled scores, per-row predictions --------


def test_run_cv_gives_pooled_and_per_fold_scores_and_a_prediction_per_row(toy_labels: Path) -> None:
    data, book = load_training_data(toy_labels)
    run = run_cv(data, book, grid={"C": [1.0]}, folds=FoldSpec(n_folds=2, shuffle=True, seed=3))
    scores = run.scores
    assert [f["fold"] for f in scores["folds"]] == ["1", "2"]
    assert sum(f["n_test_texts"] for f in scores["folds"]) == scores["n_test_texts"] == 32
    for fold in scores["folds"]:
        assert set(fold["micro"]) == {"precision", "recall", "f1", "support"}
        assert fold["settings"] == {"C": 1.0, "cue_weight": 0.0}  # no codebook: no cue block
    f1s = [f["micro"]["f1"] for f in scores["folds"]]
    assert scores["fold_micro_f1"]["mean"] == pytest.approx(np.mean(f1s), abs=1e-4)
    assert sorted(p["row"] for p in run.predictions) == sorted(f"toy.csv:{n}" for n in range(2, 34))
    by_row = {p["row"]: p for p in run.predictions}
    first = by_row["toy.csv:2"]
    assert first["text"] == data.texts[0] and first["frames"] == ["prices"]
    assert first["group"] == "toy.csv:a1"
    assert set(first["probabilities"]) == {"prices", "talks", "terror"}
    # each article's rows are in one fold, and pooled scores are those of the predictions
    assert len({(p["group"], p["fold"]) for p in run.predictions}) == 4
    Y = np.array([[f in p["frames"] for f in run.frame_ids] for p in run.predictions])
    pred = np.array([[f in p["predicted"] for f in run.frame_ids] for p in run.predictions])
    assert report(Y, pred, run.frame_ids)["micro"]["f1"] == pytest.approx(scores["micro"]["f1"])
    again = run_cv(data, book, grid={"C": [1.0]}, folds=FoldSpec(n_folds=2, shuffle=True, seed=3))
    assert again.predictions == run.predictions


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_write_predictions(toy_labels: Path, tmp_path: Path, suffix: str) -> None:
    data, book = load_training_data(toy_labels)
    run = run_cv(data, book, grid={"C": [1.0]})
    path = write_predictions(run, tmp_path / f"oof{suffix}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"oof{suffix}", "toy.csv"])  # no temporary
    if suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert records == run.predictions
        return
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ","))
    assert list(rows[0]) == ["row", "group", "fold", "text", "frames", "predicted",
                             "p:prices", "p:talks", "p:terror"]
    assert len(rows) == 32
    first = next(r for r in rows if r["row"] == "toy.csv:9")  # the sentence with two frames
    assert first["frames"] == "prices;terror"


def test_write_predictions_refuses_an_unknown_format(toy_labels: Path, tmp_path: Path) -> None:
    data, book = load_training_data(toy_labels)
    run = run_cv(data, book, grid={"C": [1.0]})
    with pytest.raises(OutputError) as info:
        write_predictions(run, tmp_path / "oof.xlsx")
    assert str(info.value) == (f"{tmp_path / 'oof.xlsx'}: unknown predictions format '.xlsx'; "
                               "use .csv, .tsv or .jsonl")
