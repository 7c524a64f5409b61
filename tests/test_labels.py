"""framing.labels: checking the seed hand labels and reading a user's labelled files."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framing.codebook import Codebook, load_codebook
from framing.errors import LabelError
from framing.labels import (
    MIN_EXAMPLES,
    SEED_COLUMNS,
    LabelReport,
    check_labels,
    load_training_data,
    read_labelled,
    split_frames,
)

SEED_FILE = "seed_sentences.csv"


@pytest.fixture
def codebook(codebook_path: Path) -> Codebook:
    return load_codebook(codebook_path)


@pytest.fixture
def seed_rows(labels_dir: Path) -> list[dict[str, str]]:
    """The shipped seed label rows; row ``i`` is on line ``i + 2`` of the file."""
    with open(labels_dir / SEED_FILE, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]],
               columns: tuple[str, ...] | list[str] = SEED_COLUMNS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def check_copy(tmp_path: Path, rows: list[dict[str, str]], codebook: Codebook, seeds_dir: Path,
               columns: tuple[str, ...] | list[str] = SEED_COLUMNS) -> tuple[Path, LabelReport]:
    """Write ``rows`` as a labels file in tmp_path and check it against the shipped seeds."""
    path = write_rows(tmp_path / SEED_FILE, rows, columns)
    return path, check_labels(path, codebook, seeds_dir)


def problem_lines(report: LabelReport) -> list[str]:
    return [str(p) for p in report.problems]


# --- check_labels on the shipped labels ---------------------------------------------------

def test_shipped_labels_are_clean(labels_dir: Path, codebook: Codebook, seeds_dir: Path,
                                  seed_rows: list[dict[str, str]]) -> None:
    report = check_labels(labels_dir, codebook, seeds_dir)
    assert report.ok, problem_lines(report)
    assert report.sentences == 96 == len(seed_rows)

    expected = Counter(f for row in seed_rows for f in set(split_frames(row["frames"])))
    assert report.counts == {f: expected[f] for f in codebook.ids}
    assert list(report.counts) == codebook.ids
    assert all(n > 0 for n in report.counts.values()), "every frame has examples"

    few = [f for f, n in report.counts.items() if n < MIN_EXAMPLES]
    assert few, "the seeds are known to have frames with fewer than 5 examples"
    assert report.warnings == [
        f"frame '{f}' has only {report.counts[f]} example(s) (fewer than {MIN_EXAMPLES}); "
        "label more sentences that invoke it" for f in few]


def test_rewritten_copy_is_clean(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                                 seed_rows: list[dict[str, str]]) -> None:
    """The helper that writes broken copies introduces no problem of its own."""
    _, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    assert report.ok, problem_lines(report)
    assert report.sentences == 96


def test_unknown_frame(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                       seed_rows: list[dict[str, str]]) -> None:
    assert seed_rows[1]["frames"] == "terrorism_label;casualty_toll"
    seed_rows[1]["frames"] = "terorism_label;casualty_toll"
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    assert problem_lines(report) == [
        f"{path}:3: unknown frame 'terorism_label'; did you mean 'terrorism_label'?"]
    assert not report.ok


def test_duplicate_sentence(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                            seed_rows: list[dict[str, str]]) -> None:
    article = seed_rows[0]["article"]
    seed_rows.append(dict(seed_rows[0]))
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    assert problem_lines(report) == [
        f"{path}:98: duplicate sentence: article '{article}' offset 0 is already labelled "
        "on line 2"]


def test_text_not_at_offsets(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                             seed_rows: list[dict[str, str]]) -> None:
    row = seed_rows[3]
    row["text"] = row["text"].replace("Nazarbaev", "Nazarbayev", 1)
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    (problem,) = report.problems
    assert problem.line == 5
    assert str(problem).startswith(
        f"{path}:5: text not found at offsets {row['start']}-{row['end']} of '{row['article']}' "
        "(there: 'In separate statements")
    assert str(problem).endswith("fix the offsets or the text")


def test_shifted_offsets(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                         seed_rows: list[dict[str, str]]) -> None:
    seed_rows[0]["start"] = "1"
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    lines = problem_lines(report)
    assert lines[0].startswith(f"{path}:2: text not found at offsets 1-240")
    # the real sentence 0 is now unlabelled, and that is reported too
    assert any("sentence 0 (0-240" in line and "has no label row" in line for line in lines)


def test_offsets_must_be_numbers(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                                 seed_rows: list[dict[str, str]]) -> None:
    seed_rows[0]["end"] = "two hundred"
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    assert f"{path}:2: index, start and end must be whole numbers (got '0', '0', " \
           "'two hundred')" in problem_lines(report)


@pytest.mark.parametrize(("columns", "message"), [
    ([c for c in SEED_COLUMNS if c != "note"], "missing column(s) note"),
    ([*SEED_COLUMNS, "coder"], "unexpected column(s) coder"),
])
def test_wrong_columns(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                       seed_rows: list[dict[str, str]], columns: list[str], message: str) -> None:
    rows = [{c: row.get(c, "x") for c in columns} for row in seed_rows]
    path, report = check_copy(tmp_path, rows, codebook, seeds_dir, columns)
    assert problem_lines(report) == [
        f"{path}:1: {message}; the header must be article,index,start,end,text,frames,note"]
    assert report.sentences == 0


def test_empty_text(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                    seed_rows: list[dict[str, str]]) -> None:
    seed_rows[2]["text"] = ""
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    assert problem_lines(report) == [f"{path}:4: empty text; copy the sentence from the article"]


def test_bad_encoding(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                      labels_dir: Path) -> None:
    path = tmp_path / SEED_FILE
    data = (labels_dir / SEED_FILE).read_bytes()
    bad_row = b"000_64832e59e148211a,99,0,5,Kazak,,caf\xe9\n"
    path.write_bytes(data + bad_row)
    report = check_labels(path, codebook, seeds_dir)
    offset = len(data) + bad_row.index(b"\xe9")
    assert problem_lines(report) == [
        f"{path}: not UTF-8 text (bad byte 0xe9 at offset {offset}); re-save it as UTF-8"]
    assert report.sentences == 0


def test_article_not_in_seeds(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                              seed_rows: list[dict[str, str]]) -> None:
    article = seed_rows[4]["article"]
    seed_rows[4]["article"] = "999_missing"
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    lines = problem_lines(report)
    assert f"{path}:6: article '999_missing' not found as {seeds_dir / '999_missing.txt'}" in lines
    assert f"{path}: article '{article}' sentence 4 (978-1192: " \
           "'The long-serving president introduced a ...') has no label row" in lines
    assert len(lines) == 2


def test_seed_sentence_without_label_row(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                                         seed_rows: list[dict[str, str]]) -> None:
    removed = seed_rows.pop(5)
    path, report = check_copy(tmp_path, seed_rows, codebook, seeds_dir)
    assert problem_lines(report) == [
        f"{path}: article '{removed['article']}' sentence 5 ({removed['start']}-{removed['end']}: "
        f"'{removed['text'][:40]}...') has no label row"]
    assert report.sentences == 95


def test_row_with_too_many_fields(tmp_path: Path, codebook: Codebook, seeds_dir: Path,
                                  labels_dir: Path) -> None:
    path = tmp_path / SEED_FILE
    lines = (labels_dir / SEED_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines), encoding="utf-8")
    report = check_labels(path, codebook, seeds_dir)
    # one problem at its line; the rows after it are not read, so no sentence is reported
    # as unlabelled because of it
    assert problem_lines(report) == [
        f"{path}:4: more fields than the header has columns; quote fields that contain the "
        "delimiter"]


def test_directory_without_csv(tmp_path: Path, codebook: Codebook, seeds_dir: Path) -> None:
    report = check_labels(tmp_path, codebook, seeds_dir)
    assert problem_lines(report) == [f"{tmp_path}: no .csv label files here"]
    assert report.sentences == 0
    assert report.counts == dict.fromkeys(codebook.ids, 0)


def test_missing_labels_file(tmp_path: Path, codebook: Codebook, seeds_dir: Path) -> None:
    path = tmp_path / "missing.csv"
    report = check_labels(path, codebook, seeds_dir)
    assert problem_lines(report) == [f"{path}: no such labels file; check the path"]


# --- read_labelled --------------------------------------------------------------------------

def test_split_frames() -> None:
    assert split_frames("a; b;;") == ("a", "b")
    assert split_frames("") == ()
    assert split_frames("a|b", "|") == ("a", "b")


def test_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("article,text,frames\n"
                    "a1,Police opened fire.,lethal_force\n"
                    'a1,"Troops, tanks and police arrived.",foreign_troops;order_restored\n'
                    "a2,Nothing here.,\n", encoding="utf-8")
    data = read_labelled(path)
    assert data.texts == ["Police opened fire.", "Troops, tanks and police arrived.",
                          "Nothing here."]
    assert data.frames == [("lethal_force",), ("foreign_troops", "order_restored"), ()]
    assert data.groups == ["train.csv:a1", "train.csv:a1", "train.csv:a2"]
    assert data.grouped
    assert data.frame_ids == ["foreign_troops", "lethal_force", "order_restored"]
    assert data.counts() == {"foreign_troops": 1, "lethal_force": 1, "order_restored": 1}
    assert len(data) == 3
    assert data.sources == [str(path)]
    assert list(data.sha256) == [str(path)]


def test_read_tsv(tmp_path: Path) -> None:
    path = tmp_path / "train.tsv"
    path.write_text("text\tframes\tarticle\n"
                    "Police, troops and tanks.\tlethal_force;foreign_troops\tx\n",
                    encoding="utf-8")
    data = read_labelled(path)
    assert data.texts == ["Police, troops and tanks."]
    assert data.frames == [("lethal_force", "foreign_troops")]
    assert data.groups == ["train.tsv:x"]


def test_read_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    records: list[dict[str, str | list[str] | None]] = [
        {"text": "Police opened fire.", "frames": ["lethal_force"], "article": "a1"},
        {"text": "Troops arrived.", "frames": "foreign_troops;order_restored", "article": "a1"},
        {"text": "Nothing here.", "frames": None, "article": "a2"},
        {"text": "Still nothing.", "frames": [], "article": "a2"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    data = read_labelled(path)
    assert data.texts == [r["text"] for r in records]
    assert data.frames == [("lethal_force",), ("foreign_troops", "order_restored"), (), ()]
    assert data.groups == ["train.jsonl:a1", "train.jsonl:a1", "train.jsonl:a2",
                           "train.jsonl:a2"]
    assert data.grouped


def test_custom_columns_and_separator(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("doc,sentence,labels\n"
                    "d1,They were called terrorists.,terrorism_label|regime_threat\n",
                    encoding="utf-8")
    data = read_labelled(path, text_column="sentence", frames_column="labels", separator="|",
                         group_column="doc")
    assert data.texts == ["They were called terrorists."]
    assert data.frames == [("terrorism_label", "regime_threat")]
    assert data.groups == ["mine.csv:d1"]


def test_jsonl_list_frames_with_custom_separator(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"sentence": "x y.", "labels": ["a", "b"]}) + "\n",
                    encoding="utf-8")
    data = read_labelled(path, text_column="sentence", frames_column="labels", separator="|")
    assert data.frames == [("a", "b")]


@pytest.mark.parametrize("group_column", ["article", None])
def test_without_group_column_rows_are_their_own_groups(tmp_path: Path,
                                                        group_column: str | None) -> None:
    path = tmp_path / "flat.csv"
    path.write_text("text,frames\nOne.,a\nTwo.,b\n", encoding="utf-8")
    data = read_labelled(path, group_column=group_column)
    assert not data.grouped
    assert data.groups == ["flat.csv:2", "flat.csv:3"]


def test_codebook_order_is_kept(tmp_path: Path, codebook: Codebook) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,frames\nOne.,regime_threat\nTwo.,foreign_instigation\n",
                    encoding="utf-8")
    data = read_labelled(path, codebook=codebook)
    assert data.frame_ids == codebook.ids
    assert data.counts()["regime_threat"] == 1
    assert data.counts()["lethal_force"] == 0


def test_read_shipped_labels_directory(labels_dir: Path, codebook: Codebook,
                                       seeds_dir: Path) -> None:
    data = read_labelled(labels_dir, codebook=codebook)
    assert len(data) == 96
    assert data.grouped
    assert data.counts() == check_labels(labels_dir, codebook, seeds_dir).counts
    assert len(set(data.groups)) == 5


def test_directory_without_csv_files(tmp_path: Path) -> None:
    with pytest.raises(LabelError) as info:
        read_labelled(tmp_path)
    assert str(info.value) == f"{tmp_path}: no .csv label files in this directory"


@pytest.mark.parametrize(("column", "option"), [
    ("sentence", "--text-column"),
    ("labels", "--frames-column"),
])
def test_missing_column(tmp_path: Path, column: str, option: str) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,frames\nOne.,a\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        if option == "--text-column":
            read_labelled(path, text_column=column)
        else:
            read_labelled(path, frames_column=column)
    assert str(info.value) == (f"{path}: no column '{column}' (columns: text, frames); "
                               f"name the right one with {option}")


@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "train.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == (f"{path}: the file is empty; it needs a header and labelled rows")


def test_header_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,frames\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == f"{path}: no labelled rows under the header"


def test_empty_text_row(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,frames\nOne.,a\n  ,b\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == f"{path}:3: empty text; remove the row or fill in 'text'"


def test_unknown_frame_with_codebook(tmp_path: Path, codebook: Codebook) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,frames\nOne.,lethal_force\nTwo.,lethal_force;terorism_label\n",
                    encoding="utf-8")
    with pytest.raises(LabelError) as info:
        read_labelled(path, codebook=codebook)
    assert str(info.value) == (
        f"{path}:3: unknown frame 'terorism_label'; did you mean 'terrorism_label'?")


@pytest.mark.parametrize("bad_line", [1, 3])
def test_bad_json_line(tmp_path: Path, bad_line: int) -> None:
    path = tmp_path / "train.jsonl"
    lines = [json.dumps({"text": f"Sentence {i}.", "frames": ["a"]}) for i in range(1, 4)]
    lines[bad_line - 1] = '{"text": "Broken.", "frames": [}'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == (f"{path}:{bad_line}: not valid JSON (Expecting value); "
                               "each line must be one JSON object")


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text('{"text": "One.", "frames": "a"}\n["Two.", "b"]\n', encoding="utf-8")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == f"{path}:2: a JSON object is expected on each line"


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "train.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == f"{path}: unknown labels format '.xlsx'; use .csv, .tsv or .jsonl"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(b"text,frames\nLe caf\xe9.,a\n")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == (f"{path}: not UTF-8 text (bad byte 0xe9 at offset 18); "
                               "re-save it as UTF-8")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == f"{path}: no such labels file; check the path"


def test_unquoted_delimiter_in_text(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,frames\nPolice, troops and tanks.,a\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        read_labelled(path)
    assert str(info.value) == (f"{path}:2: more fields than the header has columns; "
                               "quote fields that contain the delimiter")


# Characters that str.splitlines() treats as line breaks but csv and JSON Lines do not.
UNICODE_BREAKS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"


def test_unicode_line_separators_stay_inside_a_row(tmp_path: Path) -> None:
    """csv.writer leaves U+2028 and friends unquoted; they must not start a new row."""
    texts = [f"Before{ch}after." for ch in UNICODE_BREAKS]
    csv_path = tmp_path / "train.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "frames"])
        writer.writerows([t, "a"] for t in texts)
    jsonl_path = tmp_path / "train.jsonl"
    jsonl_path.write_text("".join(json.dumps({"text": t, "frames": ["a"]}, ensure_ascii=False)
                                  + "\n" for t in texts), encoding="utf-8")
    for path in (csv_path, jsonl_path):
        data = read_labelled(path)
        assert data.texts == texts
        assert data.frames == [("a",)] * len(texts)


TEXTS = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                min_size=1).filter(str.strip)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXTS, min_size=1, max_size=5))
def test_any_text_round_trips(tmp_path: Path, texts: list[str]) -> None:
    """Whatever a text holds, csv.writer and json.dumps files give it back unchanged."""
    csv_path = tmp_path / "train.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "frames"])
        writer.writerows([t, "a;b"] for t in texts)
    jsonl_path = tmp_path / "train.jsonl"
    jsonl_path.write_text("".join(json.dumps({"text": t, "frames": ["a", "b"]},
                                             ensure_ascii=False) + "\r\n" for t in texts),
                          encoding="utf-8")
    for path in (csv_path, jsonl_path):
        data = read_labelled(path)
        assert data.texts == texts
        assert data.frames == [("a", "b")] * len(texts)


# --- the constructed training corpus (issue 8) -------------------------------------------------

def _corpus(tmp_path: Path, articles: str | None) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "sentences.csv").write_text(
        "article,index,start,end,text,frames,note\n"
        "a1,0,0,10,Prices rose.,prices,\n"
        "a2,0,0,10,Bandits fled.,terror,\n"
        "a3,0,0,10,Talks began.,talks,\n", encoding="utf-8")
    if articles is not None:
        (folder / "articles.csv").write_text(articles, encoding="utf-8")
    return folder / "sentences.csv"


def test_a_corpus_is_added_marked_constructed_and_grouped_by_crisis(
        tmp_path: Path, toy_labels: Path, toy_codebook: Path) -> None:
    corpus = _corpus(tmp_path, "article,crisis\na1,chile-2019\na2,chile-2019\na3,mali-2021\n")
    data, _ = load_training_data(toy_labels, toy_codebook, corpus=corpus)
    assert data.texts[-3:] == ["Prices rose.", "Bandits fled.", "Talks began."]
    assert data.constructed_flags() == [False] * 32 + [True] * 3
    assert data.groups[-3:] == ["constructed:chile-2019", "constructed:chile-2019",
                                "constructed:mali-2021"]
    assert str(corpus) in data.sources


def test_a_corpus_without_articles_csv_is_grouped_by_article(
        tmp_path: Path, toy_labels: Path, toy_codebook: Path) -> None:
    data, _ = load_training_data(toy_labels, toy_codebook, corpus=_corpus(tmp_path, None))
    assert data.groups[-3:] == ["constructed:sentences.csv:a1", "constructed:sentences.csv:a2",
                                "constructed:sentences.csv:a3"]


def test_a_corpus_article_missing_from_articles_csv_is_named(
        tmp_path: Path, toy_labels: Path, toy_codebook: Path) -> None:
    corpus = _corpus(tmp_path, "article,crisis\na1,chile-2019\na2,chile-2019\n")
    with pytest.raises(LabelError, match=r"articles\.csv: article 'a3' of the corpus has no row here"):
        load_training_data(toy_labels, toy_codebook, corpus=corpus)


def test_the_shipped_labels_include_the_constructed_corpus(repo_root: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo_root)
    data, book = load_training_data()
    flags = data.constructed_flags()
    assert flags.count(False) == 96  # the real seed sentences
    assert flags.count(True) >= 1200  # the corpus: never counted as seed data
    assert all(g.startswith("constructed:") for g, c in zip(data.groups, flags, strict=True) if c)
    assert len({g for g, c in zip(data.groups, flags, strict=True) if c}) >= 20  # crises
