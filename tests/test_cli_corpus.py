"""`framing score-corpus` and `framing summarize` on the command line.

Data goes to files, messages to stderr (`INPUT:LINE: message` per skipped record, then a
summary), nothing to stdout; exit status 1 when a record was skipped. The resume test
kills a real run with SIGKILL and resumes it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from framing.cli import app
from framing.corpus import score_corpus
from framing.progress import Progress

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def seed_lines() -> list[str]:
    return [line for p in sorted((ROOT / "seeds").glob("*.txt"))
            for line in p.read_text(encoding="utf-8").splitlines() if len(line) > 40]


def write_corpus(path: Path, n: int, per_article: int = 3) -> Path:
    lines = seed_lines()
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            text = "\n".join(lines[(7 * i + k) % len(lines)] for k in range(per_article))
            f.write(json.dumps({"id": f"a{i:05d}", "outlet": "xy"[i % 2], "date": f"2024-0{i % 3 + 1}-15",
                                "text": text}) + "\n")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_score_corpus_writes_the_file_and_a_summary(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 6)
    result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / "scores.csv"),
                                 "--sentences", str(tmp_path / "sentences.parquet")])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (f"scored 6 article(s) and 22 sentence(s) into {tmp_path / 'scores.csv'}; "
                             "0 malformed record(s) skipped\n")
    with open(tmp_path / "scores.csv", encoding="utf-8", newline="") as f:
        assert [r["id"] for r in csv.DictReader(f)] == [f"a{i:05d}" for i in range(6)]
    assert (tmp_path / "sentences.parquet").is_file()


def test_malformed_records_are_listed_and_exit_1(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 4)
    with open(source, "ab") as f:
        f.write(b'{"id": "x", "text": \n{"id": "a00001", "text": "again"}\n{"id": "y", "text": "\xff"}\n')
    result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / "scores.jsonl")])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"{source}:5: bad JSON: Expecting value at column 21",
        f"{source}:6: duplicate id 'a00001'; ids must be unique",
        f"{source}:7: not UTF-8 (bad byte 0xff at column 22)",
        f"scored 4 article(s) into {tmp_path / 'scores.jsonl'}; 3 malformed record(s) skipped",
    ]
    assert len(read_jsonl(tmp_path / "scores.jsonl")) == 4


def test_jobs_and_chunk_size(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 20)
    for jobs in ("1", "2"):
        result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / f"j{jobs}.jsonl"),
                                     "--jobs", jobs, "--chunk-size", "3"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "j1.jsonl").read_bytes() == (tmp_path / "j2.jsonl").read_bytes()


def test_a_missing_model_exits_2(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 1)
    result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / "s.jsonl"),
                                 "--model", str(tmp_path / "nowhere")])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {tmp_path / 'nowhere'}: no such model directory")


def test_a_missing_column_is_one_line(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 1)
    csv_source = tmp_path / "corpus.csv"
    csv_source.write_text("doc,body\n1,Hello.\n", encoding="utf-8")
    result = runner.invoke(app, ["score-corpus", str(csv_source), "-o", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"error: {csv_source}: no column 'id' (columns: 'doc', 'body'); "
                             "pass --id-column\n")
    result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / "s.jsonl"),
                                 "--scheduler", "tcp://127.0.0.1:1", "--resume"])
    assert result.exit_code == 2
    assert "--jobs and --resume are for one machine" in result.output


def test_summarize_formats(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 9)
    score_corpus(source, tmp_path / "scores.jsonl")
    result = runner.invoke(app, ["summarize", str(tmp_path / "scores.jsonl"), "--by", "outlet",
                                 "--by", "month"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["outlet", "month", "frame"]
    assert len(lines) == 1 + 2 * 3 * 12
    result = runner.invoke(app, ["summarize", str(tmp_path / "scores.jsonl"), "--by", "outlet",
                                 "--format", "json", "-o", str(tmp_path / "summary.json")])
    assert result.exit_code == 0, result.output
    groups = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["groups"]
    assert {g["outlet"] for g in groups} == {"x", "y"}
    assert sum(g["articles"] for g in groups) == 9 * 12
    result = runner.invoke(app, ["summarize", str(tmp_path / "scores.jsonl"), "--format", "csv"])
    assert result.stdout.splitlines()[0] == "frame,articles,with_frame,share,share_low,share_high,mean_score"
    result = runner.invoke(app, ["summarize", str(tmp_path / "scores.jsonl"), "--by", "outlet",
                                 "--by", "quarter", "--pivot"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["outlet", "quarter", "articles"] and len(lines) == 1 + 2
    result = runner.invoke(app, ["summarize", str(tmp_path / "scores.jsonl"), "--by", "country"])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'scores.jsonl'}: no column 'country' to group by\n"


def test_scheduler_option_scores_on_a_cluster(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 10)
    score_corpus(source, tmp_path / "local.jsonl")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / "cluster.jsonl"),
                                     "--scheduler", cluster.scheduler_address, "--blocksize", "2kB"])
    assert result.exit_code == 0, result.output
    parts = sorted((tmp_path / "cluster.jsonl").glob("part-*.jsonl"))
    assert len(parts) > 1
    assert "".join(p.read_text(encoding="utf-8") for p in parts) == (
        tmp_path / "local.jsonl").read_text(encoding="utf-8")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal() -> None:
    stream = Terminal()
    bar = Progress("scoring", "articles", stream=stream)
    bar.start -= 10  # as if started 10 s ago
    bar(500, 2000)
    bar(501, 2000)  # within 0.2 s of the last: not redrawn
    bar(2000, 2000)  # the last is always drawn
    bar.close()
    err = stream.getvalue()
    assert err.count("\r") == 2
    assert "scoring: 500/2,000 articles  50/s  0:00:30 left" in err
    assert err.endswith("\n")
    stream = Terminal()
    bar = Progress("scoring", "articles", stream=stream)
    bar.start -= 1
    bar(100, None)
    assert "scoring: 100 articles  " in stream.getvalue()


def test_progress_in_a_log_is_a_line_at_most_every_30_seconds() -> None:
    stream = io.StringIO()  # not a terminal: no \r, no escape codes
    bar = Progress("training", "fits", stream=stream)
    bar(1, 100)  # the first line comes after 30 s
    bar.start -= 60
    bar.drawn -= 60
    bar(10, 100)
    bar(20, 100)  # within 30 s of the last line: nothing
    bar.drawn -= 31
    bar(30, 100)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["training: 10/100 fits", "training: 30/100 fits",
                                                       "training: done, 30/100 fits in 0:01:00"]
    assert "\r" not in stream.getvalue() and "\033" not in stream.getvalue()
    assert all(line.endswith(" left") for line in lines[:2])


def test_progress_disabled_writes_nothing() -> None:
    stream = Terminal()
    bar = Progress("scoring", "articles", enabled=False, stream=stream)
    bar.start -= 10
    bar(5, 10)
    bar.close()
    assert stream.getvalue() == ""


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 3000)
    out, sentences = tmp_path / "scores.jsonl", tmp_path / "sentences.csv"
    command = [sys.executable, "-m", "framing.cli", "score-corpus", str(source), "-o", str(out),
               "--sentences", str(sentences), "--chunk-size", "25", "--no-progress"]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if out.exists() and out.stat().st_size > 0 and out.read_bytes().count(b"\n") >= 100:
            break
        time.sleep(0.02)
    assert run.poll() is None, "the run ended before it could be killed: make the corpus bigger"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert run.stderr is not None
    run.stderr.close()
    partial = out.read_bytes().count(b"\n")
    assert 100 <= partial < 3000

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "were already there" in resumed.stderr

    rows = read_jsonl(out)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 3000
    score_corpus(source, tmp_path / "whole.jsonl", sentences=tmp_path / "whole.csv", chunk_size=25)
    assert out.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert sentences.read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 2)
    (tmp_path / "taken.jsonl").mkdir()
    result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / "taken.jsonl")])
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"error: {tmp_path / 'taken.jsonl'}: is a directory; give a file name to "
                             "write to\n")


def descendants(pid: int) -> set[int]:
    """Processes below ``pid`` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    source = write_corpus(tmp_path / "corpus.jsonl", 3000)
    out = tmp_path / "scores.jsonl"
    command = [sys.executable, "-m", "framing.cli", "score-corpus", str(source), "-o", str(out),
               "--chunk-size", "10", "--jobs", "3", "--no-progress"]
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and run.poll() is None:
        workers = descendants(run.pid)
        if len(workers) >= 2 and out.exists() and out.read_bytes().count(b"\n") >= 50:
            break
        time.sleep(0.05)
    assert run.poll() is None and len(workers) >= 2, "no workers seen before the run ended"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(p) for p in workers):
        time.sleep(0.1)
    assert not [p for p in workers if alive(p)], "workers outlived their parent"


def test_articles_that_are_not_english_get_one_warning_with_counts(tmp_path: Path) -> None:
    # CONSTRUCTED: one English and two Russian articles.
    source = tmp_path / "corpus.jsonl"
    russian = ("Протестующие собрались на площади, полиция применила слезоточивый газ против них, "
               "сообщили свидетели.")
    rows = [{"id": "1", "text": " ".join(seed_lines()[:3])}, {"id": "2", "text": russian},
            {"id": "3", "text": russian}]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(app, ["score-corpus", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    assert ("warning: 2 article(s) look like another language than English (ru: 2); the model reads "
            "English only, so their scores mean little (see the language column)") in result.stderr
