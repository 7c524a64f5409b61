"""The model: one fitted scikit-learn Pipeline (features + one-vs-rest logistic regression),
its per-frame thresholds, and the metadata that travels with it.

On disk a model is a directory with two files:

* ``model.joblib`` -- the pickled pipeline, frame ids and thresholds;
* ``meta.json``    -- everything a reader needs to trust and understand the model
  (versions, frames, data hashes, settings, cross-validated scores) and the sha256 of
  ``model.joblib``.

Pickle runs code when it is loaded: :func:`load_model` refuses a ``model.joblib`` whose
sha256 differs from ``meta.json``, but that only guards against corruption and accidental
mix-ups, not against someone who rewrites both files. Only load models you trust.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline

from framing.atomic import atomic_path
from framing.codebook import file_sha256
from framing.errors import ModelError
from framing.features import build_features
from framing.resources import shipped

# Bump FORMAT_VERSION whenever a model saved by this code could be misread by older code, or
# an older model by this code: a change to the keys of model.joblib's dict or meta.json's
# required keys, to the feature functions the pickle refers to, or to how thresholds or
# scores are interpreted. Loading refuses any other version.
FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
DEFAULT_MODEL = shipped("models", "default")


class VersionWarning(UserWarning):
    """The model was trained with a different scikit-learn than the one loading it."""


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
    return Pipeline([
        ("features", build_features(cues, word_ngrams=word_ngrams, char_ngrams=char_ngrams,
                                    min_df=min_df, cue_weight=cue_weight)),
        ("classifier", build_classifier(C)),
    ])


def build_classifier(C: float = 4.0) -> OneVsRestClassifier:  # noqa: N803 - scikit-learn's name
    """One balanced logistic regression per frame (multi-label)."""
    # dual: far faster when features outnumber texts, as here (same solution).
    return OneVsRestClassifier(LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000, random_state=0))


@dataclass
class Model:
    """A fitted pipeline with its frames, per-frame thresholds and metadata."""

    pipeline: Pipeline
    frame_ids: list[str]
    thresholds: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def frame_names(self) -> dict[str, str]:
        """Frame id -> short name (the id itself when the model has no codebook)."""
        names = self.meta.get("frame_names") or {}
        return {f: names.get(f, f) for f in self.frame_ids}

    @property
    def unit(self) -> str:
        """What the model was trained on: ``"sentence"`` or ``"article"``."""
        return str(self.meta.get("unit", "sentence"))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each frame (columns in ``frame_ids`` order) for each text."""
        return self.proba_from_features(self.features(texts))

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The feature rows of ``texts`` (the pipeline without its classifier)."""
        if len(texts) == 0:
            return sp.csr_matrix((0, len(self.feature_names)))
        return sp.csr_matrix(self.pipeline[:-1].transform(list(texts)))

    def proba_from_features(self, X: sp.csr_matrix) -> np.ndarray:
        """Frame probabilities from feature rows (see :meth:`features`)."""
        if X.shape[0] == 0:
            return np.zeros((0, len(self.frame_ids)))
        return np.asarray(self.pipeline[-1].predict_proba(X), dtype=np.float64)

    @cached_property
    def feature_names(self) -> np.ndarray:
        """Names of the feature columns, block-prefixed (``words__``, ``chars__``, ``cues__``)."""
        return np.asarray(self.pipeline[:-1].get_feature_names_out(), dtype=object)

    @cached_property
    def coefficients(self) -> list[np.ndarray | None]:
        """Per frame, the classifier's coefficient vector (None for a constant predictor)."""
        out: list[np.ndarray | None] = []
        for estimator in self.pipeline[-1].estimators_:
            coef = getattr(estimator, "coef_", None)
            out.append(None if coef is None else np.asarray(coef).ravel())
        return out

    @cached_property
    def intercepts(self) -> list[float]:
        """Per frame, the classifier's intercept (0 for a constant predictor)."""
        return [float(np.ravel(getattr(e, "intercept_", [0.0]))[0])
                for e in self.pipeline[-1].estimators_]


def environment() -> dict[str, str]:
    """Versions that a saved model records."""
    return {
        "framing": version("framing"),
        "scikit-learn": version("scikit-learn"),
        "numpy": version("numpy"),
        "python": platform.python_version(),
    }


def save_model(model: Model, path: str | Path) -> Path:
    """Write ``model.joblib`` and ``meta.json`` into directory ``path``, each atomically."""
    import joblib

    directory = Path(path)
    with atomic_path(directory / MODEL_FILE) as tmp:
        joblib.dump({"pipeline": model.pipeline, "frame_ids": list(model.frame_ids),
                     "thresholds": np.asarray(model.thresholds, dtype=np.float64)}, tmp)
        digest = file_sha256(tmp)
    meta = {
        "format_version": FORMAT_VERSION,
        **{k: v for k, v in model.meta.items() if k not in {"format_version", "artifact"}},
        "frame_ids": list(model.frame_ids),
        "thresholds": {f: round(float(t), 6) for f, t in zip(model.frame_ids, model.thresholds, strict=True)},
        "artifact": {"file": MODEL_FILE, "sha256": digest},
    }
    meta.setdefault("created", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    meta.setdefault("versions", environment())
    with atomic_path(directory / META_FILE) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    model.meta, model.path = meta, directory
    return directory


_RETRAIN = "retrain it with `framing train` or use the shipped model (omit --model)"


def read_meta(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check a model directory's ``meta.json`` (no unpickling)."""
    directory = Path(path) if path is not None else DEFAULT_MODEL
    meta_file = directory / META_FILE
    if not directory.exists():
        raise ModelError(f"{directory}: no such model directory; {_RETRAIN}")
    if not meta_file.is_file():
        raise ModelError(f"{directory}: not a framing model (no {META_FILE}); {_RETRAIN}")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{meta_file}: corrupt metadata ({exc}); {_RETRAIN}") from None
    found = meta.get("format_version") if isinstance(meta, dict) else None
    if found != FORMAT_VERSION:
        raise ModelError(f"{meta_file}: model format version {found!r}, this framing reads "
                         f"version {FORMAT_VERSION}; {_RETRAIN}")
    return meta


def load_model(path: str | Path | None = None) -> Model:
    """Load a model directory; the shipped default model when ``path`` is None.

    The default model is loaded once and cached. The artifact's sha256 is checked against
    ``meta.json`` before unpickling; a mismatch, an unknown format version, or a missing or
    corrupt file raises ModelError. A different scikit-learn version than at training time
    gives a VersionWarning (predictions may differ).
    """
    if path is None:
        return _load_default()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _load_default() -> Model:
    return _load(DEFAULT_MODEL)


def _load(directory: Path) -> Model:
    import joblib

    meta = read_meta(directory)
    artifact = directory / MODEL_FILE
    if not artifact.is_file():
        raise ModelError(f"{artifact}: missing model file; {_RETRAIN}")
    expected = (meta.get("artifact") or {}).get("sha256")
    if file_sha256(artifact) != expected:
        raise ModelError(f"{artifact}: sha256 does not match {META_FILE}; the file is corrupt "
                         f"or was changed, and is not unpickled; {_RETRAIN}")
    trained_with = (meta.get("versions") or {}).get("scikit-learn")
    if trained_with and trained_with != version("scikit-learn"):
        warnings.warn(f"{directory}: trained with scikit-learn {trained_with}, running "
                      f"{version('scikit-learn')}; predictions may differ (retrain to be sure)",
                      VersionWarning, stacklevel=3)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's own version warning: ours said it
            payload = joblib.load(artifact)
        pipeline, frame_ids = payload["pipeline"], list(payload["frame_ids"])
        thresholds = np.asarray(payload["thresholds"], dtype=np.float64)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ModelError(f"{artifact}: cannot load ({type(exc).__name__}: {exc}); {_RETRAIN}") from None
    if frame_ids != meta.get("frame_ids"):
        raise ModelError(f"{directory}: frames in {MODEL_FILE} and {META_FILE} differ; {_RETRAIN}")
    return Model(pipeline=pipeline, frame_ids=frame_ids, thresholds=thresholds, meta=meta,
                 path=directory)
