"""What a corpus run was, kept beside its output, so that ``--resume`` only continues the
same run: the sidecar ``OUT.framing.json``.

The sidecar is written (atomically) before the first row, and again, marked complete, at
the end. It records the model (path and sha256), its frames, names and the thresholds
used, the options that shape the rows, and the input's identity: size, modification time,
and the sha256 of its first and last blocks (cheap for any size; an edit in the middle
that keeps the size and the time is the one change it misses). ``--resume`` compares all
of them with the run it is asked to do and refuses, naming what differs.

``summarize`` and ``report`` read ``frame_ids`` and ``thresholds`` from the sidecar.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from framing.atomic import is_special, write_text_atomic
from framing.corpus.read import DELIMITERS, file_format, id_key
from framing.corpus.write import SENTENCES_COLUMN
from framing.errors import InputError
from framing.model import Model
from framing.read import allow_long_csv_fields

SIDECAR_SUFFIX = ".framing.json"
SIDECAR_FORMAT = 1  # bump when a key's meaning changes; --resume refuses other versions
BLOCK = 1 << 16  # bytes hashed at each end of the input


def sidecar_path(output: str | Path) -> Path:
    """``OUT.framing.json`` beside ``OUT``."""
    output = Path(output)
    return output.with_name(output.name + SIDECAR_SUFFIX)


def input_identity(path: str | Path) -> dict[str, Any]:
    """Size, modification time and the sha256 of the first and last 64 KiB of a file."""
    path = Path(path)
    st = path.stat()
    with open(path, "rb") as f:
        head = f.read(BLOCK)
        f.seek(max(st.st_size - BLOCK, 0))
        tail = f.read(BLOCK)
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "head_sha256": hashlib.sha256(head).hexdigest(),
            "tail_sha256": hashlib.sha256(tail).hexdigest()}


def model_sha256(model: Model) -> str:
    """The model's identity: the sha256 of its meta.json (which records every data file's
    sha256), or of its metadata for a model that was never saved."""
    digest = model.sha256
    if digest:
        return digest
    return hashlib.sha256(json.dumps(model.meta, sort_keys=True, default=str).encode()).hexdigest()


def describe_run(*, model: Model, model_path: str | None, source: Path, output: Path,
                 sentences: Path | None, id_column: str, text_column: str,
                 threshold: float | None) -> dict[str, Any]:
    """The sidecar's content for a run (not yet complete)."""
    thresholds = {f: (threshold if threshold is not None else round(float(t), 6))
                  for f, t in zip(model.frame_ids, model.thresholds, strict=True)}
    return {
        "sidecar_format": SIDECAR_FORMAT,
        "framing_version": _framing_version(),
        "model": model_path or "default",
        "model_sha256": model_sha256(model),
        "frame_ids": list(model.frame_ids),
        "frame_names": model.frame_names,
        "thresholds": thresholds,
        "options": {"id_column": id_column, "text_column": text_column, "threshold": threshold,
                    "sentences": str(sentences.resolve()) if sentences is not None else None},
        "input": input_identity(source),
        "output": str(output),
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "complete": False,
    }


def _framing_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("framing")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def write_sidecar(output: Path, description: dict[str, Any]) -> None:
    """Write the sidecar of ``output`` atomically (none for a device or FIFO: nothing to resume)."""
    if is_special(output):
        return
    write_text_atomic(sidecar_path(output), json.dumps(description, indent=2, ensure_ascii=False) + "\n")


def read_sidecar(output: Path) -> dict[str, Any] | None:
    """The sidecar of ``output``, or None when there is none; InputError when unreadable."""
    path = sidecar_path(output)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc}); run without --resume to start over") from None
    try:
        found = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}); run without --resume "
                         "to start over") from None
    if not isinstance(found, dict):
        raise InputError(f"{path}: not a framing sidecar; run without --resume to start over")
    return found


def check_resume(output: Path, now: dict[str, Any]) -> None:
    """Refuse to resume ``output`` unless its sidecar describes the same run as ``now``.

    An output with no sidecar (another program's, or an older framing's) is refused too:
    nothing says what wrote its rows.
    """
    before = read_sidecar(output)
    again = "run without --resume to start over"
    if before is None:
        raise InputError(f"{output}: no {sidecar_path(output).name} beside it, so nothing says which "
                         f"model, frames and input wrote it; cannot resume: {again}")
    if before.get("sidecar_format") != SIDECAR_FORMAT:
        raise InputError(f"{sidecar_path(output)}: sidecar format {before.get('sidecar_format')!r}, "
                         f"this framing writes {SIDECAR_FORMAT}; cannot resume: {again}")
    differences = []
    if before.get("model_sha256") != now["model_sha256"]:
        differences.append(f"the model (sha256 {str(before.get('model_sha256'))[:12]}... then, "
                           f"{now['model_sha256'][:12]}... now: {now['model']})")
    if before.get("frame_ids") != now["frame_ids"]:
        differences.append(f"the frames ({', '.join(before.get('frame_ids') or [])} then, "
                           f"{', '.join(now['frame_ids'])} now)")
    then_input, now_input = before.get("input") or {}, now["input"]
    changed = [k for k in ("size", "mtime_ns", "head_sha256", "tail_sha256")
               if then_input.get(k) != now_input[k]]
    if changed:
        what = {"size": "size", "mtime_ns": "modification time", "head_sha256": "first block",
                "tail_sha256": "last block"}
        differences.append(f"the input {now_input['path']} ({', '.join(what[k] for k in changed)} "
                           "changed)")
    then_options = before.get("options") or {}
    for key, value in now["options"].items():
        if then_options.get(key) != value:
            differences.append(f"option {key} ({then_options.get(key)!r} then, {value!r} now)")
    if differences:
        raise InputError(f"{output}: cannot resume: this run differs from the one that wrote it in "
                         + "; ".join(differences) + f"; {again}, or repeat the first run's command")


# --- a short sentence table ---------------------------------------------------------------

def complete_articles(articles: Path, sentences: Path, id_column: str) -> set[str] | None:
    """Ids of the longest run of leading article rows whose sentences are all written.

    The sentence table of a chunk is written before its article rows, so normally all are;
    a sentence table cut short (a full disk, a copy stopped half-way) leaves articles
    whose sentences are missing, and those (and all after them) are scored again. None
    when the article table cannot be read this way (then it is resumed as it is).
    """
    if not articles.exists():
        return None
    counts = Counter(sid for sid, _ in _rows(sentences, id_column, None)) if sentences.exists() else Counter()
    keep: set[str] = set()
    for ident, n in _rows(articles, id_column, SENTENCES_COLUMN):
        if n is None or counts[ident] < n:
            break
        keep.add(ident)
    return keep


def _rows(path: Path, id_column: str, count_column: str | None) -> Iterator[tuple[str, int | None]]:
    """(id, count column as int or None) for each complete row of a JSONL or CSV table."""
    fmt = file_format(path)
    if fmt == "parquet":
        yield from _parquet_rows(path, id_column, count_column)
        return
    with open(path, "rb") as f:
        if fmt == "jsonl":
            for raw in f:
                if not raw.endswith(b"\n"):
                    return
                try:
                    row = json.loads(raw)
                    yield id_key(row[id_column]), _int(row.get(count_column)) if count_column else None
                except (ValueError, KeyError, TypeError):
                    return
            return
        allow_long_csv_fields()
        lines = (raw.decode("utf-8", errors="surrogateescape") for raw in f if raw.endswith(b"\n"))
        reader = csv.reader(lines, delimiter=DELIMITERS[fmt], strict=True)
        try:
            header = next(reader)
            at = header.index(id_column)
            count_at = header.index(count_column) if count_column in header else None
            for fields in reader:
                if len(fields) != len(header):
                    return
                yield fields[at], _int(fields[count_at]) if count_at is not None else None
        except (StopIteration, ValueError, csv.Error):
            return


def _parquet_rows(path: Path, id_column: str, count_column: str | None) -> Iterator[tuple[str, int | None]]:
    import pyarrow.parquet as pq

    parts_dir = path.parent / f".{path.name}.parts"
    parts: Sequence[Path] = (sorted(parts_dir.glob("part-*.parquet")) if parts_dir.is_dir()
                             else [path] if path.exists() else [])
    for part in parts:
        try:
            columns = [id_column] + ([count_column] if count_column else [])
            table = pq.read_table(part, columns=columns)
        except Exception:  # noqa: BLE001 - pyarrow raises several types; the writer reports it
            return
        ids = [id_key(v) for v in table.column(0).to_pylist()]
        counts = table.column(1).to_pylist() if count_column else [None] * len(ids)
        yield from zip(ids, (_int(c) for c in counts), strict=True)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

