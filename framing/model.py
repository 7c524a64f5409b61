"""The model: its feature blocks, one linear layer per frame, per-frame thresholds, and the
metadata that travels with it.

Training builds a scikit-learn Pipeline (see :func:`build_pipeline`); scoring never needs
scikit-learn. Saving exports the fitted pipeline to plain data, and a saved model is a
directory of three files that cannot run code when read:

* ``meta.json``          -- metadata (versions, frames, thresholds, data hashes, settings,
  cross-validated scores) and the name and sha256 of the two files below;
* ``features.<hash>.json`` -- every feature block's settings and vocabulary;
* ``arrays.<hash>.npz``   -- idf vectors, cue membership, the linear layer's weights and
  intercepts, and the thresholds, read with ``allow_pickle=False``.

``meta.json`` is the pointer: the data files are named by their content, so saving writes
the new ones beside the old, then replaces ``meta.json`` in one rename, then removes what
only the old model used. A process killed at any moment leaves the old model or the new one.

Models of format 1 (``model.joblib``, a pickled pipeline) are read only with
``trust_pickle=True``: unpickling runs whatever code the file names. ``framing model
convert`` turns one into the current format.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import warnings
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from framing.atomic import atomic_path
from framing.errors import ModelError
from framing.featurise import Block, CueBlock, Featuriser, NgramBlock, Rows, blocks_from_union, expit
from framing.model_schema import FEATURES_SCHEMA, META_SCHEMA, PICKLE_META_SCHEMA, check

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse as sp
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

# Bump FORMAT_VERSION whenever a model saved by this code could be misread by older code, or
# an older model by this code: a change to the files of a model directory, to the keys or
# meaning of meta.json, the features file or the arrays, or to how features, thresholds or
# scores are computed from them. Loading refuses any other version (format 1, the pickled
# pipeline, only with trust_pickle). Update model_schema.META_SCHEMA's const with it.
FORMAT_VERSION = 2
PICKLE_FORMAT_VERSION = 1
META_FILE = "meta.json"
MODEL_FILE = "model.joblib"  # format 1 only
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default"
MAX_META_BYTES = 16 * 2**20  # a meta.json is a few kB; refuse to parse anything huge
_DATA_FILE = re.compile(r"^(features\.[0-9a-f]{16}\.json|arrays\.[0-9a-f]{16}\.npz)$")
ROWS_PER_CALL = 1000  # texts featurised at a time: bounds the arrays of one call


class VersionWarning(UserWarning):
    """A pickled (format 1) model was trained with another scikit-learn than the one loading it."""


def build_pipeline(
    cues: dict[str, list[str]],
    *,
    C: float = 4.0,  # noqa: N803 - scikit-learn's name
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] = (2, 5),
    min_df: int = 1,
    cue_weight: float = 1.0,
) -> Pipeline:
    """The unfitted pipeline: TF-IDF features (words, char_wb, cues) and one LR per frame."""
    from sklearn.pipeline import Pipeline

    from framing.features import build_features

    return Pipeline([
        ("features", build_features(cues, word_ngrams=word_ngrams, char_ngrams=char_ngrams,
                                    min_df=min_df, cue_weight=cue_weight)),
        ("classifier", build_classifier(C)),
    ])


def build_classifier(C: float = 4.0) -> OneVsRestClassifier:  # noqa: N803 - scikit-learn's name
    """One balanced logistic regression per frame (multi-label)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    # dual: far faster when features outnumber texts, as here (same solution).
    return OneVsRestClassifier(LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000, random_state=0))


def linear_layer(classifier: Any, n_features: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The fitted classifier as one linear layer: ``p[:, k] = expit(X @ W[:, k] + b[k])``.

    The one place that knows how the classifier is built. Today: a OneVsRestClassifier of
    LogisticRegression, with scikit-learn's constant predictor for a frame absent from the
    training rows (``W[:, k] = 0``, ``b[k] = +inf`` or ``-inf``, so ``p`` is exactly 1 or 0).

    Returns ``W`` of shape (n_features, n_frames) and ``b`` of shape (n_frames,), float64.
    """
    estimators = list(classifier.estimators_)
    if n_features is None:
        n_features = int(getattr(classifier, "n_features_in_", 0)) or max(
            (np.size(e.coef_) for e in estimators if hasattr(e, "coef_")), default=0)
    W = np.zeros((n_features, len(estimators)))
    b = np.zeros(len(estimators))
    for k, estimator in enumerate(estimators):
        if hasattr(estimator, "coef_"):
            coef = np.asarray(estimator.coef_, dtype=np.float64).ravel()
            if coef.shape != (n_features,):
                raise ValueError(f"frame {k}: {coef.size} coefficients for {n_features} features")
            W[:, k] = coef
            b[k] = float(np.ravel(estimator.intercept_)[0])
        elif hasattr(estimator, "y_"):  # sklearn.multiclass._ConstantPredictor
            b[k] = np.inf if float(np.ravel(estimator.y_)[0]) > 0.5 else -np.inf
        else:
            raise ValueError(f"frame {k}: {type(estimator).__name__} is not a linear classifier")
    return W, b


class Model:
    """A trained model: frames, per-frame thresholds, metadata, and the data that scores.

    ``Model(pipeline=..., frame_ids=..., thresholds=..., meta=...)`` wraps a fitted
    scikit-learn Pipeline (training does this); its arrays are exported from it on first
    use. :func:`load_model` builds one from a saved directory without scikit-learn;
    :meth:`to_sklearn` rebuilds an equivalent Pipeline from the data.
    """

    def __init__(self, pipeline: Pipeline | None = None, frame_ids: Sequence[str] = (),
                 thresholds: Any = None, meta: dict[str, Any] | None = None,
                 path: Path | None = None, *, blocks: Sequence[Block] | None = None,
                 weights: np.ndarray | None = None, intercepts: np.ndarray | None = None) -> None:
        self._pipeline = pipeline
        self.frame_ids = list(frame_ids)
        if thresholds is None:
            thresholds = np.full(len(self.frame_ids), 0.5)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.meta: dict[str, Any] = meta if meta is not None else {}
        self.path = path
        self._featuriser = Featuriser(blocks) if blocks is not None else None
        self._W = weights
        self._b = intercepts
        self._sha256: str | None = None
        if pipeline is None and (blocks is None or weights is None or intercepts is None):
            raise ValueError("a Model needs a fitted pipeline, or its blocks, weights and intercepts")

    def __repr__(self) -> str:
        return f"Model(frames={self.frame_ids!r}, path={self.path!r})"

    @property
    def sha256(self) -> str | None:
        """sha256 of the saved ``meta.json``, which names the sha256 of every other file: one
        digest for the whole model (None for a model never saved). For the old pickled
        format, the sha256 of ``model.joblib``."""
        if "artifact" in self.meta:
            return str(self.meta["artifact"]["sha256"])
        return self._sha256

    # --- the data ---------------------------------------------------------------------------

    def _export(self) -> None:
        if self._featuriser is None or self._W is None or self._b is None:
            pipeline: Any = self._pipeline
            if pipeline is None or len(pipeline.steps) != 2 or not hasattr(pipeline[0], "transformer_list"):
                raise ValueError("expected a Pipeline of a FeatureUnion and a classifier")
            featuriser = Featuriser(blocks_from_union(pipeline[0]))
            W, b = linear_layer(pipeline[-1], featuriser.n_features)
            self._featuriser, self._W, self._b = featuriser, W, b

    @property
    def featuriser(self) -> Featuriser:
        """The feature blocks as data (see :mod:`framing.featurise`)."""
        self._export()
        assert self._featuriser is not None
        return self._featuriser

    @property
    def weights(self) -> np.ndarray:
        """The linear layer's weights, shape (n_features, n_frames)."""
        self._export()
        assert self._W is not None
        return self._W

    @property
    def biases(self) -> np.ndarray:
        """The linear layer's intercepts, one per frame (+-inf for a constant frame)."""
        self._export()
        assert self._b is not None
        return self._b

    @property
    def pipeline(self) -> Pipeline:
        """The fitted scikit-learn Pipeline (rebuilt by :meth:`to_sklearn` for a loaded model)."""
        if self._pipeline is None:
            self._pipeline = self.to_sklearn()
        return self._pipeline

    def to_sklearn(self) -> Pipeline:
        """An equivalent fitted scikit-learn Pipeline (features, then one-vs-rest LR).

        Its ``predict_proba`` equals :meth:`predict_proba` (to rounding, 1e-12).
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import LabelBinarizer

        from framing.featurise import to_sklearn_union

        W, b = self.weights, self.biases
        estimators = []
        for k in range(W.shape[1]):
            lr = LogisticRegression()
            lr.classes_ = np.array([0, 1])
            lr.coef_ = W[:, k].reshape(1, -1).copy()
            lr.intercept_ = np.array([b[k]])
            lr.n_features_in_ = W.shape[0]
            lr.n_iter_ = np.array([0], dtype=np.int32)
            estimators.append(lr)
        classifier = OneVsRestClassifier(LogisticRegression())
        classifier.estimators_ = estimators
        classifier.label_binarizer_ = LabelBinarizer(sparse_output=True).fit(
            np.vstack([np.zeros(W.shape[1], dtype=int), np.ones(W.shape[1], dtype=int)]))
        classifier.classes_ = classifier.label_binarizer_.classes_
        classifier.n_features_in_ = W.shape[0]
        return Pipeline([("features", to_sklearn_union(self.featuriser.blocks)),
                         ("classifier", classifier)])

    # --- scoring ----------------------------------------------------------------------------

    @property
    def frame_names(self) -> dict[str, str]:
        """Frame id -> short name (the id itself when the model has no codebook)."""
        names = self.meta.get("frame_names") or {}
        return {f: names.get(f, f) for f in self.frame_ids}

    @property
    def unit(self) -> str:
        """What the model was trained on: ``"sentence"`` or ``"article"``."""
        return str(self.meta.get("unit", "sentence"))

    def rows(self, texts: Sequence[str]) -> Rows:
        """The feature rows of ``texts`` (at most :data:`ROWS_PER_CALL` at a time is best)."""
        return self.featuriser.transform(texts)

    def proba_from_rows(self, rows: Rows) -> np.ndarray:
        """Frame probabilities (columns in ``frame_ids`` order) from feature rows."""
        return np.asarray(expit(rows.dot(self.weights) + self.biases))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each frame (columns in ``frame_ids`` order) for each text."""
        texts = list(texts)
        P = np.zeros((len(texts), len(self.frame_ids)))
        for start in range(0, len(texts), ROWS_PER_CALL):
            part = texts[start:start + ROWS_PER_CALL]
            P[start:start + len(part)] = self.proba_from_rows(self.rows(part))
        return P

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The feature rows of ``texts`` as a scipy CSR matrix (imports scipy)."""
        return self.rows(list(texts)).to_scipy()

    def proba_from_features(self, X: Any) -> np.ndarray:
        """Frame probabilities from feature rows (:meth:`rows` or a matrix from :meth:`features`)."""
        if isinstance(X, Rows):
            return self.proba_from_rows(X)
        return np.asarray(expit(np.asarray(X @ self.weights) + self.biases))

    @property
    def feature_names(self) -> np.ndarray:
        """Names of the feature columns, block-prefixed (``words__``, ``chars__``, ``cues__``)."""
        if not hasattr(self, "_names"):
            self._names = self.featuriser.feature_names()
        return self._names

    @property
    def coefficients(self) -> list[np.ndarray | None]:
        """Per frame, the coefficient vector (None for a frame predicted as a constant)."""
        return [None if not np.isfinite(self.biases[k]) else self.weights[:, k]
                for k in range(len(self.frame_ids))]

    @property
    def intercepts(self) -> list[float]:
        """Per frame, the intercept (0 for a frame predicted as a constant)."""
        return [float(b) if np.isfinite(b) else 0.0 for b in self.biases]


def environment() -> dict[str, str]:
    """Versions that a saved model records."""
    from importlib.metadata import version

    out = {"framing": version("framing"), "numpy": version("numpy"),
           "python": platform.python_version()}
    with contextlib.suppress(Exception):
        out["scikit-learn"] = version("scikit-learn")
    return out


# --- Saving ------------------------------------------------------------------------------------

def _block_record(block: Block) -> dict[str, Any]:
    common = {"name": block.name, "weight": float(block.weight), "sublinear_tf": bool(block.sublinear_tf),
              "norm": "l2", "preprocessor": "framing.text.normalise"}
    if isinstance(block, NgramBlock):
        return {**common, "kind": "ngrams", "analyzer": block.analyzer,
                "ngram_range": [int(n) for n in block.ngram_range],
                **({"token_pattern": r"(?u)\b\w+\b"} if block.analyzer == "word" else {}),
                "vocabulary": list(block.vocabulary)}
    return {**common, "kind": "cues", "token_pattern": r"(?u)\b\w+\b", "frames": list(block.frames),
            "terms": list(block.terms)}


def _payloads(model: Model) -> dict[str, bytes]:
    """The bytes of the features file and of the arrays file."""
    featuriser = model.featuriser
    features = {"n_features": featuriser.n_features,
                "blocks": [_block_record(b) for b in featuriser.blocks]}
    arrays: dict[str, np.ndarray] = {
        "weights": np.ascontiguousarray(model.weights, dtype=np.float64),
        "intercepts": np.asarray(model.biases, dtype=np.float64),
        "thresholds": np.asarray(model.thresholds, dtype=np.float64),
    }
    for block in featuriser.blocks:
        arrays[f"idf.{block.name}"] = np.asarray(block.idf, dtype=np.float64)
        if isinstance(block, CueBlock):
            arrays[f"membership.{block.name}"] = np.asarray(block.membership, dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    text = json.dumps(features, ensure_ascii=False, separators=(",", ":")) + "\n"
    return {"features": text.encode("utf-8"), "arrays": buffer.getvalue()}


def _write_synced(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_model(model: Model, path: str | Path) -> Path:
    """Write the model into directory ``path`` (created if needed), replacing any model there
    as a whole: the data files are written under new names, then ``meta.json`` is replaced
    in one rename, then files only the old model used are removed."""
    directory = Path(path)
    payloads = _payloads(model)
    files = {}
    for kind, data in payloads.items():
        digest = hashlib.sha256(data).hexdigest()
        suffix = ".json" if kind == "features" else ".npz"
        files[kind] = {"file": f"{kind}.{digest[:16]}{suffix}", "sha256": digest}
    meta = {
        "format_version": FORMAT_VERSION,
        **{k: v for k, v in model.meta.items() if k not in {"format_version", "artifact", "files"}},
        "frame_ids": list(model.frame_ids),
        "thresholds": {f: round(float(t), 6) for f, t in zip(model.frame_ids, model.thresholds, strict=True)},
        "files": files,
    }
    meta.setdefault("created", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    meta.setdefault("versions", environment())
    # Serialise first: a model whose metadata cannot be written leaves nothing behind.
    meta_text = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    problem = check(meta, META_SCHEMA)
    if problem:
        raise ValueError(f"the model's metadata does not fit its schema: {problem}")
    previous = _files_in_use(directory)
    for kind, data in payloads.items():
        _write_synced(directory / files[kind]["file"], data)
    _write_synced(directory / META_FILE, meta_text.encode("utf-8"))
    model._sha256 = hashlib.sha256(meta_text.encode("utf-8")).hexdigest()
    _sync_directory(directory)
    # The new model is in place; remove what only the old one (or an interrupted save) used.
    keep = {f["file"] for f in files.values()}
    for name in os.listdir(directory):
        if name not in keep and (_DATA_FILE.match(name) or name in previous):
            with contextlib.suppress(OSError):
                os.unlink(directory / name)
    model.meta, model.path = meta, directory
    return directory


def _files_in_use(directory: Path) -> set[str]:
    """Data files the model now in ``directory`` names (none when there is no readable one)."""
    try:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return set()
    if not isinstance(meta, dict):
        return set()
    named = [meta.get("artifact")] + list((meta.get("files") or {}).values())
    return {f["file"] for f in named if isinstance(f, dict) and isinstance(f.get("file"), str)
            and "/" not in f["file"] and f["file"] != META_FILE}


# --- Reading -----------------------------------------------------------------------------------

def _next_step(path: Path | None) -> str:
    if path is None:
        return ("the shipped model is missing or damaged, so this installation of framing is "
                "incomplete; reinstall framing, or give a model directory written by `framing train` "
                "(--model DIR, or model=framing.load_model(DIR))")
    return ("give a model directory written by `framing train`, or leave the model out to use "
            "the shipped one")


def read_meta(path: str | Path | None = None) -> dict[str, Any]:
    """Read a model directory's ``meta.json`` and check it against its schema (no unpickling).

    Both the current format and the old pickled one (format 1) are read; :func:`load_model`
    decides what may be loaded.
    """
    return _read_meta(path)[0]


def _read_meta(path: str | Path | None) -> tuple[dict[str, Any], str]:
    """:func:`read_meta`, and the sha256 of the bytes read."""
    given = Path(path) if path is not None else None
    directory = given if given is not None else DEFAULT_MODEL
    meta_file = directory / META_FILE
    if not directory.exists():
        raise ModelError(f"{directory}: no such model directory; {_next_step(given)}")
    if not meta_file.is_file():
        raise ModelError(f"{directory}: not a framing model (no {META_FILE}); {_next_step(given)}")
    try:
        if meta_file.stat().st_size > MAX_META_BYTES:
            raise ModelError(f"{meta_file}: {meta_file.stat().st_size:,} bytes, too large for model "
                             f"metadata; {_next_step(given)}")
        raw = meta_file.read_bytes()
        meta = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{meta_file}: corrupt metadata ({exc}); {_next_step(given)}") from None
    except RecursionError:
        raise ModelError(f"{meta_file}: corrupt metadata (nested too deeply); {_next_step(given)}") from None
    except OSError as exc:
        raise ModelError(f"{meta_file}: cannot read ({exc.strerror}); {_next_step(given)}") from None
    found = meta.get("format_version") if isinstance(meta, dict) else None
    if type(found) is int and found in (FORMAT_VERSION, PICKLE_FORMAT_VERSION):
        schema = META_SCHEMA if found == FORMAT_VERSION else PICKLE_META_SCHEMA
    else:
        raise ModelError(f"{meta_file}: model format version {found!r}, this framing reads "
                         f"version {FORMAT_VERSION}; {_next_step(given)}")
    problem = check(meta, schema)
    if problem is None and set(meta["thresholds"]) != set(meta["frame_ids"]):
        problem = "thresholds do not name exactly the frames of frame_ids"
    if problem:
        raise ModelError(f"{meta_file}: invalid metadata: {problem}; {_next_step(given)}")
    return meta, hashlib.sha256(raw).hexdigest()


def load_model(path: str | Path | None = None, *, trust_pickle: bool = False) -> Model:
    """Load a model directory; the shipped default model when ``path`` is None.

    Nothing is unpickled: the files are JSON and ``.npz`` arrays read with
    ``allow_pickle=False``, checked against ``meta.json``'s sha256 and schema. The default
    model is loaded once and cached. A missing, corrupt or unknown-format model raises
    ModelError.

    Parameters
    ----------
    trust_pickle:
        Also load a model of the old format 1 (``model.joblib``, a pickle). Unpickling runs
        whatever code the file names: only for a model whose source you trust, and better
        converted once with ``framing model convert``.
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a model directory (str or Path), not {type(path).__name__}")
    if path is None:
        return _load_default(trust_pickle)
    return _load(Path(path), given=Path(path), trust_pickle=trust_pickle)


@lru_cache(maxsize=2)
def _load_default(trust_pickle: bool) -> Model:
    return _load(DEFAULT_MODEL, given=None, trust_pickle=trust_pickle)


def _load(directory: Path, *, given: Path | None, trust_pickle: bool) -> Model:
    for attempt in range(2):
        meta, digest = _read_meta(given)
        if meta["format_version"] == PICKLE_FORMAT_VERSION:
            if not trust_pickle:
                raise ModelError(
                    f"{directory}: a model of the old pickled format (format 1, {MODEL_FILE}), which "
                    "can run code when loaded, so it is not loaded; if you trust its source, convert "
                    f"it once with `framing model convert {directory} --trust-pickle` (or load it "
                    "with --trust-pickle / trust_pickle=True)")
            return _load_pickle(directory, meta, given)
        try:
            model = _load_data(directory, meta, given)
            model._sha256 = digest
            return model
        except FileNotFoundError:
            # A save replaced the model while we read it: read the new meta.json once more.
            if attempt == 1 or read_meta(given) == meta:
                raise ModelError(f"{directory}: a file named in {META_FILE} is missing; "
                                 f"{_next_step(given)}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _read_checked(directory: Path, record: dict[str, str], given: Path | None) -> bytes:
    path = directory / record["file"]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror}); {_next_step(given)}") from None
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ModelError(f"{path}: sha256 does not match {META_FILE}; the file is corrupt or was "
                         f"changed; {_next_step(given)}")
    return data


def _load_data(directory: Path, meta: dict[str, Any], given: Path | None) -> Model:
    files = meta["files"]
    features_path = directory / files["features"]["file"]
    arrays_path = directory / files["arrays"]["file"]
    features_bytes = _read_checked(directory, files["features"], given)
    arrays_bytes = _read_checked(directory, files["arrays"], given)

    def bad(path: Path, why: str) -> ModelError:
        return ModelError(f"{path}: {why}; {_next_step(given)}")

    try:
        features = json.loads(features_bytes.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise bad(features_path, f"corrupt feature data ({type(exc).__name__})") from None
    problem = check(features, FEATURES_SCHEMA)
    if problem:
        raise bad(features_path, f"invalid feature data: {problem}")
    try:
        if not arrays_bytes.startswith(b"PK\x03\x04"):
            raise ValueError("not an .npz (zip) archive")
        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise bad(arrays_path, f"not a readable array archive ({exc})") from None
    k = len(meta["frame_ids"])

    def array(name: str, shape: tuple[int, ...], kind: str = "f") -> np.ndarray:
        value = arrays.get(name)
        if value is None:
            raise bad(arrays_path, f"no array {name!r}")
        if value.dtype.kind != kind or value.shape != shape:
            raise bad(arrays_path, f"array {name!r} is {value.dtype} {value.shape}, expected "
                                   f"{'float64' if kind == 'f' else 'uint8'} {shape}")
        return np.asarray(value, dtype=np.float64)

    blocks: list[Block] = []
    names = set()
    for record in features["blocks"]:
        name = record["name"]
        if name in names:
            raise bad(features_path, f"two feature blocks named {name!r}")
        names.add(name)
        if record["kind"] == "ngrams":
            if not {"analyzer", "ngram_range", "vocabulary"} <= set(record) or (
                    record["analyzer"] == "word" and "token_pattern" not in record):
                raise bad(features_path, f"feature block {name!r} lacks its analyzer, n-gram range, "
                                         "vocabulary or token pattern")
            lo, hi = record["ngram_range"]
            if lo > hi:
                raise bad(features_path, f"feature block {name!r}: n-gram range {lo}..{hi}")
            vocabulary = record["vocabulary"]
            blocks.append(NgramBlock(
                name=name, analyzer=record["analyzer"], ngram_range=(int(lo), int(hi)),
                vocabulary=vocabulary, idf=array(f"idf.{name}", (len(vocabulary),)),
                weight=float(record["weight"]), sublinear_tf=record["sublinear_tf"]))
        else:
            if not {"frames", "terms", "token_pattern"} <= set(record):
                raise bad(features_path, f"feature block {name!r} lacks its frames, terms or token pattern")
            terms, frames = record["terms"], record["frames"]
            membership = array(f"membership.{name}", (len(terms), len(frames)), kind="u")
            blocks.append(CueBlock(
                name=name, frames=frames, terms=terms, idf=array(f"idf.{name}", (len(terms),)),
                membership=membership, weight=float(record["weight"]),
                sublinear_tf=record["sublinear_tf"]))
    n_features = sum(b.width for b in blocks)
    if n_features != features["n_features"]:
        raise bad(features_path, f"blocks of {n_features} columns, but n_features is "
                                 f"{features['n_features']}")
    weights = array("weights", (n_features, k))
    intercepts = array("intercepts", (k,))
    thresholds = array("thresholds", (k,))
    finite = [("weights", weights), ("thresholds", thresholds)] + [
        (f"idf.{b.name}", b.idf) for b in blocks]
    for name, values in finite:
        if not np.isfinite(values).all():
            raise bad(arrays_path, f"array {name!r} holds a value that is not finite")
    if np.isnan(intercepts).any() or ((thresholds < 0) | (thresholds > 1)).any():
        raise bad(arrays_path, "an intercept is NaN or a threshold is outside 0..1")
    written = meta["thresholds"]
    if any(abs(written[f] - t) > 1e-6 for f, t in zip(meta["frame_ids"], thresholds.tolist(), strict=True)):
        raise bad(directory, f"thresholds in {META_FILE} and {arrays_path.name} differ (frames "
                             "reordered or files mixed up)")
    return Model(frame_ids=meta["frame_ids"], thresholds=thresholds, meta=meta, path=directory,
                 blocks=blocks, weights=weights, intercepts=intercepts)


def _load_pickle(directory: Path, meta: dict[str, Any], given: Path | None) -> Model:
    """Format 1: a pickled pipeline. Runs code from the file: only with trust_pickle."""
    from importlib.metadata import version

    import joblib

    artifact = directory / meta["artifact"]["file"]
    try:
        data = artifact.read_bytes()
    except OSError:
        raise ModelError(f"{artifact}: missing model file; {_next_step(given)}") from None
    if hashlib.sha256(data).hexdigest() != meta["artifact"]["sha256"]:
        raise ModelError(f"{artifact}: sha256 does not match {META_FILE}; the file is corrupt "
                         f"or was changed, and is not unpickled; {_next_step(given)}")
    trained_with = (meta.get("versions") or {}).get("scikit-learn")
    if trained_with and trained_with != version("scikit-learn"):
        warnings.warn(f"{directory}: trained with scikit-learn {trained_with}, running "
                      f"{version('scikit-learn')}; predictions may differ (retrain to be sure)",
                      VersionWarning, stacklevel=4)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's own version warning: ours said it
            payload = joblib.load(io.BytesIO(data))
        pipeline, frame_ids = payload["pipeline"], list(payload["frame_ids"])
        thresholds = np.asarray(payload["thresholds"], dtype=np.float64)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ModelError(f"{artifact}: cannot load ({type(exc).__name__}: {exc}); "
                         f"{_next_step(given)}") from None
    if frame_ids != meta.get("frame_ids"):
        raise ModelError(f"{directory}: frames in {MODEL_FILE} and {META_FILE} differ; {_next_step(given)}")
    return Model(pipeline=pipeline, frame_ids=frame_ids, thresholds=thresholds, meta=meta, path=directory)


def convert_model(source: str | Path, out: str | Path | None = None, *, trust_pickle: bool = False) -> Path:
    """Convert a model of the old pickled format into the data-only format.

    Writes into ``out`` (default: ``source`` itself, replaced as a whole). Unpickling runs
    code, so ``trust_pickle`` must be True for a pickled model; a model already in the
    current format is rewritten as is.
    """
    source = Path(source)
    meta = read_meta(source)
    if meta["format_version"] == PICKLE_FORMAT_VERSION and not trust_pickle:
        raise ModelError(f"{source}: converting a pickled model unpickles it, which runs whatever "
                         "code it holds; pass --trust-pickle (trust_pickle=True) if you trust its source")
    model = load_model(source, trust_pickle=trust_pickle)
    if meta["format_version"] == PICKLE_FORMAT_VERSION:
        model.meta = {**model.meta, "converted": {
            "from_format": PICKLE_FORMAT_VERSION,
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "by": environment()}}
    return save_model(model, out if out is not None else source)
