"""Split an article into sentences with character offsets, leaving page furniture out.

The text is first cut into lines (a line is a paragraph, a heading, or a widget in
scraped news), furniture lines are dropped (rules in :mod:`framing.furniture`), and each
remaining line is segmented with sentencex, a maintained rule-based segmenter that keeps
exact character offsets and handles abbreviations such as ``U.S.``, ``Jan.`` and ``Mr``.
A heading without final punctuation (``Kazakhstan: The basics``) stays a sentence of its
own because it is a line of its own.

A quotation that spans several sentences within one paragraph stays one unit: sentencex
does not break inside a closed quotation, and we keep that on purpose, because a quotation
is one speaker's statement and its parts often carry the frame only together ("What
idiocy." after a call for negotiations). An unclosed quotation mark does not swallow the
rest of the text. See ``unit_rule`` in ``labels/codebook.toml``.

Offsets index the text as given (``str``), so ``text[s.start:s.end] == s.text`` for every
sentence ``s``; a byte-order mark is never part of a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from typing import Any

from sentencex import get_sentence_boundaries

from framing.furniture import furniture_line, furniture_sentence, glued_credit, same_headline

SEGMENTER = "sentencex"
_LANGUAGE = "en"
_LINE = re.compile(r"[^\r\n]+")
# Characters replaced one-for-one before sentencex sees a line, so offsets stay put:
# lone surrogates (sentencex encodes to UTF-8 and would fail), and non-ASCII whitespace
# (sentencex 1.0.32 panics on e.g. "S\u00a0." while slicing bytes inside the character).
_UNSAFE = re.compile("[\ud800-\udfff]|[^\\S\x00-\x7f]")
_BOM = "\ufeff"
# Bounds that keep memory flat on any input (see bench/bench_memory.py). A unit longer than
# MAX_UNIT_CHARS (a base64 blob, a table flattened into one "sentence") is cut into pieces at
# whitespace where it can be: the character n-gram analyser builds every n-gram of a unit at
# once, so one 10 MB unit took gigabytes. A line longer than MAX_LINE_CHARS is given to
# sentencex a window at a time, cut at whitespace, for the same reason. Real sentences and
# paragraphs are far below both, so they are segmented as before.
MAX_UNIT_CHARS = 3_000
MAX_LINE_CHARS = 100_000
_SPACE = re.compile(r"\s")


def _blank(char: str) -> bool:
    """Whitespace, or a byte-order mark (not whitespace to Python, but never text)."""
    return char.isspace() or char == _BOM


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article: its position among the kept sentences and its span."""

    index: int
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def segmenter_info() -> dict[str, str]:
    """Name and version of the segmenter; a model records them to know its segmentation."""
    return {"name": SEGMENTER, "version": version(SEGMENTER)}


def _boundaries(line: str) -> list[dict[str, Any]]:
    """sentencex's boundaries for one line; the whole line as one sentence if it panics.

    A Rust panic surfaces as pyo3's PanicException, a BaseException: catch only that.
    """
    try:
        return list(get_sentence_boundaries(_LANGUAGE, line))
    except BaseException as exc:  # noqa: BLE001 - narrowed to PanicException just below
        if type(exc).__name__ != "PanicException":
            raise
        return [{"start_index": 0, "end_index": len(line)}]


def _cut(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut ``text[start:end]`` into spans of at most ``limit`` characters, at the last
    whitespace of each window when it lies in the window's second half, else anywhere."""
    while end - start > limit:
        stop = start + limit
        space = max((m.start() for m in _SPACE.finditer(text, start + limit // 2, stop)), default=-1)
        cut = space + 1 if space >= 0 else stop
        yield start, cut
        start = cut
    if end > start:
        yield start, end


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A unit as spans of at most MAX_UNIT_CHARS, each stripped of surrounding whitespace."""
    for a, b in _cut(text, start, end, MAX_UNIT_CHARS):
        while a < b and _blank(text[a]):
            a += 1
        while b > a and _blank(text[b - 1]):
            b -= 1
        if b > a:
            yield a, b


def _line_sentences(text: str, line_start: int, line_end: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) spans, stripped of surrounding whitespace, within one line; a line
    over MAX_LINE_CHARS is segmented a window at a time."""
    for start, end in _cut(text, line_start, line_end, MAX_LINE_CHARS):
        for a, b in _window_sentences(text, start, end):
            yield from _pieces(text, a, b)


def _window_sentences(text: str, line_start: int, line_end: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) spans, stripped of surrounding whitespace, within one line."""
    line = text[line_start:line_end]
    cursor = 0
    safe = _UNSAFE.sub(lambda m: " " if m.group().isspace() else "\ufffd", line)
    for boundary in _boundaries(safe):
        start, end = boundary["start_index"], boundary["end_index"]
        # sentencex reports offsets; guard them so a segmenter change can never yield a
        # span that does not point back into the text or that overlaps the previous one.
        start, end = max(start, cursor), min(max(end, start), len(line))
        while start < end and _blank(line[start]):
            start += 1
        stop = end
        while stop > start and _blank(line[stop - 1]):
            stop -= 1
        if stop > start:
            yield line_start + start, line_start + stop
        cursor = max(cursor, end)
    if cursor < len(line):  # text the segmenter did not cover (should not happen): keep it
        rest = line[cursor:]
        strip = " \t\n\r\f\v" + _BOM
        if rest.strip(strip):
            lead = len(rest) - len(rest.lstrip(strip))
            yield line_start + cursor + lead, line_start + cursor + len(rest.rstrip(strip))


def iter_sentences(text: str) -> Iterator[Sentence]:
    """Yield the article's sentences in order, without furniture, lazily (bounded memory).

    A byte-order mark is skipped like whitespace, so offsets index ``text`` as given.
    """
    headline: str | None = None
    index = 0
    for match in _LINE.finditer(text):
        line = match.group().replace(_BOM, " ")
        if not line.strip() or furniture_line(line):
            continue
        if headline is None:
            headline = line
        elif same_headline(line, headline):
            continue
        for start, end in _line_sentences(text, match.start(), match.end()):
            sentence = text[start:end]
            if furniture_sentence(sentence):
                continue
            trim = glued_credit(sentence)
            if trim:
                end -= trim
                sentence = text[start:end]
            yield Sentence(index=index, start=start, end=end, text=sentence)
            index += 1


def split_sentences(text: str) -> list[Sentence]:
    """Return the article's sentences (furniture removed) with offsets into ``text``."""
    return list(iter_sentences(text))
