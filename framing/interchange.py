"""Labels to and from Label Studio and doccano, in the shapes those tools export.

* **Label Studio** (JSON export): a list of tasks, each with ``data`` (the text, and here the
  article and offsets too) and ``annotations``, each with a ``result`` list whose items of
  ``"type": "choices"`` hold ``value.choices``, the chosen frames. ``from_name``/``to_name``
  name the labelling config's tags; :func:`label_studio_config` writes a config that matches
  (``<Choices name="frames" toName="text" choice="multiple">``). The JSON-MIN export (flat
  records with the text and the choices under the tag's name) is read too.
* **doccano** (text classification, JSONL): one record per line with ``text`` and ``label``
  (a list of category names); other keys are metadata and come back on import. ``labels``
  and spaCy-style ``cats`` (``{"frame": 1.0}``) are read too.

Our own labels CSV (and the annotation journal behind it) stays the source of truth: these
are copies for teams that work in those tools.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from framing.errors import LabelError
from framing.labels import labelled_rows, split_frames

FORMATS = ("label-studio", "doccano")
FROM_NAME, TO_NAME = "frames", "text"
META = ("article", "index", "start", "end", "note", "annotator")
CSV_COLUMNS = ("article", "index", "start", "end", "text", "frames", "note", "annotator")


def _rows(path: Path, text_column: str, frames_column: str, separator: str) -> list[dict[str, Any]]:
    rows = []
    for line, row in labelled_rows(path, frames_column=frames_column, separator=separator):
        if not row.get(text_column, "").strip():
            raise LabelError(f"{path}:{line}: empty or missing '{text_column}'; name the text column "
                             "with --text-column")
        frames = list(split_frames(row.get(frames_column, ""), separator))
        meta = {k: row[k] for k in META if row.get(k, "") != ""}
        rows.append({"text": row[text_column], "frames": frames, "meta": meta})
    if not rows:
        raise LabelError(f"{path}: no labelled rows to export")
    return rows


def export_labels(path: str | Path, to: str, *, text_column: str = "text", frames_column: str = "frames",
                  separator: str = ";") -> str:
    """Our labels file as Label Studio JSON or doccano JSONL text."""
    rows = _rows(Path(path), text_column, frames_column, separator)
    if to == "label-studio":
        tasks = []
        for n, r in enumerate(rows, start=1):
            result = ([{"id": f"f{n}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
                        "origin": "manual", "value": {"choices": r["frames"]}}] if r["frames"] else [])
            annotation: dict[str, Any] = {"id": n, "result": result, "was_cancelled": False,
                                          "ground_truth": False}
            if "annotator" in r["meta"]:
                annotation["completed_by"] = r["meta"]["annotator"]
            tasks.append({"id": n, "data": {"text": r["text"], **r["meta"]}, "annotations": [annotation]})
        return json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"
    if to == "doccano":
        return "".join(json.dumps({"id": n, "text": r["text"], "label": r["frames"], **r["meta"]},
                                  ensure_ascii=False) + "\n" for n, r in enumerate(rows, start=1))
    raise LabelError(f"unknown format {to!r}; use one of {', '.join(FORMATS)}")


def label_studio_config(frames: list[tuple[str, str]]) -> str:
    """A Label Studio labelling config for these ``(frame id, name)`` pairs."""
    choices = "\n".join(f"    <Choice value={quoteattr(f)} hint={quoteattr(name)}/>" for f, name in frames)
    return (f'<View>\n  <Text name="{TO_NAME}" value="$text"/>\n'
            f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInline="true">\n'
            f"{choices}\n  </Choices>\n</View>\n")


def import_labels(path: str | Path, source: str, *, known: set[str] | None = None) -> tuple[str, int]:
    """A Label Studio JSON or doccano JSONL export as our labels CSV text, and its row count.

    ``known``: frame ids to accept (a codebook's); others raise LabelError naming the task or
    line. A Label Studio task with several annotations takes the last one not cancelled.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise LabelError(f"{path}: no such file; check the path") from None
    except UnicodeDecodeError:
        raise LabelError(f"{path}: not UTF-8 text; export it again as UTF-8") from None
    if source == "label-studio":
        records = list(_from_label_studio(path, text))
    elif source == "doccano":
        records = list(_from_doccano(path, text))
    else:
        raise LabelError(f"unknown format {source!r}; use one of {', '.join(FORMATS)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for where, record in records:
        for frame in record["frames"]:
            if known is not None and frame not in known:
                raise LabelError(f"{where}: unknown frame {frame!r}; known frames: "
                                 f"{', '.join(sorted(known))}")
        meta = record["meta"]
        writer.writerow([meta.get("article", ""), meta.get("index", ""), meta.get("start", ""),
                         meta.get("end", ""), record["text"], ";".join(record["frames"]),
                         meta.get("note", ""), meta.get("annotator", "")])
    if not records:
        raise LabelError(f"{path}: no labelled items found")
    return out.getvalue(), len(records)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LabelError(f"{where}: no text")
    return value


def _from_label_studio(path: Path, text: str) -> Any:
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelError(f"{path}: not Label Studio JSON ({exc}); export the project as JSON") from None
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise LabelError(f"{path}: a Label Studio export is a list of tasks")
    for n, task in enumerate(tasks, start=1):
        where = f"{path}: task {task.get('id', n) if isinstance(task, dict) else n}"
        if not isinstance(task, dict):
            raise LabelError(f"{where}: not a JSON object")
        if "data" not in task:  # JSON-MIN: flat records
            frames = task.get(FROM_NAME, [])
            frames = [frames] if isinstance(frames, str) else (frames.get("choices", [])
                                                               if isinstance(frames, dict) else frames)
            meta = {k: _plain(task[k]) for k in META if k in task}
            yield where, {"text": _text(task.get(TO_NAME), where), "frames": list(frames), "meta": meta}
            continue
        data = task["data"]
        annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not annotations:
            continue  # a task nobody labelled
        chosen = annotations[-1]
        frames = []
        for item in chosen.get("result") or []:
            if item.get("type") == "choices":
                frames.extend(item.get("value", {}).get("choices", []))
        meta = {k: _plain(data[k]) for k in META if k in data}
        if "annotator" not in meta and chosen.get("completed_by") is not None:
            by = chosen["completed_by"]
            meta["annotator"] = str(by.get("email", by.get("id")) if isinstance(by, dict) else by)
        yield where, {"text": _text(data.get(TO_NAME), where), "frames": list(dict.fromkeys(frames)),
                      "meta": meta}


def _from_doccano(path: Path, text: str) -> Any:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise LabelError(f"{where}: a JSON object is expected on each line")
        if "cats" in record:
            frames = [f for f, v in (record["cats"] or {}).items() if v]
        else:
            value = record.get("label", record.get("labels", []))
            frames = [value] if isinstance(value, str) else list(value or [])
        if not all(isinstance(f, str) for f in frames):
            raise LabelError(f"{where}: labels must be category names (text classification); "
                             "span labels cannot be read")
        meta = {k: _plain(record[k]) for k in META if k in record}
        yield where, {"text": _text(record.get("text"), where), "frames": frames, "meta": meta}


def _plain(value: Any) -> str:
    return "" if value is None else str(value)
