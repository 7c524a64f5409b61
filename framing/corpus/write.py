"""Writing a corpus's score tables: rows from scored batches, and writers that append them
chunk by chunk, durably (flushed and fsynced), and that can pick up an interrupted file.

JSON Lines and CSV/TSV are appended in place; on resume a trailing partial record is
dropped and the ids already written are returned. Parquet cannot be appended to, so it is
written as atomically renamed part files in a hidden directory beside the output and
combined into the output file at the end.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from framing.atomic import atomic_path, file_mode
from framing.corpus.read import DELIMITERS, CorpusReader, Record, file_format, id_key, require_pyarrow
from framing.errors import InputError, OutputError
from framing.read import allow_long_csv_fields
from framing.score import ArticleBatch

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

DECIMALS = 4  # scores are written rounded, as `framing score` writes them
FRAMES_COLUMN = "frames"
# The article's language (framing.language): after the frames, so that the frame columns stay
# the ones between n_sentences and frames. The model reads English only.
LANGUAGE_COLUMN = "language"
SENTENCES_COLUMN = "n_sentences"
SENTENCE_COLUMNS = ("index", "start", "end", "text")
# --- Rows -----------------------------------------------------------------------------------

def output_columns(frame_ids: Sequence[str]) -> list[str]:
    """Columns every article row has after the id and the carried columns."""
    return [SENTENCES_COLUMN, *frame_ids, FRAMES_COLUMN, LANGUAGE_COLUMN]


def article_rows(records: Sequence[Record], batch: ArticleBatch, id_column: str) -> list[dict[str, Any]]:
    """One row per article: id, carried columns, sentence count, a score per frame, frames."""
    scores = np.round(batch.profiles, DECIMALS).tolist()
    rows = []
    for i, (record, values) in enumerate(zip(records, scores, strict=True)):
        row = {id_column: record.id, **record.carried, SENTENCES_COLUMN: int(batch.n_sentences[i])}
        row.update(zip(batch.frame_ids, values, strict=True))
        row[FRAMES_COLUMN] = batch.frames(i)
        row[LANGUAGE_COLUMN] = batch.languages[i] if batch.languages is not None else None
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
        try:
            os.fsync(handle.fileno())
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.ESPIPE):
                raise  # a pipe or a device cannot be synced, and need not be
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
        try:
            pq.write_table(table, tmp)
            finish_tmp(tmp)
        except OSError as exc:  # a part: what is written so far is kept for --resume
            raise OutputError(f"{target}: cannot write ({exc.strerror or exc}); make room, then run the "
                              "same command with --resume") from None


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
    types[LANGUAGE_COLUMN] = pa.string()
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

