"""Scoring a corpus: records read in chunks, scored here or in worker processes, written in
input order (see :func:`score_corpus`)."""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from framing.atomic import check_distinct, output_locks
from framing.corpus.read import (
    CHUNK_SIZE,
    CorpusReader,
    Record,
    Skipped,
    count_records,
    file_format,
    id_key,
)
from framing.corpus.resume import check_resume, complete_articles, describe_run, write_sidecar
from framing.corpus.write import article_rows, output_columns, sentence_rows, table_writers
from framing.errors import InputError
from framing.language import ENGLISH
from framing.model import Model, load_model
from framing.score import ArticleBatch, score_articles

CHUNK_CHARS = 4_000_000  # articles per chunk are fewer when long: bounds memory per chunk

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
    # articles scored now whose text is not English (framing.language), by language code
    languages: dict[str, int] = field(default_factory=dict)


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
        loaded: Model = model
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

    check_distinct([("--output", output), ("--sentences", sentences_path)], [source])
    with output_locks([output, sentences_path]):
        return _score_locked(reader, output, sentences_path, loaded=loaded, model_path=model_path,
                             frame_ids=frame_ids, threshold=threshold, jobs=jobs, chunk_size=chunk_size,
                             resume=resume, progress=progress, on_skip=on_skip)


def _score_locked(reader: CorpusReader, output: Path, sentences_path: Path | None, *, loaded: Model,
                  model_path: str | None, frame_ids: list[str], threshold: float | None, jobs: int,
                  chunk_size: int, resume: bool, progress: ProgressCallback | None,
                  on_skip: SkipCallback | None) -> CorpusSummary:
    """:func:`score_corpus` once its outputs are locked: check or start the sidecar, then score."""
    source, id_column = reader.path, reader.id_column
    description = describe_run(model=loaded, model_path=model_path, source=source, output=output,
                               sentences=sentences_path, id_column=id_column,
                               text_column=reader.text_column, threshold=threshold)
    started = output.exists() or (output.parent / f".{output.name}.parts").is_dir()
    if resume and started:
        check_resume(output, description)
    write_sidecar(output, description)
    articles, sentence_writer = table_writers(output, sentences_path, id_column=id_column,
                                              frame_ids=frame_ids, reader=reader)
    keep = None
    if resume and started and sentences_path is not None:
        keep = complete_articles(output, sentences_path, id_column)
    done = articles.open(resume=resume, keep=keep)
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
        for code in batch.languages or []:
            if code not in (None, ENGLISH):
                summary.languages[code] = summary.languages.get(code, 0) + 1
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
    description.update(complete=True, articles=summary.articles + summary.resumed, skipped=summary.skipped,
                       finished=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    write_sidecar(output, description)
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

    executor = get_reusable_executor(max_workers=jobs - 1, initializer=die_with_parent,
                                     initargs=(os.getpid(),))
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


def die_with_parent(parent: int, every: float = 1.0) -> None:
    """In a worker: exit as soon as ``parent`` is gone (killed with -9, it cannot stop us).

    A daemon thread polls the parent's pid each ``every`` seconds; when the worker has been
    adopted by another process, its parent has died, and scoring for it is pointless.
    """
    import threading
    import time

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(every)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


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

