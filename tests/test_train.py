"""framing.train: training rows, grouped folds, settings and thresholds, and the fitted model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from framing import classifier as classifier_module
from framing import train as train_module
from framing.codebook import Codebook, load_codebook
from framing.errors import LabelError, TrainingError
from framing.labels import LabelledSet, load_training_data, read_labelled
from framing.model import read_meta, save_model
from framing.train import (
    CONSTRUCTED_GROUP,
    FoldSpec,
    _fit,
    _FoldFeatures,
    choose_thresholds,
    duplicate_key,
    folds,
    merge_duplicate_groups,
    out_of_fold,
    train,
    training_rows,
)

TINY_GRID = {"C": [1.0]}
NEW_TEXTS = ["Fuel prices rose in Bishkek.", "Talks began in Dushanbe.", "Bandits fled.", "Rain."]
WriteTable = Callable[..., Path]


def toy_set(toy_labels: Path, toy_codebook: Path) -> tuple[LabelledSet, Codebook]:
    return load_training_data(toy_labels, toy_codebook)


# --- training rows and folds -------------------------------------------------------------


def test_training_rows_add_constructed_examples_after_the_real_ones(toy_labels: Path,
                                                                    toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    rows = training_rows(data, book)
    assert rows.frame_ids == ["prices", "terror", "talks"]
    assert len(rows.texts) == 32 + 6
    assert rows.texts[:32] == data.texts
    assert list(rows.constructed) == [False] * 32 + [True] * 6
    assert list(rows.real) == list(range(32))
    assert rows.groups[32:] == [CONSTRUCTED_GROUP] * 6
    examples = [(e, f.id) for f in book.frames for e in f.constructed_examples]
    for row, (text, frame_id) in enumerate(examples, start=32):
        assert rows.texts[row] == text
        assert rows.Y[row].tolist() == [int(f == frame_id) for f in rows.frame_ids]
    # the multi-frame row "terror;prices" sets both columns
    multi = data.texts.index("In Aqtobe, officials said terrorists exploited anger over fuel prices.")
    assert rows.Y[multi].tolist() == [1, 1, 0]
    assert not rows.Y[data.texts.index("The weather in Osh was cold on Tuesday.")].any()


def test_training_rows_without_examples_are_the_labelled_texts(toy_labels: Path,
                                                               toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    rows = training_rows(data, book, use_examples=False)
    assert rows.texts == data.texts
    assert not rows.constructed.any()


def assert_honest_folds(rows_groups: list[str], constructed: np.ndarray,
                        splits: list[tuple[np.ndarray, np.ndarray]]) -> None:
    groups = np.asarray(rows_groups)
    tested = np.concatenate([test for _, test in splits])
    assert sorted(tested.tolist()) == np.flatnonzero(~constructed).tolist()  # each real row once
    for train_index, test_index in splits:
        assert not constructed[test_index].any()
        assert constructed[train_index].sum() == constructed.sum()  # all examples train
        assert not set(groups[test_index]) & set(groups[train_index])


def test_folds_hold_whole_articles_out_and_never_test_constructed_rows(toy_labels: Path,
                                                                       toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    rows = training_rows(data, book)
    splits = folds(rows)
    assert len(splits) == 4  # up to ten articles: leave one article out
    assert_honest_folds(rows.groups, rows.constructed, splits)
    assert [len({rows.groups[i] for i in test}) for _, test in splits] == [1, 1, 1, 1]


def test_folds_over_many_articles_are_five_group_folds(toy_codebook: Path) -> None:
    texts = [f"Sentence {i} of article {i % 12} about terrorists and prices." for i in range(48)]
    data = LabelledSet(texts=texts, frames=[("terror",), ("prices",), ("talks",), ()] * 12,
                       groups=[f"art{i % 12}" for i in range(48)],
                       frame_ids=["prices", "terror", "talks"])
    rows = training_rows(data, load_codebook(toy_codebook))
    splits = folds(rows)
    assert len(splits) == 5
    assert_honest_folds(rows.groups, rows.constructed, splits)


def test_ungrouped_folds_are_five_folds_of_texts(toy_labels: Path, toy_codebook: Path) -> None:
    data = read_labelled(toy_labels, group_column=None, codebook=load_codebook(toy_codebook))
    rows = training_rows(data, load_codebook(toy_codebook))
    splits = folds(rows)
    assert len(splits) == 5
    assert_honest_folds(rows.groups, rows.constructed, splits)


def test_cached_fold_features_score_as_fitting_the_whole_pipeline(toy_labels: Path,
                                                                  toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    rows = training_rows(data, book)
    cues = {f.id: list(f.cues) for f in book.frames}
    splits = folds(rows)
    params = {"C": 4.0, "word_ngrams": (1, 2), "min_df": 2, "cue_weight": 2.0}
    P = out_of_fold(rows, params, cues, splits)
    for train_index, test_index in splits:
        pipeline = _fit(rows, train_index, params, cues)
        expected = pipeline.predict_proba([rows.texts[i] for i in test_index])
        np.testing.assert_array_equal(P[test_index], expected)
    assert np.isnan(P[rows.constructed]).all()


@pytest.mark.parametrize("params", [{"word_ngrams": (1, 2), "min_df": 2, "cue_weight": 0.5},
                                    {"word_ngrams": (1, 1), "min_df": 1, "cue_weight": 0.0}])
def test_fold_features_from_shared_counts_are_the_folds_own_fits(
        toy_labels: Path, toy_codebook: Path, monkeypatch: pytest.MonkeyPatch,
        params: dict[str, Any]) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    rows = training_rows(data, book)
    cues = {f.id: list(f.cues) for f in book.frames}
    for train_index, test_index in folds(rows):
        shared = _FoldFeatures(rows, train_index, test_index, cues).matrices(params)
        monkeypatch.setattr(train_module, "SHARE_COUNTS", False)
        fitted = _FoldFeatures(rows, train_index, test_index, cues).matrices(params)
        monkeypatch.setattr(train_module, "SHARE_COUNTS", True)
        for a, b in zip(shared[:2], fitted[:2], strict=True):
            for part in ("indptr", "indices", "data"):
                np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
        assert [(name, width) for name, _, width in shared[2]] == \
            [(name, width) for name, _, width in fitted[2]]


def test_training_gives_the_reference_paths_model(toy_labels: Path, toy_codebook: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    grid = {"C": [1.0, 16.0], "cue_weight": [0.25, 1.0], "cue_mode": ["own"], "min_df": [1, 2]}
    fast = train(data, book, grid=grid)
    # the reference: every fold fits its own vectorisers, every frame a LogisticRegression
    monkeypatch.setattr(train_module, "SHARE_COUNTS", False)
    monkeypatch.setattr(classifier_module, "_train_wrap", None)
    reference = train(data, book, grid=grid)
    a, b = fast, reference
    np.testing.assert_array_equal(a.model.pipeline[-1].coef_, b.model.pipeline[-1].coef_)
    np.testing.assert_array_equal(a.model.pipeline[-1].intercept_,
                                  b.model.pipeline[-1].intercept_)
    np.testing.assert_array_equal(a.model.thresholds, b.model.thresholds)
    assert a.params == b.params
    assert a.cv == b.cv
    assert a.model.meta["calibration"] == b.model.meta["calibration"]


# --- thresholds ----------------------------------------------------------------------------


def test_choose_thresholds_picks_the_f1_optimal_threshold_nearest_one_half() -> None:
    Y = np.array([[1, 1, 0],
                  [1, 1, 0],
                  [0, 0, 0],
                  [0, 0, 0],
                  [0, 1, 0]], dtype=bool)
    P = np.array([[0.90, 0.30, 0.9],
                  [0.60, 0.20, 0.8],
                  [0.55, 0.10, 0.1],
                  [0.20, 0.05, 0.1],
                  [0.10, 0.40, 0.1]])
    thresholds = choose_thresholds(Y, P)
    # frame 0: F1 is 1 for any threshold in (0.55, 0.60]; of those, 0.56 is nearest 0.5
    # frame 1: F1 would be 1 in (0.10, 0.20], but thresholds stay within 0.3..0.7, and there
    #          0.30 is best (two of three positives, no false positive)
    # frame 2: no positive example, so the threshold stays 0.5
    np.testing.assert_allclose(thresholds, [0.56, 0.30, 0.5])


def test_choose_thresholds_stays_within_0_3_and_0_7() -> None:
    rng = np.random.default_rng(0)
    Y = rng.random((200, 6)) < 0.1
    P = rng.random((200, 6)) * 0.2 + Y * 0.05  # scores far below 0.3 everywhere
    thresholds = choose_thresholds(Y, P)
    assert ((thresholds >= 0.3) & (thresholds <= 0.7)).all()


def test_choose_thresholds_trades_precision_for_recall_by_f1() -> None:
    # At 0.35 all three positives are caught with one false positive (F1 6/7); at 0.65 only
    # two, with none (F1 4/5). F1 prefers the lower threshold although it is farther from 0.5.
    Y = np.array([[1], [1], [1], [0], [0]], dtype=bool)
    P = np.array([[0.9], [0.7], [0.35], [0.4], [0.1]])
    assert choose_thresholds(Y, P).tolist() == [0.35]


# --- training ------------------------------------------------------------------------------


def test_training_is_deterministic(toy_labels: Path, toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    grid = {"C": [1.0, 16.0], "cue_weight": [1.0, 2.0]}
    first, second = train(data, book, grid=grid), train(data, book, grid=grid)
    np.testing.assert_array_equal(first.model.predict_proba(NEW_TEXTS),
                                  second.model.predict_proba(NEW_TEXTS))
    np.testing.assert_array_equal(first.model.thresholds, second.model.thresholds)
    assert first.params == second.params
    assert first.cv == second.cv


def test_training_with_a_codebook_uses_cues_and_constructed_examples(toy_labels: Path,
                                                                     toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    result = train(data, book, grid={"C": [1.0], "cue_weight": [1.0]})
    model = result.model
    assert any(name.startswith("cues__") for name in model.feature_names)
    assert result.counts["talks"] == {"labelled": 8, "corpus": 0, "constructed": 2}
    recorded = model.meta["codebook"]
    assert {k: recorded[k] for k in ("path", "sha256")} == {"path": str(toy_codebook), "sha256": book.sha256}
    assert recorded["cue_terms"] is True and recorded["constructed_examples_used"] is True
    assert recorded["frames"]["talks"] == {"name": "Talks", "definition": "Calls for calm, dialogue or "
                                           "negotiation.", "cues": 3, "constructed_examples": 2}
    assert model.meta["cue_block"]["used"] is True
    assert model.meta["hyperparameters"] == {"C": 1.0, "cue_weight": 1.0}
    assert result.warnings == []
    P = model.predict_proba(NEW_TEXTS)
    assert P.shape == (4, 3)
    assert P[0, 0] > 0.5 and P[1, 2] > 0.5 and P[2, 1] > 0.5


def test_training_without_the_codebook_is_plain_tfidf(toy_labels: Path, toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    result = train(data, book, grid={"C": [1.0], "cue_weight": [1.0, 2.0]}, use_codebook=False)
    assert result.params == {"C": 1.0, "cue_weight": 0.0}  # the cue weight is forced to 0
    assert not any(n.startswith("cues__") for n in result.model.feature_names)
    assert result.model.meta["codebook"] is None
    assert result.model.meta["examples"]["constructed_texts"] == 0
    assert result.counts["talks"] == {"labelled": 8, "corpus": 0, "constructed": 0}


def test_progress_counts_every_fit_of_the_search(toy_labels: Path, toy_codebook: Path) -> None:
    data, book = toy_set(toy_labels, toy_codebook)
    calls: list[tuple[int, int]] = []
    phases: list[str] = []
    train(data, book, grid={"C": [1.0, 4.0]},
          progress=lambda done, total, phase: (calls.append((done, total)), phases.append(phase)))
    # nested CV: 4 outer folds, each 2 settings x 3 inner folds, then the fold's own fit (28);
    # then the final search, 2 settings x 4 folds, and the final fit (9): one count over all
    assert calls == [(n, 37) for n in range(1, 38)]
    assert phases == ["nested CV"] * 28 + ["selection"] * 8 + ["final fit"]


def user_rows(toy_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The toy set with its own column names and '|' between frames."""
    return [{"doc": r["article"], "sentence": r["text"], "labels": r["frames"].replace(";", "|"),
             "note": ""} for r in toy_rows]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_training_on_a_users_file_takes_frames_from_the_data(
        tmp_path: Path, toy_rows: list[dict[str, str]], write_table: WriteTable, suffix: str) -> None:
    rows = user_rows(toy_rows)
    path = tmp_path / f"mine{suffix}"
    if suffix == ".jsonl":  # frames as a JSON list
        path.write_text("".join(json.dumps({**r, "labels": r["labels"].split("|") if r["labels"] else []})
                                + "\n" for r in rows), encoding="utf-8")
    else:
        write_table(path, rows, delimiter="\t" if suffix == ".tsv" else ",")
    data, book = load_training_data(path, text_column="sentence", frames_column="labels",
                                    separator="|", group_column="doc")
    assert data.grouped
    assert len(set(data.groups)) == 4
    result = train(data, book, grid=TINY_GRID)
    model = result.model
    assert model.frame_ids == ["prices", "talks", "terror"]  # from the data, sorted
    assert model.frame_names == {"prices": "prices", "talks": "talks", "terror": "terror"}
    assert model.meta["codebook"] is None
    assert model.meta["labels"] == {"paths": [str(path)], "sha256": data.sha256}
    assert model.meta["examples"]["articles"] == 4
    assert model.meta["examples"]["constructed_texts"] == 0
    assert not any(n.startswith("cues__") for n in model.feature_names)
    assert result.counts == {"prices": {"labelled": 12, "corpus": 0, "constructed": 0},
                             "talks": {"labelled": 8, "corpus": 0, "constructed": 0},
                             "terror": {"labelled": 12, "corpus": 0, "constructed": 0}}
    assert result.cv["n_test_texts"] == 32


def article_rows(toy_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Twelve short 'articles' built from the toy sentences, three per toy article."""
    by_article: dict[str, list[dict[str, str]]] = {}
    for row in toy_rows:
        by_article.setdefault(row["article"], []).append(row)
    articles = []
    for name, sentences in by_article.items():
        for part, picks in enumerate([(0, 2, 6), (4, 5, 6), (1, 6)]):
            chosen = [sentences[i] for i in picks]
            frames = sorted({f for s in chosen for f in s["frames"].split(";") if f})
            articles.append({"id": f"{name}-{part}", "text": "\n\n".join(s["text"] for s in chosen),
                             "frames": ";".join(frames)})
    return articles


def test_training_on_whole_articles(tmp_path: Path, toy_rows: list[dict[str, str]],
                                    write_table: WriteTable) -> None:
    path = write_table(tmp_path / "articles.csv", article_rows(toy_rows))
    data, book = load_training_data(path, group_column=None)
    assert not data.grouped and len(data) == 12
    result = train(data, book, grid=TINY_GRID, unit="article")
    assert result.model.unit == "article"
    assert result.model.meta["unit"] == "article"
    assert result.cv["n_test_texts"] == 12
    article = "Fuel prices in Bishkek rose again.\n\nOfficials called the attackers terrorists."
    P = result.model.predict_proba([article])
    assert P.shape == (1, 3)


def test_training_on_five_ungrouped_texts_works(tmp_path: Path, write_table: WriteTable) -> None:
    # The outer folds train on four texts: too few for inner folds, so the first settings and
    # thresholds of 0.5 are used there, as for a single training article.
    rows = [{"text": t, "frames": f} for t, f in [
        ("Fuel prices rose.", "prices"), ("Terrorists attacked.", "terror"),
        ("Bread prices rose.", "prices"), ("Bandits and terrorists.", "terror"),
        ("Prices and terrorists.", "prices;terror")]]
    data, book = load_training_data(write_table(tmp_path / "five.csv", rows))
    result = train(data, book, grid={"C": [1.0, 4.0]})
    assert result.cv["n_test_texts"] == 5


# --- errors --------------------------------------------------------------------------------


def test_a_frame_without_positive_examples_cannot_be_trained(
        tmp_path: Path, toy_rows: list[dict[str, str]], write_table: WriteTable,
        toy_codebook: Path) -> None:
    rows = [r for r in toy_rows if "talks" not in r["frames"]]
    data, book = load_training_data(write_table(tmp_path / "no_talks.csv", rows), toy_codebook)
    with pytest.raises(TrainingError) as info:
        train(data, book, grid=TINY_GRID)
    assert str(info.value) == ("frame(s) with no positive example in the labelled data: talks; "
                               "label at least one text for each, or train without a codebook so "
                               "frames come from the data")


def test_rare_frames_are_warned_about(tmp_path: Path, toy_rows: list[dict[str, str]],
                                      write_table: WriteTable) -> None:
    rows = [r for r in toy_rows if "talks" not in r["frames"] or r["article"] in ("a1", "a2")]
    data, book = load_training_data(write_table(tmp_path / "few_talks.csv", rows))
    result = train(data, book, grid=TINY_GRID)
    assert result.warnings == ["frame 'talks' has 4 labelled example(s), fewer than 5: "
                               "its scores are unreliable"]
    assert result.cv["frames"]["talks"]["few_examples"]


def test_one_article_is_too_few_groups(tmp_path: Path, toy_rows: list[dict[str, str]],
                                       write_table: WriteTable) -> None:
    rows = [{**r, "article": "only"} for r in toy_rows]
    data, book = load_training_data(write_table(tmp_path / "one.csv", rows))
    with pytest.raises(TrainingError) as info:
        train(data, book, grid=TINY_GRID)
    assert str(info.value) == ("grouped cross-validation needs at least 2 articles; "
                               "label sentences of another article")


def test_four_ungrouped_texts_are_too_few(tmp_path: Path, write_table: WriteTable) -> None:
    rows = [{"text": t, "frames": f} for t, f in [("Prices rose.", "prices"), ("Terror.", "terror"),
                                                   ("Bread prices.", "prices"), ("Bandits.", "terror")]]
    data, book = load_training_data(write_table(tmp_path / "four.csv", rows))
    with pytest.raises(TrainingError) as info:
        train(data, book, grid=TINY_GRID)
    assert str(info.value) == "cross-validation needs at least 5 labelled texts (got 4)"


def test_a_missing_text_column_is_named(tmp_path: Path, toy_rows: list[dict[str, str]],
                                        write_table: WriteTable) -> None:
    path = write_table(tmp_path / "renamed.csv",
                       [{"article": r["article"], "sentence": r["text"], "frames": r["frames"]}
                        for r in toy_rows])
    with pytest.raises(LabelError) as info:
        load_training_data(path)
    assert str(info.value) == (f"{path}: no column 'text' (columns: article, sentence, frames); "
                               "name the right one with --text-column")


@pytest.mark.parametrize(("bad", "hint"), [
    ("prize", "did you mean 'prices'?"),
    ("bogus", "known frames: prices, terror, talks"),
])
def test_an_unknown_frame_is_refused_with_a_codebook(
        tmp_path: Path, toy_rows: list[dict[str, str]], write_table: WriteTable,
        toy_codebook: Path, bad: str, hint: str) -> None:
    rows = [dict(r) for r in toy_rows]
    rows[1]["frames"] = f"talks;{bad}"  # line 3 of the file
    path = write_table(tmp_path / "typo.csv", rows)
    with pytest.raises(LabelError) as info:
        load_training_data(path, toy_codebook)
    assert str(info.value) == f"{path}:3: unknown frame '{bad}'; {hint}"
    # without a codebook the same file is fine: its frames are whatever it uses
    data, _ = load_training_data(path)
    assert bad in data.frame_ids


@pytest.mark.parametrize(("content", "problem"), [
    ("", "the file is empty; it needs a header and labelled rows"),
    ("  \n", "the file is empty; it needs a header and labelled rows"),
    ("article,text,frames\n", "no labelled rows under the header"),
])
def test_an_empty_file_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelError) as info:
        load_training_data(path)
    assert str(info.value) == f"{path}: {problem}"


def test_a_jsonl_record_without_the_group_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps({"article": "a1", "text": "Prices rose.", "frames": ["prices"]}) + "\n"
                    + json.dumps({"text": "Bandits.", "frames": ["terror"]}) + "\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        load_training_data(path)
    assert str(info.value) == (f"{path}:2: no 'article' field; give every record one, "
                               "as the first record has")


# --- issue 13: codebooks without cues, duplicates, folds, jobs, determinism ----------------

NO_CUES_CODEBOOK = '''
[frames.prices]
name = "Prices"
definition = "Unrest explained by prices or wages."

[frames.terror]
name = "Terror label"
definition = "Protesters or attackers labelled terrorists, bandits or militants."

[frames.talks]
name = "Talks"
definition = "Calls for calm, dialogue or negotiation."
'''


def test_a_codebook_without_cues_is_recorded_and_says_there_is_no_cue_block(
        toy_labels: Path, tmp_path: Path) -> None:
    # issue 13, problem 2: such a codebook was dropped ("codebook": null) and the report said
    # cue_weight=0.0 as if a cue block had been searched
    path = tmp_path / "no_cues.toml"
    path.write_text(NO_CUES_CODEBOOK, encoding="utf-8")
    data, book = load_training_data(toy_labels, path)
    result = train(data, book, grid=TINY_GRID)
    meta = result.model.meta
    assert meta["codebook"]["path"] == str(path)
    assert meta["codebook"]["sha256"] == book.sha256
    assert meta["codebook"]["frames"]["terror"] == {
        "name": "Terror label", "cues": 0, "constructed_examples": 0,
        "definition": "Protesters or attackers labelled terrorists, bandits or militants."}
    assert meta["codebook"]["cue_terms"] is False
    assert meta["cue_block"] == {"used": False, "note": result.cue_note}
    assert result.cue_note == (f"no cue block: the codebook {path} has no cue terms (its names and "
                               "definitions are recorded in the model)")
    assert meta["frame_names"] == {"prices": "Prices", "terror": "Terror label", "talks": "Talks"}
    assert not any(n.startswith("cues__") for n in result.model.feature_names)


def test_identical_texts_are_put_in_one_group() -> None:
    texts = ["Same text.", "other", "same  TEXT.", "more", "Same text."]
    groups = ["a", "a", "b", "c", "d"]
    merged, moved = merge_duplicate_groups(texts, groups, np.ones(5, dtype=bool))
    assert merged == ["a", "a", "a", "c", "a"]  # the copies joined a, the first one's group
    assert moved == 2
    merged, moved = merge_duplicate_groups(texts, groups, np.array([True, True, False, True, True]))
    assert merged == ["a", "a", "b", "c", "a"] and moved == 1


def test_folds_never_split_identical_texts(tmp_path: Path, toy_rows: list[dict[str, str]],
                                           write_table: WriteTable) -> None:
    # the toy articles share no sentence; copy one sentence of a1 into a3 and one of a2 into a4
    rows = list(toy_rows) + [{**toy_rows[0], "article": "a3"}, {**toy_rows[9], "article": "a4"}]
    data = read_labelled(write_table(tmp_path / "dup.csv", rows))
    trainable = training_rows(data, Codebook.from_ids(data.frame_ids))
    assert trainable.merged_duplicates == 2  # the copies joined a1 and a2; their articles did not
    assert len(set(trainable.groups)) == 4
    for train_index, test_index in folds(trainable):
        keys = {duplicate_key(trainable.texts[i]) for i in test_index}
        assert not keys & {duplicate_key(trainable.texts[i]) for i in train_index}
    # without groups, identical texts still share a fold
    flat = read_labelled(write_table(tmp_path / "flat.csv", [{"text": r["text"], "frames": r["frames"]}
                                                               for r in rows]))
    ungrouped = training_rows(flat, Codebook.from_ids(flat.frame_ids))
    for train_index, test_index in folds(ungrouped):
        keys = {duplicate_key(ungrouped.texts[i]) for i in test_index}
        assert not keys & {duplicate_key(ungrouped.texts[i]) for i in train_index}


def many_articles(n: int) -> LabelledSet:
    return LabelledSet(texts=[f"text {i}" for i in range(3 * n)], frames=[("x",)] * (3 * n),
                       groups=[f"g{i // 3}" for i in range(3 * n)], frame_ids=["x"])


def test_fold_spec_sets_the_number_of_folds_shuffling_and_seed() -> None:
    rows = training_rows(many_articles(12), Codebook.from_ids(["x"]), use_examples=False)

    def tested_groups(spec: FoldSpec) -> list[list[str]]:
        return [sorted({rows.groups[i] for i in te}) for _, te in folds(rows, spec=spec)]

    assert len(tested_groups(FoldSpec())) == 5  # default beyond ten articles
    three = tested_groups(FoldSpec(n_folds=3))
    assert len(three) == 3 and sorted(g for fold in three for g in fold) == sorted(set(rows.groups))
    seeded = tested_groups(FoldSpec(n_folds=3, shuffle=True, seed=1))
    assert seeded == tested_groups(FoldSpec(n_folds=3, shuffle=True, seed=1))
    assert seeded != tested_groups(FoldSpec(n_folds=3, shuffle=True, seed=2))
    assert len(tested_groups(FoldSpec(n_folds=12))) == 12
    with pytest.raises(TrainingError) as info:
        folds(rows, spec=FoldSpec(n_folds=13))
    assert str(info.value) == ("--folds 13 asks for more folds than there are articles (12); "
                               "use --folds 12 or fewer")
    with pytest.raises(TrainingError):
        FoldSpec(n_folds=1)


def test_a_fold_column_sets_the_outer_folds(tmp_path: Path, toy_rows: list[dict[str, str]],
                                            write_table: WriteTable) -> None:
    # two folds of two articles each, named as a benchmark might name its splits
    rows = [{**r, "split": "train" if r["article"] in ("a1", "a3") else "dev"} for r in toy_rows]
    data = read_labelled(write_table(tmp_path / "split.csv", rows), fold_column="split")
    trainable = training_rows(data, Codebook.from_ids(data.frame_ids))
    outer = folds(trainable)
    assert [sorted({trainable.groups[i].split(":")[1] for i in te}) for _, te in outer] == \
        [["a2", "a4"], ["a1", "a3"]]  # folds in sorted order: dev, train
    inner = folds(trainable, outer=False)
    assert len(inner) == 4  # inside a training part framing makes its own folds


def test_jobs_give_the_same_model_and_scores(toy_labels: Path, toy_codebook: Path, tmp_path: Path) -> None:
    # issue 13, problem 6: --jobs spreads the CV fits over processes, with identical results
    data, book = toy_set(toy_labels, toy_codebook)
    grid = {"C": [1.0, 4.0], "cue_weight": [0.0, 1.0]}
    one = train(data, book, grid=grid, jobs=1)
    two = train(data, book, grid=grid, jobs=2)
    assert one.params == two.params
    assert one.cv == two.cv
    np.testing.assert_array_equal(one.model.thresholds, two.model.thresholds)
    save_model(one.model, tmp_path / "one")
    save_model(two.model, tmp_path / "two")
    def data_files(directory: Path) -> dict[str, bytes]:  # named by content; meta.json holds the time
        return {p.name: p.read_bytes() for p in directory.iterdir() if p.name != "meta.json"}

    assert data_files(tmp_path / "one") == data_files(tmp_path / "two")


TRAIN_IN_A_PROCESS = """
import sys
from framing.labels import load_training_data
from framing.model import save_model
from framing.train import train
data, book = load_training_data(sys.argv[1], sys.argv[2])
save_model(train(data, book, grid={"C": [1.0, 4.0], "min_df": [1, 2]}).model, sys.argv[3])
"""


@pytest.mark.slow
def test_training_twice_in_two_processes_gives_the_same_bytes(toy_labels: Path, toy_codebook: Path,
                                                              tmp_path: Path) -> None:
    # issue 13, problem 8: retraining gave a different sha256. The vectorisers kept
    # id(None) (a memory address, different in every process) in the pickle.
    outputs = []
    for n, hash_seed in enumerate(("1", "2")):
        out = tmp_path / f"model{n}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "SOURCE_DATE_EPOCH": "1700000000"}
        subprocess.run([sys.executable, "-c", TRAIN_IN_A_PROCESS, str(toy_labels), str(toy_codebook),
                        str(out)], check=True, env=env)
        outputs.append(out)
    first, second = ({p.name: p.read_bytes() for p in out.iterdir()} for out in outputs)
    assert sorted(first) == sorted(second)
    for name in first:  # every file, meta.json (and its sha256 of the arrays) included
        assert first[name] == second[name], name
    assert read_meta(outputs[0])["created"] == "2023-11-14T22:13:20+00:00"


def test_a_codebook_example_that_copies_a_tested_text_is_not_trained_on(
        tmp_path: Path, toy_rows: list[dict[str, str]], write_table: WriteTable, toy_codebook: Path) -> None:
    copy = "Subsidy cuts doubled the cost of gas."  # one of the toy codebook's examples
    rows = list(toy_rows) + [{"article": "a2", "text": copy, "frames": "prices"}]
    data, book = load_training_data(write_table(tmp_path / "copy.csv", rows), toy_codebook)
    trainable = training_rows(data, book)
    example = next(i for i, t in enumerate(trainable.texts) if t == copy and trainable.origin[i] == "example")
    for train_index, test_index in folds(trainable):
        tests_the_copy = any(trainable.texts[i] == copy for i in test_index)
        assert (example in train_index) is not tests_the_copy
