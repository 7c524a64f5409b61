"""Inputs that gave tracebacks, hung or were misread on the command line (issue 9, findings
6, 7 and 8): each is now one line, a note, or read correctly."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner, Result

from framing.cli import app

runner = CliRunner()
ARTICLE = "Security forces killed five militants sent from abroad.\n"


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_a_file_name_that_is_not_utf8_is_scored_and_written(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad\xff.txt"
    with open(raw, "wb") as f:
        f.write(ARTICLE.encode("utf-8"))
    out = tmp_path / "out.json"
    result = invoke("score", os.fsdecode(raw), "-o", out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["articles"][0]["id"] == f"{tmp_path}/bad\\xff.txt"
    result = invoke("score", os.fsdecode(raw), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode("utf-8").startswith(json.dumps({"id": f"{tmp_path}/bad\\xff.txt"})[:-1])


def test_a_fifo_in_a_directory_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")
    result = invoke("score", tmp_path, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"note: {tmp_path / 'pipe.txt'}: skipped, a FIFO, not a regular file\n"
    assert len(result.stdout.splitlines()) == 1


def test_dev_zero_is_one_error() -> None:
    result = invoke("score", "/dev/zero", "--format", "jsonl")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("error: /dev/zero: not a regular file (a character device); "
                                             "give a text file")


def test_a_utf16_article_is_scored(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(("\ufeff" + ARTICLE).encode("utf-16-le"))
    result = invoke("score", path, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_sentences"] == 1


def test_train_with_no_frame_in_any_row_is_one_error(tmp_path: Path) -> None:
    labels = tmp_path / "empty_frames.csv"
    labels.write_text("text,frames,article\nHello there.,,a\nAnother one.,,b\n", encoding="utf-8")
    result = invoke("train", "--labels", labels, "--out", tmp_path / "m")
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"error: {labels}: no row has a frame in column 'frames'; label at least one "
                             "text with a frame id (or pass --frames-column)\n")
    assert not (tmp_path / "m").exists()


def test_train_warns_of_conflicting_labels(tmp_path: Path, toy_rows: list[dict[str, str]],
                                           write_table: object) -> None:
    rows = [dict(r) for r in toy_rows]
    rows.append({**rows[0], "frames": "" if rows[0]["frames"] else rows[1]["frames"]})
    labels = write_table(tmp_path / "dup.csv", rows)  # type: ignore[operator]
    result = invoke("train", "--labels", labels, "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert f"warning: {rows[0]['text'][:60]!r}" in result.stderr
    assert "is labelled differently in different rows" in result.stderr
