"""framing.read: decoding article files and reducing HTML pages to their main text."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from framing.errors import InputError
from framing.read import decode_text, expand_inputs, read_article, read_limited
from framing.segment import split_sentences

ARTICLE = (
    "Kazakh security forces have killed five suspected militants in Aqtobe.\n"
    "\n"
    'The militants were killed as part of a "counterterrorism operation." '
    "Two officers were wounded.\n"
    "There have been no credible claims of responsibility for the attacks.\n"
)


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"))
    text = read_article(path)
    assert text == ARTICLE
    assert not text.startswith("\ufeff")
    assert split_sentences(text)[0].start == 0


def test_non_ascii_utf8_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "curly.txt"
    path.write_bytes("Kazakhstan\u2019s leader said \u201cno talks\u201d.\n".encode())
    assert read_article(path) == "Kazakhstan\u2019s leader said \u201cno talks\u201d.\n"


def test_crlf_and_lf_give_the_same_sentences(tmp_path: Path) -> None:
    lf, crlf = tmp_path / "lf.txt", tmp_path / "crlf.txt"
    lf.write_bytes(ARTICLE.encode("utf-8"))
    crlf.write_bytes(ARTICLE.replace("\n", "\r\n").encode("utf-8"))
    lf_text, crlf_text = read_article(lf), read_article(crlf)
    assert "\r\n" in crlf_text  # offsets index the text as read, line endings included

    lf_sentences, crlf_sentences = split_sentences(lf_text), split_sentences(crlf_text)
    assert [s.text for s in crlf_sentences] == [s.text for s in lf_sentences]
    assert len(crlf_sentences) == 4
    for sentence in crlf_sentences:
        assert crlf_text[sentence.start:sentence.end] == sentence.text
        assert "\r" not in sentence.text


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(InputError) as info:
        read_article(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "binary" in message
    assert "give a UTF-8 .txt or .html file" in message


def test_undecodable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"Le caf\xe9 est ferm\xe9.\n")
    with pytest.raises(InputError) as info:
        read_article(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not UTF-8 text")
    assert "bad byte 0xe9 at offset 6" in message
    assert "re-save it as UTF-8" in message


def test_decode_text_names_the_source() -> None:
    with pytest.raises(InputError, match=r"^stdin: not UTF-8 text"):
        decode_text(b"caf\xe9", "stdin")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    with pytest.raises(InputError) as info:
        read_article(path)
    assert str(info.value) == f"{path}: no such file; check the path"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_article(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path}: is a directory")
    assert "give a file" in message


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Kazakh president declares day of mourning</title></head>
<body>
<nav><ul>
  <li><a href="/">Home</a></li>
  <li><a href="/world">World news menu entry</a></li>
  <li><a href="/sport">Sport section menu entry</a></li>
</ul></nav>
<main>
<article>
<h1>Kazakh president declares day of mourning</h1>
<p>Kazakh President Kassym-Jomart Tokayev declared Monday a national day of mourning for the
dozens of lives lost during recent clashes between activists and police.</p>
<p>The president of Kazakhstan said on Monday that protests last week that led to deadly
clashes with armed police were attempts to overthrow the government.</p>
<p>Kazakhstan authorities have taken almost 8,000 activists into custody so far. Officials said
on Sunday that more than 160 were killed in the fighting, including three children.</p>
<p>Tokayev invited Russian troops into the country to help government forces quell the
demonstrations, and said the anti-terrorist operation was in its final stage.</p>
</article>
</main>
<footer><p>Copyright 2022 Example News Corporation. Contact our newsroom team.</p></footer>
</body>
</html>
"""


@pytest.mark.parametrize("suffix", [".html", ".HTM"])
def test_html_is_reduced_to_main_text(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"page{suffix}"
    path.write_text(HTML_PAGE, encoding="utf-8")
    text = read_article(path)
    sentences = [s.text for s in split_sentences(text)]
    assert ("Kazakhstan authorities have taken almost 8,000 activists into custody so far."
            in sentences)
    assert "<p>" not in text
    assert "World news menu entry" not in text
    assert "Sport section menu entry" not in text


def test_html_source_is_kept_for_txt(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text(HTML_PAGE, encoding="utf-8")
    assert read_article(path) == HTML_PAGE


def test_html_page_without_article_text_is_a_clear_error(tmp_path: Path) -> None:
    page = tmp_path / "shell.html"
    page.write_text("<html><head><title>Loading</title></head><body><div id='app'></div></body></html>",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"shell\.html: no article text found in this HTML page"):
        read_article(page)


def test_empty_html_file_is_an_empty_article(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("", encoding="utf-8")
    assert read_article(page) == ""


# --- issue 9: inputs that were misread, hung or exhausted memory -----------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(("\ufeff" + ARTICLE).encode(encoding))
    assert read_article(path) == ARTICLE


def test_a_nul_byte_anywhere_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    data = ARTICLE.encode("utf-8") * 2000 + b"\x00tail"
    path.write_bytes(data)
    with pytest.raises(InputError, match=rf"late.txt: looks like a binary file \(NUL bytes, the first at "
                                         rf"offset {len(data) - 5}\)"):
        read_article(path)


def test_a_device_is_refused_at_once() -> None:
    with pytest.raises(InputError, match=r"^/dev/zero: not a regular file \(a character device\); give a "
                                         "text file$"):
        read_article("/dev/zero")


def test_an_article_is_read_up_to_a_limit() -> None:
    with pytest.raises(InputError, match=r"<stdin>: longer than 1 MiB, too long for one article; split it"):
        read_limited(io.BytesIO(b"a" * (2**20 + 1)), "<stdin>", limit=2**20)
    assert read_limited(io.BytesIO(b"a" * 10), "<stdin>", limit=10) == b"a" * 10


def test_a_directory_gives_only_its_regular_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    os.mkfifo(tmp_path / "b.txt")  # reading it would wait for ever
    notes: list[str] = []
    found = list(expand_inputs([str(tmp_path)], on_note=notes.append))
    assert [(name, problem) for name, _, problem in found] == [(str(tmp_path / "a.txt"), None)]
    assert notes == [f"{tmp_path / 'b.txt'}: skipped, a FIFO, not a regular file"]


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad\xff.txt"
    with open(raw, "wb") as f:
        f.write(ARTICLE.encode("utf-8"))
    (name, path, problem), = expand_inputs([os.fsdecode(raw)])
    assert name == f"{tmp_path}/bad\\xff.txt" and problem is None
    name.encode("utf-8")  # printable and writable
    assert path is not None and read_article(path) == ARTICLE
