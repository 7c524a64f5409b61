"""Read articles from files: plain text (UTF-8, with or without BOM, any line ending) or HTML."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from framing.errors import InputError

HTML_SUFFIXES = frozenset({".html", ".htm"})


def allow_long_csv_fields() -> None:
    """Let the csv module read fields over its 128 kB default: a long article is one field.

    The limit is process-wide; raising it can only let more files be read.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def decode_text(data: bytes, source: str) -> str:
    """Decode article bytes as UTF-8 (BOM removed); raise InputError naming ``source`` if not text."""
    if b"\x00" in data[:65536]:
        raise InputError(f"{source}: looks like a binary file (NUL bytes), not a text article; "
                         "give a UTF-8 .txt or .html file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8"
        ) from None


def extract_html(html: str, source: str) -> str:
    """Return the main text of an HTML page (trafilatura), paragraphs on separate lines.

    A page with markup but no article text found raises InputError naming ``source``
    (rather than scoring silently as an empty article); an empty file stays empty.
    """
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    text = trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_precision=True)
    if not text and html.strip():
        raise InputError(f"{source}: no article text found in this HTML page; "
                         "save the article's text as .txt and score that")
    return text or ""


def read_article(path: str | Path) -> str:
    """Read one article file; HTML (``.html``/``.htm``) is reduced to its main text.

    Raises InputError naming the file when it is missing, unreadable, binary or not UTF-8.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give a file or pass the directory "
                         "as an input to score all its .txt files") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check its permissions") from None
    text = decode_text(data, str(path))
    if path.suffix.lower() in HTML_SUFFIXES:
        return extract_html(text, str(path))
    return text


ARTICLE_SUFFIXES = frozenset({".txt"}) | HTML_SUFFIXES
STDIN = "-"


def expand_inputs(inputs: list[str]) -> Iterator[tuple[str, Path | None, InputError | None]]:
    """Turn command-line inputs into articles to read, in order.

    Yields ``(name, path, error)``: ``path`` is None for standard input (``-``); ``error`` is
    set for an input that cannot be used (missing, unreadable directory), so the caller can
    report it and go on. Directories give their .txt (and .html/.htm) files, recursively,
    sorted.
    """
    for item in inputs:
        if item == STDIN:
            yield "<stdin>", None, None
            continue
        path = Path(item)
        if not path.exists():
            yield item, path, InputError(f"{item}: no such file or directory; check the path")
        elif path.is_dir():
            problems: list[OSError] = []
            found: list[Path] = []
            for root, dirs, files in os.walk(path, onerror=problems.append):
                dirs.sort()
                found.extend(Path(root) / f for f in sorted(files)
                             if Path(f).suffix.lower() in ARTICLE_SUFFIXES)
            for problem in problems:
                where = problem.filename or item
                yield str(where), Path(where), InputError(
                    f"{where}: cannot read directory ({problem.strerror}); check its permissions")
            if not found and not problems:
                yield item, path, InputError(f"{item}: no .txt or .html files in this directory")
            for file in found:
                yield str(file), file, None
        else:
            yield item, path, None


def read_input(path: Path | None, stdin: BinaryIO | None = None) -> str:
    """Read an article from ``path``, or from ``stdin`` (bytes) when ``path`` is None."""
    if path is None:
        data = (stdin or sys.stdin.buffer).read()
        return decode_text(data, "<stdin>")
    return read_article(path)
