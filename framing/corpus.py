"""Corpus-scale scoring: a file of many articles in, one row of frame scores per article out.

A corpus is JSON Lines, CSV/TSV or Parquet with an id column, a text column and any other
columns (date, outlet, url, ...), which are carried through to the output unchanged. The
input is read and scored in chunks, so memory does not grow with the corpus (the one
exception is the set of ids seen, needed to refuse duplicates: tens of bytes per article).

A malformed record (bad JSON, missing id or text, undecodable bytes, a duplicate id) is
reported with its line number (its row number in Parquet) through a callback and skipped;
everything else is scored.

Output files (JSONL, CSV or Parquet, by suffix) are written chunk by chunk, each chunk
flushed and fsynced before the next, so a run that is killed can be resumed: on resume a
trailing partial record is dropped, the ids already written are skipped, and the rest are
appended. Parquet cannot be appended to, so it is written as atomically renamed part files
in a hidden directory beside the output and combined into the output file at the end.
Per chunk the sentence table (if asked for) is written before the article table, so an id
in the article table always has all its sentences written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from framing.atomic import atomic_path, file_mode
from framing.errors import FramingError, InputError, OutputError
from framing.model import Model, load_model
from framing.read import allow_long_csv_fields
from framing.score import ArticleBatch, score_articles

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
           ".parquet": "parquet", ".pq": "parquet"}
DELIMITERS = {"csv": ",", "tsv": "\t"}
CHUNK_SIZE = 500  # articles per chunk: one model call, one write, one fsync
CHUNK_CHARS = 4_000_000  # ... or fewer, when the articles are long: bounds memory per chunk
DECIMALS = 4  # scores are written rounded, as `framing score` writes them
FRAMES_COLUMN = "frames"
SENTENCES_COLUMN = "n_sentences"
SENTENCE_COLUMNS = ("index", "start", "end", "text")
PARQUET_EXTRA = "pip install 'framing[parquet]'"


# --- Formats --------------------------------------------------------------------------------

def file_format(path: str | Path) -> str:
    """``jsonl``, ``csv``, ``tsv`` or ``parquet``, from the file name's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown format {suffix or '(no suffix)'!r}; name the file "
                         f"*.jsonl, *.csv, *.tsv or *.parquet")
    return FORMATS[suffix]


def require_pyarrow(what: str) -> None:
    """Raise FramingError naming the extra to install when pyarrow is missing."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise FramingError(f"{what}: Parquet needs pyarrow, which is not installed; "
                           f"{PARQUET_EXTRA}") from None


# --- Reading --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    """One article of a corpus: where it is, its id, its text and its other columns."""

    line: int
    id: Any
    text: str
    carried: dict[str, Any]


@dataclass(frozen=True)
class Skipped:
    """A malformed record: its line (row, in Parquet) and what is wrong with it."""

    line: int
    message: str


def id_key(value: Any) -> str:
    """Ids are compared as text: ``7`` in JSON and ``"7"`` in CSV are the same article."""
    return value if isinstance(value, str) else str(value)


def _check_id(value: Any, id_column: str) -> str | None:
    """Why ``value`` is not a usable id, or None when it is."""
    if value is None:
        return f"no {id_column!r} value"
    if isinstance(value, bool) or not isinstance(value, str | int):
        return f"{id_column!r} must be a string or an integer, not {type(value).__name__}"
    if value == "":
        return f"empty {id_column!r}"
    return None


def _check_text(value: Any, text_column: str) -> str | None:
    if value is None:
        return f"no {text_column!r} value"
    if not isinstance(value, str):
        return f"{text_column!r} must be a string, not {type(value).__name__}"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def jsonl_record(raw: bytes, line: int, id_column: str, text_column: str, *,
                 first: bool | None = None) -> Record | Skipped | None:
    """Parse one line of JSON Lines; None for a blank line.

    ``first`` (default: ``line == 1``) says the line starts the file and may have a BOM.
    """
    try:
        decoded = raw.decode("utf-8-sig" if (line == 1 if first is None else first) else "utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(line, f"not UTF-8 (bad byte 0x{raw[exc.start]:02x} at column {exc.start + 1})")
    if not decoded.strip():
        return None
    try:
        obj = json.loads(decoded.rstrip("\r\n"))  # so that an error's column is on this line
    except json.JSONDecodeError as exc:
        where = "column" if exc.msg.endswith(" at") else "at column"
        return Skipped(line, f"bad JSON: {exc.msg} {where} {exc.colno}")
    if not isinstance(obj, dict):
        return Skipped(line, f"not a JSON object but a {type(obj).__name__}")
    # a \ud800-style escape decodes to a lone surrogate, which cannot be written as UTF-8
    if "\\u" in decoded and _has_lone_surrogate(obj):
        return Skipped(line, "a \\u escape encodes half a character (lone surrogate)")
    problem = _check_id(obj.get(id_column), id_column) or _check_text(obj.get(text_column), text_column)
    if problem:
        return Skipped(line, problem)
    ident, text = obj.pop(id_column), obj.pop(text_column)
    return Record(line, ident, text, obj)


def csv_record(fields: list[str], line: int, header: Sequence[str], id_at: int,
               text_at: int) -> Record | Skipped:
    """Check one CSV row (decoded with surrogateescape) against the header."""
    if len(fields) != len(header):
        return Skipped(line, f"expected {len(header)} fields, found {len(fields)}")
    for value in fields:
        if _SURROGATE.search(value):
            bad = value[_SURROGATE.search(value).start()]  # type: ignore[union-attr]
            return Skipped(line, f"not UTF-8 (bad byte 0x{ord(bad) - 0xDC00:02x})")
    if fields[id_at] == "":
        return Skipped(line, f"empty {header[id_at]!r}")
    carried = {name: value for i, (name, value) in enumerate(zip(header, fields, strict=True))
               if i not in (id_at, text_at)}
    return Record(line, fields[id_at], fields[text_at], carried)


def csv_rows(lines: Iterable[str], delimiter: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number of the row's first line, fields)``; blank lines are left out."""
    allow_long_csv_fields()
    reader = csv.reader(lines, delimiter=delimiter)
    last = 0
    for fields in reader:
        start, last = last + 1, reader.line_num
        if fields:
            yield first_line + start - 1, fields


def check_header(header: Sequence[str], source: str | Path, id_column: str, text_column: str) -> None:
    """Raise InputError unless ``header`` has the id and text columns, each once."""
    shown = ", ".join(repr(h) for h in header[:20]) + (", ..." if len(header) > 20 else "")
    for column, option in ((id_column, "--id-column"), (text_column, "--text-column")):
        if column not in header:
            raise InputError(f"{source}: no column {column!r} (columns: {shown}); pass {option}")
    duplicated = sorted({h for h in header if list(header).count(h) > 1})
    if duplicated:
        raise InputError(f"{source}: column(s) {', '.join(map(repr, duplicated))} appear more than "
                         "once in the header; rename them")


class CorpusReader:
    """Records of a corpus file, in order; header problems raise InputError on opening.

    ``columns`` lists the carried columns when the format fixes them (CSV, Parquet), else
    None; ``schema`` is the Parquet input's Arrow schema (None for other formats).
    """

    def __init__(self, path: str | Path, *, id_column: str = "id", text_column: str = "text") -> None:
        self.path = Path(path)
        self.format = file_format(self.path)
        self.id_column, self.text_column = id_column, text_column
        self.columns: list[str] | None = None
        self.header: list[str] | None = None
        self.schema: pa.Schema | None = None
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file; check the path")
        if id_column == text_column:
            raise InputError(f"the id and text columns are both {id_column!r}; name two columns")
        if self.format in DELIMITERS:
            with self._csv_lines() as lines:
                header = next(csv.reader(lines, delimiter=DELIMITERS[self.format]), None)
            if header is None:
                raise InputError(f"{self.path}: empty file; a CSV corpus starts with a header row")
            check_header(header, self.path, id_column, text_column)
            self.header = header
            self.columns = [h for h in header if h not in (id_column, text_column)]
        elif self.format == "parquet":
            require_pyarrow(str(self.path))
            import pyarrow.parquet as pq

            try:
                self.schema = pq.read_schema(self.path)
            except Exception as exc:  # noqa: BLE001 - pyarrow raises several types here
                raise InputError(f"{self.path}: not a readable Parquet file ({exc})") from None
            check_header(self.schema.names, self.path, id_column, text_column)
            import pyarrow as pa

            text_type = self.schema.field(text_column).type
            if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
                raise InputError(f"{self.path}: column {text_column!r} holds {text_type}, not text; "
                                 "pass --text-column")
            self.columns = [n for n in self.schema.names if n not in (id_column, text_column)]

    def _csv_lines(self) -> io.TextIOWrapper:
        # surrogateescape: an undecodable byte is reported for its row instead of ending the run
        return open(self.path, encoding="utf-8-sig", errors="surrogateescape", newline="")

    def __iter__(self) -> Iterator[Record | Skipped]:
        if self.format == "jsonl":
            with open(self.path, "rb") as f:
                for line, raw in enumerate(f, start=1):
                    item = jsonl_record(raw, line, self.id_column, self.text_column)
                    if item is not None:
                        yield item
        elif self.format in DELIMITERS:
            header = self.header or []
            id_at, text_at = header.index(self.id_column), header.index(self.text_column)
            with self._csv_lines() as lines:
                rows = csv_rows(lines, DELIMITERS[self.format])
                next(rows, None)  # the header
                for line, fields in rows:
                    yield csv_record(fields, line, header, id_at, text_at)
        else:
            yield from self._parquet_records()

    def _parquet_records(self) -> Iterator[Record | Skipped]:
        import pyarrow.parquet as pq

        row = 0
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=CHUNK_SIZE * 4):
            for values in batch.to_pylist():
                row += 1
                yield parquet_record(values, row, self.id_column, self.text_column)


def parquet_record(values: dict[str, Any], row: int, id_column: str, text_column: str) -> Record | Skipped:
    """Check one Parquet row (as a dict)."""
    problem = _check_id(values.get(id_column), id_column) or _check_text(values.get(text_column),
                                                                           text_column)
    if problem:
        return Skipped(row, problem)
    ident, text = values.pop(id_column), values.pop(text_column)
    return Record(row, ident, text, values)


def count_records(path: str | Path) -> int | None:
    """The number of records in a corpus, cheaply: Parquet metadata, else a count of lines.

    For CSV with line breaks inside fields this is an overestimate (it is for a progress bar).
    """
    path = Path(path)
    fmt = file_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return max(lines - (fmt in DELIMITERS), 0)


# --- Rows -----------------------------------------------------------------------------------

def output_columns(frame_ids: Sequence[str]) -> list[str]:
    """Columns every article row has after the id and the carried columns."""
    return [SENTENCES_COLUMN, *frame_ids, FRAMES_COLUMN]


def article_rows(records: Sequence[Record], batch: ArticleBatch, id_column: str) -> list[dict[str, Any]]:
    """One row per article: id, carried columns, sentence count, a score per frame, frames."""
    scores = np.round(batch.profiles, DECIMALS).tolist()
    rows = []
    for i, (record, values) in enumerate(zip(records, scores, strict=True)):
        row = {id_column: record.id, **record.carried, SENTENCES_COLUMN: int(batch.n_sentences[i])}
        row.update(zip(batch.frame_ids, values, strict=True))
        row[FRAMES_COLUMN] = batch.frames(i)
        rows.append(row)
    return rows


def sentence_rows(records: Sequence[Record], batch: ArticleBatch, id_column: str) -> list[dict[str, Any]]:
    """One row per sentence: article id, index, start, end, text, a score per frame, frames."""
    if batch.sentence_spans is None or batch.sentence_scores is None or batch.sentence_present is None:
        raise ValueError("score_articles(..., sentences=True) gives the sentences' scores")
    scores = np.round(batch.sentence_scores, DECIMALS).tolist()
    order = np.argsort(-batch.sentence_scores, axis=1, kind="stable")
    texts = [r.text for r in records]
    rows = []
    for (a, index, start, end), values, ranked, present in zip(
            batch.sentence_spans.tolist(), scores, order, batch.sentence_present, strict=True):
        row = {id_column: records[a].id, "index": index, "start": start, "end": end,
               "text": texts[a][start:end]}
        row.update(zip(batch.frame_ids, values, strict=True))
        row[FRAMES_COLUMN] = [batch.frame_ids[j] for j in ranked if present[j]]
        rows.append(row)
    return rows


def _json_default(value: Any) -> Any:
    """Parquet values JSON lacks (dates, decimals, bytes) are written as text."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, dict | list | bool):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return _json_default(value) if hasattr(value, "isoformat") else str(value)


# --- Writers --------------------------------------------------------------------------------

class TableWriter:
    """Appends rows to an output table chunk by chunk, durably, and can resume one.

    ``columns`` are the table's columns when known in advance (None: taken from the rows).
    ``open(resume=..., keep=...)`` returns the ids already written, after dropping a partial
    trailing record and, with ``keep``, the first row whose id is not in ``keep`` and all
    rows after it.
    """

    handle: BinaryIO

    def __init__(self, path: Path, id_column: str, columns: list[str] | None) -> None:
        self.path, self.id_column, self.columns = path, id_column, columns

    def open(self, *, resume: bool, keep: set[str] | None = None) -> set[str]:
        raise NotImplementedError

    def append(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _handle(self, *, append: bool) -> BinaryIO:
        """The output file opened for appending rows; OutputError when it cannot be."""
        if self.path.is_dir():
            raise OutputError(f"{self.path}: is a directory; give a file name to write to")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return open(self.path, "ab" if append else "wb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write ({exc.strerror}); choose another path") from None

    def _resume_error(self, where: str, what: str) -> InputError:
        return InputError(f"{self.path}{where}: {what}; cannot resume this file: run again "
                          "without --resume to start over")


def _durable_append(handle: BinaryIO, data: bytes) -> None:
    try:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"{handle.name}: cannot write ({exc.strerror}); make room, then run the same "
                          "command with --resume") from None


class JsonlWriter(TableWriter):
    """JSON Lines, one object per row, appended in place."""

    def open(self, *, resume: bool, keep: set[str] | None = None) -> set[str]:
        done: set[str] = set()
        if resume and self.path.is_file():
            end = 0
            with open(self.path, "rb") as f:
                for line, raw in enumerate(f, start=1):
                    if not raw.endswith(b"\n"):
                        break  # a record cut short by the interruption
                    try:
                        key = id_key(json.loads(raw)[self.id_column])
                    except (ValueError, KeyError, TypeError):
                        raise self._resume_error(f":{line}", f"not a JSON row with an "
                                                 f"{self.id_column!r} value") from None
                    if keep is not None and key not in keep:
                        break
                    done.add(key)
                    end += len(raw)
            os.truncate(self.path, end)
            self.handle = self._handle(append=True)
        else:
            self.handle = self._handle(append=False)
        return done

    def append(self, rows: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(r, ensure_ascii=False, default=_json_default) + "\n" for r in rows)
        _durable_append(self.handle, text.encode("utf-8"))

    def close(self) -> None:
        self.handle.close()


class _Consumed:
    """Lines of a binary file, decoded, counting the bytes handed out so far."""

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.bytes, self.complete = f, 0, True

    def __iter__(self) -> Iterator[str]:
        for raw in self.f:
            self.bytes += len(raw)
            self.complete = raw.endswith(b"\n")
            yield raw.decode("utf-8", errors="surrogateescape")


class CsvWriter(TableWriter):
    """CSV or TSV with a header row, appended in place.

    Without ``columns`` given, the first rows written fix them (as does the header of a
    resumed file); a later row with other columns cannot be written (see :func:`score_corpus`).
    """

    def __init__(self, path: Path, id_column: str, columns: list[str] | None, delimiter: str) -> None:
        super().__init__(path, id_column, columns)
        self.delimiter, self.header_written = delimiter, False

    def open(self, *, resume: bool, keep: set[str] | None = None) -> set[str]:
        done: set[str] = set()
        if resume and self.path.is_file() and self.path.stat().st_size:
            done = self._recover(keep)
            self.handle = self._handle(append=True)
        else:
            self.handle = self._handle(append=False)
        return done

    def _recover(self, keep: set[str] | None) -> set[str]:
        allow_long_csv_fields()
        done: set[str] = set()
        end = 0
        with open(self.path, "rb") as f:
            lines = _Consumed(f)
            reader = csv.reader(lines, delimiter=self.delimiter, strict=True)
            header: list[str] | None = None
            try:
                for fields in reader:
                    if not lines.complete:
                        break  # the last line, without its line break: cut short
                    if header is None:
                        header = fields
                        if self.columns is not None and header != self.columns:
                            raise self._resume_error(":1", "its columns differ from this run's (another "
                                                     "model or input?)")
                        if self.id_column not in header:
                            raise self._resume_error(":1", f"no {self.id_column!r} column")
                        at = header.index(self.id_column)
                    elif len(fields) != len(header):
                        raise self._resume_error(f":{reader.line_num}", "a row of the wrong length")
                    elif keep is not None and fields[at] not in keep:
                        break
                    else:
                        done.add(fields[at])
                    end = lines.bytes
            except csv.Error:
                pass  # a quoted field cut short at the end of the file
        os.truncate(self.path, end)
        if header is not None:
            self.columns, self.header_written = header, True
        return done

    def append(self, rows: list[dict[str, Any]]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n")
        if not self.header_written:
            if self.columns is None:
                self.columns = list(dict.fromkeys(k for r in rows for k in r))
            writer.writerow(self.columns)
            self.header_written = True
        columns = self.columns or []
        writer.writerows([_cell(r.get(c)) for c in columns] for r in rows)
        _durable_append(self.handle, buffer.getvalue().encode("utf-8", errors="surrogateescape"))

    def close(self) -> None:
        if not self.header_written and self.columns is not None:
            self.append([])  # an empty table still has its header
        self.handle.close()


class ParquetWriter(TableWriter):
    """Parquet: one atomically written part file per chunk in a hidden directory beside the
    output, combined into the output file (atomically) by :meth:`close`.

    ``types`` fixes the Arrow type of some columns (the input's own, and the scores);
    others are inferred per chunk, and the parts' schemas are unified when combined.
    """

    def __init__(self, path: Path, id_column: str, columns: list[str] | None,
                 types: dict[str, pa.DataType]) -> None:
        super().__init__(path, id_column, columns)
        self.types = types
        self.parts = path.parent / f".{path.name}.parts"
        self.written = 0

    def open(self, *, resume: bool, keep: set[str] | None = None) -> set[str]:
        import pyarrow.parquet as pq

        done: set[str] = set()
        if not resume:
            shutil.rmtree(self.parts, ignore_errors=True)
        elif not self.parts.exists() and self.path.exists():
            self.parts.mkdir(parents=True)  # a finished run: its file becomes the first part
            os.replace(self.path, self._part(0))
        self.parts.mkdir(parents=True, exist_ok=True)
        for stray in self.parts.glob(".*"):
            stray.unlink()  # a part being written when the run was killed
        parts = sorted(self.parts.glob("part-*.parquet"))
        for n, part in enumerate(parts):
            try:
                column = pq.read_table(part, columns=[self.id_column]).column(0)
            except Exception as exc:  # noqa: BLE001 - pyarrow raises several types here
                raise self._resume_error(f" ({part.name})", f"unreadable part ({exc})") from None
            ids = [id_key(v) for v in column.to_pylist()]
            if part != self._part(n) or (keep is not None and not keep.issuperset(ids)):
                for later in parts[n:]:
                    later.unlink()
                break
            done.update(ids)
            self.written = n + 1
        return done

    def _part(self, n: int) -> Path:
        return self.parts / f"part-{n:06d}.parquet"

    def append(self, rows: list[dict[str, Any]]) -> None:
        table = arrow_table(rows, self.types, self.columns, str(self.path), self.id_column)
        write_parquet(table, self._part(self.written))
        self.written += 1

    def close(self) -> None:
        combine_parquet(sorted(self.parts.glob("part-*.parquet")), self.path,
                        arrow_table([], self.types, self.columns, str(self.path)).schema)
        shutil.rmtree(self.parts, ignore_errors=True)


@lru_cache(maxsize=1)
def finish_tmp(tmp: Path) -> None:
    """Make a temporary file durable, with the permissions a new file gets (mkstemp's are 0600)."""
    os.chmod(tmp, file_mode())
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())


def write_parquet(table: pa.Table, target: Path) -> None:
    """Write ``table`` to ``target`` atomically and durably."""
    import pyarrow.parquet as pq

    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)
        finish_tmp(tmp)


def arrow_table(rows: list[dict[str, Any]], types: dict[str, pa.DataType], columns: list[str] | None,
                target: str, id_column: str | None = None) -> pa.Table:
    """Rows as an Arrow table; a column of mixed types raises InputError naming it.

    A text ``id_column`` takes ids as text (JSON Lines may mix integer and string ids).
    """
    import pyarrow as pa

    names = columns or list(dict.fromkeys(k for r in rows for k in r)) or list(types)
    arrays = []
    for name in names:
        values = [r.get(name) for r in rows]
        if name == id_column and types.get(name) == pa.string():
            values = [id_key(v) for v in values]
        try:
            arrays.append(pa.array(values, type=types.get(name)))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(f"{target}: column {name!r} cannot be written to Parquet ({exc}); "
                             "Parquet needs one type per column: write .jsonl instead") from None
    return pa.Table.from_arrays(arrays, names=names)


def combine_parquet(parts: Sequence[Path], target: Path, empty: pa.Schema) -> None:
    """Concatenate Parquet parts into ``target`` atomically, one part in memory at a time.

    ``empty`` is the schema written when there are no parts.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = (pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
                  if parts else empty)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"{target}: the chunks' columns have different types ({exc}); "
                         "write .jsonl instead") from None
    with atomic_path(target) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                table = pq.read_table(part)
                columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
                           else pa.nulls(len(table), f.type) for f in schema]
                writer.write_table(pa.Table.from_arrays(columns, schema=schema))
        finish_tmp(tmp)


def score_types(frame_ids: Sequence[str], schema: pa.Schema | None = None,
                *, sentences: bool = False) -> dict[str, pa.DataType]:
    """Arrow types of the output columns known in advance (for Parquet output)."""
    import pyarrow as pa

    types: dict[str, pa.DataType] = {}
    if schema is not None:
        types.update({f.name: f.type for f in schema})
    if sentences:
        types.update(index=pa.int64(), start=pa.int64(), end=pa.int64(), text=pa.string())
    else:
        types[SENTENCES_COLUMN] = pa.int64()
    types.update({f: pa.float64() for f in frame_ids})
    types[FRAMES_COLUMN] = pa.list_(pa.string())
    return types


def open_writer(path: Path, id_column: str, columns: list[str] | None,
                types: Callable[[], dict[str, pa.DataType]]) -> TableWriter:
    """The writer for ``path``'s format; ``types`` is called only for Parquet."""
    fmt = file_format(path)
    if fmt == "jsonl":
        return JsonlWriter(path, id_column, columns)
    if fmt in DELIMITERS:
        return CsvWriter(path, id_column, columns, DELIMITERS[fmt])
    require_pyarrow(str(path))
    return ParquetWriter(path, id_column, columns, types())


def table_writers(output: Path, sentences: Path | None, *, id_column: str, frame_ids: Sequence[str],
                  reader: CorpusReader) -> tuple[TableWriter, TableWriter | None]:
    """Writers of the article table and (if asked for) the sentence table of a corpus."""
    carried = None if reader.columns is None else [id_column, *reader.columns]
    # Parquet in: its columns keep their types; else ids are written as text to Parquet
    input_types: pa.Schema | None = None
    id_types: pa.Schema | None = None
    if reader.schema is not None or file_format(output) == "parquet" or (
            sentences is not None and file_format(sentences) == "parquet"):
        require_pyarrow(str(output if file_format(output) == "parquet" else sentences))
        import pyarrow as pa

        if reader.schema is not None:
            input_types = pa.schema([f for f in reader.schema if f.name != reader.text_column])
            id_types = pa.schema([reader.schema.field(id_column)])
        else:
            input_types = id_types = pa.schema([(id_column, pa.string())])
    articles = open_writer(output, id_column,
                           None if carried is None else [*carried, *output_columns(frame_ids)],
                           lambda: score_types(frame_ids, input_types))
    if sentences is None:
        return articles, None
    return articles, open_writer(sentences, id_column,
                                 [id_column, *SENTENCE_COLUMNS, *frame_ids, FRAMES_COLUMN],
                                 lambda: score_types(frame_ids, id_types, sentences=True))


# --- Scoring --------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def worker_model(path: str | None) -> Model:
    """The model at ``path`` (None: the shipped one), loaded once per process.

    Parallel workers receive the path, not the model, and load it here on their first chunk.
    """
    return load_model(path)


def score_texts(model_path: str | None, texts: list[str], threshold: float | None,
                sentences: bool) -> ArticleBatch:
    """Score one chunk in a worker process (see :func:`worker_model`)."""
    return score_articles(texts, model=worker_model(model_path), threshold=threshold, sentences=sentences)


@dataclass
class CorpusSummary:
    """What a corpus run did: articles scored now, found already written, and skipped."""

    articles: int = 0
    sentences: int = 0
    resumed: int = 0
    skipped: int = 0
    records: int = 0
    output: Path | None = None
    sentences_output: Path | None = None


@dataclass
class _Chunk:
    records: list[Record] = field(default_factory=list)
    chars: int = 0
    read: int = 0  # input records consumed when the chunk was closed (for progress)


ProgressCallback = Callable[[int, "int | None"], None]
SkipCallback = Callable[[Skipped], None]


def score_corpus(
    source: str | Path,
    output: str | Path,
    *,
    model: Model | str | Path | None = None,
    id_column: str = "id",
    text_column: str = "text",
    sentences: str | Path | None = None,
    threshold: float | None = None,
    jobs: int = 1,
    chunk_size: int = CHUNK_SIZE,
    resume: bool = False,
    progress: ProgressCallback | None = None,
    on_skip: SkipCallback | None = None,
) -> CorpusSummary:
    """Score every article of a corpus file into an output table (and a sentence table).

    Parameters
    ----------
    model:
        A model, or the path of a model directory (None: the shipped model). With
        ``jobs > 1`` its path goes to the workers, which load it once each.
    sentences:
        Also write one row per sentence to this file.
    jobs:
        Processes scoring chunks in parallel: this one and ``jobs - 1`` workers. The
        output is the same as with one.
    resume:
        Keep what an earlier, interrupted run of the same command wrote and add the rest.
    progress:
        Called after each chunk with (input records handled, total records or None); the
        total is counted only when this is given.
    on_skip:
        Called with each malformed record, which is then left out.
    """
    source, output = Path(source), Path(output)
    sentences_path = Path(sentences) if sentences is not None else None
    if jobs < 1 or chunk_size < 1:
        raise ValueError("jobs and chunk_size must be at least 1")
    targets = [p for p in (output, sentences_path) if p is not None]
    for target in targets:
        file_format(target)
        if target.resolve() == source.resolve():
            raise InputError(f"{target}: the output would overwrite the input; name another file")
    if sentences_path is not None and sentences_path.resolve() == output.resolve():
        raise InputError(f"{output}: --sentences must name another file than --output")
    reader = CorpusReader(source, id_column=id_column, text_column=text_column)
    if isinstance(model, Model):
        loaded: Model | None = model
        model_path = str(model.path.resolve()) if model.path else None
        frame_ids = list(model.frame_ids)
        if jobs > 1 and model.path is None:
            raise ValueError("jobs > 1 needs a model saved to disk (workers load it by path)")
    else:
        model_path = str(Path(model).resolve()) if model is not None else None
        loaded = worker_model(model_path)
        frame_ids = list(loaded.frame_ids)
    reserved = set(output_columns(frame_ids))
    clash = sorted(reserved.intersection(reader.columns or []))
    if clash:
        raise InputError(f"{source}: column(s) {', '.join(map(repr, clash))} would clash with the "
                         "output's score columns; rename them")

    articles, sentence_writer = table_writers(output, sentences_path, id_column=id_column,
                                              frame_ids=frame_ids, reader=reader)
    done = articles.open(resume=resume)
    if sentence_writer is not None:
        sentence_writer.open(resume=resume, keep=done)
    summary = CorpusSummary(output=output, sentences_output=sentences_path)
    total = count_records(source) if progress is not None else None

    def skip(item: Skipped) -> None:
        summary.skipped += 1
        if on_skip is not None:
            on_skip(item)

    def write(chunk: _Chunk, batch: ArticleBatch) -> None:
        records = chunk.records
        if articles.columns is not None:  # CSV output: columns fixed by its header
            allowed = set(articles.columns)
            keep = [i for i, r in enumerate(records) if allowed.issuperset(r.carried)]
            for i in sorted(set(range(len(records))) - set(keep)):
                extra = ", ".join(repr(c) for c in records[i].carried if c not in allowed)
                skip(Skipped(records[i].line, f"column(s) {extra} not in {output}'s header (CSV output "
                                              "takes the columns of the first records); write .jsonl"))
            if len(keep) < len(records):
                records, batch = [records[i] for i in keep], _subset(batch, keep)
        if sentence_writer is not None:
            rows = sentence_rows(records, batch, id_column)
            sentence_writer.append(rows)
            summary.sentences += len(rows)
        articles.append(article_rows(records, batch, id_column))
        summary.articles += len(records)
        if progress is not None:
            progress(chunk.read, total)

    chunks = _chunks(reader, done, frame_ids, chunk_size, summary, skip)
    with_sentences = sentence_writer is not None
    if jobs == 1:
        for chunk in chunks:
            write(chunk, score_articles([r.text for r in chunk.records], model=loaded, threshold=threshold,
                                        sentences=with_sentences))
    else:
        _score_in_parallel(chunks, write, jobs=jobs, model_path=model_path, loaded=loaded,
                           threshold=threshold, sentences=with_sentences)
    if sentence_writer is not None:
        sentence_writer.close()
    articles.close()
    return summary


def _score_in_parallel(chunks: Iterable[_Chunk], write: Callable[[_Chunk, ArticleBatch], None], *,
                       jobs: int, model_path: str | None, loaded: Model | None, threshold: float | None,
                       sentences: bool) -> None:
    """Score chunks in this process and ``jobs - 1`` workers; write them in input order.

    Workers (joblib's loky processes, kept between calls) get the model's path and load it
    once each (:func:`worker_model`). This process reads, writes, and scores a chunk itself
    whenever the workers have enough queued, instead of waiting: it then does its share of
    the scoring while the workers start, and no core idles while it reads and writes.
    """
    from concurrent.futures import Future

    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=jobs - 1)
    queued_per_worker, ahead = 2, 4 * jobs  # bounds on chunks in flight: memory stays bounded
    pending: deque[tuple[_Chunk, Future[ArticleBatch] | ArticleBatch]] = deque()
    in_flight = 0

    def drain(*, wait: bool) -> None:
        nonlocal in_flight
        while pending:
            chunk, job = pending[0]
            if isinstance(job, Future):
                if not (wait or job.done()):
                    return
                batch, in_flight = job.result(), in_flight - 1
            else:
                batch = job
            pending.popleft()
            write(chunk, batch)

    for chunk in chunks:
        texts = [r.text for r in chunk.records]
        if in_flight < queued_per_worker * (jobs - 1):
            pending.append((chunk, executor.submit(score_texts, model_path, texts, threshold, sentences)))
            in_flight += 1
        else:
            model = loaded or worker_model(model_path)
            pending.append((chunk, score_articles(texts, model=model, threshold=threshold,
                                                  sentences=sentences)))
        drain(wait=len(pending) >= ahead)
    drain(wait=True)


def _subset(batch: ArticleBatch, keep: list[int]) -> ArticleBatch:
    """The articles ``keep`` of a batch (sentence arrays renumbered)."""
    out = ArticleBatch(frame_ids=batch.frame_ids, profiles=batch.profiles[keep], present=batch.present[keep],
                       n_sentences=batch.n_sentences[keep])
    if batch.sentence_spans is not None:
        mask = np.isin(batch.sentence_spans[:, 0], keep)
        spans = batch.sentence_spans[mask].copy()
        spans[:, 0] = np.searchsorted(np.asarray(keep), spans[:, 0])
        out.sentence_spans = spans
        out.sentence_scores = batch.sentence_scores[mask] if batch.sentence_scores is not None else None
        out.sentence_present = batch.sentence_present[mask] if batch.sentence_present is not None else None
    return out


def _chunks(reader: CorpusReader, done: set[str], frame_ids: Sequence[str], chunk_size: int,
            summary: CorpusSummary, skip: SkipCallback) -> Iterator[_Chunk]:
    """Chunks of records to score: malformed ones and duplicate ids reported, done ids passed."""
    reserved = set(output_columns(frame_ids))
    seen: set[str] = set()
    chunk = _Chunk()
    for item in reader:
        summary.records += 1
        if isinstance(item, Skipped):
            skip(item)
            continue
        key = id_key(item.id)
        if key in seen:
            skip(Skipped(item.line, f"duplicate {reader.id_column} {item.id!r}; ids must be unique"))
            continue
        seen.add(key)
        if key in done:
            summary.resumed += 1
            continue
        if reader.columns is None and not reserved.isdisjoint(item.carried):
            clash = ", ".join(repr(c) for c in item.carried if c in reserved)
            skip(Skipped(item.line, f"column(s) {clash} would clash with the output's score columns"))
            continue
        chunk.records.append(item)
        chunk.chars += len(item.text)
        if len(chunk.records) >= chunk_size or chunk.chars >= CHUNK_CHARS:
            chunk.read = summary.records
            yield chunk
            chunk = _Chunk()
    chunk.read = summary.records
    if chunk.records:
        yield chunk
