"""Helpers for tests of the old pickled model format and of pickles planted in model files."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from framing.model import META_FILE, MODEL_FILE, Model


class Payload:
    """An object whose unpickling runs ``touch MARKER`` (a stand-in for any shell command)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def write_pickled_model(model: Model, directory: Path, *, payload: Path | None = None) -> Path:
    """Write ``model`` in the old format 1 (``model.joblib`` + ``meta.json``); with ``payload``,
    the pickle also holds a :class:`Payload` touching that path when unpickled."""
    directory.mkdir(parents=True, exist_ok=True)
    content: dict[str, Any] = {"pipeline": model.pipeline, "frame_ids": list(model.frame_ids),
                               "thresholds": np.asarray(model.thresholds, dtype=np.float64)}
    if payload is not None:
        content["x"] = Payload(payload)
    joblib.dump(content, directory / MODEL_FILE)
    digest = hashlib.sha256((directory / MODEL_FILE).read_bytes()).hexdigest()
    meta = {k: v for k, v in model.meta.items() if k not in ("files", "format_version")}
    meta.update(format_version=1, frame_ids=list(model.frame_ids),
                thresholds={f: round(float(t), 6) for f, t in zip(model.frame_ids, model.thresholds,
                                                                  strict=True)},
                artifact={"file": MODEL_FILE, "sha256": digest})
    (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    return directory
