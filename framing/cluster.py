"""Corpus scoring on a Dask cluster: the same rows as :func:`framing.corpus.score_corpus`,
written as a directory of part files, one per partition of the input.

Each worker reads its own partitions: byte ranges of a JSONL or CSV file, cut at line
breaks (``dask.bytes.read_bytes``, what ``dask.dataframe.read_csv`` uses), or row groups
of a Parquet file. It parses them with the single-process reader's own checks, so the
same records are skipped with the same messages (line numbers are made global on the
client from each partition's line count), scores them with the model it loaded once
(:func:`framing.corpus.worker_model`), and writes ``part-NNNNN.<format>`` atomically.

The input, the output directory and the model must be at the same paths on every worker
(a shared file system). Two limits of splitting a file by bytes: a CSV field may not
contain a line break, and ids are checked for duplicates within a partition only.

Dask is an optional extra: ``pip install 'framing[dask]'``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framing.atomic import atomic_path
from framing.corpus import (
    DELIMITERS,
    FRAMES_COLUMN,
    SENTENCE_COLUMNS,
    CorpusReader,
    CorpusSummary,
    CsvWriter,
    JsonlWriter,
    Record,
    SkipCallback,
    Skipped,
    UnclosedQuote,
    arrow_table,
    article_rows,
    csv_record,
    csv_rows,
    file_format,
    finish_tmp,
    id_key,
    jsonl_record,
    output_columns,
    parquet_record,
    require_pyarrow,
    score_types,
    sentence_rows,
    worker_model,
    write_parquet,
)
from framing.errors import FramingError, InputError, OutputError
from framing.model import read_meta
from framing.score import score_articles

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from distributed import Client

DASK_EXTRA = "pip install 'framing[dask]'"
BLOCKSIZE = "64MiB"
_PART = re.compile(r"part-\d{5}\.(jsonl|csv|tsv|parquet)$")
EXTENSIONS = {"jsonl": "jsonl", "csv": "csv", "tsv": "tsv", "parquet": "parquet"}


def require_dask(what: str) -> None:
    """Raise FramingError naming the extra to install when dask.distributed is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise FramingError(f"{what} needs dask and distributed, which are not installed; "
                           f"{DASK_EXTRA}") from None


@dataclass
class _Job:
    """What every partition task needs to know (sent to the workers once per task)."""

    source: str
    fmt: str
    id_column: str
    text_column: str
    header: list[str] | None
    model_path: str | None
    threshold: float | None
    frame_ids: list[str]
    output: str
    output_fmt: str
    sentences: str | None
    sentences_fmt: str | None
    columns: list[str] | None
    types: dict[str, Any] | None = None
    sentence_types: dict[str, Any] | None = None


@dataclass
class _PartResult:
    index: int
    lines: int
    articles: int = 0
    sentences: int = 0
    records: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def score_corpus_at(address: str, source: str | Path, output: str | Path, **options: Any) -> CorpusSummary:
    """Connect to the Dask scheduler at ``address`` and run :func:`score_corpus_on_cluster`."""
    require_dask("--scheduler")
    from distributed import Client

    try:
        client = Client(address, timeout="20s")
    except OSError as exc:
        raise FramingError(f"cannot reach the Dask scheduler at {address} ({exc}); start one with "
                           "`dask scheduler` and check the address") from None
    with client:
        return score_corpus_on_cluster(client, source, output, **options)


def score_corpus_on_cluster(
    client: Client,
    source: str | Path,
    output: str | Path,
    *,
    model: str | Path | None = None,
    id_column: str = "id",
    text_column: str = "text",
    sentences: str | Path | None = None,
    threshold: float | None = None,
    blocksize: int | str = BLOCKSIZE,
    on_skip: SkipCallback | None = None,
) -> CorpusSummary:
    """Score a corpus on the cluster behind ``client``; write part files into directory ``output``.

    ``output`` (and ``sentences``) name directories; their suffix gives the part files'
    format (``scores.parquet/part-00000.parquet``, ...). Part files already there are
    replaced. Rows, in part order, are those :func:`framing.corpus.score_corpus` writes.
    ``blocksize`` is the size of a JSONL/CSV partition (Parquet: one row group each).
    """
    require_dask("scoring on a cluster")
    from dask.utils import parse_bytes

    try:
        blocksize = parse_bytes(blocksize)
    except (ValueError, TypeError):
        raise FramingError(f"blocksize {blocksize!r} is not a size; give bytes, or e.g. 64MiB") from None
    source, output = Path(source).resolve(), Path(output).resolve()
    sentences_dir = Path(sentences).resolve() if sentences is not None else None
    reader = CorpusReader(source, id_column=id_column, text_column=text_column)
    model_path = str(Path(model).resolve()) if model is not None else None
    frame_ids = list(read_meta(model_path)["frame_ids"])
    clash = sorted(set(output_columns(frame_ids)).intersection(reader.columns or []))
    if clash:
        raise InputError(f"{source}: column(s) {', '.join(map(repr, clash))} would clash with the "
                         "output's score columns; rename them")
    job = _Job(source=str(source), fmt=reader.format, id_column=id_column, text_column=text_column,
               header=reader.header, model_path=model_path, threshold=threshold,
               frame_ids=frame_ids, output=str(output), output_fmt=file_format(output),
               sentences=str(sentences_dir) if sentences_dir else None,
               sentences_fmt=file_format(sentences_dir) if sentences_dir else None,
               columns=(None if reader.columns is None
                        else [id_column, *reader.columns, *output_columns(frame_ids)]))
    if "parquet" in (job.output_fmt, job.sentences_fmt):
        require_pyarrow(str(output))
        import pyarrow as pa

        carried = (pa.schema([f for f in reader.schema if f.name != text_column])
                   if reader.schema is not None else pa.schema([(id_column, pa.string())]))
        job.types = score_types(frame_ids, carried)
        job.sentence_types = score_types(frame_ids, pa.schema([carried.field(id_column)]), sentences=True)
    for directory in (output, sentences_dir):
        if directory is not None:
            _clear_parts(directory)

    import dask

    partitions = _partitions(job, blocksize)
    # First pass: every partition's ids, so that a duplicate is found whichever partitions
    # its occurrences are in (the later ones are skipped, as in one process).
    found = client.gather(client.compute([dask.delayed(_partition_ids, pure=False)(job, part)
                                          for part in partitions]))
    seen: set[str] = set()
    duplicates: list[dict[int, str]] = []
    for ids in found:
        duplicates.append({})
        for line, key, shown in ids:
            if key in seen:
                duplicates[-1][line] = f"duplicate {id_column} {shown}; ids must be unique"
            seen.add(key)
    del seen, found
    tasks = [dask.delayed(_score_partition, pure=False)(job, i, part, duplicates[i])
             for i, part in enumerate(partitions)]
    results: list[_PartResult] = client.gather(client.compute(tasks))
    summary = CorpusSummary(output=output, sentences_output=sentences_dir)
    first_line = 1
    for result in sorted(results, key=lambda r: r.index):
        summary.articles += result.articles
        summary.sentences += result.sentences
        summary.records += result.records
        for item in result.skipped:
            summary.skipped += 1
            if on_skip is not None:
                on_skip(Skipped(first_line + item.line - 1, item.message))
        first_line += result.lines
    return summary


def _clear_parts(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: is a file; on a cluster the output is a directory of part files")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{directory}: cannot create ({exc.strerror}); choose another path") from None
    for old in directory.iterdir():
        if _PART.match(old.name):
            old.unlink()


def _partitions(job: _Job, blocksize: int | str) -> list[Any]:
    """Per partition, what its task reads: (row group, first row) of a Parquet file, or
    (whether it starts the file, a delayed block of bytes)."""
    if job.fmt == "parquet":
        import pyarrow.parquet as pq

        groups = pq.ParquetFile(job.source).metadata
        rows = [groups.row_group(i).num_rows for i in range(groups.num_row_groups)]
        return [(i, sum(rows[:i])) for i in range(len(rows))]
    from dask.bytes import read_bytes

    _, blocks = read_bytes(job.source, delimiter=b"\n", blocksize=blocksize, sample=False)
    return [(i == 0, block) for i, block in enumerate(blocks[0])] if blocks else []


def _items(job: _Job, part: Any) -> tuple[int, list[Record | Skipped]]:
    """The partition's line count (0 for Parquet) and its records, malformed ones included."""
    if job.fmt == "parquet":
        group, offset = part
        return 0, list(_parquet_items(job, group, offset))
    first, block = part
    lines = block.count(b"\n") + (bool(block) and not block.endswith(b"\n"))
    return lines, list(_text_items(job, block, first=first))


def _partition_ids(job: _Job, part: Any) -> list[tuple[int, str, str]]:
    """(line within the partition, id as text, id as shown in messages) of its good records."""
    return [(item.line, id_key(item.id), repr(item.id)) for item in _items(job, part)[1]
            if isinstance(item, Record)]


def _score_partition(job: _Job, index: int, part: Any, duplicates: dict[int, str]) -> _PartResult:
    """Read, check, score and write one partition (runs on a worker).

    ``duplicates`` maps lines of this partition to the message of a duplicate id.
    """
    lines, items = _items(job, part)
    result = _PartResult(index=index, lines=lines)
    records: list[Record] = []
    for item in items:
        result.records += 1
        if isinstance(item, Skipped):
            result.skipped.append(item)
        elif item.line in duplicates:
            result.skipped.append(Skipped(item.line, duplicates[item.line]))
        else:
            records.append(item)
    batch = score_articles([r.text for r in records], model=worker_model(job.model_path),
                           threshold=job.threshold, sentences=job.sentences is not None)
    rows = article_rows(records, batch, job.id_column)
    _write_part(rows, Path(job.output), index, job.output_fmt, job.id_column, job.columns, job.types)
    result.articles = len(rows)
    if job.sentences is not None and job.sentences_fmt is not None:
        srows = sentence_rows(records, batch, job.id_column)
        _write_part(srows, Path(job.sentences), index, job.sentences_fmt, job.id_column,
                    [job.id_column, *SENTENCE_COLUMNS, *job.frame_ids, FRAMES_COLUMN], job.sentence_types)
        result.sentences = len(srows)
    return result


def _text_items(job: _Job, block: bytes, *, first: bool) -> Iterator[Record | Skipped]:
    if first and block.startswith(b"\xef\xbb\xbf"):
        block = block[3:]
    if job.fmt == "jsonl":
        for line, raw in enumerate(io.BytesIO(block), start=1):  # split at \n only, as f is
            item = jsonl_record(raw, line, job.id_column, job.text_column, first=first and line == 1)
            if item is not None:
                yield item
        return
    if block.count(b'"') % 2:
        # quotes come in pairs; an odd count means a quoted field runs past the block's end
        raise InputError(f"{job.source}: a quoted CSV field with a line break crosses a partition "
                         "boundary; on a cluster use JSONL or Parquet (or a --blocksize larger than "
                         "the file)")
    header = job.header or []
    id_at, text_at = header.index(job.id_column), header.index(job.text_column)
    text = block.decode("utf-8", errors="surrogateescape")
    rows = csv_rows(io.StringIO(text, newline=""), DELIMITERS[job.fmt])
    try:
        if first:
            next(rows, None)  # the header
        for line, fields in rows:
            yield csv_record(fields, line, header, id_at, text_at)
    except UnclosedQuote as exc:
        yield Skipped(exc.line, str(exc))


def _parquet_items(job: _Job, group: int, offset: int) -> Iterator[Record | Skipped]:
    import pyarrow.parquet as pq

    table = pq.ParquetFile(job.source).read_row_group(group)
    for row, values in enumerate(table.to_pylist(), start=offset + 1):
        yield parquet_record(values, row, job.id_column, job.text_column)


def _write_part(rows: list[dict[str, Any]], directory: Path, index: int, fmt: str, id_column: str,
                columns: list[str] | None, types: dict[str, pa.DataType] | None) -> None:
    target = directory / f"part-{index:05d}.{EXTENSIONS[fmt]}"
    if fmt == "parquet":
        write_parquet(arrow_table(rows, types or {}, columns, str(target), id_column), target)
        return
    with atomic_path(target) as tmp:
        writer = (JsonlWriter(tmp, id_column, columns) if fmt == "jsonl"
                  else CsvWriter(tmp, id_column, columns, DELIMITERS[fmt]))
        writer.open(resume=False)
        if rows:
            writer.append(rows)
        writer.close()
        finish_tmp(tmp)
