"""framing.report: the JSON and JSONL renderers stream a document piece by piece (issue 9,
finding 7: `--sentences --format json` held the whole document in memory), and the pieces
make exactly the text ``json.dumps`` makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest

from framing.model import Model, load_model
from framing.report import article_record, iter_json, iter_jsonl, model_record
from framing.score import predict

TEXT = "Security forces killed five militants. Talks resumed.\nThe president blamed foreign agents.\n"


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model()


def records(model: Model, sentences: bool) -> list[dict[str, Any]]:
    return [article_record(name, predict(text, model=model, sentences=sentences), sentences=sentences)
            for name, text in (("a", TEXT), ("empty", ""), ("b", "Talks resumed."))]


def plain(record: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, Iterator) else v for k, v in record.items()}


@pytest.mark.parametrize("sentences", [True, False])
@pytest.mark.parametrize("errors", [[], [{"input": "x.txt", "error": "x.txt: no such file"}]])
def test_streamed_json_is_json_dumps(model: Model, sentences: bool, errors: list[dict[str, str]]) -> None:
    expected = json.dumps({"framing_version": version("framing"), "model": model_record(model, None),
                           "articles": [plain(r) for r in records(model, sentences)], "errors": errors},
                          indent=2, ensure_ascii=False) + "\n"
    pieces = list(iter_json(iter(records(model, sentences)), errors, model, None))
    assert "".join(pieces) == expected
    if sentences:  # one piece per sentence, not one per document
        assert len(pieces) > 3 + sum(r["n_sentences"] for r in map(plain, records(model, True)))
    assert "".join(iter_json([], errors, model, None)) == json.dumps(
        {"framing_version": version("framing"), "model": model_record(model, None), "articles": [],
         "errors": errors}, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("sentences", [True, False])
def test_streamed_jsonl_is_json_dumps(model: Model, sentences: bool) -> None:
    expected = "".join(json.dumps(plain(r), ensure_ascii=False) + "\n" for r in records(model, sentences))
    assert "".join(iter_jsonl(records(model, sentences))) == expected
