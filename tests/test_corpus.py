"""framing.corpus and score.score_articles: corpus files in, one row per article out.

The batch path must give predict()'s profiles and frames; malformed records are reported
with their line and skipped while everything else is scored; an interrupted output file
resumes to exactly the uninterrupted one; --jobs gives the same bytes as one job.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framing.corpus.score as corpus
from framing.corpus import CorpusReader, Skipped, count_records, score_corpus
from framing.errors import FramingError, InputError
from framing.model import Model, load_model
from framing.score import predict, score_articles

REPO_ROOT = Path(__file__).resolve().parent.parent
EMPTY = ["", "\n\n  \n", "Advertisement\n"]


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="module")
def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((REPO_ROOT / "seeds").glob("*.txt"))]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def small_corpus(seed_texts: list[str], n: int = 12) -> list[dict[str, Any]]:
    """Articles made of a few sentences of the seed articles, with carried columns."""
    lines = [line for t in seed_texts for line in t.splitlines() if len(line) > 40]
    return [{"id": f"a{i:03d}", "date": f"2024-{i % 3 + 1:02d}-0{i % 9 + 1}", "outlet": "ab"[i % 2],
             "text": "\n".join(lines[(i * 3 + k) % len(lines)] for k in range(3))} for i in range(n)]


# --- score_articles -------------------------------------------------------------------------

def test_score_articles_equals_predict(model: Model, seed_texts: list[str]) -> None:
    texts = [*seed_texts, *EMPTY, "\ufeff" + seed_texts[0][:300]]
    batch = score_articles(texts, model=model)
    for i, text in enumerate(texts):
        expected = predict(text, model=model)
        assert batch.profiles[i].tolist() == [expected.profile[f] for f in model.frame_ids]
        assert batch.frames(i) == expected.frames
        assert batch.n_sentences[i] == expected.n_sentences
    assert batch.n_sentences[len(seed_texts):len(seed_texts) + len(EMPTY)].tolist() == [0, 0, 0]
    assert not batch.profiles[len(seed_texts)].any()


def test_score_articles_with_a_threshold_equals_predict(model: Model, seed_texts: list[str]) -> None:
    for threshold in (0.0, 0.9):
        batch = score_articles([seed_texts[1], ""], model=model, threshold=threshold)
        assert batch.frames(0) == predict(seed_texts[1], model=model, threshold=threshold).frames
        assert batch.frames(1) == []  # no sentence, no frame: even at threshold 0


def test_score_articles_sentences_equal_predicts(model: Model, seed_texts: list[str]) -> None:
    texts = [seed_texts[2], "", seed_texts[3]]
    batch = score_articles(texts, model=model, sentences=True)
    assert batch.sentence_spans is not None and batch.sentence_scores is not None
    expected = [(a, s) for a, t in enumerate(texts) for s in predict(t, model=model).sentences]
    assert len(expected) == len(batch.sentence_spans)
    for (a, s), (article, index, start, end), scores in zip(expected, batch.sentence_spans,
                                                            batch.sentence_scores, strict=True):
        assert (a, s.index, s.start, s.end) == (article, index, start, end)
        assert texts[a][start:end] == s.text
        assert scores.tolist() == [s.scores[f] for f in model.frame_ids]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=300), max_size=5))
def test_score_articles_takes_any_text(model: Model, texts: list[str]) -> None:
    batch = score_articles(texts, model=model, sentences=True)
    assert batch.profiles.shape == (len(texts), len(model.frame_ids))
    assert ((batch.profiles >= 0) & (batch.profiles <= 1)).all()
    assert batch.sentence_spans is not None
    assert len(batch.sentence_spans) == batch.n_sentences.sum()
    for article, _, start, end in batch.sentence_spans:
        text = texts[article].removeprefix("\ufeff")
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip()


# --- reading --------------------------------------------------------------------------------

def test_malformed_jsonl_records_are_reported_and_skipped(tmp_path: Path, seed_texts: list[str]) -> None:
    good = small_corpus(seed_texts, 4)
    source = tmp_path / "corpus.jsonl"
    lines = [json.dumps(good[0]).encode(),
             b'{"id": "broken", "text": ',                         # line 2: bad JSON
             json.dumps({"id": "no-text"}).encode(),                # 3: no text
             b'{"id": "latin1", "text": "caf\xe9"}',                # 4: not UTF-8
             json.dumps(good[1]).encode(),
             b"",                                                   # 6: blank, ignored
             json.dumps(["a", "list"]).encode(),                    # 7: not an object
             json.dumps({**good[2], "id": good[0]["id"]}).encode(),  # 8: duplicate id
             json.dumps({"id": 1.5, "text": "x"}).encode(),         # 9: bad id type
             json.dumps({"text": "no id"}).encode(),                # 10: no id
             json.dumps({"id": "n", "text": 7}).encode(),           # 11: text not a string
             b'{"id": "half", "text": "\\ud800"}',                  # 12: lone surrogate
             json.dumps(good[3]).encode()]
    source.write_bytes(b"\n".join(lines) + b"\n")
    skipped: list[Skipped] = []
    summary = score_corpus(source, tmp_path / "out.jsonl", on_skip=skipped.append)
    assert [s.line for s in skipped] == [2, 3, 4, 7, 8, 9, 10, 11, 12]
    messages = dict((s.line, s.message) for s in skipped)
    assert messages[2] == "bad JSON: Expecting value at column 26"
    assert messages[3] == "no 'text' value"
    assert messages[4] == "not UTF-8 (bad byte 0xe9 at column 30)"
    assert messages[8] == "duplicate id 'a000'; ids must be unique"
    assert messages[9] == "'id' must be a string or an integer, not float"
    assert (summary.articles, summary.skipped, summary.records) == (3, 9, 12)
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in rows] == [good[0]["id"], good[1]["id"], good[3]["id"]]


def test_csv_with_bom_long_fields_and_line_breaks(tmp_path: Path, model: Model) -> None:
    long_text = "Security forces killed five militants in the city. " * 4000  # > csv's 128 kB limit
    source = tmp_path / "corpus.csv"
    with open(source, "w", encoding="utf-8-sig", newline="") as f:  # Excel's BOM
        writer = csv.writer(f)
        writer.writerow(["outlet", "id", "text"])
        writer.writerow(["x", "long", long_text])
        writer.writerow(["y", "multi", "First line of the article.\nSecond line, after a break."])
        writer.writerow(["z", "short-row"])
        writer.writerow(["w", "empty", ""])
    with open(source, "ab") as f:
        f.write(b'v,bad-bytes,"caf\xe9 au lait"\n')
        f.write(b"u,last,The end.\n")
    skipped: list[Skipped] = []
    score_corpus(source, tmp_path / "out.jsonl", model=model, on_skip=skipped.append)
    assert skipped == [Skipped(5, "expected 3 fields, found 2"), Skipped(7, "not UTF-8 (bad byte 0xe9)")]
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [(r["id"], r["outlet"]) for r in rows] == [("long", "x"), ("multi", "y"), ("empty", "w"),
                                                      ("last", "u")]
    assert list(rows[0])[:3] == ["id", "outlet", "n_sentences"]
    assert rows[1]["n_sentences"] == 2
    assert rows[2]["n_sentences"] == 0 and rows[2]["frames"] == []


def test_tsv_is_read_with_tabs(tmp_path: Path, model: Model) -> None:
    source = tmp_path / "corpus.tsv"
    source.write_text("id\ttext\tdate\n1\tSecurity forces killed five militants.\t2024-01-02\n",
                      encoding="utf-8")
    score_corpus(source, tmp_path / "out.csv", model=model)
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as f:
        row = next(csv.DictReader(f))
    assert (row["id"], row["date"]) == ("1", "2024-01-02")
    assert set(model.frame_ids) < set(row)


def test_missing_column_names_the_columns_and_the_option(tmp_path: Path) -> None:
    source = tmp_path / "corpus.csv"
    source.write_text("doc,body\n1,Hello.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"corpus.csv: no column 'id' \(columns: 'doc', 'body'\); "
                                         r"pass --id-column"):
        score_corpus(source, tmp_path / "out.jsonl")
    summary = score_corpus(source, tmp_path / "out.jsonl", id_column="doc", text_column="body")
    assert summary.articles == 1
    assert read_jsonl(tmp_path / "out.jsonl")[0]["doc"] == "1"


def test_a_column_named_like_a_frame_is_refused(tmp_path: Path, model: Model) -> None:
    source = tmp_path / "corpus.csv"
    source.write_text(f"id,text,{model.frame_ids[0]}\n1,Hello.,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="would clash with the output's score columns; rename them"):
        score_corpus(source, tmp_path / "out.jsonl", model=model)


def test_output_must_not_be_the_input(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": 1, "text": "x"}])
    with pytest.raises(InputError, match="would overwrite the input"):
        score_corpus(source, source)
    with pytest.raises(InputError, match=r"unknown format '\.txt'"):
        score_corpus(source, tmp_path / "out.txt")


def test_parquet_keeps_the_types_of_carried_columns(tmp_path: Path, model: Model,
                                                    seed_texts: list[str]) -> None:
    records = small_corpus(seed_texts, 6)
    table = pa.table({"id": pa.array(range(6), pa.int64()),
                      "date": pa.array([date.fromisoformat(r["date"]) for r in records], pa.date32()),
                      "text": [r["text"] if i != 4 else None for i, r in enumerate(records)],
                      "views": pa.array([10, 20, None, 40, 50, 60], pa.int32())})
    source = tmp_path / "corpus.parquet"
    pq.write_table(table, source, row_group_size=2)
    skipped: list[Skipped] = []
    score_corpus(source, tmp_path / "out.parquet", model=model, on_skip=skipped.append, chunk_size=2)
    assert skipped == [Skipped(5, "no 'text' value")]
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.schema.field("id").type == pa.int64()
    assert out.schema.field("date").type == pa.date32()
    assert out.schema.field("views").type == pa.int32()
    assert out.schema.field("frames").type == pa.list_(pa.string())
    assert out.column("id").to_pylist() == [0, 1, 2, 3, 5]
    assert not (tmp_path / ".out.parquet.parts").exists()


def test_formats_hold_the_same_rows(tmp_path: Path, model: Model, seed_texts: list[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 5))
    for suffix in ("jsonl", "csv", "parquet"):
        score_corpus(source, tmp_path / f"out.{suffix}", model=model, chunk_size=2)
    as_json = read_jsonl(tmp_path / "out.jsonl")
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as f:
        as_csv = list(csv.DictReader(f))
    as_parquet = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert list(as_json[0]) == list(as_csv[0]) == list(as_parquet[0])
    assert list(as_json[0]) == ["id", "date", "outlet", "n_sentences", *model.frame_ids, "frames",
                                "language"]
    for j, c, p in zip(as_json, as_csv, as_parquet, strict=True):
        assert j == p
        assert c["frames"] == ";".join(j["frames"])
        assert j["language"] == c["language"] == "en"  # the seeds are English news
        assert [float(c[f]) for f in model.frame_ids] == [j[f] for f in model.frame_ids]


def test_sentence_table(tmp_path: Path, model: Model, seed_texts: list[str]) -> None:
    records = small_corpus(seed_texts, 3)
    source = write_jsonl(tmp_path / "c.jsonl", records)
    summary = score_corpus(source, tmp_path / "out.jsonl", sentences=tmp_path / "sentences.csv", model=model)
    with open(tmp_path / "sentences.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = [(r["id"], s) for r in records for s in predict(r["text"], model=model).sentences]
    assert summary.sentences == len(rows) == len(expected)
    assert list(rows[0]) == ["id", "index", "start", "end", "text", *model.frame_ids, "frames"]
    for row, (ident, s) in zip(rows, expected, strict=True):
        assert (row["id"], int(row["index"]), int(row["start"]), int(row["end"]), row["text"]) == (
            ident, s.index, s.start, s.end, s.text)
        assert row["frames"] == ";".join(s.frames)
        assert float(row[model.frame_ids[0]]) == round(s.scores[model.frame_ids[0]], 4)


def test_parquet_needs_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": 1, "text": "x"}])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(FramingError, match=r"out.parquet: Parquet needs pyarrow, which is not installed; "
                                           r"pip install 'framing\[parquet\]'"):
        score_corpus(source, tmp_path / "out.parquet")


def test_count_records(tmp_path: Path) -> None:
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text('{"id": 1}\n{"id": 2}\n{"id": 3}', encoding="utf-8")
    assert count_records(jsonl) == 3
    (tmp_path / "c.csv").write_text("id,text\n1,a\n2,b\n", encoding="utf-8")
    assert count_records(tmp_path / "c.csv") == 2
    pq.write_table(pa.table({"id": [1, 2, 3, 4], "text": list("abcd")}), tmp_path / "c.parquet")
    assert count_records(tmp_path / "c.parquet") == 4


def test_progress_reports_records_done_and_total(tmp_path: Path, model: Model, seed_texts: list[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 5))
    calls: list[tuple[int, int | None]] = []
    score_corpus(source, tmp_path / "out.jsonl", model=model, chunk_size=2,
                 progress=lambda done, total: calls.append((done, total)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_reader_is_lazy(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text('{"id": 1, "text": "a"}\n' + "{broken\n" * 3, encoding="utf-8")
    items = iter(CorpusReader(source))
    assert next(items).id == 1  # type: ignore[union-attr]


# --- parallel -------------------------------------------------------------------------------

def test_jobs_give_the_same_output(tmp_path: Path, seed_texts: list[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 30))
    score_corpus(source, tmp_path / "one.jsonl", sentences=tmp_path / "one-s.jsonl", chunk_size=4)
    score_corpus(source, tmp_path / "two.jsonl", sentences=tmp_path / "two-s.jsonl", chunk_size=4, jobs=2)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert (tmp_path / "one-s.jsonl").read_bytes() == (tmp_path / "two-s.jsonl").read_bytes()


def test_a_worker_loads_the_model_once(monkeypatch: pytest.MonkeyPatch, repo_root: Path) -> None:
    loads: list[str | None] = []
    real = corpus.load_model

    def counting(path: str | None = None) -> Model:
        loads.append(path)
        return real(path)

    monkeypatch.setattr(corpus, "load_model", counting)
    corpus.worker_model.cache_clear()
    path = str(repo_root / "models" / "default")
    for _ in range(3):
        corpus.score_texts(path, ["Security forces killed five militants."], None, False)
    assert loads == [path]
    corpus.worker_model.cache_clear()


# --- resuming -------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_resume_after_a_cut(tmp_path: Path, model: Model, seed_texts: list[str], suffix: str) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 9))
    full, cut = tmp_path / f"full.{suffix}", tmp_path / f"cut.{suffix}"
    full_s, cut_s = tmp_path / f"full-s.{suffix}", tmp_path / f"cut-s.{suffix}"
    score_corpus(source, full, sentences=full_s, model=model, chunk_size=2)
    score_corpus(source, cut, sentences=cut_s, model=model, chunk_size=2)  # its sidecar stays
    if suffix == "parquet":  # killed after two chunks, a third being written
        cut.unlink()
        cut_s.unlink()
        articles = pq.read_table(full)
        sentences = pq.read_table(full_s)
        for path in (cut, cut_s):
            (path.parent / f".{path.name}.parts").mkdir()
        for n in range(3):
            ids = pa.array(articles.column("id").to_pylist()[2 * n:2 * n + 2])
            rows = sentences.filter(pa.compute.is_in(sentences.column("id"), ids))
            pq.write_table(rows, tmp_path / f".{cut_s.name}.parts" / f"part-{n:06d}.parquet")
            if n < 2:  # the third chunk's sentences were written, not its articles
                pq.write_table(articles.slice(2 * n, 2),
                               tmp_path / f".{cut.name}.parts" / f"part-{n:06d}.parquet")
        (tmp_path / f".{cut.name}.parts" / ".part-000002.parquet.x.tmp").write_bytes(b"PAR1 half")
    else:  # a run killed mid-record: the sentence table cut further on than the article table
        cut.write_bytes(full.read_bytes()[:len(full.read_bytes()) * 2 // 5])
        cut_s.write_bytes(full_s.read_bytes()[:len(full_s.read_bytes()) * 3 // 5])
    summary = score_corpus(source, cut, sentences=cut_s, model=model, chunk_size=2, resume=True)
    assert summary.resumed > 0 and summary.articles > 0
    assert summary.resumed + summary.articles == 9
    if suffix == "parquet":
        assert pq.read_table(cut).equals(pq.read_table(full))
        assert pq.read_table(cut_s).equals(pq.read_table(full_s))
    else:
        assert cut.read_bytes() == full.read_bytes()
        assert cut_s.read_bytes() == full_s.read_bytes()


def test_resume_of_a_finished_run_adds_nothing(tmp_path: Path, model: Model, seed_texts: list[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 4))
    for suffix in ("jsonl", "parquet"):
        out = tmp_path / f"out.{suffix}"
        score_corpus(source, out, model=model)
        before = out.read_bytes() if suffix == "jsonl" else pq.read_table(out)
        summary = score_corpus(source, out, model=model, resume=True)
        assert (summary.articles, summary.resumed) == (0, 4)
        assert (out.read_bytes() if suffix == "jsonl" else pq.read_table(out)) == before


def test_resume_refuses_a_file_of_other_columns(tmp_path: Path, model: Model) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": 1, "text": "Hello."}])
    out = tmp_path / "out.csv"
    score_corpus(source, out, model=model)  # a sidecar describing this very run
    out.write_text("name,value\nx,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"out.csv:1: no 'id' column; cannot resume this file: run again "
                                         "without --resume to start over"):
        score_corpus(source, out, model=model, resume=True)


def test_resume_refuses_an_output_without_a_sidecar(tmp_path: Path, model: Model) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": 1, "text": "Hello."}])
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"out.jsonl: no out.jsonl.framing.json beside it, so nothing says "
                                         "which model, frames and input wrote it; cannot resume: run "
                                         "without --resume to start over"):
        score_corpus(source, out, model=model, resume=True)
    assert out.read_text(encoding="utf-8") == '{"id": 1}\n'


def test_the_sidecar_says_what_the_run_was(tmp_path: Path, model: Model) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": 1, "text": "Hello."}])
    out = tmp_path / "out.jsonl"
    score_corpus(source, out, sentences=tmp_path / "s.csv", model=model, threshold=0.4)
    side = json.loads((tmp_path / "out.jsonl.framing.json").read_text(encoding="utf-8"))
    assert side["frame_ids"] == model.frame_ids and side["complete"] is True
    assert side["thresholds"] == {f: 0.4 for f in model.frame_ids}
    assert side["model_sha256"] == model.sha256
    assert side["frame_names"] == model.frame_names
    assert side["options"] == {"id_column": "id", "text_column": "text", "threshold": 0.4,
                               "sentences": str((tmp_path / "s.csv").resolve())}
    assert side["input"]["size"] == source.stat().st_size and len(side["input"]["head_sha256"]) == 64
    assert side["articles"] == 1


def test_without_resume_the_output_starts_over(tmp_path: Path, model: Model) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": 1, "text": "Hello."}])
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": 7}\n', encoding="utf-8")
    score_corpus(source, out, model=model)
    assert [r["id"] for r in read_jsonl(out)] == [1]


def test_csv_output_keeps_the_first_records_columns(tmp_path: Path, model: Model) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", [
        {"id": 1, "outlet": "x", "text": "Security forces killed five militants."},
        {"id": 2, "outlet": "y", "url": "http://example.org", "text": "Talks resumed. Both sides agreed."},
        {"id": 3, "text": "The president blamed foreign agents."}])
    skipped: list[Skipped] = []
    summary = score_corpus(source, tmp_path / "out.csv", sentences=tmp_path / "s.jsonl", model=model,
                           chunk_size=1, on_skip=skipped.append)
    assert skipped == [Skipped(2, f"column(s) 'url' not in {tmp_path / 'out.csv'}'s header (CSV output "
                                  "takes the columns of the first records); write .jsonl")]
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["id"], r["outlet"]) for r in rows] == [("1", "x"), ("3", "")]
    assert {r["id"] for r in read_jsonl(tmp_path / "s.jsonl")} == {1, 3}
    assert (summary.articles, summary.sentences) == (2, 2)


# --- resume refuses another run (issue 9, finding 5) -----------------------------------------

def test_resume_refuses_another_model(tmp_path: Path, model: Model, toy_model: Model,
                                      seed_texts: list[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 4))
    out = tmp_path / "out.jsonl"
    score_corpus(source, out, model=model)
    before = out.read_bytes()
    with pytest.raises(InputError, match=r"out.jsonl: cannot resume: this run differs from the one that "
                                         r"wrote it in the model \(sha256 \w{12}\.\.\. then, \w{12}\.\.\. "
                                         r"now: .*\); the frames \(foreign_instigation, .* then, .* now\); "
                                         "run without --resume to start over"):
        score_corpus(source, out, model=toy_model, resume=True)
    assert out.read_bytes() == before


def test_resume_refuses_a_changed_input(tmp_path: Path, model: Model, seed_texts: list[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 4))
    out = tmp_path / "out.jsonl"
    score_corpus(source, out, model=model)
    write_jsonl(source, small_corpus(seed_texts, 5))
    with pytest.raises(InputError, match=r"differs from the one that wrote it in the input .*c.jsonl "
                                         r"\(size, modification time, first block, last block changed\)"):
        score_corpus(source, out, model=model, resume=True)
    stat = source.stat()
    data = source.read_bytes()
    source.write_bytes(data.replace(b"e", b"E", 1))  # same size and time, other bytes
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    score_corpus(source, out, model=model)
    source.write_bytes(data)
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(InputError, match=r"in the input .*c.jsonl \(first block, last block changed\)"):
        score_corpus(source, out, model=model, resume=True)


def test_resume_refuses_other_options(tmp_path: Path, model: Model, seed_texts: list[str]) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 4))
    out = tmp_path / "out.jsonl"
    score_corpus(source, out, model=model)
    with pytest.raises(InputError, match=r"in option threshold \(None then, 0.3 now\); option sentences "
                                         r"\(None then, '.*s.jsonl' now\)"):
        score_corpus(source, out, model=model, threshold=0.3, sentences=tmp_path / "s.jsonl", resume=True)


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_resume_completes_a_short_sentence_table(tmp_path: Path, model: Model, seed_texts: list[str],
                                                 suffix: str) -> None:
    source = write_jsonl(tmp_path / "c.jsonl", small_corpus(seed_texts, 8))
    out, sentences = tmp_path / f"out.{suffix}", tmp_path / f"s.{suffix}"
    score_corpus(source, out, sentences=sentences, model=model, chunk_size=2)
    full, full_s = out.read_bytes(), sentences.read_bytes()
    lines = full_s.splitlines(keepends=True)
    sentences.write_bytes(b"".join(lines[:len(lines) // 3]))  # cut short; the article table is whole
    summary = score_corpus(source, out, sentences=sentences, model=model, chunk_size=2, resume=True)
    assert summary.articles > 0 and summary.resumed + summary.articles == 8
    assert sentences.read_bytes() == full_s
    assert out.read_bytes() == full


@pytest.mark.parametrize("ending", ["\n", ""])
def test_an_unclosed_csv_quote_is_reported_with_its_line(tmp_path: Path, ending: str) -> None:
    source = tmp_path / "c.csv"
    source.write_text('id,text\n1,"Security forces killed five militants."\n2,"Talks resumed.\n'
                      f"3,The president spoke.\n4,Nothing else.{ending}", encoding="utf-8")
    items = list(CorpusReader(source))
    assert [i.id for i in items if not isinstance(i, Skipped)] == ["1"]
    assert items[-1] == Skipped(3, 'a quoted field opened on this line is never closed, so every line '
                                   'after it was read into it; close the quote (or double a quote inside '
                                   'the field: "")')
    closed = tmp_path / "ok.csv"
    closed.write_text(f'id,text\n1,"One."\n2,"Two,\nlines."{ending}', encoding="utf-8")
    assert [i.text for i in CorpusReader(closed)] == ["One.", "Two,\nlines."]  # type: ignore[union-attr]


def test_articles_that_are_not_english_are_marked_and_counted(tmp_path: Path, model: Model,
                                                             seed_texts: list[str]) -> None:
    # CONSTRUCTED: a Russian and a French article beside an English seed.
    records = [{"id": "en", "text": seed_texts[0]},
               {"id": "ru", "text": "Протестующие собрались на площади, полиция применила слезоточивый "
                                    "газ против них, сообщили свидетели."},
               {"id": "fr", "text": "Les manifestants se sont rassemblés sur la place et la police a "
                                    "tiré des gaz lacrymogènes contre eux, selon des témoins."}]
    source = write_jsonl(tmp_path / "c.jsonl", records)
    summary = score_corpus(source, tmp_path / "out.jsonl", model=model)
    assert {r["id"]: r["language"] for r in read_jsonl(tmp_path / "out.jsonl")} == {
        "en": "en", "ru": "ru", "fr": "fr"}
    assert summary.languages == {"ru": 1, "fr": 1}
