"""framing.model: saving and loading a model directory, and the metadata it carries."""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

from framing.codebook import file_sha256
from framing.errors import ModelError
from framing.model import (
    FORMAT_VERSION,
    META_FILE,
    MODEL_FILE,
    Model,
    VersionWarning,
    load_model,
    read_meta,
    save_model,
)
from framing.segment import segmenter_info
from framing.train import TrainResult

TEXTS = [
    "Fuel prices in Bishkek rose and the terrorists fled.",
    "Clergy called for negotiations.",
    "Nothing happened.",
    "",
]
RETRAIN = "retrain it with `framing train` or use the shipped model (omit --model)"


@pytest.fixture
def saved(toy_model: Model, tmp_path: Path) -> Path:
    return save_model(toy_model, tmp_path / "model")


def edit_meta(directory: Path, **changes: object) -> None:
    meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    meta.update(changes)
    (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def test_round_trip_gives_identical_predictions(toy_model: Model, tmp_path: Path) -> None:
    before = toy_model.predict_proba(TEXTS)
    directory = save_model(toy_model, tmp_path / "model")
    loaded = load_model(directory)
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), before)
    np.testing.assert_array_equal(loaded.thresholds, toy_model.thresholds)
    assert loaded.frame_ids == toy_model.frame_ids == ["prices", "terror", "talks"]
    assert loaded.frame_names == {"prices": "Prices", "terror": "Terror label", "talks": "Talks"}
    assert loaded.path == directory
    assert loaded.meta == json.loads((directory / META_FILE).read_text(encoding="utf-8"))


def test_save_writes_exactly_two_files_atomically(saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == [META_FILE, MODEL_FILE]


def test_failed_save_leaves_no_temporary_files(toy_model: Model, tmp_path: Path) -> None:
    toy_model.meta["unserialisable"] = object()
    directory = tmp_path / "model"
    with pytest.raises(TypeError, match="not JSON serializable"):
        save_model(toy_model, directory)
    # model.joblib was moved into place whole; meta.json never appeared, and no .tmp file is left.
    assert sorted(p.name for p in directory.iterdir()) == [MODEL_FILE]
    with pytest.raises(ModelError, match="no meta.json"):
        load_model(directory)


def test_meta_describes_the_model(saved: Path, toy_result: TrainResult) -> None:
    meta = read_meta(saved)
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["versions"] == {
        "framing": version("framing"), "scikit-learn": version("scikit-learn"),
        "numpy": version("numpy"), "python": meta["versions"]["python"],
    }
    assert meta["versions"]["python"].count(".") == 2
    assert meta["frame_ids"] == ["prices", "terror", "talks"]
    assert meta["frame_names"] == {"prices": "Prices", "terror": "Terror label", "talks": "Talks"}

    codebook_path = Path(meta["codebook"]["path"])
    assert codebook_path.name == "toy_codebook.toml"
    assert meta["codebook"]["sha256"] == file_sha256(codebook_path)
    [labels_path] = meta["labels"]["paths"]
    assert meta["labels"]["sha256"] == {labels_path: file_sha256(labels_path)}

    assert meta["examples"]["labelled_texts"] == 32
    assert meta["examples"]["articles"] == 4
    assert meta["examples"]["constructed_texts"] == 6
    assert meta["examples"]["per_frame"] == {
        "prices": {"labelled": 12, "corpus": 0, "constructed": 2},
        "terror": {"labelled": 12, "corpus": 0, "constructed": 2},
        "talks": {"labelled": 8, "corpus": 0, "constructed": 2},
    }
    assert meta["thresholds"] == {f: pytest.approx(t) for f, t in
                                  zip(meta["frame_ids"], toy_result.model.thresholds, strict=True)}
    assert meta["hyperparameters"] == toy_result.params
    assert set(meta["cv"]["frames"]) == {"prices", "terror", "talks"}
    for scores in meta["cv"]["frames"].values():
        assert set(scores) == {"precision", "recall", "f1", "support", "few_examples", "brier", "ece"}
    assert meta["cv"]["micro"]["f1"] == toy_result.cv["micro"]["f1"]
    assert meta["segmenter"] == segmenter_info()
    assert meta["segmenter"]["name"] == "sentencex"
    assert meta["unit"] == "sentence"
    created = dt.datetime.fromisoformat(meta["created"])
    assert created.tzinfo is not None
    assert abs(dt.datetime.now(dt.timezone.utc) - created) < dt.timedelta(days=1)
    assert meta["artifact"] == {"file": MODEL_FILE, "sha256": file_sha256(saved / MODEL_FILE)}


def test_saving_again_keeps_one_artifact_record(toy_model: Model, tmp_path: Path) -> None:
    first = save_model(toy_model, tmp_path / "one")
    second = save_model(load_model(first), tmp_path / "two")
    meta = read_meta(second)
    assert meta["artifact"]["sha256"] == file_sha256(second / MODEL_FILE)
    assert meta["created"] == read_meta(first)["created"]


def test_tampered_model_file_is_refused(saved: Path) -> None:
    artifact = saved / MODEL_FILE
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == (f"{artifact}: sha256 does not match meta.json; the file is corrupt "
                               f"or was changed, and is not unpickled; {RETRAIN}")


def test_missing_model_file_is_refused(saved: Path) -> None:
    (saved / MODEL_FILE).unlink()
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == f"{saved / MODEL_FILE}: missing model file; {RETRAIN}"


def test_missing_meta_is_refused(saved: Path) -> None:
    (saved / META_FILE).unlink()
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == f"{saved}: not a framing model (no meta.json); {RETRAIN}"


@pytest.mark.parametrize("content", ["{not json", "\xff\xfe", ""])
def test_corrupt_meta_is_refused(saved: Path, content: str) -> None:
    (saved / META_FILE).write_bytes(content.encode("latin-1"))
    with pytest.raises(ModelError) as info:
        load_model(saved)
    message = str(info.value)
    assert message.startswith(f"{saved / META_FILE}: corrupt metadata (")
    assert message.endswith(f"); {RETRAIN}")


@pytest.mark.parametrize("found", [FORMAT_VERSION + 1, 0, "1", None])
def test_unknown_format_version_is_refused(saved: Path, found: object) -> None:
    edit_meta(saved, format_version=found)
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == (f"{saved / META_FILE}: model format version {found!r}, this framing "
                               f"reads version {FORMAT_VERSION}; {RETRAIN}")


def test_meta_that_is_not_an_object_is_refused(saved: Path) -> None:
    (saved / META_FILE).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ModelError, match="model format version None, this framing reads version 1"):
        load_model(saved)


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelError) as info:
        load_model(missing)
    assert str(info.value) == f"{missing}: no such model directory; {RETRAIN}"


def test_frames_differing_between_files_are_refused(saved: Path) -> None:
    edit_meta(saved, frame_ids=["prices", "talks", "terror"])
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == f"{saved}: frames in model.joblib and meta.json differ; {RETRAIN}"


def test_other_scikit_learn_version_warns(saved: Path) -> None:
    meta = read_meta(saved)
    edit_meta(saved, versions={**meta["versions"], "scikit-learn": "0.24.2"})
    with pytest.warns(VersionWarning) as record:
        model = load_model(saved)
    assert str(record[0].message) == (
        f"{saved}: trained with scikit-learn 0.24.2, running {version('scikit-learn')}; "
        "predictions may differ (retrain to be sure)")
    assert record[0].filename == __file__  # points at the caller of load_model
    assert model.predict_proba(TEXTS).shape == (len(TEXTS), 3)


def test_same_versions_load_without_warnings(saved: Path) -> None:
    load_model(saved)  # warnings are errors in this suite


def test_empty_input_gives_empty_predictions(toy_model: Model) -> None:
    assert toy_model.predict_proba([]).shape == (0, 3)
    assert toy_model.features([]).shape == (0, len(toy_model.feature_names))
