"""framing.score: sentence probabilities, the article profile, evidence and coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framing
import framing.model
from framing.model import Model, load_model
from framing.score import BATCH, ArticleScore, predict, predict_sentences
from framing.segment import split_sentences

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model()


def seed_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_scores(model: Model) -> dict[str, tuple[str, ArticleScore]]:
    """Each seed article's text and its scores with default settings (computed once)."""
    return {p.name: (seed_text(p), predict(seed_text(p), model=model)) for p in SEEDS}


def test_there_are_seed_articles() -> None:
    assert len(SEEDS) == 5


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_sentences_point_back_into_the_article(seed: Path, seed_scores: dict, model: Model) -> None:
    text, result = seed_scores[seed.name]
    assert result.n_sentences == len(result.sentences) > 0
    expected = split_sentences(text)
    assert [(s.index, s.start, s.end, s.text) for s in result.sentences] == [
        (s.index, s.start, s.end, s.text) for s in expected]
    for sentence in result.sentences:
        assert sentence.start is not None and sentence.end is not None
        assert text[sentence.start:sentence.end] == sentence.text
        assert list(sentence.scores) == model.frame_ids


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_profile_is_the_maximum_sentence_score(seed: Path, seed_scores: dict, model: Model) -> None:
    _, result = seed_scores[seed.name]
    assert list(result.profile) == model.frame_ids
    for frame_id, value in result.profile.items():
        assert 0.0 <= value <= 1.0
        assert value == max(s.scores[frame_id] for s in result.sentences)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_frames_are_those_reaching_the_threshold_strongest_first(seed: Path, seed_scores: dict,
                                                                 model: Model) -> None:
    _, result = seed_scores[seed.name]
    thresholds = dict(zip(model.frame_ids, model.thresholds, strict=True))
    present = {f for f, p in result.profile.items() if p >= thresholds[f]}
    assert result.frames  # every seed article carries some frame
    assert set(result.frames) == present
    assert len(result.frames) == len(present)
    scores = [result.profile[f] for f in result.frames]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_sentence_frames_are_those_reaching_the_threshold(seed: Path, seed_scores: dict,
                                                          model: Model) -> None:
    _, result = seed_scores[seed.name]
    thresholds = dict(zip(model.frame_ids, model.thresholds, strict=True))
    for s in result.sentences:
        assert set(s.frames) == {f for f, p in s.scores.items() if p >= thresholds[f]}
        ordered = [s.scores[f] for f in s.frames]
        assert ordered == sorted(ordered, reverse=True)
        assert set(s.terms) == set(s.frames)
        for terms in s.terms.values():
            assert len(terms) <= 5
            weights = [t.weight for t in terms]
            assert all(w > 0 for w in weights)
            assert weights == sorted(weights, reverse=True)


@pytest.mark.parametrize("top", [1, 2, 3, 5])
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_evidence_is_the_best_sentences_carrying_the_frame(seed: Path, top: int, model: Model) -> None:
    result = predict(seed_text(seed), model=model, top=top)
    assert set(result.evidence) == set(result.frames)
    for frame_id, evidence in result.evidence.items():
        assert 1 <= len(evidence) <= top
        assert all(frame_id in s.frames for s in evidence)
        scores = [s.scores[frame_id] for s in evidence]
        assert scores == sorted(scores, reverse=True)
        carrying = [s for s in result.sentences if frame_id in s.frames]
        best = sorted(carrying, key=lambda s: (-s.scores[frame_id], s.index))[:top]
        assert [s.index for s in evidence] == [s.index for s in best]
        assert evidence[0].scores[frame_id] == result.profile[frame_id]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_coverage_is_the_share_of_sentences_carrying_the_frame(seed: Path, seed_scores: dict,
                                                               model: Model) -> None:
    _, result = seed_scores[seed.name]
    assert list(result.coverage) == model.frame_ids
    for frame_id, share in result.coverage.items():
        carrying = sum(frame_id in s.frames for s in result.sentences)
        assert share == pytest.approx(carrying / result.n_sentences)
        assert (share > 0) == (frame_id in result.frames)


def _plain_json_types(value: Any, where: str = "$") -> None:
    """Only the types json.loads gives back (a numpy float would pass json.dumps silently)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str, f"{where}: key {k!r}"
            _plain_json_types(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _plain_json_types(v, f"{where}[{i}]")
    else:
        assert type(value) in (str, int, float, bool, type(None)), f"{where}: {type(value).__name__}"


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_to_dict_is_plain_json(seed: Path, seed_scores: dict) -> None:
    _, result = seed_scores[seed.name]
    record = result.to_dict()
    _plain_json_types(record)
    assert json.loads(json.dumps(record)) == record
    assert set(record) == {"n_sentences", "frames", "profile", "coverage", "evidence", "sentences"}
    assert record["frames"] == result.frames
    assert record["profile"] == {f: round(p, 4) for f, p in result.profile.items()}
    assert [s["text"] for s in record["sentences"]] == [s.text for s in result.sentences]
    first = record["sentences"][0]
    assert set(first) == {"index", "start", "end", "text", "scores", "frames", "terms"}

    without = result.to_dict(sentences=False)
    assert "sentences" not in without
    assert without == {k: v for k, v in record.items() if k != "sentences"}


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_sentences_false_keeps_profile_and_evidence(seed: Path, seed_scores: dict, model: Model) -> None:
    text, full = seed_scores[seed.name]
    lean = predict(text, model=model, sentences=False)
    assert lean.sentences == []
    assert lean.n_sentences == full.n_sentences
    assert lean.profile == full.profile
    assert lean.frames == full.frames
    assert lean.coverage == full.coverage
    assert lean.evidence == full.evidence
    assert lean.to_dict(sentences=False) == full.to_dict(sentences=False)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_threshold_zero_makes_every_frame_present(seed: Path, model: Model) -> None:
    result = predict(seed_text(seed), model=model, threshold=0.0)
    assert set(result.frames) == set(model.frame_ids)
    scores = [result.profile[f] for f in result.frames]
    assert scores == sorted(scores, reverse=True)
    assert all(share == 1.0 for share in result.coverage.values())
    assert all(set(s.frames) == set(model.frame_ids) for s in result.sentences)
    assert set(result.evidence) == set(model.frame_ids)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_threshold_one_makes_no_frame_present(seed: Path, model: Model) -> None:
    # Logistic probabilities stay below 1 for these texts, so nothing reaches threshold 1.
    result = predict(seed_text(seed), model=model, threshold=1.0)
    assert all(p < 1.0 for p in result.profile.values())
    assert result.frames == []
    assert result.evidence == {}
    assert all(share == 0.0 for share in result.coverage.values())
    assert all(s.frames == [] and s.terms == {} for s in result.sentences)


def test_threshold_override_is_the_same_cut_for_every_frame(model: Model) -> None:
    text = seed_text(SEEDS[0])
    default = predict(text, model=model)
    cut = 0.5
    result = predict(text, model=model, threshold=cut)
    assert result.profile == default.profile  # the threshold changes decisions, not scores
    assert result.frames == [f for f in sorted(model.frame_ids, key=lambda f: -default.profile[f])
                             if default.profile[f] >= cut]
    assert set(result.frames) == {f for f, p in result.profile.items() if p >= cut}


@pytest.mark.parametrize("threshold", [-0.01, 1.01, float("nan")])
def test_threshold_out_of_range_is_refused(threshold: float, model: Model) -> None:
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        predict("The militants were killed.", model=model, threshold=threshold)


@pytest.mark.parametrize("top", [0, -1])
def test_top_below_one_is_refused(top: int, model: Model) -> None:
    with pytest.raises(ValueError, match="top"):
        predict("The militants were killed in a counterterrorism operation.", model=model, top=top)


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "\n\n\r\n\t \n",
    "Advertisement\n\nFollow us on Twitter\nSkip to main content\n",
    "Photo by Reuters\nRELATED Kazakh president declares day of mourning\n",
], ids=["empty", "spaces", "blank-lines", "furniture", "credit-and-teaser"])
def test_text_without_sentences_has_no_frames(text: str, model: Model) -> None:
    result = predict(text, model=model)
    assert result.sentences == []
    assert result.n_sentences == 0
    assert result.frames == []
    assert result.evidence == {}
    assert result.profile == dict.fromkeys(model.frame_ids, 0.0)
    assert result.coverage == dict.fromkeys(model.frame_ids, 0.0)
    _plain_json_types(result.to_dict())


def test_text_without_sentences_has_no_frames_at_threshold_zero(model: Model) -> None:
    result = predict("", model=model, threshold=0.0)
    assert result.n_sentences == 0
    assert result.frames == []
    assert result.evidence == {}


def test_a_leading_byte_order_mark_is_ignored(model: Model) -> None:
    text = "Kazakh security forces killed five suspected militants.\n"
    with_bom = predict("\ufeff" + text, model=model)
    assert with_bom.profile == predict(text, model=model).profile
    assert with_bom.sentences[0].text == text.strip()


def test_offsets_with_a_byte_order_mark_index_the_text_given(model: Model) -> None:
    text = "\ufeffKazakh security forces killed five suspected militants.\n"
    sentence = predict(text, model=model).sentences[0]
    assert sentence.start is not None and sentence.end is not None
    assert text[sentence.start:sentence.end] == sentence.text


def test_two_byte_order_marks_do_not_crash(model: Model) -> None:
    result = predict("\ufeff\ufeffThe militants were killed.", model=model)
    assert result.n_sentences == 1


def test_lone_surrogate_does_not_crash(model: Model) -> None:
    text = "The militants were killed \ud800 in Aqtobe."
    try:
        result = predict(text, model=model)
    except framing.FramingError:
        return  # a clear error is acceptable; a crash from deep inside the segmenter is not
    for s in result.sentences:
        assert text[s.start:s.end] == s.text


def test_predict_sentences_scores_each_text_alone(seed_scores: dict, model: Model) -> None:
    _, result = seed_scores[SEEDS[0].name]
    texts = [s.text for s in result.sentences]
    alone = predict_sentences(texts, model=model)
    assert [s.index for s in alone] == list(range(len(texts)))
    assert [s.text for s in alone] == texts
    for single, in_article in zip(alone, result.sentences, strict=True):
        assert single.start is None and single.end is None
        assert single.scores == in_article.scores
        assert single.frames == in_article.frames
        assert single.terms == in_article.terms


def test_predict_sentences_does_not_split_or_drop(model: Model) -> None:
    texts = ["Two sentences. In one text.", "Advertisement", "   ", ""]
    scored = predict_sentences(texts, model=model)
    assert [s.text for s in scored] == texts
    assert [s.index for s in scored] == [0, 1, 2, 3]
    assert predict_sentences([], model=model) == []


def test_predict_sentences_indices_continue_across_batches(model: Model) -> None:
    texts = [f"Officials said {i} people were detained." for i in range(BATCH + 7)]
    scored = predict_sentences(texts, model=model, threshold=0.0)
    assert [s.index for s in scored] == list(range(len(texts)))
    assert all(set(s.frames) == set(model.frame_ids) for s in scored)


def test_long_article_indices_continue_across_batches(model: Model) -> None:
    text = "\n".join(f"Paragraph {i}: officials said {i} people were detained." for i in range(BATCH + 9))
    result = predict(text, model=model)
    assert result.n_sentences == BATCH + 9
    assert [s.index for s in result.sentences] == list(range(BATCH + 9))
    for s in result.sentences:
        assert text[s.start:s.end] == s.text


def test_default_model_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_model()
    assert framing.load_model() is first

    def no_reload(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was read again")

    monkeypatch.setattr(framing.model, "_load_data", no_reload)
    a = predict("The militants were killed.")
    b = predict("The militants were killed.")
    assert a.profile == b.profile
    predict_sentences(["The militants were killed."])
    framing.explain("The militants were killed.")
    assert load_model() is first


@pytest.mark.slow
def test_very_long_article_keeps_bounded_evidence(model: Model) -> None:
    one_copy = "\n".join(seed_text(p) for p in SEEDS)
    text = one_copy * (5_000_000 // len(one_copy) + 1)
    assert len(text) >= 5_000_000
    result = predict(text, model=model, sentences=False, top=3)
    assert result.sentences == []
    assert result.n_sentences > 30_000
    assert result.evidence
    assert all(1 <= len(ev) <= 3 for ev in result.evidence.values())
    assert set(result.evidence) == set(result.frames)
    for ev in result.evidence.values():
        for s in ev:
            assert text[s.start:s.end] == s.text
    # Repeating the text repeats its sentences with the same scores, so a frame's evidence is
    # its best sentence of the first copy, once per copy, earliest first (ties go to the
    # earlier sentence).
    first = predict(one_copy, model=model, sentences=False, top=1)
    assert result.profile == first.profile
    assert result.frames == first.frames
    for frame_id, (best,) in first.evidence.items():
        assert best.start is not None and best.start > 0  # not the headline, dropped when repeated
        assert [(s.start, s.text) for s in result.evidence[frame_id]] == [
            (best.start + k * len(one_copy), best.text) for k in range(3)]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.text(),
    st.lists(st.sampled_from([
        "Kazakh police said the attackers were terrorists.", "\n", "\r\n", " ", "  \n\n",
        "Advertisement", "“We had to deal with bandits,” he said.", "U.S. officials", "Jan. 5",
        "\u2028", "\t", "!!!", "Mr. Tokayev", '"', "\u00a0", "Photo by EPA",
    ]), max_size=30).map("".join),
))
def test_predict_never_raises_and_offsets_point_back(text: str, model: Model) -> None:
    result = predict(text, model=model, top=2)
    assert result.n_sentences == len(result.sentences)
    previous_end = 0
    for i, s in enumerate(result.sentences):
        assert s.index == i
        assert s.start is not None and s.end is not None
        assert previous_end <= s.start < s.end <= len(text)
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip()
        previous_end = s.end
    for frame_id, ev in result.evidence.items():
        assert 1 <= len(ev) <= 2
        assert all(frame_id in s.frames for s in ev)
    assert all(0.0 <= p <= 1.0 for p in result.profile.values())
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


# --- API arguments (issue 9 finding 8): wrong types are a TypeError that says what to pass ------

@pytest.mark.parametrize(("text", "named"), [(None, "NoneType"), (b"Troops fired.", "bytes"), (3, "int"),
                                             (["a"], "list")])
def test_predict_refuses_what_is_not_text(text: object, named: str, model: Model) -> None:
    with pytest.raises(TypeError) as info:
        predict(text, model=model)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"predict takes the article's text as str, not {named}")
    if named == "bytes":
        assert str(info.value).endswith("; decode bytes first (text.decode('utf-8'))")


@pytest.mark.parametrize(("sentences", "message"), [
    ([None], "predict_sentences: sentence 0 is NoneType, not str"),
    (["fine", b"bytes"], "predict_sentences: sentence 1 is bytes, not str"),
    ("one string", "predict_sentences takes a list of sentences; for an article use predict()"),
    (3, "predict_sentences takes a list of str, not int"),
])
def test_predict_sentences_refuses_what_is_not_a_list_of_text(sentences: object, message: str,
                                                              model: Model) -> None:
    with pytest.raises(TypeError) as info:
        predict_sentences(sentences, model=model)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize("given", ["models/default", Path("models/default")])
def test_a_path_for_model_says_to_load_it(given: object) -> None:
    for call in (lambda: predict("Troops fired.", model=given),  # type: ignore[arg-type]
                 lambda: predict_sentences(["Troops fired."], model=given),  # type: ignore[arg-type]
                 lambda: framing.explain("Troops fired.", model=given)):  # type: ignore[arg-type]
        with pytest.raises(TypeError) as info:
            call()
        assert "model must be a framing.Model" in str(info.value)
        assert "framing.load_model(path)" in str(info.value)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"threshold": "0.5"}, TypeError, "threshold must be a number between 0 and 1, not str"),
    ({"threshold": True}, TypeError, "threshold must be a number between 0 and 1, not bool"),
    ({"top": 2.5}, TypeError, "top must be an int, not float"),
])
def test_predict_refuses_options_of_the_wrong_type(kwargs: dict, error: type, message: str,
                                                   model: Model) -> None:
    with pytest.raises(error) as info:
        predict("Troops fired.", model=model, **kwargs)
    assert str(info.value) == message


def test_terms_are_computed_for_the_evidence_only_without_sentences(model: Model) -> None:
    text = "\n".join(seed_text(p) for p in SEEDS)
    full = predict(text, model=model, top=2)
    lean = predict(text, model=model, top=2, sentences=False)
    assert lean.sentences == []
    assert {f: [(s.index, s.terms) for s in ss] for f, ss in lean.evidence.items()} == {
        f: [(s.index, s.terms) for s in ss] for f, ss in full.evidence.items()}
    assert all(s.terms for ss in lean.evidence.values() for s in ss)
