"""What there is to label: the units (sentences) of a SOURCE, with their article and neighbours.

A SOURCE is a directory of articles (.txt, .html), a corpus file (JSONL, CSV/TSV, Parquet:
one article per record, as ``framing score-corpus`` reads), or a labelled file to review
(any file ``framing train --labels`` reads). Articles are split with
:func:`framing.segment.split_sentences`, so a unit's offsets are those of ``framing score``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framing.annotate.journal import unit_key
from framing.errors import InputError, LabelError
from framing.labels import split_frames
from framing.read import allow_long_csv_fields, decode_text, expand_inputs, read_article
from framing.segment import split_sentences

TITLE_COLUMNS = ("title", "headline")
SOURCE_COLUMNS = ("url", "source", "outlet", "publisher")
CORPUS_SUFFIXES = frozenset({".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".pq"})


@dataclass
class Unit:
    """One unit to label: a sentence of an article (or a row of a file under review)."""

    key: str
    article: str
    index: int
    start: int | None
    end: int | None
    text: str
    position: int  # place in the source's reading order
    prior_frames: tuple[str, ...] | None = None  # the reviewed file's frames, when reviewing

    def as_record(self) -> dict[str, Any]:
        return {"key": self.key, "article": self.article, "index": self.index, "start": self.start,
                "end": self.end, "text": self.text}


@dataclass
class Article:
    """An article's title, where it came from, and the keys of its units in order."""

    id: str
    title: str
    source: str
    keys: list[str] = field(default_factory=list)


@dataclass
class Source:
    """All the units of a SOURCE, in reading order, and their articles."""

    path: str
    units: list[Unit]
    articles: dict[str, Article]
    review: bool = False

    def __post_init__(self) -> None:
        self.by_key = {u.key: u for u in self.units}

    def neighbours(self, unit: Unit, around: int = 2) -> tuple[list[Unit], list[Unit]]:
        """Up to ``around`` units before and after ``unit`` in its article."""
        keys = self.articles[unit.article].keys
        at = keys.index(unit.key)
        return ([self.by_key[k] for k in keys[max(0, at - around):at]],
                [self.by_key[k] for k in keys[at + 1:at + 1 + around]])


class _Builder:
    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.articles: dict[str, Article] = {}
        self.keys: set[str] = set()

    def article(self, ident: str, text: str, title: str | None, source: str) -> None:
        if ident in self.articles:
            raise InputError(f"{source}: article id {ident!r} appears twice; ids must be unique")
        sentences = split_sentences(text)
        entry = Article(ident, title or (sentences[0].text if sentences else ident), source)
        self.articles[ident] = entry
        for s in sentences:
            self.add(entry, Unit(unit_key(ident, s.start, s.end, s.index), ident, s.index, s.start,
                                 s.end, s.text, len(self.units)))

    def add(self, entry: Article, unit: Unit) -> None:
        if unit.key in self.keys:
            raise LabelError(f"{entry.source}: unit {unit.key} appears twice; each sentence may be "
                             "listed once")
        self.keys.add(unit.key)
        entry.keys.append(unit.key)
        self.units.append(unit)


def load_source(path: str | Path, *, id_column: str = "id", text_column: str = "text",
                frames_column: str = "frames", separator: str = ";") -> Source:
    """Read a SOURCE into units. Raises InputError/LabelError naming the file and line."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory; give a directory of articles, a "
                         "corpus file or a labels file")
    build = _Builder()
    if path.is_dir():
        for name, file, problem in expand_inputs([str(path)]):
            if problem is not None:
                raise problem
            assert file is not None
            ident = str(file.relative_to(path).with_suffix(""))
            build.article(ident, read_article(file), None, name)
        return Source(str(path), build.units, build.articles)
    suffix = path.suffix.lower()
    if suffix in {".txt", ".html", ".htm"}:
        build.article(path.stem, read_article(path), None, str(path))
        return Source(str(path), build.units, build.articles)
    if suffix not in CORPUS_SUFFIXES:
        raise InputError(f"{path}: unknown kind of source '{suffix}'; give a directory of .txt/.html "
                         "articles, a .jsonl/.csv/.tsv/.parquet corpus, or a labels file")
    columns = _columns(path)
    if frames_column in columns and text_column in columns:
        return _review(path, build, text_column=text_column, frames_column=frames_column,
                       separator=separator)
    from framing.corpus import CorpusReader, Skipped

    reader = CorpusReader(path, id_column=id_column, text_column=text_column)
    for item in reader:
        if isinstance(item, Skipped):
            raise InputError(f"{path}:{item.line}: {item.message}; fix or remove the record")
        title = next((str(item.carried[c]) for c in TITLE_COLUMNS if item.carried.get(c)), None)
        where = next((str(item.carried[c]) for c in SOURCE_COLUMNS if item.carried.get(c)),
                     f"{path}:{item.line}")
        build.article(str(item.id), item.text, title, where)
    if not build.units:
        raise InputError(f"{path}: no sentences to label in this corpus")
    return Source(str(path), build.units, build.articles)


def _columns(path: Path) -> list[str]:
    """The column names of a tabular file (the first record's keys for JSONL)."""
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        from framing.corpus import require_pyarrow

        require_pyarrow(str(path))
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    text = decode_text(path.read_bytes(), str(path))
    if suffix in {".jsonl", ".ndjson"}:
        for line in text.splitlines():
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return []
                return list(first) if isinstance(first, dict) else []
        return []
    allow_long_csv_fields()
    return next(csv.reader(text.splitlines(), delimiter="\t" if suffix == ".tsv" else ","), [])


def _review(path: Path, build: _Builder, *, text_column: str, frames_column: str,
            separator: str) -> Source:
    """Units from a labelled file, each with the frames the file gives it."""
    from framing.labels import labelled_rows

    for line, row in labelled_rows(path, frames_column=frames_column, separator=separator):
        text = row.get(text_column, "")
        if not text.strip():
            raise LabelError(f"{path}:{line}: empty text; remove the row or fill in '{text_column}'")
        ident = row.get("article") or path.stem
        if ident not in build.articles:
            build.articles[ident] = Article(ident, row.get("title") or ident, str(path))
        entry = build.articles[ident]
        start, end = _int(row.get("start")), _int(row.get("end"))
        index = _int(row.get("index"))
        index = len(entry.keys) if index is None else index
        build.add(entry, Unit(unit_key(ident, start, end, index), ident, index, start, end, text,
                              len(build.units), split_frames(row.get(frames_column, ""), separator)))
    if not build.units:
        raise LabelError(f"{path}: no labelled rows to review")
    return Source(str(path), build.units, build.articles, review=True)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
