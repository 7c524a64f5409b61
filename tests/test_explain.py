"""framing.explain: each frame's probability and the feature contributions behind it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import logit

from framing.explain import FrameExplanation, Term, contributions, explain, readable, top_terms
from framing.model import Model, load_model
from framing.score import predict_sentences

SENTENCES = [
    'Kazakh President Nursultan Nazarbaev claimed that the attackers "received instructions '
    'from abroad."',
    "Police opened fire on the protesters, killing at least 160 people, including three children.",
    "Tokayev invited Russian troops into the country to help government forces quell the "
    "demonstrations.",
    "Human-rights groups urged the authorities to release the detained activists.",
    "Schools and businesses reopened on Monday.",
    "The weather was mild.",
    "",
]


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="module")
def explained(model: Model) -> dict[str, list[FrameExplanation]]:
    return {text: explain(text, model=model) for text in SENTENCES}


@pytest.mark.parametrize("text", SENTENCES)
def test_one_explanation_per_frame(text: str, explained: dict, model: Model) -> None:
    result = explained[text]
    assert [e.frame for e in result] == model.frame_ids
    names = model.frame_names
    for e, threshold in zip(result, model.thresholds, strict=True):
        assert e.name == names[e.frame]
        assert e.threshold == float(threshold)
        assert 0.0 < e.probability < 1.0
        assert e.present == (e.probability >= e.threshold)


@pytest.mark.parametrize("text", SENTENCES)
def test_probability_is_the_sentence_score(text: str, explained: dict, model: Model) -> None:
    (scored,) = predict_sentences([text], model=model)
    assert {e.frame: e.probability for e in explained[text]} == scored.scores
    assert [e.frame for e in explained[text] if e.present] == sorted(
        scored.frames, key=model.frame_ids.index)


@pytest.mark.parametrize("text", SENTENCES)
def test_intercept_plus_contributions_is_the_log_odds(text: str, explained: dict, model: Model) -> None:
    row = model.features([text])[0]
    for k, e in enumerate(explained[text]):
        indices, weights = contributions(model, row, k)
        assert len(indices) == len(weights) == row.nnz
        log_odds = e.intercept + weights.sum()
        assert log_odds == pytest.approx(logit(e.probability), rel=1e-6, abs=1e-9)
        assert log_odds == pytest.approx(np.log(e.probability / (1 - e.probability)), rel=1e-6, abs=1e-9)
        assert e.intercept == model.intercepts[k]


def test_empty_text_is_the_intercept_alone(explained: dict, model: Model) -> None:
    row = model.features([""])[0]
    assert row.nnz == 0
    for k, e in enumerate(explained[""]):
        assert e.up == [] and e.down == []
        assert len(contributions(model, row, k)[0]) == 0
        assert e.intercept == pytest.approx(logit(e.probability), rel=1e-6)


@pytest.mark.parametrize("text", SENTENCES[:-1])
def test_up_and_down_are_the_strongest_pushes_sorted(text: str, explained: dict, model: Model) -> None:
    row = model.features([text])[0]
    names = model.feature_names
    for k, e in enumerate(explained[text]):
        indices, weights = contributions(model, row, k)
        up = [t.weight for t in e.up]
        down = [t.weight for t in e.down]
        assert all(w > 0 for w in up)
        assert all(w < 0 for w in down)
        assert up == sorted(up, reverse=True)
        assert down == sorted(down)
        assert len(up) <= 8 and len(down) <= 8
        positive = sorted((w for w in weights if w > 0), reverse=True)
        negative = sorted(w for w in weights if w < 0)
        assert up == positive[:8]
        assert down == negative[:8]
        by_weight: dict[float, set[str]] = {}
        for i, w in zip(indices, weights, strict=True):
            by_weight.setdefault(float(w), set()).add(readable(names[i]))
        for t in e.up + e.down:
            assert t.term in by_weight[t.weight]


def test_a_cue_sentence_is_explained_by_its_cues(explained: dict) -> None:
    result = {e.frame: e for e in explained[SENTENCES[0]]}
    foreign = result["foreign_instigation"]
    assert foreign.present
    terms = [t.term for t in foreign.up]
    assert "cue 'from abroad'" in terms
    assert "all foreign_instigation cue terms" in terms


@pytest.mark.parametrize("top", [1, 3])
def test_top_limits_terms(top: int, model: Model) -> None:
    full = explain(SENTENCES[1], model=model)
    for short, long in zip(explain(SENTENCES[1], model=model, top=top), full, strict=True):
        assert short.up == long.up[:top]
        assert short.down == long.down[:top]
        assert short.probability == long.probability


def test_explain_uses_the_default_model() -> None:
    assert [e.probability for e in explain(SENTENCES[2])] == [
        e.probability for e in explain(SENTENCES[2], model=load_model())]


def test_to_dict_is_plain_json(explained: dict) -> None:
    for e in explained[SENTENCES[0]]:
        d = e.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert set(d) == {"frame", "name", "probability", "threshold", "present", "intercept", "up", "down"}
        assert d["present"] is e.present
        assert d["probability"] == round(e.probability, 4)
        assert d["up"] == [{"term": t.term, "weight": round(t.weight, 4)} for t in e.up]


def test_top_terms_match_explain(model: Model) -> None:
    row = model.features([SENTENCES[3]])[0]
    for k, e in enumerate(explain(SENTENCES[3], model=model, top=5)):
        assert top_terms(model, row, k, 5) == (e.up, e.down)


@pytest.mark.parametrize(("feature", "shown"), [
    ("words__fire", "fire"),
    ("words__fire without", "fire without"),
    ("words__0", "<number>"),
    ("words__0 killed", "<number> killed"),
    ("words__killed 0 people", "killed <number> people"),
    ("words__10", "10"),  # only the folded number token "0" is renamed
    ("words__b0b", "b0b"),
    ("chars__ter", "chars 'ter'"),
    ("chars__ fi", "chars ' fi'"),
    ("chars__0 ", "chars '0 '"),
    ("cues__cue 'terrorists'", "cue 'terrorists'"),
    ("cues__terrorism_label cues", "terrorism_label cues"),
    ("cues__all foreign_instigation cue terms", "all foreign_instigation cue terms"),
])
def test_readable(feature: str, shown: str) -> None:
    assert readable(feature) == shown


def test_every_feature_block_is_known(model: Model) -> None:
    blocks = {name.partition("__")[0] for name in model.feature_names}
    assert blocks == {"words", "chars", "cues"}
    for name in model.feature_names:
        assert not readable(name).startswith(("words__", "chars__", "cues__"))


def test_term_to_dict() -> None:
    assert Term("fire", 0.123456).to_dict() == {"term": "fire", "weight": 0.1235}
