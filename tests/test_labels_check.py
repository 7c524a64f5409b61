"""`framing labels check` on any file `framing train --labels` reads (check_labelled), with
the seed format's own check kept for seed-format files and the default call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.codebook import load_codebook
from framing.errors import LabelError
from framing.labels import check_labelled, is_seed_format, read_labelled

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "labels" / "codebook.toml"


def _lines(report: object) -> list[str]:
    return [str(p) for p in report.problems]  # type: ignore[attr-defined]


def test_a_good_user_file_passes_and_counts(toy_labels: Path) -> None:
    report = check_labelled(toy_labels)
    assert report.ok and report.sentences == len(read_labelled(toy_labels))
    assert report.counts == read_labelled(toy_labels).counts()


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("article,sentence,frames\n"
                    "a,Fine.,lethal_force\n"
                    "a,,lethal_force\n"
                    "a,Typo.,letal_force\n"
                    "a,Fine.,\n", encoding="utf-8")
    report = check_labelled(path, codebook=load_codebook(CODEBOOK), text_column="sentence")
    assert _lines(report) == [
        f"{path}:3: empty text; remove the row or fill in 'sentence'",
        f"{path}:4: unknown frame 'letal_force'; did you mean 'lethal_force'?",
        f"{path}:5: the same unit as line 2 (same text); label each unit once",
    ]
    assert report.sentences == 4 and report.counts["lethal_force"] == 1


def test_missing_columns_name_the_option(tmp_path: Path) -> None:
    path = tmp_path / "mine.tsv"
    path.write_text("id\tbody\tframes\n1\tx\t\n", encoding="utf-8")
    assert _lines(check_labelled(path)) == [
        f"{path}:1: no column 'text' (columns: id, body, frames); name the right one with --text-column"]


def test_jsonl_bad_lines_are_each_reported_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"article": "a", "text": "One.", "frames": ["x"]}) + "\n"
                    "{broken\n"
                    "[1, 2]\n"
                    + json.dumps({"text": "Two.", "frames": []}) + "\n", encoding="utf-8")
    assert _lines(check_labelled(path)) == [
        f"{path}:2: not valid JSON (Expecting property name enclosed in double quotes); "
        "each line must be one JSON object",
        f"{path}:3: a JSON object is expected on each line",
        f"{path}:4: no 'article' field; give every record one, as the first record has",
    ]


def test_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text,frames\ncaf\xe9,x\n")
    assert _lines(check_labelled(bad)) == [
        f"{bad}: not UTF-8 text (bad byte 0xe9 at offset 15); re-save it as UTF-8"]
    other = tmp_path / "x.xlsx"
    other.write_bytes(b"PK")
    assert _lines(check_labelled(other)) == [
        f"{other}: unknown labels format '.xlsx'; use .csv, .tsv or .jsonl"]


def test_the_seed_format_is_recognised(labels_dir: Path, toy_labels: Path) -> None:
    assert is_seed_format(labels_dir) and is_seed_format(labels_dir / "seed_sentences.csv")
    assert not is_seed_format(toy_labels)


def test_cli_checks_a_user_file_without_seeds(tmp_path: Path, toy_labels: Path) -> None:
    result = runner.invoke(app, ["labels", "check", str(toy_labels)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{toy_labels}: 32 labelled sentences"
    broken = tmp_path / "broken.csv"
    broken.write_text("text,frames\nFine.,prices\n,prices\n", encoding="utf-8")
    result = runner.invoke(app, ["labels", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:3: empty text; remove the row or fill in 'text'" in result.stderr.splitlines()
    assert f"1 problem(s) found in {broken}" in result.stderr


def test_cli_checks_annotate_output_against_a_codebook(tmp_path: Path) -> None:
    path = tmp_path / "alice.csv"
    path.write_text("article,index,start,end,text,frames,note,annotator,time\n"
                    "a,0,0,5,Fine.,lethal_force,,alice,t\n"
                    "a,1,6,10,Also.,regime_thret,,alice,t\n", encoding="utf-8")
    result = runner.invoke(app, ["labels", "check", str(path), "--codebook", str(CODEBOOK)])
    assert result.exit_code == 1
    assert f"{path}:3: unknown frame 'regime_thret'; did you mean 'regime_threat'?" in result.stderr


@pytest.mark.parametrize("args", [[], ["labels"]])
def test_cli_default_and_seed_calls_keep_the_seed_check(args: list[str], repo_root: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo_root)
    result = runner.invoke(app, ["labels", "check", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "labels: 96 labelled sentences"


def test_jsonl_frames_that_are_not_strings_are_problems_as_training_refuses_them(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text('{"text": "One.", "frames": ["talks"]}\n'
                    '{"text": "Two.", "frames": [1, "talks"]}\n'
                    '{"text": "Three.", "frames": "talks"}\n', encoding="utf-8")
    report = check_labelled(path)
    assert [str(p) for p in report.problems] == [
        f"{path}:2: frame ids must be strings, not 1 in 'frames'; write them as \"id\" or [\"id\", ...]"]
    assert report.sentences == 2  # reading went on past the bad line
    with pytest.raises(LabelError, match=r":2: frame ids must be strings"):
        read_labelled(path)
