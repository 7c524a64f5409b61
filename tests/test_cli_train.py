"""`framing train`, `framing evaluate` and `framing info` on the command line.

Results go to stdout, warnings and errors to stderr; a user's mistake is one ``error:`` line
and exit 1 (exit 2 for a model problem), never a traceback.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from framing.cli import app
from framing.codebook import file_sha256
from framing.model import META_FILE, load_model, read_meta

runner = CliRunner()
WriteTable = Callable[..., Path]
RETRAIN = "give a model directory written by `framing train`, or leave the model out to use the shipped one"
TOY_COUNTS = {"prices": 12, "talks": 8, "terror": 12}


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def trained(toy_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, Result]:
    """`framing train` on the toy labels without a codebook, run once for this module."""
    out = tmp_path_factory.mktemp("cli") / "model"
    return out, run("train", "--labels", toy_files[0], "--out", out)


def assert_one_error(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert "Traceback" not in result.output


# --- framing train -------------------------------------------------------------------------


def test_train_reports_examples_settings_and_scores(trained: tuple[Path, Result],
                                                    toy_files: tuple[Path, Path]) -> None:
    out, result = trained
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "trained on 32 labelled texts from 4 group(s), plus 0 constructed examples"
    assert lines[1] == "examples per frame (labelled + corpus + constructed):"
    assert [line.split() for line in lines[2:5]] == [[f, str(n), "+", "0", "+", "0"]
                                                     for f, n in TOY_COUNTS.items()]
    assert lines[5].startswith("chosen settings: C=")
    assert "cue_weight=0.0" in lines[5]  # no codebook: plain TF-IDF, no cue block
    assert lines[6].startswith("cross-validated scores (nested grouped CV on labelled (real) texts: "
                               "4 outer folds")
    assert lines[7].split() == ["frame", "precision", "recall", "F1", "support", "Brier", "ECE"]
    assert [line.split()[0] for line in lines[8:11]] == list(TOY_COUNTS)
    assert [int(line.split()[4]) for line in lines[8:11]] == list(TOY_COUNTS.values())
    assert lines[11].startswith("micro average") and lines[12].startswith("macro average")
    assert lines[-1] == f"model written to {out}"
    assert result.stderr == ""

    files = read_meta(out)["files"]
    assert sorted(p.name for p in out.iterdir()) == sorted([META_FILE, files["arrays"]["file"],
                                                            files["features"]["file"]])
    model = load_model(out)
    assert model.frame_ids == list(TOY_COUNTS)
    assert model.meta["labels"]["sha256"] == {str(toy_files[0]): file_sha256(toy_files[0])}
    assert model.meta["codebook"] is None
    micro = model.meta["cv"]["micro"]
    assert lines[11].split()[2:] == [f"{micro['precision']:.2f}", f"{micro['recall']:.2f}",
                                     f"{micro['f1']:.2f}", str(micro["support"]),
                                     f"{micro['brier']:.3f}", f"{micro['ece']:.3f}"]


def test_train_on_an_ungrouped_tsv_with_its_own_columns_warns(
        tmp_path: Path, toy_rows: list[dict[str, str]], write_table: WriteTable) -> None:
    rows = [{"sentence": r["text"], "labels": r["frames"].replace(";", "|")} for r in toy_rows
            if r["article"] in ("a1", "a2")]
    labels = write_table(tmp_path / "mine.tsv", rows, delimiter="\t")
    out = tmp_path / "model"
    result = run("train", "--labels", labels, "--out", out, "--text-column", "sentence",
                 "--frames-column", "labels", "--separator", "|", "--unit", "article")
    assert result.exit_code == 0, result.output
    assert "trained on 16 labelled texts from 16 group(s), plus 0 constructed examples" in result.stdout
    assert result.stderr.splitlines() == [
        "warning: no group column: texts were cross-validated one by one, which flatters the "
        "scores when texts of one article are alike; pass --group-column",
        "warning: frame 'talks' has 4 labelled example(s), fewer than 5: its scores are unreliable",
    ]
    assert read_meta(out)["unit"] == "article"


def test_train_refuses_an_unknown_unit(tmp_path: Path, toy_labels: Path) -> None:
    result = run("train", "--labels", toy_labels, "--out", tmp_path / "model", "--unit", "word")
    assert result.exit_code == 2, result.output
    assert "--unit must be 'sentence' or 'article', not 'word'" in result.stderr
    assert not (tmp_path / "model").exists()


# --- framing evaluate ----------------------------------------------------------------------


def test_evaluate_prints_a_table(toy_labels: Path) -> None:
    result = run("evaluate", "--labels", toy_labels)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nested grouped CV on labelled (real) texts: 4 outer folds holding whole "
                               "articles out")
    assert lines[1].split() == ["frame", "precision", "recall", "F1", "support", "Brier", "ECE"]
    assert {line.split()[0]: int(line.split()[4]) for line in lines[2:5]} == TOY_COUNTS
    assert lines[5].startswith("micro average") and lines[6].startswith("macro average")
    assert len(lines) == 7


def test_evaluate_as_json(toy_labels: Path) -> None:
    result = run("evaluate", "--labels", toy_labels, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {f: s["support"] for f, s in report["frames"].items()} == TOY_COUNTS
    assert set(report["micro"]) == {"precision", "recall", "f1", "support", "brier", "ece"}
    assert report["n_test_texts"] == 32
    assert report["grouped"] is True


def test_evaluate_refuses_an_unknown_format(toy_labels: Path) -> None:
    result = run("evaluate", "--labels", toy_labels, "--format", "yaml")
    assert result.exit_code == 2, result.output
    assert "--format must be table or json, not 'yaml'" in result.stderr


def test_evaluate_a_model_on_a_test_file(trained: tuple[Path, Result], tmp_path: Path,
                                         write_table: WriteTable) -> None:
    model_dir, _ = trained
    test = write_table(tmp_path / "test.csv", [
        {"text": "Fuel prices in Tashkent doubled.", "frames": "prices"},
        {"text": "Officials in Tashkent called the marchers terrorists.", "frames": "terror"},
        {"text": "Elders in Tashkent urged calm and offered talks.", "frames": "talks"},
    ])
    result = run("evaluate", "--test", test, "--model", model_dir, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["method"] == f"model {model_dir} on {test} with its own thresholds"
    assert {f: s["support"] for f, s in report["frames"].items()} == {"prices": 1, "talks": 1,
                                                                      "terror": 1}
    table = run("evaluate", "--test", test, "--model", model_dir)
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0] == report["method"]


def test_evaluate_the_shipped_model_on_the_challenge_set(repo_root: Path) -> None:
    challenge = repo_root / "bench" / "challenge.csv"
    result = run("evaluate", "--test", challenge)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f"on {challenge} with its own thresholds")
    assert len(lines) == 1 + 1 + len(load_model().frame_ids) + 2


def test_evaluate_refuses_a_frame_the_model_does_not_know(trained: tuple[Path, Result],
                                                          tmp_path: Path,
                                                          write_table: WriteTable) -> None:
    model_dir, _ = trained
    test = write_table(tmp_path / "test.csv", [{"text": "Troops arrived.", "frames": "foreign_troops"}])
    assert_one_error(run("evaluate", "--test", test, "--model", model_dir), 1,
                     f"{test}: frame(s) foreign_troops are not frames of this model "
                     "(prices, talks, terror)")


# --- framing info --------------------------------------------------------------------------


def test_info_prints_a_model_card(trained: tuple[Path, Result]) -> None:
    model_dir, _ = trained
    meta = read_meta(model_dir)
    result = run("info", model_dir)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"model: {model_dir}"
    assert "codebook: none (frames from the data)" in lines
    for kind in ("features", "arrays"):
        record = meta["files"][kind]
        assert f"{kind}: {record['file']} sha256 {record['sha256'][:16]}..." in lines
    header = lines.index(next(line for line in lines if line.startswith("frame ")))
    assert lines[header].split() == ["frame", "name", "labelled", "constr.", "thresh.", "CV", "F1"]
    rows = [line.split() for line in lines[header + 1:header + 4]]
    assert [r[0] for r in rows] == list(TOY_COUNTS)
    for frame_id, name, labelled, constructed, threshold, f1 in rows:
        assert name == frame_id
        assert int(labelled) == TOY_COUNTS[frame_id] and constructed == "0"
        assert threshold == f"{meta['thresholds'][frame_id]:.2f}"
        assert f1 == f"{meta['cv']['frames'][frame_id]['f1']:.2f}"
    assert f"  micro precision {meta['cv']['micro']['precision']:.2f}" in result.stdout


def test_info_on_the_shipped_model() -> None:
    result = run("info")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("model: shipped default\n")
    assert "codebook: labels/codebook.toml sha256 " in result.stdout
    assert "foreign_instigation" in result.stdout


# --- errors --------------------------------------------------------------------------------


def test_train_names_a_missing_text_column(tmp_path: Path, toy_rows: list[dict[str, str]],
                                           write_table: WriteTable) -> None:
    labels = write_table(tmp_path / "mine.csv", [{"article": r["article"], "sentence": r["text"],
                                                  "frames": r["frames"]} for r in toy_rows])
    assert_one_error(run("train", "--labels", labels, "--out", tmp_path / "model"), 1,
                     f"{labels}: no column 'text' (columns: article, sentence, frames); "
                     "name the right one with --text-column")
    assert not (tmp_path / "model").exists()


def test_train_names_an_unknown_frame(tmp_path: Path, toy_rows: list[dict[str, str]],
                                      write_table: WriteTable, toy_codebook: Path) -> None:
    rows = [dict(r) for r in toy_rows]
    rows[3]["frames"] = "terorr"  # line 5
    labels = write_table(tmp_path / "typo.csv", rows)
    assert_one_error(run("train", "--labels", labels, "--codebook", toy_codebook,
                         "--out", tmp_path / "model"), 1,
                     f"{labels}:5: unknown frame 'terorr'; did you mean 'terror'?")


def test_train_refuses_a_frame_without_positive_examples(
        tmp_path: Path, toy_rows: list[dict[str, str]], write_table: WriteTable,
        toy_codebook: Path) -> None:
    labels = write_table(tmp_path / "no_talks.csv",
                         [r for r in toy_rows if "talks" not in r["frames"]])
    assert_one_error(run("train", "--labels", labels, "--codebook", toy_codebook,
                         "--out", tmp_path / "model"), 1,
                     "frame(s) with no positive example in the labelled data: talks; label at "
                     "least one text for each, or train without a codebook so frames come from "
                     "the data")


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_an_empty_labels_file_is_one_error(tmp_path: Path, command: str) -> None:
    labels = tmp_path / "empty.csv"
    labels.write_text("", encoding="utf-8")
    assert_one_error(run(command, "--labels", labels), 1,
                     f"{labels}: the file is empty; it needs a header and labelled rows")


def test_a_missing_labels_file_is_one_error(tmp_path: Path) -> None:
    labels = tmp_path / "nowhere.csv"
    assert_one_error(run("train", "--labels", labels, "--out", tmp_path / "model"), 1,
                     f"{labels}: no such labels file; check the path")


@pytest.fixture
def model_copy(trained: tuple[Path, Result], tmp_path: Path) -> Path:
    """A copy of the CLI-trained model that a test may break."""
    return Path(shutil.copytree(trained[0], tmp_path / "model"))


def test_a_tampered_model_is_exit_2(model_copy: Path, toy_labels: Path) -> None:
    artifact = model_copy / read_meta(model_copy)["files"]["arrays"]["file"]
    artifact.write_bytes(artifact.read_bytes()[:-10])
    assert_one_error(run("evaluate", "--test", toy_labels, "--model", model_copy), 2,
                     f"{artifact}: sha256 does not match meta.json; the file is corrupt or was "
                     f"changed; {RETRAIN}")


def test_a_corrupt_meta_is_exit_2(model_copy: Path, toy_labels: Path) -> None:
    (model_copy / META_FILE).write_text('{"format_version": 1,', encoding="utf-8")
    for args in (["info", model_copy], ["evaluate", "--test", toy_labels, "--model", model_copy]):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {model_copy / META_FILE}: corrupt metadata (")
        assert result.stderr.endswith(f"); {RETRAIN}\n")
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.output


def test_a_missing_model_directory_is_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert_one_error(run("info", missing), 2, f"{missing}: no such model directory; {RETRAIN}")
