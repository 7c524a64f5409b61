"""Read articles from files: plain text (UTF-8, with or without BOM, any line ending) or HTML."""

from __future__ import annotations

import csv
import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from framing.errors import InputError

HTML_SUFFIXES = frozenset({".html", ".htm"})


def allow_long_csv_fields() -> None:
    """Let the csv module read fields over its 128 kB default: a long article is one field.

    The limit is process-wide; raising it can only let more files be read.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


MAX_ARTICLE_BYTES = 64 * 2**20  # one article; bounds memory (see bench/bench_memory.py)
_UTF16_32 = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
             (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes, source: str) -> str:
    """Decode article bytes: UTF-8 (BOM removed), or UTF-16/UTF-32 when a BOM says so.

    Raise InputError naming ``source`` if the bytes are not text: a NUL byte anywhere (a
    binary file), or bytes that are not valid in the encoding.
    """
    for bom, encoding in _UTF16_32:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)  # the BOM says the byte order, and is removed
            except UnicodeDecodeError as exc:
                raise InputError(f"{source}: starts with a {encoding.upper()} byte-order mark but is "
                                 f"not valid {encoding.upper()} (at byte {exc.start}); re-save it as "
                                 "UTF-8") from None
            if "\x00" in text:
                raise InputError(f"{source}: looks like a binary file (NUL characters), not a text "
                                 "article; give a UTF-8 .txt or .html file")
            return text.removeprefix("\ufeff")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"{source}: looks like a binary file (NUL bytes, the first at offset {nul}), "
                         "not a text article; give a UTF-8 .txt or .html file")
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

    Raises InputError naming the file when it is missing, unreadable, not a file (a device
    or socket; a FIFO is read), longer than MAX_ARTICLE_BYTES, binary or not text.
    """
    path = Path(path)
    name = display_name(str(path))
    try:
        mode = path.stat().st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISDIR(mode)):
            raise InputError(f"{name}: not a regular file ({_kind(mode)}); give a text file")
        with open(path, "rb") as f:
            data = read_limited(f, name)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory; give a file or pass the directory "
                         "as an input to score all its .txt files") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror}); check its permissions") from None
    text = decode_text(data, name)
    if path.suffix.lower() in HTML_SUFFIXES:
        return extract_html(text, name)
    return text


ARTICLE_SUFFIXES = frozenset({".txt"}) | HTML_SUFFIXES
STDIN = "-"


def expand_inputs(inputs: list[str], on_note: Callable[[str], None] | None = None,
                  ) -> Iterator[tuple[str, Path | None, InputError | None]]:
    """Turn command-line inputs into articles to read, in order.

    Yields ``(name, path, error)``: ``name`` is printable (see :func:`display_name`);
    ``path`` is None for standard input (``-``); ``error`` is set for an input that cannot
    be used (missing, unreadable directory), so the caller can report it and go on.
    Directories give their regular .txt (and .html/.htm) files, recursively, sorted; a FIFO,
    device or socket among them is skipped, and ``on_note`` is told (reading a FIFO that no
    one writes would wait for ever).
    """
    for raw in inputs:
        if raw == STDIN:
            yield "<stdin>", None, None
            continue
        path, item = Path(raw), display_name(raw)
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
                try:
                    mode = file.stat().st_mode
                except OSError as exc:
                    yield display_name(str(file)), file, InputError(
                        f"{display_name(str(file))}: cannot read ({exc.strerror}); check it")
                    continue
                if not stat.S_ISREG(mode):
                    if on_note is not None:
                        on_note(f"{display_name(str(file))}: skipped, {_kind(mode)}, not a regular file")
                    continue
                yield display_name(str(file)), file, None
        else:
            yield item, path, None


def read_input(path: Path | None, stdin: BinaryIO | None = None) -> str:
    """Read an article from ``path``, or from ``stdin`` (bytes) when ``path`` is None."""
    if path is None:
        data = read_limited(stdin or sys.stdin.buffer, "<stdin>")
        return decode_text(data, "<stdin>")
    return read_article(path)


def read_limited(f: BinaryIO, source: str, limit: int = MAX_ARTICLE_BYTES) -> bytes:
    """All of ``f``, or InputError when it holds more than ``limit`` bytes (one article)."""
    data = f.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{source}: longer than {limit // 2**20} MiB, too long for one article; "
                         "split it, or score a corpus file with `framing score-corpus`")
    return data


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISFIFO, "a FIFO")):
        if test(mode):
            return name
    return "not a regular file"


def display_name(name: str) -> str:
    """A file name as text that can be printed and written as UTF-8: bytes that were not
    UTF-8 (kept by Python as lone surrogates) appear as ``\\xff``."""
    return name.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")
