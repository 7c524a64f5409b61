"""The shipped model in models/default: trained on the current labels, corpus and codebook, and
reproducible from them. Compared with whatever is committed, never with numbers written here,
so retraining the model (`framing train --out models/default --force`) keeps these tests green
and a stale model fails them. The quick check repeats the final fit with the shipped settings;
the full retraining (nested CV included, minutes) runs with FRAMING_FULL_RETRAIN=1."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

from framing.codebook import file_sha256, load_codebook
from framing.model import DEFAULT_MODEL, Model, load_model, read_meta
from framing.train import TrainResult

STALE = "models/default is stale; retrain it with `framing train --out models/default --force`"
LABEL_FILES = ["labels/seed_sentences.csv", "labels/constructed/sentences.csv"]


def seed_texts(repo_root: Path) -> list[str]:
    with open(repo_root / "labels" / "seed_sentences.csv", encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def challenge_texts(repo_root: Path) -> list[str]:
    """Texts only (never labels) of both constructed challenge sets, as unseen inputs."""
    texts = []
    for path in (repo_root / "bench" / "challenge.csv", repo_root / "bench" / "challenge" / "sentences.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)]
    return texts


@pytest.fixture
def shipped() -> Model:
    return load_model()


def test_the_default_model_is_the_one_in_the_repository(repo_root: Path) -> None:
    assert repo_root / "models" / "default" == DEFAULT_MODEL


def test_shipped_model_was_trained_on_the_current_labels(repo_root: Path) -> None:
    meta = read_meta()
    assert meta["labels"]["paths"] == LABEL_FILES, STALE
    for path, digest in meta["labels"]["sha256"].items():
        assert digest == file_sha256(repo_root / path), f"{path} changed: {STALE}"


def test_shipped_model_was_trained_on_the_current_codebook(repo_root: Path) -> None:
    book = read_meta()["codebook"]
    assert book["path"] == "labels/codebook.toml"
    assert book["sha256"] == file_sha256(repo_root / book["path"]), f"the codebook changed: {STALE}"


def test_shipped_model_loads_and_covers_the_codebook(shipped: Model, codebook_path: Path,
                                                    repo_root: Path) -> None:
    assert shipped.frame_ids == load_codebook(codebook_path).ids, STALE
    assert shipped.meta["examples"]["labelled_texts"] == len(seed_texts(repo_root)), STALE
    with open(repo_root / LABEL_FILES[1], encoding="utf-8", newline="") as fh:
        assert shipped.meta["examples"]["corpus_texts"] == sum(1 for _ in csv.DictReader(fh)), STALE
    assert shipped.unit == "sentence"


@pytest.mark.slow
def test_retraining_gives_the_shipped_predictions(retrained: TrainResult, shipped: Model,
                                                  repo_root: Path) -> None:
    for texts in (seed_texts(repo_root), challenge_texts(repo_root)):
        np.testing.assert_allclose(retrained.model.predict_proba(texts), shipped.predict_proba(texts),
                                   atol=1e-9, rtol=0, err_msg=STALE)


@pytest.mark.slow
def test_retraining_gives_the_shipped_thresholds_calibration_and_settings(retrained: TrainResult,
                                                                          shipped: Model) -> None:
    np.testing.assert_array_equal(retrained.model.thresholds, shipped.thresholds, err_msg=STALE)
    assert retrained.model.frame_ids == shipped.frame_ids
    assert retrained.model.meta["hyperparameters"] == shipped.meta["hyperparameters"], STALE
    assert retrained.model.meta["calibration"] == shipped.meta["calibration"], STALE


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FRAMING_FULL_RETRAIN") != "1",
                    reason="the full retraining (nested CV, minutes) runs with FRAMING_FULL_RETRAIN=1")
def test_full_retraining_gives_the_shipped_cross_validated_scores(repo_root: Path, shipped: Model,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from framing.labels import load_training_data
    from framing.train import train

    monkeypatch.chdir(repo_root)
    data, codebook = load_training_data()
    full = train(data, codebook, search=shipped.meta["search"]["mode"])
    assert full.model.meta["hyperparameters"] == shipped.meta["hyperparameters"], STALE
    for name, shipped_cv in (("cv", shipped.meta["cv"]), ("cv_constructed", shipped.meta["cv_constructed"])):
        cv = full.model.meta[name]
        assert cv["method"] == shipped_cv["method"]
        for frame_id, scores in shipped_cv["frames"].items():
            assert cv["frames"][frame_id] == pytest.approx(scores), f"{name} {frame_id}: {STALE}"
        for kind in ("micro", "macro"):
            assert cv[kind] == pytest.approx(shipped_cv[kind]), STALE
