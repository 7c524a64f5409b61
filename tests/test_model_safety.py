"""A model directory cannot run code: pickles planted in any of its files, read by any
command that reads a model, never run, and loading refuses them with one line.

The payload's ``__reduce__`` runs ``touch MARKER``; every test checks MARKER never appears.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pickled import Payload, write_pickled_model
from typer.testing import CliRunner

import framing
from framing.cli import app
from framing.errors import ModelError
from framing.model import DEFAULT_MODEL, META_FILE, MODEL_FILE, read_meta

runner = CliRunner()
ARTICLE = "The president blamed foreign-trained terrorists. Troops opened fire on the protesters."


def _payload_bytes(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker))


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEFAULT_MODEL, tmp_path / "model"))


def _rehash(directory: Path, kind: str) -> None:
    """Write the current sha256 of a data file into meta.json, as an attacker would."""
    meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    path = directory / meta["files"][kind]["file"]
    meta["files"][kind]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def _pickle_as(kind: str) -> Callable[[Path, Path], Path]:
    def make(tmp_path: Path, marker: Path) -> Path:
        directory = _copy(tmp_path)
        (directory / read_meta(directory)["files"][kind]["file"]).write_bytes(_payload_bytes(marker))
        _rehash(directory, kind)
        return directory
    make.__name__ = f"pickle_as_{kind}"
    return make


def _pickle_in_npz(tmp_path: Path, marker: Path) -> Path:
    """An .npz whose 'weights' member is an object array holding the payload."""
    directory = _copy(tmp_path)
    path = directory / read_meta(directory)["files"]["arrays"]["file"]
    with np.load(path, allow_pickle=False) as npz:
        arrays: dict[str, np.ndarray] = {k: npz[k] for k in npz.files}
    arrays["weights"] = np.array([Payload(marker)], dtype=object)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())
    _rehash(directory, "arrays")
    return directory


def _pickle_as_meta(tmp_path: Path, marker: Path) -> Path:
    directory = _copy(tmp_path)
    (directory / META_FILE).write_bytes(_payload_bytes(marker))
    return directory


def _old_format(tmp_path: Path, marker: Path) -> Path:
    """A format-1 model whose model.joblib carries the payload, its sha256 in meta.json."""
    return write_pickled_model(framing.load_model(), tmp_path / "model", payload=marker)


REFUSED = [_pickle_as("features"), _pickle_as("arrays"), _pickle_in_npz, _pickle_as_meta, _old_format]
REFUSED_IDS = ["features-file", "arrays-file", "object-array-in-npz", "meta-file", "old-format-joblib"]


def _planted_beside(tmp_path: Path, marker: Path) -> Path:
    """A good model with a pickle planted as model.joblib, and as a stray file: never read."""
    directory = _copy(tmp_path)
    (directory / MODEL_FILE).write_bytes(_payload_bytes(marker))
    (directory / "arrays.0123456789abcdef.npz").write_bytes(_payload_bytes(marker))
    return directory


def _corpus(tmp_path: Path) -> Path:
    source = tmp_path / "corpus.jsonl"
    source.write_text("".join(json.dumps({"id": str(i), "text": ARTICLE}) + "\n" for i in range(40)),
                      encoding="utf-8")
    return source


def _scores(tmp_path: Path, frames: list[str]) -> Path:
    path = tmp_path / "scores.jsonl"
    path.write_text(json.dumps({"id": "1", **{f: 0.5 for f in frames}, "frames": frames[:1]}) + "\n",
                    encoding="utf-8")
    return path


def _commands(tmp_path: Path, directory: Path) -> dict[str, list[str]]:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    return {
        "score": ["score", str(article), "--model", str(directory), "--format", "json"],
        "explain": ["explain", ARTICLE, "--model", str(directory)],
        "info": ["info", str(directory)],
        "score-corpus-workers": ["score-corpus", str(_corpus(tmp_path)), "-o", str(tmp_path / "out.jsonl"),
                                 "--model", str(directory), "--jobs", "2", "--chunk-size", "10"],
        "summarize": ["summarize", str(_scores(tmp_path, framing.load_model().frame_ids)),
                      "--model", str(directory)],
    }


@pytest.mark.parametrize("make", REFUSED, ids=REFUSED_IDS)
def test_load_model_and_predict_refuse_with_one_line(tmp_path: Path,
                                                     make: Callable[[Path, Path], Path]) -> None:
    marker = tmp_path / "PWNED"
    directory = make(tmp_path, marker)
    with pytest.raises(ModelError) as info:
        framing.load_model(directory)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(str(directory))
    with pytest.raises(ModelError):
        framing.predict(ARTICLE, model=framing.load_model(directory))
    assert not marker.exists()


@pytest.mark.parametrize("make", REFUSED, ids=REFUSED_IDS)
@pytest.mark.parametrize("command", ["score", "explain", "info", "score-corpus-workers", "summarize"])
def test_no_command_runs_a_planted_pickle(tmp_path: Path, make: Callable[[Path, Path], Path],
                                          command: str) -> None:
    marker = tmp_path / "PWNED"
    directory = make(tmp_path, marker)
    result = runner.invoke(app, _commands(tmp_path, directory)[command])
    assert not marker.exists(), result.output
    assert "Traceback" not in result.output
    if command in ("info", "summarize") and make is not _pickle_as_meta:
        # These read meta.json only (plain JSON, checked against its schema), never the data
        # files or model.joblib: with a good meta.json they work.
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {directory}")


@pytest.mark.parametrize("command", ["score", "explain", "info", "score-corpus-workers", "summarize"])
def test_pickles_planted_beside_a_good_model_are_never_read(tmp_path: Path, command: str) -> None:
    marker = tmp_path / "PWNED"
    directory = _planted_beside(tmp_path, marker)
    result = runner.invoke(app, _commands(tmp_path, directory)[command])
    assert result.exit_code == 0, result.output
    assert not marker.exists()


def test_trust_pickle_is_what_runs_it(tmp_path: Path) -> None:
    """The control: the same old-format payload does run once the user says it is trusted."""
    marker = tmp_path / "PWNED"
    directory = _old_format(tmp_path, marker)
    framing.load_model(directory, trust_pickle=True)
    assert marker.exists()


@pytest.mark.slow
@pytest.mark.parametrize("make", [*REFUSED, _planted_beside], ids=[*REFUSED_IDS, "planted-beside"])
def test_dask_workers_never_run_a_planted_pickle(tmp_path: Path, make: Callable[[Path, Path], Path]) -> None:
    distributed = pytest.importorskip("distributed")
    from framing.cluster import score_corpus_on_cluster
    from framing.errors import FramingError

    marker = tmp_path / "PWNED"
    directory = make(tmp_path, marker)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        try:
            score_corpus_on_cluster(client, _corpus(tmp_path), tmp_path / "parts.jsonl", model=directory,
                                    blocksize=2000)
        except FramingError as exc:
            assert make is not _planted_beside
            assert "\n" not in str(exc)
        else:
            assert make is _planted_beside
    assert not marker.exists()
