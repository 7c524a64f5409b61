"""`framing labels check` on the command line: counts on stdout, problems and warnings on stderr.

typer's CliRunner (click 8.2+) keeps stdout and stderr apart in ``result.stdout`` and
``result.stderr``; ``result.output`` is both, interleaved as the user would see them.
"""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner, Result

from framing.cli import app
from framing.codebook import load_codebook
from framing.labels import MIN_EXAMPLES, check_labels

runner = CliRunner()


def check(labels: Path, codebook_path: Path, seeds_dir: Path) -> Result:
    return runner.invoke(app, ["labels", "check", str(labels), "--codebook", str(codebook_path),
                               "--seeds", str(seeds_dir)])


def test_shipped_labels_pass(labels_dir: Path, codebook_path: Path, seeds_dir: Path) -> None:
    result = check(labels_dir, codebook_path, seeds_dir)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "labels: 96 labelled sentences"  # shipped: by its name

    report = check_labels(labels_dir, load_codebook(codebook_path), seeds_dir)
    counts = {line.split()[0]: int(line.split()[1]) for line in result.stdout.splitlines()[1:]}
    assert counts == report.counts
    assert len(counts) == 12

    few = [f for f, n in counts.items() if n < MIN_EXAMPLES]
    assert few
    for frame_id in few:
        assert (f"warning: frame '{frame_id}' has only {counts[frame_id]} example(s) "
                f"(fewer than {MIN_EXAMPLES})") in result.stderr
    assert result.stderr.count("warning: ") == len(few)
    assert "problem" not in result.output


def test_broken_labels_fail_with_file_and_line(tmp_path: Path, labels_dir: Path,
                                               codebook_path: Path, seeds_dir: Path) -> None:
    with open(labels_dir / "seed_sentences.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[2][5] == "terrorism_label;casualty_toll"
    rows[2][5] = "terorism_label;casualty_toll"  # line 3 of the file
    broken = tmp_path / "labels"
    broken.mkdir()
    path = broken / "seed_sentences.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)

    result = check(broken, codebook_path, seeds_dir)
    assert result.exit_code == 1, result.output
    assert (f"{path}:3: unknown frame 'terorism_label'; did you mean 'terrorism_label'?"
            in result.stderr.splitlines())
    assert f"1 problem(s) found in {broken}" in result.stderr
    assert f"{broken}: 96 labelled sentences" in result.stdout
    assert "Traceback" not in result.output


def test_missing_codebook_is_one_error_line(tmp_path: Path, labels_dir: Path,
                                            seeds_dir: Path) -> None:
    missing = tmp_path / "codebook.toml"
    result = check(labels_dir, missing, seeds_dir)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {missing}: no such codebook file; pass --codebook PATH\n"
    assert result.stdout == ""


def test_the_default_call_checks_the_seed_labels_and_the_constructed_corpus() -> None:
    result = runner.invoke(app, ["labels", "check"])
    assert result.exit_code == 0, result.output
    heads = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert heads == ["labels: 96 labelled sentences",
                     "labels/constructed/sentences.csv: 3954 labelled sentences"]
