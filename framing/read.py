"""Read articles from files: plain text (UTF-8, with or without BOM, any line ending) or HTML."""

from __future__ import annotations

from pathlib import Path

from framing.errors import InputError

HTML_SUFFIXES = frozenset({".html", ".htm"})


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
    """Return the main text of an HTML page (trafilatura), paragraphs on separate lines."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    text = trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_precision=True)
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
