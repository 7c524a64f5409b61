"""framing.featurise: the scorer's own featuriser gives the fitted scikit-learn pipeline's
features and probabilities (to 1e-12) on any text, without scikit-learn."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from framing.featurise import LONG_WORD, char_wb_ngrams
from framing.model import Model, load_model

TOLERANCE = 1e-12


def _rows(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def shipped() -> tuple[Model, object]:
    """The shipped model and the scikit-learn pipeline rebuilt from its arrays."""
    model = load_model()
    return model, model.to_sklearn()


@pytest.fixture(scope="module")
def words(shipped: tuple[Model, object]) -> list[str]:
    """Words the shipped model knows (so generated text hits its vocabulary) and a few it does not."""
    model, _ = shipped
    names = [n.partition("__")[2] for n in model.feature_names if n.startswith("words__")]
    return sorted({w for n in names for w in n.split()}) + ["Foreign-trained", "26,000", "İstanbul"]


def assert_same(model: Model, pipeline: object, texts: list[str]) -> None:
    expected_x = pipeline[0].transform(texts).sorted_indices()  # type: ignore[index]
    got_x = model.features(texts)
    assert got_x.shape == expected_x.shape
    assert abs(got_x - expected_x).max() <= TOLERANCE if got_x.nnz or expected_x.nnz else True
    np.testing.assert_array_equal(got_x.indptr, expected_x.indptr)
    np.testing.assert_array_equal(got_x.indices, expected_x.indices)
    np.testing.assert_allclose(model.predict_proba(texts), pipeline.predict_proba(texts),  # type: ignore[attr-defined]
                               rtol=0, atol=TOLERANCE)


def test_seeds_and_challenge_set(shipped: tuple[Model, object], repo_root: Path) -> None:
    model, pipeline = shipped
    texts = _rows(repo_root / "labels" / "seed_sentences.csv") + _rows(repo_root / "bench" / "challenge.csv")
    assert_same(model, pipeline, texts)


def test_whole_seed_articles(shipped: tuple[Model, object], seeds_dir: Path) -> None:
    model, pipeline = shipped
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    assert_same(model, pipeline, texts)


def test_the_toy_models_own_fitted_pipeline(toy_model: Model) -> None:
    texts = ["Fuel prices rose; anti-terrorist units met bandits.", "Talks, dialogue, negotiations!",
             "", "   ", "wages wages wages 12 13,5"]
    assert_same(toy_model, toy_model.pipeline, texts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=200), min_size=1, max_size=8))
def test_arbitrary_unicode(shipped: tuple[Model, object], texts: list[str]) -> None:
    model, pipeline = shipped
    assert_same(model, pipeline, texts)


SEPARATORS = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\x1c", ", ", ". ", "-", "\u2019", "\u201c"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_text_from_the_vocabulary(shipped: tuple[Model, object], words: list[str],
                                            data: st.DataObject) -> None:
    model, pipeline = shipped
    texts = []
    for _ in range(data.draw(st.integers(1, 6))):
        chosen = data.draw(st.lists(st.sampled_from(words), max_size=40))
        glue = data.draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(chosen), max_size=len(chosen)))
        texts.append("".join(w.upper() if i % 7 == 3 else w + g
                             for i, (w, g) in enumerate(zip(chosen, glue, strict=True))))
    assert_same(model, pipeline, texts)


def test_words_longer_than_the_cache_limit(shipped: tuple[Model, object]) -> None:
    model, pipeline = shipped
    texts = ["a" * (LONG_WORD + 1), "terrorists" * 20 + " killed " + "x" * 5000, "ab " * 3 + "c" * 65]
    assert_same(model, pipeline, texts)


def test_a_text_scores_the_same_alone_and_in_any_batch(shipped: tuple[Model, object],
                                                       repo_root: Path) -> None:
    model, _ = shipped
    texts = _rows(repo_root / "bench" / "challenge.csv")
    together = model.predict_proba(texts)
    for i in (0, 7, len(texts) - 1):
        np.testing.assert_array_equal(model.predict_proba([texts[i]])[0], together[i])


@given(word=st.text(min_size=1, max_size=12).filter(lambda w: not any(c.isspace() for c in w)),
       low=st.integers(1, 4), width=st.integers(0, 3))
def test_char_wb_ngrams_are_scikit_learns(word: str, low: int, width: int) -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(low, low + width), lowercase=False)
    assert char_wb_ngrams(word, low, low + width) == analyzer._char_wb_ngrams(word)


WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(alphabet=st.sampled_from(list(WHITESPACE + "ab0,")), max_size=30),
                      min_size=1, max_size=5))
def test_every_kind_of_whitespace(shipped: tuple[Model, object], texts: list[str]) -> None:
    model, pipeline = shipped
    assert_same(model, pipeline, texts)


def test_terms_of_scored_sentences_are_explains_terms(shipped: tuple[Model, object], repo_root: Path) -> None:
    from framing.explain import top_terms
    from framing.score import TERMS_PER_FRAME, predict_sentences

    model, _ = shipped
    texts = _rows(repo_root / "labels" / "seed_sentences.csv") + _rows(repo_root / "bench" / "challenge.csv")
    X = model.features(texts)
    for i, scored in enumerate(predict_sentences(texts, model=model, threshold=0.2)):
        for frame, terms in scored.terms.items():
            expected, _ = top_terms(model, X[i], model.frame_ids.index(frame), TERMS_PER_FRAME)
            assert terms == expected, (i, frame)


def test_texts_with_more_n_grams_than_listed_are_counted_alike(shipped: tuple[Model, object], repo_root: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import framing.featurise

    monkeypatch.setattr(framing.featurise, "ROW_OCCURRENCES", 7)  # every text goes the long way
    model, pipeline = shipped
    texts = _rows(repo_root / "bench" / "challenge.csv")[:40] + ["", "a", "a" * 70 + " terrorists " * 30]
    assert_same(model, pipeline, texts)
