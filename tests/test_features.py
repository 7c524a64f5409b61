"""framing.features: text normalisation, cue terms, the cue block and the feature union."""

from __future__ import annotations

import numpy as np
import pytest

from framing.features import CueFeatures, build_features, cue_term, normalise

CUES = {
    "terror": ["Anti-terrorist", "bandits"],
    "talks": ["talks", "bandits"],  # a cue shared by two frames counts for both
    "quiet": [],
}
TRAIN = ["Bandits attacked the police.", "An anti-terrorist operation began.", "It rained."]


def test_normalise_lowercases_and_straightens_quotes_and_dashes() -> None:
    text = "\u201cOrder\u201d \u2013 the \u2018Leader\u2019 said\u00a0\u2014 OK"
    assert normalise(text) == "\"order\" - the 'leader' said - ok"


@pytest.mark.parametrize(("text", "expected"), [
    ("26 people died", "0 people died"),
    ("more than 1,200 were detained", "more than 0 were detained"),
    ("prices rose 3.5 percent", "prices rose 0 percent"),
    ("on 5 January 2022", "on 0 january 0"),
    ("no numbers here", "no numbers here"),
])
def test_normalise_writes_every_number_as_zero(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("phrase", "expected"), [
    ("Anti-terrorist", "anti terrorist"),
    ("coup d'etat", "coup d etat"),
    ("  Foreign \u201cagents\u201d ", "foreign agents"),
    ("killed 26", "killed 0"),
    ("--", ""),
])
def test_cue_term_is_the_phrase_as_the_word_analyser_sees_it(phrase: str, expected: str) -> None:
    assert cue_term(phrase) == expected


def test_cue_features_have_one_column_per_term_and_one_sum_per_frame() -> None:
    cues = CueFeatures(CUES).fit(TRAIN)
    assert cues.terms_ == ["anti terrorist", "bandits", "talks"]
    assert list(cues.get_feature_names_out()) == [
        "cue 'anti terrorist'", "cue 'bandits'", "cue 'talks'",
        "all terror cue terms", "all talks cue terms", "all quiet cue terms",
    ]
    X = cues.transform(["Bandits and anti-terrorist units.", "Nothing of note."]).toarray()
    assert X.shape == (2, 6)
    terms, sums = X[:, :3], X[:, 3:]
    np.testing.assert_allclose(sums[:, 0], terms[:, 0] + terms[:, 1])  # terror
    np.testing.assert_allclose(sums[:, 1], terms[:, 1] + terms[:, 2])  # talks
    assert (sums[:, 2] == 0).all()  # a frame without cues: an all-zero column
    assert X[0, 0] > 0 and X[0, 1] > 0 and X[0, 2] == 0
    assert not X[1].any()


def test_a_cue_never_seen_in_training_still_raises_its_frames_sum() -> None:
    assert not any("talks" in normalise(t) for t in TRAIN)
    cues = CueFeatures(CUES).fit(TRAIN)
    X = cues.transform(["Both sides agreed to hold talks."]).toarray()[0]
    talks_column = cues.terms_.index("talks")
    assert X[talks_column] > 0
    terror_sum, talks_sum = X[3], X[4]
    assert talks_sum > 0
    assert terror_sum == 0


def test_cue_matching_uses_the_normalised_text() -> None:
    cues = CueFeatures({"toll": ["killed 26"]}).fit(TRAIN)
    X = cues.transform(["Troops KILLED 160 people.", "Troops killed people."]).toarray()
    assert X[0, 0] > 0  # numbers fold to 0 on both sides
    assert X[1, 0] == 0


def test_cue_features_without_cues_are_one_empty_column() -> None:
    cues = CueFeatures().fit(TRAIN)
    assert cues.transform(["Bandits."]).shape == (1, 1)
    assert cues.transform(["Bandits."]).nnz == 0


def test_build_features_has_word_char_and_weighted_cue_blocks() -> None:
    union = build_features(CUES, cue_weight=2.0)
    assert [name for name, _ in union.transformer_list] == ["words", "chars", "cues"]
    assert union.transformer_weights == {"words": 1.0, "chars": 1.0, "cues": 2.0}
    names = union.fit(TRAIN).get_feature_names_out()
    assert "cues__all terror cue terms" in names
    assert "words__bandits" in names


def test_build_features_with_cue_weight_zero_has_no_cue_block() -> None:
    union = build_features(CUES, cue_weight=0.0)
    assert [name for name, _ in union.transformer_list] == ["words", "chars"]
    names = union.fit(TRAIN).get_feature_names_out()
    assert not any(n.startswith("cues__") for n in names)


def test_build_features_without_any_cue_has_no_cue_block() -> None:
    union = build_features({"terror": [], "talks": []}, cue_weight=1.0)
    assert [name for name, _ in union.transformer_list] == ["words", "chars"]


def test_word_features_fold_numbers() -> None:
    union = build_features({}, word_ngrams=(1, 1)).fit(["26 dead", "160 dead"])
    words = [n for n in union.get_feature_names_out() if n.startswith("words__")]
    assert words == ["words__0", "words__dead"]
