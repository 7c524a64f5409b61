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
from framing.stats import wilson
from framing.summarize import (
    month_of,
    period_of,
    pivot,
    render,
    render_csv,
    render_json,
    render_table,
    sidecar_path,
    summarize,
)

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
    low, high = wilson(3, 5)
    assert summary.records()[0] == {"frame": A, "articles": 5, "with_frame": 3, "share": 0.6,
                                    "share_low": round(low, 4), "share_high": round(high, 4),
                                    "mean_score": 0.52}
    assert (round(low, 4), round(high, 4)) == (0.2307, 0.8824)  # Wilson 3/5, as published tables give


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
    with pytest.raises(InputError, match=r"corpus.jsonl:1: no score columns found \(expected them "
                                         r"between 'n_sentences' and 'frames'\) and no sidecar "
                                         r"corpus.jsonl.framing.json"):
        summarize(path)
    with pytest.raises(InputError, match=r"corpus.jsonl:1: no score column for frame\(s\) "
                                         f"'{A}', .*is it `framing score-corpus` output of this model"):
        summarize(path, model=REPO_MODEL)


def test_renderings_agree(tmp_path: Path) -> None:
    summary = summarize(write(tmp_path / "scores.jsonl", ROWS), by=["outlet"])
    as_csv = list(csv.DictReader(render_csv(summary).splitlines()))
    as_json = json.loads(render_json(summary))
    assert len(as_csv) == len(as_json["groups"]) == 3 * len(FRAMES)
    assert as_json["by"] == ["outlet"] and as_json["frames"] == FRAMES
    assert as_csv[len(FRAMES)] == {k: str(v) for k, v in as_json["groups"][len(FRAMES)].items()}
    lines = render_table(summary).splitlines()
    assert lines[0].split() == ["outlet", "frame", "articles", "with", "frame", "share", "(95%", "CI)",
                                "mean", "score"]
    low, high = wilson(2, 3)
    assert lines[1 + len(FRAMES)].split() == ["x", A, "3", "2", "66.7%", f"({low:.1%}-{high:.1%})", "0.633"]


REPO_MODEL = Path(__file__).resolve().parent.parent / "models" / "default"


def test_frames_come_from_the_file_without_a_model(tmp_path: Path) -> None:
    """score-corpus writes the frame columns between n_sentences and frames: no --model needed."""
    rows = [{"id": "1", "outlet": "x", "n_sentences": 2, "mine": 0.9, "yours": 0.2, "frames": ["mine"]},
            {"id": "2", "outlet": "x", "n_sentences": 2, "mine": 0.1, "yours": 0.8, "frames": ["yours"]}]
    summary = summarize(write(tmp_path / "scores.csv", rows), by=["outlet"])
    assert summary.frame_ids == ["mine", "yours"] and summary.columns is not None
    assert summary.columns.source == "file"
    assert [(r.frame, r.present, r.mean_score) for r in summary.rows] == [("mine", 1, 0.5), ("yours", 1, 0.5)]


def test_frames_and_thresholds_come_from_the_sidecar(tmp_path: Path) -> None:
    rows = [{"id": "1", "n_sentences": 2, "b": 0.9, "a": 0.2, "other": 1, "frames": ["b"]}]
    path = write(tmp_path / "scores.jsonl", rows)
    sidecar_path(path).write_text(json.dumps({"frame_ids": ["a", "b"], "thresholds": {"a": 0.4, "b": 0.6},
                                              "frame_names": {"a": "A", "b": "B"}, "model": "default"}))
    summary = summarize(path)
    assert summary.frame_ids == ["a", "b"] and summary.columns is not None
    assert summary.columns.source == "sidecar" and summary.columns.thresholds == {"a": 0.4, "b": 0.6}
    assert json.loads(render_json(summary))["thresholds"] == {"a": 0.4, "b": 0.6}
    assert [(r.frame, r.present) for r in summary.rows] == [("a", 0), ("b", 1)]
    sidecar_path(path).write_text("{not json")
    with pytest.raises(InputError, match=r"scores.jsonl.framing.json: not a JSON sidecar .*delete it"):
        summarize(path)


@pytest.mark.parametrize(("value", "period", "expected"), [
    ("2024-01-01", "week", "2024-W01"), ("2024-12-30", "week", "2025-W01"),  # ISO weeks
    ("2021-01-03", "week", "2020-W53"), ("2024-03", "week", None),  # a week needs a day
    ("2024-03-31T23:00:00Z", "quarter", "2024-Q1"), ("2024-04-01", "quarter", "2024-Q2"),
    ("2024-12-31", "year", "2024"), (date(2023, 7, 4), "quarter", "2023-Q3"),
    ("2024-02-30", "month", None), ("30/01/2024", "year", None), (None, "year", None)])
def test_period_of(value: Any, period: str, expected: str | None) -> None:
    assert period_of(value, period) == expected


def test_by_week_and_quarter(tmp_path: Path) -> None:
    path = write(tmp_path / "scores.jsonl", ROWS)
    weeks = summarize(path, by=["week"])
    assert [g for g in weeks.groups()] == [("(missing)",), ("2024-W01",), ("2024-W02",), ("2024-W03",),
                                          ("2024-W05",)]
    quarters = summarize(path, by=["outlet", "quarter"])
    assert table(quarters, A)[("x", "2024-Q1")] == (3, 2, round((0.9 + 0.2 + 0.8) / 3, 6))


def test_pivot_has_a_row_per_group_and_intervals_on_every_share(tmp_path: Path) -> None:
    summary = summarize(write(tmp_path / "scores.jsonl", ROWS), by=["outlet"])
    records = pivot(summary)
    assert [r["outlet"] for r in records] == ["(missing)", "x", "y"]
    x = records[1]
    assert x["articles"] == 3 and list(x["frames"]) == FRAMES
    low, high = wilson(2, 3)
    assert x["frames"][A] == {"with_frame": 2, "share": 0.6667, "share_low": round(low, 4),
                              "share_high": round(high, 4), "mean_score": 0.6333}
    as_csv = list(csv.DictReader(render(summary, "csv", pivoted=True).splitlines()))
    assert as_csv[1]["outlet"] == "x" and as_csv[1][A] == "0.6667"
    assert as_csv[1][f"{A}_low"] == str(round(low, 4))
    assert json.loads(render(summary, "json", pivoted=True))["groups"] == records
    lines = render(summary, "table", pivoted=True).splitlines()
    assert lines[0].split() == ["outlet", "articles", *FRAMES]
    assert lines[2].split()[:4] == ["x", "3", "66.7%", f"({low:.1%}-{high:.1%})"]
