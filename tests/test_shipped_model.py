"""The shipped model in models/default: trained on the current labels and codebook, and
reproducible from them. Compared with whatever is committed, never with numbers written here,
so retraining the model (`framing train`) keeps these tests green and a stale model fails them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from framing.codebook import file_sha256, load_codebook
from framing.model import DEFAULT_MODEL, Model, load_model, read_meta
from framing.train import TrainResult

STALE = "models/default is stale; retrain it with `framing train` (no options)"


def seed_texts(repo_root: Path) -> list[str]:
    with open(repo_root / "labels" / "seed_sentences.csv", encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def challenge_texts(repo_root: Path) -> list[str]:
    with open(repo_root / "bench" / "challenge.csv", encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


@pytest.fixture
def shipped() -> Model:
    return load_model()


def test_the_default_model_is_the_one_in_the_repository(repo_root: Path) -> None:
    assert repo_root / "models" / "default" == DEFAULT_MODEL


def test_shipped_model_was_trained_on_the_current_labels(repo_root: Path) -> None:
    meta = read_meta()
    label_files = sorted(str(p.relative_to(repo_root)) for p in (repo_root / "labels").glob("*.csv"))
    assert meta["labels"]["paths"] == label_files, STALE
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
    assert shipped.unit == "sentence"


@pytest.mark.slow
def test_retraining_gives_the_shipped_predictions(retrained: TrainResult, shipped: Model,
                                                  repo_root: Path) -> None:
    for texts in (seed_texts(repo_root), challenge_texts(repo_root)):
        np.testing.assert_allclose(retrained.model.predict_proba(texts), shipped.predict_proba(texts),
                                   atol=1e-9, rtol=0, err_msg=STALE)


@pytest.mark.slow
def test_retraining_gives_the_shipped_thresholds_and_settings(retrained: TrainResult,
                                                              shipped: Model) -> None:
    np.testing.assert_array_equal(retrained.model.thresholds, shipped.thresholds, err_msg=STALE)
    assert retrained.model.frame_ids == shipped.frame_ids
    assert retrained.model.meta["hyperparameters"] == shipped.meta["hyperparameters"], STALE


@pytest.mark.slow
def test_retraining_gives_the_shipped_cross_validated_scores(retrained: TrainResult,
                                                             shipped: Model) -> None:
    cv = shipped.meta["cv"]
    assert retrained.cv["method"] == cv["method"]
    for frame_id, scores in cv["frames"].items():
        assert retrained.cv["frames"][frame_id] == pytest.approx(scores), f"{frame_id}: {STALE}"
    for kind in ("micro", "macro"):
        assert retrained.cv[kind] == pytest.approx(cv[kind]), STALE
