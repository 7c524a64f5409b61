"""framing.cluster: scoring on a Dask cluster gives the single-process rows, row for row.

The cluster is a LocalCluster of two single-threaded workers in this process
(processes=False): it starts in a fraction of a second and exercises the same scheduling,
serialisation of tasks and per-partition reading as a real cluster.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from framing.cluster import score_corpus_on_cluster
from framing.corpus import Skipped, score_corpus
from framing.errors import FramingError, InputError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def corpus_records(n: int, join: str = "\n") -> list[dict[str, Any]]:
    lines = [line for p in sorted((ROOT / "seeds").glob("*.txt"))
             for line in p.read_text(encoding="utf-8").splitlines() if len(line) > 40]
    return [{"id": f"a{i:03d}", "outlet": "xyz"[i % 3], "date": f"2024-0{i % 9 + 1}-01",
             "text": join.join(lines[(5 * i + k) % len(lines)] for k in range(2))} for i in range(n)]


def parts(directory: Path) -> list[Path]:
    return sorted(directory.glob("part-*"))


def test_jsonl_on_a_cluster_equals_one_process(tmp_path: Path, client: Client) -> None:
    records = corpus_records(40)
    lines = [json.dumps(r) for r in records]
    lines[7] = '{"id": "cut", "text": '                        # bad JSON, line 8
    lines[23] = json.dumps({"id": "a001", "text": "again"})    # duplicate id of line 2
    lines[24] = json.dumps({"id": "a024"})                      # no text, line 25
    source = tmp_path / "corpus.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    local_skips: list[Skipped] = []
    score_corpus(source, tmp_path / "local.jsonl", sentences=tmp_path / "local-s.csv",
                 on_skip=local_skips.append)

    cluster_skips: list[Skipped] = []
    summary = score_corpus_on_cluster(client, source, tmp_path / "cluster.jsonl",
                                      sentences=tmp_path / "cluster-s.csv", blocksize=2000,
                                      on_skip=cluster_skips.append)
    assert len(parts(tmp_path / "cluster.jsonl")) > 3
    joined = "".join(p.read_text(encoding="utf-8") for p in parts(tmp_path / "cluster.jsonl"))
    assert joined == (tmp_path / "local.jsonl").read_text(encoding="utf-8")
    sentence_rows = [row for p in parts(tmp_path / "cluster-s.csv")
                     for row in csv.DictReader(p.read_text(encoding="utf-8").splitlines(keepends=True))]
    with open(tmp_path / "local-s.csv", encoding="utf-8", newline="") as f:
        assert sentence_rows == list(csv.DictReader(f))
    # the duplicate (line 24) is in another partition than its first occurrence (line 2)
    assert cluster_skips == local_skips
    assert [s.line for s in local_skips] == [8, 24, 25]
    assert local_skips[1].message == "duplicate id 'a001'; ids must be unique"
    assert (summary.articles, summary.skipped, summary.records) == (37, 3, 40)


def test_parquet_row_groups_on_a_cluster(tmp_path: Path, client: Client) -> None:
    records = corpus_records(25)
    records[11]["text"] = None
    source = tmp_path / "corpus.parquet"
    pq.write_table(pa.Table.from_pylist(records), source, row_group_size=6)
    local_skips: list[Skipped] = []
    score_corpus(source, tmp_path / "local.parquet", on_skip=local_skips.append)
    cluster_skips: list[Skipped] = []
    score_corpus_on_cluster(client, source, tmp_path / "cluster.parquet", on_skip=cluster_skips.append)
    assert len(parts(tmp_path / "cluster.parquet")) == 5
    assert cluster_skips == local_skips == [Skipped(12, "no 'text' value")]
    cluster = pa.concat_tables(pq.read_table(p) for p in parts(tmp_path / "cluster.parquet"))
    assert cluster.to_pylist() == pq.read_table(tmp_path / "local.parquet").to_pylist()


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:  # with Excel's BOM
        writer = csv.DictWriter(f, fieldnames=["id", "outlet", "date", "text"])
        writer.writeheader()
        writer.writerows(records)
    return path


def test_csv_on_a_cluster(tmp_path: Path, client: Client) -> None:
    source = write_csv(tmp_path / "corpus.csv", corpus_records(20, join=" "))
    score_corpus(source, tmp_path / "local.csv")
    score_corpus_on_cluster(client, source, tmp_path / "cluster.csv", blocksize=1500)
    chunks = [p.read_text(encoding="utf-8").splitlines() for p in parts(tmp_path / "cluster.csv")]
    assert len(chunks) > 2
    assert all(c[0] == chunks[0][0] for c in chunks)  # every part has the header
    assert [chunks[0][0], *(line for c in chunks for line in c[1:])] == (
        tmp_path / "local.csv").read_text(encoding="utf-8").splitlines()


def test_csv_line_breaks_across_partitions_are_refused(tmp_path: Path, client: Client) -> None:
    source = write_csv(tmp_path / "corpus.csv", corpus_records(20))
    with pytest.raises(InputError, match="a quoted CSV field with a line break crosses a partition "
                                         "boundary; on a cluster use JSONL or Parquet"):
        score_corpus_on_cluster(client, source, tmp_path / "cluster.csv", blocksize=1500)


def test_a_rerun_replaces_the_parts(tmp_path: Path, client: Client) -> None:
    source = tmp_path / "corpus.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in corpus_records(12)), encoding="utf-8")
    score_corpus_on_cluster(client, source, tmp_path / "out.jsonl", blocksize=500)
    many = len(parts(tmp_path / "out.jsonl"))
    (tmp_path / "out.jsonl" / "notes.txt").write_text("kept", encoding="utf-8")
    score_corpus_on_cluster(client, source, tmp_path / "out.jsonl")
    assert len(parts(tmp_path / "out.jsonl")) == 1 < many
    assert (tmp_path / "out.jsonl" / "notes.txt").exists()


def test_dask_is_an_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from framing.cluster import score_corpus_at

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(FramingError, match=r"--scheduler needs dask and distributed, which are not "
                                           r"installed; pip install 'framing\[dask\]'"):
        score_corpus_at("tcp://127.0.0.1:1", tmp_path / "c.jsonl", tmp_path / "out.jsonl")


def test_a_bad_blocksize_is_named(tmp_path: Path, client: Client) -> None:
    source = tmp_path / "corpus.jsonl"
    source.write_text(json.dumps(corpus_records(1)[0]) + "\n", encoding="utf-8")
    with pytest.raises(FramingError, match=r"blocksize 'lots' is not a size; give bytes, or e.g. 64MiB"):
        score_corpus_on_cluster(client, source, tmp_path / "out.jsonl", blocksize="lots")
