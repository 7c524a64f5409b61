"""framing.summarize: frame prevalence per group, from score-corpus output in any format."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from framing.errors import InputError
from framing.model import read_meta
from framing.summarize import month_of, render_csv, render_json, render_table, summarize

FRAMES = list(read_meta()["frame_ids"])
A, B = FRAMES[0], FRAMES[1]


def score_row(ident: str, outlet: str | None, day: str | None, a: float, b: float) -> dict[str, Any]:
    scores = {f: 0.0 for f in FRAMES} | {A: a, B: b}
    return {"id": ident, "outlet": outlet, "date": day, "n_sentences": 3, **scores,
            "frames": [f for f in (A, B) if scores[f] >= 0.5]}


ROWS = [score_row("1", "x", "2024-01-05", 0.9, 0.1),
        score_row("2", "x", "2024-01-20", 0.2, 0.7),
        score_row("3", "x", "2024-02-01T10:00:00Z", 0.8, 0.6),
        score_row("4", "y", "2024-01-09", 0.1, 0.1),
        score_row("5", None, "not a date", 0.6, 0.0)]


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**r, "frames": ";".join(r["frames"]),
                              "outlet": r["outlet"] or ""} for r in rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def table(summary: Any, frame: str) -> dict[tuple[str, ...], tuple[int, int, float]]:
    return {r.group: (r.articles, r.present, round(r.mean_score, 6))
            for r in summary.rows if r.frame == frame}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_prevalence_by_outlet_and_month(tmp_path: Path, suffix: str) -> None:
    summary = summarize(write(tmp_path / f"scores{suffix}", ROWS), by=["outlet", "month"])
    assert table(summary, A) == {
        ("(missing)", "(missing)"): (1, 1, 0.6),
        ("x", "2024-01"): (2, 1, 0.55),
        ("x", "2024-02"): (1, 1, 0.8),
        ("y", "2024-01"): (1, 0, 0.1),
    }
    assert table(summary, B)[("x", "2024-01")] == (2, 1, 0.4)
    assert [r.frame for r in summary.rows[:len(FRAMES)]] == FRAMES


def test_no_groups_is_the_whole_corpus(tmp_path: Path) -> None:
    summary = summarize(write(tmp_path / "scores.jsonl", ROWS))
    assert table(summary, A) == {(): (5, 3, 0.52)}
    assert summary.records()[0] == {"frame": A, "articles": 5, "with_frame": 3, "share": 0.6,
                                    "mean_score": 0.52}


def test_month_from_a_parquet_date_column(tmp_path: Path) -> None:
    rows = [{**r, "published": d} for r, d in zip(ROWS[:3], [date(2023, 12, 31), date(2024, 1, 1),
                                                              datetime(2024, 1, 2, 5)], strict=True)]
    rows[2]["published"] = date(2024, 1, 2)
    path = tmp_path / "scores.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    summary = summarize(path, by=["month"], date_column="published")
    assert {g: n for g, (n, _, _) in table(summary, A).items()} == {("2023-12",): 1, ("2024-01",): 2}


def test_month_of() -> None:
    assert month_of("2024-03-05") == "2024-03"
    assert month_of(" 2024-11") == "2024-11"
    assert month_of(datetime(2020, 2, 29, 23)) == "2020-02"
    assert month_of("2024-13-01") is None
    assert month_of("05/03/2024") is None
    assert month_of(None) is None


def test_directory_of_parts_is_read_in_order(tmp_path: Path) -> None:
    parts = tmp_path / "scores.jsonl"
    parts.mkdir()
    write(parts / "part-00000.jsonl", ROWS[:2])
    write(parts / "part-00001.jsonl", ROWS[2:])
    assert summarize(parts, by=["outlet"]).rows == summarize(write(tmp_path / "all.jsonl", ROWS),
                                                             by=["outlet"]).rows


def test_unknown_group_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "scores.jsonl", ROWS)
    with pytest.raises(InputError, match=r"scores.jsonl: no column 'country' to group by$"):
        summarize(path, by=["country"])
    with pytest.raises(InputError, match=r"no column 'day' to group by \(month comes from --date-column\)"):
        summarize(path, by=["month"], date_column="day")


def test_a_file_without_score_columns_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "corpus.jsonl", [{"id": 1, "text": "an article, not scores"}])
    with pytest.raises(InputError, match=r"corpus.jsonl:1: no score column for frame\(s\) "
                                         f"'{A}', .*is it `framing score-corpus` output of this model"):
        summarize(path)


def test_renderings_agree(tmp_path: Path) -> None:
    summary = summarize(write(tmp_path / "scores.jsonl", ROWS), by=["outlet"])
    as_csv = list(csv.DictReader(render_csv(summary).splitlines()))
    as_json = json.loads(render_json(summary))
    assert len(as_csv) == len(as_json["groups"]) == 3 * len(FRAMES)
    assert as_json["by"] == ["outlet"] and as_json["frames"] == FRAMES
    assert as_csv[len(FRAMES)] == {k: str(v) for k, v in as_json["groups"][len(FRAMES)].items()}
    lines = render_table(summary).splitlines()
    assert lines[0].split() == ["outlet", "frame", "articles", "with", "frame", "share", "mean", "score"]
    assert lines[1 + len(FRAMES)].split() == ["x", A, "3", "2", "66.7%", "0.633"]
