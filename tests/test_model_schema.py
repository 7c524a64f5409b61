"""framing.model_schema: the small run-time checker agrees with the jsonschema package."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.model import DEFAULT_MODEL, META_FILE, read_meta
from framing.model_schema import FEATURES_SCHEMA, META_SCHEMA, PICKLE_META_SCHEMA, check

SCHEMAS = {"meta": META_SCHEMA, "features": FEATURES_SCHEMA, "pickle-meta": PICKLE_META_SCHEMA}


def agree(document: Any, schema: dict[str, Any]) -> None:
    ours = check(document, schema)
    theirs = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert (ours is None) == (not theirs), (ours, [e.message for e in theirs])


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_schemas_are_valid_json_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[name])


@pytest.mark.parametrize(("name", "schema"), [("model.schema.json", META_SCHEMA),
                                              ("model-features.schema.json", FEATURES_SCHEMA)])
def test_the_documented_schemas_are_the_ones_used(repo_root: Path, name: str, schema: dict) -> None:
    assert json.loads((repo_root / "docs" / name).read_text(encoding="utf-8")) == schema


def test_the_shipped_model_fits() -> None:
    meta = read_meta()
    agree(meta, META_SCHEMA)
    assert check(meta, META_SCHEMA) is None
    features = json.loads((DEFAULT_MODEL / meta["files"]["features"]["file"]).read_text(encoding="utf-8"))
    assert check(features, FEATURES_SCHEMA) is None
    agree(features, FEATURES_SCHEMA)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=5)
                    | st.sampled_from(["sentence", "l2", "0" * 64, "../x", "word"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                 max_size=3),
                    max_leaves=8)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_metadata_is_judged_alike(data: st.DataObject) -> None:
    meta = json.loads((DEFAULT_MODEL / META_FILE).read_text(encoding="utf-8"))
    meta.pop("cv")
    meta.pop("search")
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(meta)))
        if not path:
            continue
        parent = meta
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(JSON)
    agree(meta, META_SCHEMA)
    files = meta.get("files")
    old = copy.deepcopy(meta) | {"format_version": 1,
                                 "artifact": files.get("arrays") if isinstance(files, dict) else files}
    agree(old, PICKLE_META_SCHEMA)


@settings(max_examples=200, deadline=None)
@given(document=JSON)
def test_arbitrary_documents_are_judged_alike(document: Any) -> None:
    for schema in SCHEMAS.values():
        agree(document, schema)
