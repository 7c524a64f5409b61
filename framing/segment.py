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

Offsets index the decoded text (``str``), after a UTF-8 byte-order mark is removed, so
``text[s.start:s.end] == s.text`` for every sentence ``s``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

from sentencex import get_sentence_boundaries

from framing.furniture import furniture_line, furniture_sentence, same_headline

SEGMENTER = "sentencex"
_LANGUAGE = "en"
_LINE = re.compile(r"[^\r\n]+")


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


def _line_sentences(text: str, line_start: int, line_end: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) spans, stripped of surrounding whitespace, within one line."""
    line = text[line_start:line_end]
    cursor = 0
    for boundary in get_sentence_boundaries(_LANGUAGE, line):
        start, end = boundary["start_index"], boundary["end_index"]
        # sentencex reports offsets; guard them so a segmenter change can never yield a
        # span that does not point back into the text or that overlaps the previous one.
        start, end = max(start, cursor), min(max(end, start), len(line))
        while start < end and line[start].isspace():
            start += 1
        stop = end
        while stop > start and line[stop - 1].isspace():
            stop -= 1
        if stop > start:
            yield line_start + start, line_start + stop
        cursor = max(cursor, end)
    if cursor < len(line):  # text the segmenter did not cover (should not happen): keep it
        rest = line[cursor:]
        if rest.strip():
            lead = len(rest) - len(rest.lstrip())
            yield line_start + cursor + lead, line_start + cursor + len(rest.rstrip())


def iter_sentences(text: str) -> Iterator[Sentence]:
    """Yield the article's sentences in order, without furniture, lazily (bounded memory)."""
    if text.startswith("\ufeff"):
        raise ValueError("strip the byte-order mark before splitting (framing.read does)")
    headline: str | None = None
    index = 0
    for match in _LINE.finditer(text):
        line = match.group()
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
            yield Sentence(index=index, start=start, end=end, text=sentence)
            index += 1


def split_sentences(text: str) -> list[Sentence]:
    """Return the article's sentences (furniture removed) with offsets into ``text``."""
    return list(iter_sentences(text))
