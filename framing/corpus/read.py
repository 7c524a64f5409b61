"""Reading a corpus file: JSON Lines, CSV/TSV or Parquet, one article per record.

A malformed record (bad JSON, missing id or text, undecodable bytes) is yielded as a
:class:`Skipped` with its line number (its row number in Parquet), so the caller can
report it and go on; a problem with the file as a whole raises InputError.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framing.errors import FramingError, InputError
from framing.read import allow_long_csv_fields

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
           ".parquet": "parquet", ".pq": "parquet"}
DELIMITERS = {"csv": ",", "tsv": "\t"}
CHUNK_SIZE = 500  # articles per chunk: one model call, one write, one fsync
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


class UnclosedQuote(InputError):
    """A quoted CSV field that runs to the end of the input: its row and all after it are one."""

    def __init__(self, line: int) -> None:
        super().__init__("a quoted field opened on this line is never closed, so every line after it "
                         "was read into it; close the quote (or double a quote inside the field: \"\")")
        self.line = line


class _Lines:
    """An iterator of lines that notes when it has run out."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines, self.ended = iter(lines), False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            return next(self.lines)
        except StopIteration:
            self.ended = True
            raise


def csv_rows(lines: Iterable[str], delimiter: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number of the row's first line, fields)``; blank lines are left out.

    Raises :class:`UnclosedQuote` (with the row's line) when a quoted field is still open at
    the end of the input: the csv module would return the rest of the file as that field.
    """
    allow_long_csv_fields()
    source = _Lines(lines)
    reader = csv.reader(source, delimiter=delimiter)
    last = 0
    for fields in reader:
        start, last = last + 1, reader.line_num
        # a row ends at the end of its last line; only an open quote makes the reader ask
        # for a line after the last one before it hands the row over
        if source.ended and fields:
            raise UnclosedQuote(first_line + start - 1)
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
                try:
                    next(rows, None)  # the header
                    for line, fields in rows:
                        yield csv_record(fields, line, header, id_at, text_at)
                except UnclosedQuote as exc:
                    yield Skipped(exc.line, str(exc))
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

