"""framing.model: the data-only model format (save, load, convert), its checks and errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from pickled import write_pickled_model

from framing.codebook import file_sha256
from framing.errors import ModelError
from framing.model import (
    DEFAULT_MODEL,
    FORMAT_VERSION,
    META_FILE,
    MODEL_FILE,
    Model,
    VersionWarning,
    convert_model,
    linear_layer,
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
NEXT = "give a model directory written by `framing train`, or leave the model out to use the shipped one"


@pytest.fixture
def saved(toy_model: Model, tmp_path: Path) -> Path:
    return save_model(toy_model, tmp_path / "model")


def edit_meta(directory: Path, **changes: object) -> None:
    meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    meta.update(changes)
    (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def data_file(directory: Path, kind: str) -> Path:
    return directory / read_meta(directory)["files"][kind]["file"]


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
    assert loaded.sha256 == file_sha256(directory / META_FILE) == toy_model.sha256


def test_the_fast_scorer_equals_the_fitted_pipeline(toy_model: Model) -> None:
    texts = [*TEXTS, "Anti-terrorist units and bandits; talks on wages, 26 subsidy cuts."]
    np.testing.assert_allclose(toy_model.predict_proba(texts), toy_model.pipeline.predict_proba(texts),
                               rtol=0, atol=1e-12)


def test_to_sklearn_rebuilds_an_equivalent_pipeline(saved: Path, toy_model: Model) -> None:
    loaded = load_model(saved)
    rebuilt = loaded.to_sklearn()
    assert [name for name, _ in rebuilt.steps] == ["features", "classifier"]
    texts = [*TEXTS, "Bandits! Terrorists? Negotiations\u2026 and fuel prices"]
    np.testing.assert_allclose(rebuilt.predict_proba(texts), loaded.predict_proba(texts), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rebuilt.predict_proba(texts), toy_model.pipeline.predict_proba(texts),
                               rtol=0, atol=1e-12)
    assert list(rebuilt[0].get_feature_names_out()) == list(loaded.feature_names)


def test_to_sklearn_of_the_shipped_model(repo_root: Path) -> None:
    import csv

    with open(repo_root / "bench" / "challenge.csv", encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    shipped = load_model()
    np.testing.assert_allclose(shipped.to_sklearn().predict_proba(texts), shipped.predict_proba(texts),
                               rtol=0, atol=1e-12)


def test_save_writes_json_and_arrays_only(saved: Path) -> None:
    meta = read_meta(saved)
    names = sorted(p.name for p in saved.iterdir())
    assert names == sorted([META_FILE, meta["files"]["features"]["file"], meta["files"]["arrays"]["file"]])
    features = data_file(saved, "features")
    json.loads(features.read_text(encoding="utf-8"))
    with zipfile.ZipFile(data_file(saved, "arrays")) as archive:
        for name in archive.namelist():
            array = np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
            assert array.dtype.kind in "fu", name
    for kind, record in meta["files"].items():
        assert record["sha256"] == file_sha256(saved / record["file"])
        assert record["file"] == f"{kind}.{record['sha256'][:16]}.{'json' if kind == 'features' else 'npz'}"


def test_failed_save_leaves_nothing(toy_model: Model, tmp_path: Path) -> None:
    toy_model.meta["unserialisable"] = object()
    directory = tmp_path / "model"
    with pytest.raises(TypeError, match="not JSON serializable"):
        save_model(toy_model, directory)
    assert not directory.exists() or list(directory.iterdir()) == []


def test_saving_over_a_model_replaces_it_and_removes_its_files(toy_model: Model, tmp_path: Path) -> None:
    directory = save_model(toy_model, tmp_path / "model")
    old_files = {p.name for p in directory.iterdir()} - {META_FILE}
    (directory / "notes.txt").write_text("mine", encoding="utf-8")
    shipped = load_model()
    save_model(shipped, directory)
    assert load_model(directory).frame_ids == shipped.frame_ids
    names = {p.name for p in directory.iterdir()}
    assert not names & old_files
    assert "notes.txt" in names  # files that are not the model's are left alone
    assert len(names) == 4


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


def test_saving_again_keeps_the_metadata(toy_model: Model, tmp_path: Path) -> None:
    first = save_model(toy_model, tmp_path / "one")
    second = save_model(load_model(first), tmp_path / "two")
    assert read_meta(second)["created"] == read_meta(first)["created"]
    assert read_meta(second)["files"] == read_meta(first)["files"]  # same content, same names


@pytest.mark.parametrize("kind", ["features", "arrays"])
def test_tampered_data_file_is_refused(saved: Path, kind: str) -> None:
    path = data_file(saved, kind)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == (f"{path}: sha256 does not match meta.json; the file is corrupt or was "
                               f"changed; {NEXT}")


def test_missing_data_file_is_refused(saved: Path) -> None:
    data_file(saved, "arrays").unlink()
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == f"{saved}: a file named in meta.json is missing; {NEXT}"


def test_missing_meta_is_refused(saved: Path) -> None:
    (saved / META_FILE).unlink()
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == f"{saved}: not a framing model (no meta.json); {NEXT}"


@pytest.mark.parametrize("content", ["{not json", "\xff\xfe", ""])
def test_corrupt_meta_is_refused(saved: Path, content: str) -> None:
    (saved / META_FILE).write_bytes(content.encode("latin-1"))
    with pytest.raises(ModelError) as info:
        load_model(saved)
    message = str(info.value)
    assert message.startswith(f"{saved / META_FILE}: corrupt metadata (")
    assert message.endswith(f"); {NEXT}")


def test_meta_nested_very_deep_is_one_error(saved: Path) -> None:
    (saved / META_FILE).write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) in (f"{saved / META_FILE}: corrupt metadata (nested too deeply); {NEXT}",
                               f"{saved / META_FILE}: model format version None, this framing reads "
                               f"version {FORMAT_VERSION}; {NEXT}")


@pytest.mark.parametrize(("change", "problem"), [
    ({"frame_ids": "prices"}, "frame_ids is 'prices', expected array"),
    ({"frame_ids": ["prices", 3, "talks"]}, "frame_ids[1] is 3, expected string"),
    ({"frame_ids": []}, "frame_ids has 0 item(s), expected at least 1"),
    ({"thresholds": {"prices": "high", "terror": 0.5, "talks": 0.5}}, "thresholds.prices is 'high', "
                                                                      "expected number"),
    ({"thresholds": {"prices": 1.5, "terror": 0.5, "talks": 0.5}}, "thresholds.prices is 1.5, above 1"),
    ({"thresholds": {"prices": 0.5}}, "thresholds do not name exactly the frames of frame_ids"),
    ({"files": {"features": {"file": "../x", "sha256": "0" * 64}}}, "files has no 'arrays'"),
    ({"files": None}, "files is None, expected object"),
    ({"unit": "paragraph"}, "unit is 'paragraph', expected one of 'sentence', 'article'"),
    ({"examples": {"per_frame": {"prices": {"labelled": -1}}}},
     "examples.per_frame.prices.labelled is -1, below 0"),
])
def test_meta_of_the_wrong_shape_is_refused(saved: Path, change: dict, problem: str) -> None:
    edit_meta(saved, **change)
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == f"{saved / META_FILE}: invalid metadata: {problem}; {NEXT}"


def test_a_file_name_leaving_the_directory_is_refused(saved: Path) -> None:
    files = read_meta(saved)["files"]
    files["arrays"]["file"] = "../../etc/passwd"
    edit_meta(saved, files=files)
    with pytest.raises(ModelError, match=r"invalid metadata: files.arrays.file is '../../etc/passwd'"):
        load_model(saved)


@pytest.mark.parametrize("found", [FORMAT_VERSION + 1, 0, "2", None, True, 2.0])
def test_unknown_format_version_is_refused(saved: Path, found: object) -> None:
    edit_meta(saved, format_version=found)
    with pytest.raises(ModelError) as info:
        load_model(saved)
    assert str(info.value) == (f"{saved / META_FILE}: model format version {found!r}, this framing "
                               f"reads version {FORMAT_VERSION}; {NEXT}")


def test_meta_that_is_not_an_object_is_refused(saved: Path) -> None:
    (saved / META_FILE).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ModelError, match="model format version None, this framing reads version 2"):
        load_model(saved)


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelError) as info:
        load_model(missing)
    assert str(info.value) == f"{missing}: no such model directory; {NEXT}"


def test_a_missing_shipped_model_says_the_installation_is_incomplete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import framing.model

    monkeypatch.setattr(framing.model, "DEFAULT_MODEL", tmp_path / "gone")
    framing.model._load_default.cache_clear()
    try:
        with pytest.raises(ModelError) as info:
            load_model()
    finally:
        framing.model._load_default.cache_clear()
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'gone'}: no such model directory; the shipped model is missing")
    assert "reinstall framing" in message
    assert "omit --model" not in message  # the old text contradicted itself when --model was omitted


def test_reordered_frames_are_refused(saved: Path) -> None:
    meta = read_meta(saved)
    meta["thresholds"]["prices"] = 0.99
    edit_meta(saved, thresholds=meta["thresholds"])
    with pytest.raises(ModelError, match=r"thresholds in meta.json and arrays\.[0-9a-f]{16}\.npz differ"):
        load_model(saved)


def test_arrays_of_the_wrong_shape_are_refused(saved: Path) -> None:
    path = data_file(saved, "arrays")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["weights"] = arrays["weights"][:-1]
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
    meta = read_meta(saved)
    meta["files"]["arrays"]["sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    edit_meta(saved, files=meta["files"])
    with pytest.raises(ModelError, match=r"array 'weights' is float64 \(\d+, 3\), expected float64"):
        load_model(saved)


def test_another_scikit_learn_version_does_not_matter(saved: Path) -> None:
    meta = read_meta(saved)
    edit_meta(saved, versions={**meta["versions"], "scikit-learn": "0.24.2"})
    assert load_model(saved).predict_proba(TEXTS).shape == (len(TEXTS), 3)  # warnings are errors


def test_empty_input_gives_empty_predictions(toy_model: Model) -> None:
    assert toy_model.predict_proba([]).shape == (0, 3)
    assert toy_model.features([]).shape == (0, len(toy_model.feature_names))


def test_load_model_refuses_what_is_not_a_path() -> None:
    with pytest.raises(TypeError, match="path must be a model directory"):
        load_model(3)  # type: ignore[arg-type]


# --- the linear layer --------------------------------------------------------------------------

def test_linear_layer_reads_each_frames_weights(toy_model: Model) -> None:
    classifier = toy_model.pipeline[-1]
    W, b = linear_layer(classifier)
    assert W.shape == (len(toy_model.feature_names), 3) and b.shape == (3,)
    for k, estimator in enumerate(classifier.estimators_):
        np.testing.assert_array_equal(W[:, k], estimator.coef_.ravel())
        assert b[k] == estimator.intercept_[0]


def test_a_constant_frame_is_exactly_zero_or_one(toy_model: Model) -> None:
    from framing.classifier import ConstantFrame

    classifier = toy_model.pipeline[-1]
    width = classifier.n_features_in_
    classifier.estimators_[1] = ConstantFrame(False, width)  # a frame never positive in training
    classifier.estimators_[2] = ConstantFrame(True, width)  # ... always positive
    model = Model(pipeline=toy_model.pipeline, frame_ids=toy_model.frame_ids,
                  thresholds=toy_model.thresholds, meta=toy_model.meta)
    P = model.predict_proba(TEXTS)
    np.testing.assert_array_equal(P[:, 1], 0.0)
    np.testing.assert_array_equal(P[:, 2], 1.0)
    np.testing.assert_allclose(P, toy_model.pipeline.predict_proba(TEXTS), rtol=0, atol=1e-12)
    assert model.coefficients[1] is None and model.intercepts[2] == 0.0


# --- the old pickled format -------------------------------------------------------------------

def test_a_pickled_model_is_refused_without_trust(toy_model: Model, tmp_path: Path) -> None:
    directory = write_pickled_model(toy_model, tmp_path / "old")
    with pytest.raises(ModelError) as info:
        load_model(directory)
    assert str(info.value) == (
        f"{directory}: a model of the old pickled format (format 1, {MODEL_FILE}), which can run code "
        "when loaded, so it is not loaded; if you trust its source, convert it once with "
        f"`framing model convert {directory} --trust-pickle` (or load it with --trust-pickle / "
        "trust_pickle=True)")


def test_a_pickled_model_loads_with_trust(toy_model: Model, tmp_path: Path) -> None:
    directory = write_pickled_model(toy_model, tmp_path / "old")
    loaded = load_model(directory, trust_pickle=True)
    np.testing.assert_allclose(loaded.predict_proba(TEXTS), toy_model.predict_proba(TEXTS),
                               rtol=0, atol=1e-12)
    assert loaded.sha256 == file_sha256(directory / MODEL_FILE)


def test_a_pickled_model_of_another_scikit_learn_warns(toy_model: Model, tmp_path: Path) -> None:
    directory = write_pickled_model(toy_model, tmp_path / "old")
    edit_meta(directory, versions={**toy_model.meta["versions"], "scikit-learn": "0.24.2"})
    with pytest.warns(VersionWarning) as record:
        load_model(directory, trust_pickle=True)
    assert str(record[0].message) == (
        f"{directory}: trained with scikit-learn 0.24.2, running {version('scikit-learn')}; "
        "predictions may differ (retrain to be sure)")
    assert record[0].filename == __file__  # points at the caller of load_model


def test_convert_in_place(toy_model: Model, tmp_path: Path) -> None:
    directory = write_pickled_model(toy_model, tmp_path / "old")
    with pytest.raises(ModelError, match="pass --trust-pickle"):
        convert_model(directory)
    assert (directory / MODEL_FILE).exists()
    convert_model(directory, trust_pickle=True)
    assert not (directory / MODEL_FILE).exists()
    converted = load_model(directory)
    np.testing.assert_allclose(converted.predict_proba(TEXTS), toy_model.predict_proba(TEXTS), rtol=0,
                               atol=1e-12)
    meta = read_meta(directory)
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["converted"]["from_format"] == 1
    assert meta["labels"] == toy_model.meta["labels"]


def test_convert_elsewhere_leaves_the_source(toy_model: Model, tmp_path: Path) -> None:
    directory = write_pickled_model(toy_model, tmp_path / "old")
    out = convert_model(directory, tmp_path / "new", trust_pickle=True)
    assert (directory / MODEL_FILE).exists()
    assert load_model(out).frame_ids == toy_model.frame_ids


def test_the_shipped_model_is_data_only() -> None:
    assert read_meta()["format_version"] == FORMAT_VERSION
    assert not (DEFAULT_MODEL / MODEL_FILE).exists()


# --- replacing a model as a whole ---------------------------------------------------------------

KILLER = """
import os, sys
from pathlib import Path
import framing.model as fm

target, stop_at = Path(sys.argv[1]), int(sys.argv[2])
model = fm.load_model()
steps = 0

def killing(real):
    def call(*args, **kwargs):
        global steps
        steps += 1
        if steps == stop_at:
            os._exit(9)  # as kill -9: no cleanup, no finally blocks
        return real(*args, **kwargs)
    return call

for name in ("replace", "rename", "unlink", "fsync"):
    setattr(os, name, killing(getattr(os, name)))
fm.save_model(model, target)
print(steps)
"""


@pytest.mark.slow
def test_a_kill_at_any_step_of_a_save_leaves_the_old_or_the_new_model(toy_model: Model,
                                                                       tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    old = save_model(toy_model, tmp_path / "old")
    new_frames = load_model().frame_ids

    def run(directory: Path, stop_at: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", KILLER, str(directory), str(stop_at)],
                              capture_output=True, text=True, timeout=120)

    whole = tmp_path / "whole"
    shutil.copytree(old, whole)
    done = run(whole, 0)
    assert done.returncode == 0, done.stderr
    steps = int(done.stdout)
    assert steps >= 6  # three files written and synced, renamed into place, old files removed
    assert load_model(whole).frame_ids == new_frames
    seen = set()
    for stop_at in range(1, steps + 1):
        directory = tmp_path / f"killed-{stop_at}"
        shutil.copytree(old, directory)
        killed = run(directory, stop_at)
        assert killed.returncode == 9, killed.stderr
        loaded = load_model(directory)
        assert loaded.frame_ids in (toy_model.frame_ids, new_frames)
        if loaded.frame_ids == toy_model.frame_ids:
            np.testing.assert_array_equal(loaded.predict_proba(TEXTS), toy_model.predict_proba(TEXTS))
        seen.add(tuple(loaded.frame_ids))
    assert seen == {tuple(toy_model.frame_ids), tuple(new_frames)}  # both sides of the one rename
