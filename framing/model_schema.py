"""The JSON schemas of a model directory's JSON files, and the small checker that applies them.

The schemas are standard JSON Schema (draft 2020-12) documents; ``docs/model.schema.json``
is written from :data:`META_SCHEMA` and tests check it with the ``jsonschema`` package.

At run time they are checked by :func:`check`, which implements the handful of keywords
these schemas use (``type``, ``properties``, ``required``, ``additionalProperties``,
``items``, ``minItems``, ``maxItems``, ``uniqueItems``, ``const``, ``enum``, ``minimum``,
``maximum``, ``minLength``, ``pattern``). Why not ``jsonschema`` itself: importing it costs
about 70 ms, a fifth of the whole start-up budget of ``framing score`` (issue 12 asks for
about 0.4 s), and it would add four runtime dependencies, one a compiled Rust extension
(rpds-py), to a package that otherwise needs numpy and a segmenter to score.
tests/test_model_schema.py checks that this checker and ``jsonschema`` accept and refuse
the same documents.
"""

from __future__ import annotations

import re
from typing import Any

HEX64 = "^[0-9a-f]{64}$"
_STRINGS = {"type": "array", "items": {"type": "string"}}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_FILE = {
    "type": "object",
    "required": ["file", "sha256"],
    "properties": {
        "file": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+$"},
        "sha256": {"type": "string", "pattern": HEX64},
    },
}
_SCORES = {
    "type": "object",
    "properties": {k: {"type": "number"} for k in ("precision", "recall", "f1")}
    | {"support": {"type": "integer"}},
}

_COMMON: dict[str, Any] = {
    "frame_ids": {**_STRINGS, "minItems": 1, "uniqueItems": True},
    "thresholds": {"type": "object",
                   "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
    "frame_names": _STRING_MAP,
    "unit": {"enum": ["sentence", "article"]},
    "created": {"type": "string"},
    "versions": _STRING_MAP,
    "codebook": {"type": ["object", "null"], "properties": {"path": {"type": "string"},
                                                            "sha256": {"type": "string"}}},
    "labels": {"type": "object", "properties": {"paths": _STRINGS, "sha256": _STRING_MAP}},
    "examples": {"type": "object", "properties": {
        "labelled_texts": {"type": "integer", "minimum": 0},
        "articles": {"type": "integer", "minimum": 0},
        "constructed_texts": {"type": "integer", "minimum": 0},
        "per_frame": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}},
    }},
    "hyperparameters": {"type": "object"},
    "search": {"type": "object"},
    "cv": {"type": "object", "properties": {
        "method": {"type": "string"},
        "frames": {"type": "object", "additionalProperties": _SCORES},
        "micro": _SCORES,
        "macro": _SCORES,
    }},
    "segmenter": _STRING_MAP,
}

# meta.json of the data-only format (framing.model.FORMAT_VERSION).
META_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "framing model meta.json (format 2)",
    "type": "object",
    "required": ["format_version", "frame_ids", "thresholds", "files"],
    "properties": {
        "format_version": {"const": 2},
        **_COMMON,
        "files": {"type": "object", "required": ["features", "arrays"],
                  "properties": {"features": _FILE, "arrays": _FILE}},
    },
}

# meta.json of the old pickled format, read only to say what it is (and with trust_pickle).
PICKLE_META_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "framing model meta.json (format 1: a pickled pipeline)",
    "type": "object",
    "required": ["format_version", "frame_ids", "thresholds", "artifact"],
    "properties": {"format_version": {"const": 1}, **_COMMON, "artifact": _FILE},
}

_NGRAMS = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2, "maxItems": 2}

# The features file: every feature block's settings and vocabulary (arrays are in the .npz).
FEATURES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "framing model feature blocks",
    "type": "object",
    "required": ["n_features", "blocks"],
    "properties": {
        "n_features": {"type": "integer", "minimum": 0},
        "blocks": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "kind", "weight", "sublinear_tf", "norm", "preprocessor"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[A-Za-z0-9_]+$"},
                "kind": {"enum": ["ngrams", "cues"]},
                "analyzer": {"enum": ["word", "char_wb"]},
                "ngram_range": _NGRAMS,
                "token_pattern": {"const": r"(?u)\b\w+\b"},
                "preprocessor": {"enum": ["framing.text.normalise"]},
                "norm": {"const": "l2"},
                "sublinear_tf": {"type": "boolean"},
                "weight": {"type": "number"},
                "vocabulary": _STRINGS,
                "terms": {**_STRINGS, "minItems": 1},
                "frames": _STRINGS,
            },
        }},
    },
}

_TYPES: dict[str, Any] = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def _where(path: str) -> str:
    return path or "the document"


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def check(value: Any, schema: dict[str, Any], path: str = "") -> str | None:
    """The first way ``value`` breaks ``schema``, as a phrase naming the key; None if it fits."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, k) for k in kinds):
            return f"{_where(path)} is {_show(value)}, expected {' or '.join(kinds)}"
    if "const" in schema and not _equal(value, schema["const"]):
        return f"{_where(path)} is {_show(value)}, expected {schema['const']!r}"
    if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
        return f"{_where(path)} is {_show(value)}, expected one of {', '.join(map(repr, schema['enum']))}"
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{_where(path)} is {value!r}, below {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{_where(path)} is {value!r}, above {schema['maximum']}"
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return f"{_where(path)} is too short"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"{_where(path)} is {_show(value)}, which does not match {schema['pattern']}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                return f"{_where(path)} has no {key!r}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            inner = properties.get(key, extra)
            if inner is False:
                return f"{_where(path)} has an unexpected key {key!r}"
            if isinstance(inner, dict) and inner:
                problem = check(item, inner, f"{path}.{key}" if path else str(key))
                if problem:
                    return problem
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"{_where(path)} has {len(value)} item(s), expected at least {schema['minItems']}"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{_where(path)} has {len(value)} item(s), expected at most {schema['maxItems']}"
        if schema.get("uniqueItems") and _has_duplicates(value):
            return f"{_where(path)} repeats an item"
        items = schema.get("items")
        if isinstance(items, dict) and items:
            for i, item in enumerate(value):
                problem = check(item, items, f"{path}[{i}]")
                if problem:
                    return problem
    return None


def _has_duplicates(values: list[Any]) -> bool:
    if all(isinstance(v, str) for v in values):
        return len(set(values)) < len(values)
    return any(_equal(a, b) for i, a in enumerate(values) for b in values[i + 1:])


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
