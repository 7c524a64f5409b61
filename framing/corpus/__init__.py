"""Corpus-scale scoring: a file of many articles in, one row of frame scores per article out.

A corpus is JSON Lines, CSV/TSV or Parquet with an id column, a text column and any other
columns (date, outlet, url, ...), which are carried through to the output unchanged. The
input is read and scored in chunks, so memory does not grow with the corpus (the one
exception is the set of ids seen, needed to refuse duplicates: tens of bytes per article).

One job per module:

* :mod:`framing.corpus.read`   -- formats, records, malformed-record reports;
* :mod:`framing.corpus.write`  -- output rows and the durable, resumable table writers;
* :mod:`framing.corpus.resume` -- the ``OUT.framing.json`` sidecar that says what a run
  was (model, frames, input, options), and the checks ``--resume`` makes against it;
* :mod:`framing.corpus.score`  -- :func:`score_corpus`: chunks, worker processes, order.

Per chunk the sentence table (if asked for) is written before the article table, so an id
in the article table always has all its sentences written.
"""

from framing.corpus.read import (
    CHUNK_SIZE,
    DELIMITERS,
    FORMATS,
    PARQUET_EXTRA,
    CorpusReader,
    Record,
    Skipped,
    UnclosedQuote,
    check_header,
    count_records,
    csv_record,
    csv_rows,
    file_format,
    id_key,
    jsonl_record,
    parquet_record,
    require_pyarrow,
)
from framing.corpus.score import (
    CHUNK_CHARS,
    CorpusSummary,
    ProgressCallback,
    SkipCallback,
    score_corpus,
    score_texts,
    worker_model,
)
from framing.corpus.write import (
    DECIMALS,
    FRAMES_COLUMN,
    LANGUAGE_COLUMN,
    SENTENCE_COLUMNS,
    SENTENCES_COLUMN,
    CsvWriter,
    JsonlWriter,
    ParquetWriter,
    TableWriter,
    arrow_table,
    article_rows,
    combine_parquet,
    finish_tmp,
    open_writer,
    output_columns,
    score_types,
    sentence_rows,
    table_writers,
    write_parquet,
)

__all__ = [
    "CHUNK_CHARS",
    "CHUNK_SIZE",
    "DECIMALS",
    "DELIMITERS",
    "FORMATS",
    "FRAMES_COLUMN",
    "LANGUAGE_COLUMN",
    "PARQUET_EXTRA",
    "SENTENCES_COLUMN",
    "SENTENCE_COLUMNS",
    "CorpusReader",
    "CorpusSummary",
    "CsvWriter",
    "JsonlWriter",
    "ParquetWriter",
    "ProgressCallback",
    "Record",
    "SkipCallback",
    "Skipped",
    "TableWriter",
    "UnclosedQuote",
    "arrow_table",
    "article_rows",
    "check_header",
    "combine_parquet",
    "count_records",
    "csv_record",
    "csv_rows",
    "file_format",
    "finish_tmp",
    "id_key",
    "jsonl_record",
    "open_writer",
    "output_columns",
    "parquet_record",
    "require_pyarrow",
    "score_corpus",
    "score_texts",
    "score_types",
    "sentence_rows",
    "table_writers",
    "worker_model",
    "write_parquet",
]
