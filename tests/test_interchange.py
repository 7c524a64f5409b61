"""framing.interchange: Label Studio and doccano, on the shapes those tools export, both ways."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import LabelError
from framing.interchange import export_labels, import_labels, label_studio_config
from framing.labels import read_labelled

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
ROWS = [
    {"article": "a1", "index": "0", "start": "0", "end": "30", "text": 'He said "enough", then left.',
     "frames": "lethal_force;terrorism_label", "note": "quote", "annotator": "ann"},
    {"article": "a1", "index": "1", "start": "31", "end": "52", "text": "Nothing, here — ünïcode.",
     "frames": "", "note": "", "annotator": "ann"},
    {"article": "b2", "index": "0", "start": "0", "end": "12", "text": "Line\nbreak.",
     "frames": "casualty_toll", "note": "", "annotator": "ann"},
]

# What Label Studio writes for a text-classification project with multiple choices (its
# JSON export): tasks with data and annotations, results of type "choices"; a cancelled
# annotation; a task nobody annotated; and a user object for completed_by.
LABEL_STUDIO_EXPORT = [
    {"id": 11, "data": {"text": "Troops fired on the crowd."}, "project": 3,
     "annotations": [{"id": 101, "completed_by": {"id": 1, "email": "ann@example.org"},
                      "result": [{"id": "k1", "from_name": "sentiment", "to_name": "text",
                                  "type": "choices", "origin": "manual",
                                  "value": {"choices": ["lethal_force"]}}],
                      "was_cancelled": False, "ground_truth": False, "lead_time": 3.2,
                      "created_at": "2024-03-01T10:00:00Z"}],
     "predictions": []},
    {"id": 12, "data": {"text": "Talks began."},
     "annotations": [{"id": 102, "completed_by": 1, "result": [], "was_cancelled": False},
                     {"id": 103, "completed_by": 2, "was_cancelled": True,
                      "result": [{"type": "choices", "value": {"choices": ["lethal_force"]}}]}]},
    {"id": 13, "data": {"text": "Unlabelled."}, "annotations": []},
]
DOCCANO_EXPORT = (
    '{"id": 5, "text": "Troops fired on the crowd.", "label": ["lethal_force"], "Comments": []}\n'
    '{"id": 6, "text": "Talks began.", "label": []}\n'
    '{"id": 7, "text": "Casualties rose.", "cats": {"casualty_toll": 1.0, "lethal_force": 0.0}}\n'
)


@pytest.fixture
def labels(tmp_path: Path) -> Path:
    path = tmp_path / "labels.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ROWS[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(ROWS)
    return path


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("fmt", ["label-studio", "doccano"])
def test_round_trip(fmt: str, labels: Path, tmp_path: Path) -> None:
    exported = tmp_path / ("out.json" if fmt == "label-studio" else "out.jsonl")
    exported.write_text(export_labels(labels, fmt), encoding="utf-8")
    text, n = import_labels(exported, fmt)
    assert n == 3
    assert _csv(text) == ROWS


def test_label_studio_export_has_the_documented_shape(labels: Path) -> None:
    tasks = json.loads(export_labels(labels, "label-studio"))
    first = tasks[0]
    assert first["data"]["text"] == ROWS[0]["text"] and first["data"]["article"] == "a1"
    result = first["annotations"][0]["result"][0]
    assert result["type"] == "choices" and result["from_name"] == "frames" and result["to_name"] == "text"
    assert result["value"] == {"choices": ["lethal_force", "terrorism_label"]}
    assert tasks[1]["annotations"][0]["result"] == []  # no frame: an empty result


def test_doccano_export_has_the_documented_shape(labels: Path) -> None:
    lines = [json.loads(x) for x in export_labels(labels, "doccano").splitlines()]
    assert lines[0]["text"] == ROWS[0]["text"] and lines[0]["label"] == ["lethal_force", "terrorism_label"]
    assert lines[1]["label"] == []


def test_import_label_studio_as_it_exports(tmp_path: Path) -> None:
    path = tmp_path / "project-3.json"
    path.write_text(json.dumps(LABEL_STUDIO_EXPORT), encoding="utf-8")
    rows = _csv(import_labels(path, "label-studio")[0])
    assert [(r["text"], r["frames"], r["annotator"]) for r in rows] == [
        ("Troops fired on the crowd.", "lethal_force", "ann@example.org"),
        ("Talks began.", "", "1"),  # the cancelled annotation is not taken
    ]


def test_import_label_studio_json_min(tmp_path: Path) -> None:
    path = tmp_path / "min.json"
    path.write_text(json.dumps([{"id": 1, "text": "A.", "frames": {"choices": ["x", "y"]}},
                                {"id": 2, "text": "B.", "frames": "x"}]), encoding="utf-8")
    assert [r["frames"] for r in _csv(import_labels(path, "label-studio")[0])] == ["x;y", "x"]


def test_import_doccano_as_it_exports(tmp_path: Path) -> None:
    path = tmp_path / "all.jsonl"
    path.write_text(DOCCANO_EXPORT, encoding="utf-8")
    rows = _csv(import_labels(path, "doccano")[0])
    assert [(r["text"], r["frames"]) for r in rows] == [
        ("Troops fired on the crowd.", "lethal_force"), ("Talks began.", ""),
        ("Casualties rose.", "casualty_toll")]


def test_unknown_frames_and_bad_lines_name_where(tmp_path: Path) -> None:
    path = tmp_path / "all.jsonl"
    path.write_text(DOCCANO_EXPORT + "{broken\n", encoding="utf-8")
    with pytest.raises(LabelError, match=r"all.jsonl:4: not valid JSON"):
        import_labels(path, "doccano")
    path.write_text(DOCCANO_EXPORT, encoding="utf-8")
    with pytest.raises(LabelError, match=r"all.jsonl:1: unknown frame 'lethal_force'"):
        import_labels(path, "doccano", known={"casualty_toll"})


def test_config_lists_the_codebook_frames() -> None:
    config = label_studio_config([("x", 'A "quoted" name'), ("y", "Y")])
    assert '<Choices name="frames" toName="text" choice="multiple"' in config
    assert '<Choice value="x" hint=\'A "quoted" name\'/>' in config


def test_cli_export_import_and_train_reads_the_result(labels: Path, tmp_path: Path) -> None:
    out = tmp_path / "tasks.json"
    result = runner.invoke(app, ["labels", "export", str(labels), "--to", "label-studio", "-o", str(out),
                                 "--config", str(tmp_path / "config.xml"), "--codebook",
                                 str(ROOT / "labels" / "codebook.toml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "config.xml").read_text(encoding="utf-8").count("<Choice ") == 12
    back = tmp_path / "back.csv"
    result = runner.invoke(app, ["labels", "import", str(out), "--from", "label-studio", "-o", str(back),
                                 "--codebook", str(ROOT / "labels" / "codebook.toml")])
    assert result.exit_code == 0, result.output
    assert "wrote 3 labelled row(s)" in result.stdout
    assert len(read_labelled(back)) == 3
    result = runner.invoke(app, ["labels", "export", str(labels), "--to", "prodigy", "-o", str(out)])
    assert result.exit_code == 1 and "unknown format 'prodigy'" in result.output
