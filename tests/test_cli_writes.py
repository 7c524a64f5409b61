"""The command line's outputs (issue 9, findings 3, 4 and 8): no write destroys a device, a
FIFO, a link or an input; two runs never share an output; a full disk is one line, not a
traceback; training never replaces a model it was not told to."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from framing.atomic import OutputLock
from framing.cli import app

runner = CliRunner()
ARTICLE = "Security forces killed five militants sent from abroad. Talks resumed in the capital.\n"


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def plain(output: str) -> str:
    """Command-line output without typer's box drawing and line wrapping."""
    return " ".join(output.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


def assert_one_error(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1].startswith("error: ") or result.stderr.startswith("error: ")
    assert message in result.stderr, result.stderr


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": ARTICLE}) + "\n" for i in range(3)),
                    encoding="utf-8")
    return path


def test_score_refuses_an_output_hard_linked_to_its_input(tmp_path: Path, article: Path) -> None:
    out = tmp_path / "out.json"
    os.link(article, out)
    result = invoke("score", article, "-o", out, "--format", "json")
    assert_one_error(result, 1, f"error: {out}: --output is the same file as the input {article} (a link "
                                "to it); writing it would destroy what is read: name another file")
    assert article.read_text(encoding="utf-8") == ARTICLE


def test_score_corpus_refuses_an_output_hard_linked_to_its_input(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "out.jsonl"
    os.link(corpus, out)
    before = corpus.read_bytes()
    result = invoke("score-corpus", corpus, "-o", out)
    assert_one_error(result, 1, "--output is the same file as the input")
    assert corpus.read_bytes() == before


def test_output_and_sentences_must_be_different_files(tmp_path: Path, corpus: Path) -> None:
    out, sentences = tmp_path / "out.jsonl", tmp_path / "sentences.jsonl"
    out.write_text("", encoding="utf-8")
    os.link(out, sentences)
    result = invoke("score-corpus", corpus, "-o", out, "--sentences", sentences)
    assert_one_error(result, 1, f"{sentences}: --sentences is the same file as the --output file {out}")


def test_a_second_run_on_the_same_output_is_stopped(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "out.jsonl"
    with OutputLock(out):  # as a first run holds it
        result = invoke("score-corpus", corpus, "-o", out)
        assert_one_error(result, 1, f"{out}: another framing run (process {os.getpid()}) is writing it")
        result = invoke("score-corpus", corpus, "-o", tmp_path / "x.jsonl", "--resume", "--sentences", out)
        assert_one_error(result, 1, "another framing run")
    assert not out.exists()
    assert invoke("score-corpus", corpus, "-o", out).exit_code == 0


def test_score_writes_through_a_symlink(tmp_path: Path, article: Path) -> None:
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("", encoding="utf-8")
    link.symlink_to(target)
    result = invoke("score", article, "-o", link, "--format", "json")
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert json.loads(target.read_text(encoding="utf-8"))["articles"][0]["n_sentences"] == 2


@pytest.mark.parametrize("command", ["score", "score-corpus"])
def test_a_fifo_output_is_written_to_not_replaced(tmp_path: Path, article: Path, corpus: Path,
                                                   command: str) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    thread.start()
    args = ["score", article, "--format", "jsonl"] if command == "score" else ["score-corpus", corpus]
    result = invoke(*args, "-o", fifo)
    thread.join(30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(got[0].splitlines()) == (1 if command == "score" else 3)
    assert not (tmp_path / "pipe.jsonl.framing.json").exists()


def run_limited(args: list[str], cwd: Path, *, max_file_bytes: int | None = None,
                stdout: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run framing in a subprocess whose files cannot grow past ``max_file_bytes`` (a full disk)."""

    def limit() -> None:
        if max_file_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead

    return subprocess.run([sys.executable, "-m", "framing.cli", *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, preexec_fn=limit, timeout=300)


@pytest.mark.slow
def test_a_full_disk_is_one_line(tmp_path: Path, article: Path, corpus: Path) -> None:
    with open("/dev/full", "wb") as full:
        done = run_limited(["score", str(article), "--format", "json"], tmp_path, stdout=full.fileno())
    assert (done.returncode, done.stderr) == (1, "error: standard output: cannot write (No space left on "
                                                 "device); make room on its disk or pass --output FILE\n")
    done = run_limited(["score", str(article), "--format", "json", "-o", "out.json"], tmp_path,
                       max_file_bytes=300)
    assert (done.returncode, done.stderr) == (1, "error: out.json: cannot write (File too large); make room "
                                                 "on the disk and run again (the old file, if any, is "
                                                 "untouched)\n")
    done = run_limited(["score-corpus", str(corpus), "-o", "out.parquet"], tmp_path, max_file_bytes=3000)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: .out.parquet.parts/part-000000.parquet: cannot write (")
    assert done.stderr.endswith("); make room, then run the same command with --resume\n")
    assert "Traceback" not in done.stderr


def test_train_needs_out_and_never_replaces_a_model_without_force(tmp_path: Path, toy_labels: Path) -> None:
    result = invoke("train", "--labels", toy_labels)
    assert result.exit_code == 2 and "Missing option '--out'" in result.output
    model = tmp_path / "model"
    model.mkdir()
    (model / "meta.json").write_text("{}", encoding="utf-8")
    result = invoke("train", "--labels", toy_labels, "--out", model)
    assert_one_error(result, 1, f"{model}: already holds a model (or other files); pass --force to replace "
                                "it, or name a new directory")
    assert (model / "meta.json").read_text(encoding="utf-8") == "{}"


def test_train_needs_labels_or_shipped_labels(tmp_path: Path, toy_labels: Path) -> None:
    result = invoke("train", "--out", tmp_path / "m")
    assert result.exit_code == 2
    assert "--shipped-labels to train on the labels and codebook shipped with framing" in plain(result.output)
    result = invoke("train", "--out", tmp_path / "m", "--labels", toy_labels, "--shipped-labels")
    assert result.exit_code == 2 and "not both" in result.output
    assert not (tmp_path / "m").exists()


def test_codebook_given_a_directory_is_a_usage_error(tmp_path: Path, toy_labels: Path) -> None:
    result = invoke("train", "--out", tmp_path / "m", "--labels", toy_labels, "--codebook", tmp_path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    # typer's box may wrap the message anywhere: compare with the box and spaces taken out
    squeezed = "".join(ch for ch in result.output if ch.isalnum() or ch in "'-.:").lower()
    assert "invalidvaluefor'--codebook':file'" in squeezed
    assert "'isadirectory." in squeezed


def test_a_device_output_gets_no_lock_file_beside_it(tmp_path: Path, article: Path) -> None:
    devices = tmp_path / "dev"
    devices.mkdir()
    null = devices / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    result = invoke("score", article, "-o", null, "--format", "json")
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert sorted(os.listdir(devices)) == ["null"]
