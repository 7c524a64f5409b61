"""framing.segment: sentences with exact offsets and no furniture, on the seeds and any text."""

from __future__ import annotations

import base64
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from framing.read import read_article
from framing.segment import MAX_UNIT_CHARS, Sentence, iter_sentences, segmenter_info, split_sentences


def seed_text(seeds_dir: Path, prefix: str) -> str:
    (path,) = seeds_dir.glob(f"{prefix}_*.txt")
    return read_article(path)


def seed_texts(seeds_dir: Path, prefix: str) -> list[str]:
    return [s.text for s in split_sentences(seed_text(seeds_dir, prefix))]


def all_seed_sentences(seeds_dir: Path) -> list[str]:
    return [s.text for path in sorted(seeds_dir.glob("*.txt"))
            for s in split_sentences(read_article(path))]


def assert_well_formed(text: str, sentences: list[Sentence]) -> None:
    """Offsets point back into the text, spans are stripped, ordered and disjoint."""
    previous_end = 0
    for i, sentence in enumerate(sentences):
        assert sentence.index == i
        assert text[sentence.start:sentence.end] == sentence.text
        assert sentence.text
        assert sentence.text == sentence.text.strip()
        assert previous_end <= sentence.start < sentence.end <= len(text)
        previous_end = sentence.end


# --- the hard cases of the seed articles -------------------------------------------------

def test_us_abbreviation_does_not_split(seeds_dir: Path) -> None:
    assert ("U.S. Secretary of State Antony Blinken says he has reservations about how "
            "Kazakhstan has handled the crisis.") in seed_texts(seeds_dir, "004")


def test_dateline_with_month_abbreviation_is_one_sentence(seeds_dir: Path) -> None:
    assert ("Jan. 10 (UPI) -- The president of Kazakhstan said on Monday that protests last week "
            "that led to deadly clashes with armed police were attempts to overthrow the "
            "government.") in seed_texts(seeds_dir, "004")


def test_quotation_after_colon_stays_in_its_sentence(seeds_dir: Path) -> None:
    texts = seed_texts(seeds_dir, "002")
    (sentence,) = [t for t in texts if t.startswith("In a televised address, Mr Tokayev dismissed")]
    assert sentence.endswith(
        "saying: \u201cWhat kind of talks can we hold with criminals and murderers?\u201d")
    assert "Mr Tokayev dismissed calls to hold talks" in sentence


@pytest.mark.parametrize(("prefix", "start", "inner"), [
    ("002", "\u201cWe had to deal with armed", "More precisely, with terrorists. So we have"),
    ("003", "\u201cAbroad there are calls", "peaceful resolution. What idiocy. What kind"),
])
def test_multi_sentence_quotation_is_one_unit(seeds_dir: Path, prefix: str, start: str,
                                              inner: str) -> None:
    text = seed_text(seeds_dir, prefix)
    (sentence,) = [s for s in split_sentences(text) if s.text.startswith(start)]
    assert inner in sentence.text
    # the unit is the whole paragraph: the quotation with its attribution
    line = next(line for line in text.splitlines() if line.startswith(start))
    assert sentence.text == line.strip()


@pytest.mark.parametrize(("open_quote", "close_quote"), [('"', '"'), ("\u201c", "\u201d")])
def test_straight_and_curly_quotations(open_quote: str, close_quote: str) -> None:
    quote = f"{open_quote}We will restore order. Nobody will stop us. It is over.{close_quote}"
    text = f"The president said: {quote} The opposition disagreed."
    assert [s.text for s in split_sentences(text)] == [
        f"The president said: {quote}", "The opposition disagreed."]


@pytest.mark.parametrize("open_quote", ['"', "\u201c"])
def test_unclosed_quotation_does_not_swallow_the_paragraph(open_quote: str) -> None:
    text = f"He said: {open_quote}We will win. They will lose. Then he left. Nobody followed."
    assert len(split_sentences(text)) == 4


def test_heading_without_punctuation_stands_alone(seeds_dir: Path) -> None:
    texts = seed_texts(seeds_dir, "002")
    position = texts.index("Kazakhstan: The basics")
    assert texts[position + 1] == "Where is it?"


# --- furniture ------------------------------------------------------------------------------

@pytest.mark.parametrize("furniture", [
    "Advertisement",
    "Accessibility links",
    "Breaking News",
    "Follow Us",
    "Latest Headlines",
    "RELATED",
    "Photo by",
    "16x9 Image",
    "journalists report the news",
    "With reporting by",
])
def test_furniture_is_removed_from_the_seeds(seeds_dir: Path, furniture: str) -> None:
    raw = "\n".join(path.read_text(encoding="utf-8") for path in seeds_dir.glob("*.txt"))
    assert furniture in raw  # the seeds really contain it
    assert not [t for t in all_seed_sentences(seeds_dir) if furniture in t]


def test_caption_is_kept_without_its_photo_credit(seeds_dir: Path) -> None:
    texts = seed_texts(seeds_dir, "004")
    assert ("Kazakh President Kassym-Jomart Tokayev\xa0declared Monday a national day of "
            "mourning for the dozens of lives lost during recent clashes between activists and "
            "police.") in texts


def test_repeated_headline_appears_once(seeds_dir: Path) -> None:
    headline = "Kazakhstan president declares day of mourning, says protests were 'coup attempt'"
    assert seed_text(seeds_dir, "004").count(headline) == 2
    texts = seed_texts(seeds_dir, "004")
    assert texts.count(headline) == 1
    assert texts[0] == headline


def test_seed_sentence_count(seeds_dir: Path) -> None:
    assert len(all_seed_sentences(seeds_dir)) == 96


def test_seed_offsets_point_back_into_the_text(seeds_dir: Path) -> None:
    for path in sorted(seeds_dir.glob("*.txt")):
        text = read_article(path)
        assert_well_formed(text, split_sentences(text))


def test_related_in_prose_is_kept() -> None:
    text = ("RELATED Ukraine the focus at new round of security talks\n"
            "Related protests spread to Aktau.\n"
            "Police detained dozens.\n")
    assert [s.text for s in split_sentences(text)] == [
        "Related protests spread to Aktau.", "Police detained dozens."]


def test_furniture_lines_are_removed() -> None:
    text = ("Advertisement\n"
            "Protesters gathered in Almaty.\n"
            "Follow us on Twitter\n"
            "Share this article\n"
            "\u2022 16x9 Image\n"
            "Sign up for our daily newsletter to get the news.\n"
            "Police fired tear gas. Photo by Jane Doe/Reuters\n"
            "With additional reporting by Jane Doe in Almaty\n")
    assert [s.text for s in split_sentences(text)] == [
        "Protesters gathered in Almaty.", "Police fired tear gas."]


def test_empty_and_blank_text() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\r\n\t\r") == []


def test_byte_order_marks_are_skipped_and_offsets_index_the_text_as_given() -> None:
    text = "\ufeff\ufeffHello there. Second one.\n\ufeff"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Hello there.", "Second one."]
    assert all(text[s.start:s.end] == s.text for s in sentences)
    assert sentences[0].start == 2


def test_lone_surrogate_does_not_break_segmentation() -> None:
    text = "The militants were killed \ud800 in Aqtobe. Calm returned."
    sentences = split_sentences(text)
    assert len(sentences) == 2
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_iter_sentences_is_lazy_and_equals_split() -> None:
    text = "One sentence here. Another one there.\nA third line."
    iterator = iter_sentences(text)
    assert next(iterator).text == "One sentence here."
    assert list(iter_sentences(text)) == split_sentences(text)


def test_segmenter_info() -> None:
    info = segmenter_info()
    assert info["name"] == "sentencex"
    assert info["version"] == version("sentencex")
    assert re.match(r"\d+\.\d+", info["version"])


# --- properties on arbitrary text -------------------------------------------------------------

PIECES = st.sampled_from([
    "word", "Kazakhstan", "police", "The", "said", "1,000", "3.5", " ", "  ", "\t", "\xa0",
    ".", "?", "!", "...", ",", ";", ":", "--", "\u2014", "(", ")",
    '"', "'", "\u201c", "\u201d", "\u2018", "\u2019", "\u00ab", "\u00bb",
    "Mr.", "Mrs.", "Dr.", "U.S.", "U.K.", "Jan.", "e.g.", "No.",
    "\n", "\r\n", "\r", "\n\n", "\u2028", "\x85", "\x0c",
    "Advertisement", "RELATED", "Related", "Photo by", "\u2022", "16x9 Image",
])
NEWSLIKE = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=80).map("".join)
# the same text twice makes the repeated-headline rule fire
REPEATED = NEWSLIKE.map(lambda t: t + "\n" + t)


def check_properties(text: str) -> None:
    assume(not text.startswith("\ufeff"))
    sentences = split_sentences(text)
    assert_well_formed(text, sentences)
    assert list(iter_sentences(text)) == sentences


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_well_formed_sentences(text: str) -> None:
    check_properties(text)


@settings(max_examples=200, deadline=None)
@given(NEWSLIKE)
def test_newslike_text_gives_well_formed_sentences(text: str) -> None:
    check_properties(text)


@settings(max_examples=100, deadline=None)
@given(REPEATED)
def test_repeated_lines_give_well_formed_sentences(text: str) -> None:
    check_properties(text)


@settings(max_examples=100, deadline=None)
@given(NEWSLIKE)
def test_line_endings_do_not_change_sentences(text: str) -> None:
    """CRLF and LF versions of a text give the same sentences."""
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    assume(not lf.startswith("\ufeff"))
    crlf = lf.replace("\n", "\r\n")
    assert [s.text for s in split_sentences(crlf)] == [s.text for s in split_sentences(lf)]


@pytest.mark.parametrize("space", ["\xa0", "\u2028", "\u2029", "\u3000", "\x85", "\u2003"])
def test_non_ascii_space_before_a_period_does_not_crash(space: str) -> None:
    # sentencex 1.0.32 panics on a letter, a multi-byte space and a period ("S\xa0.").
    text = f"Statement by S{space}. Police fired. Calm returned."
    sentences = split_sentences(text)
    assert all(text[s.start:s.end] == s.text for s in sentences)
    assert sentences[-1].text == "Calm returned."


# --- furniture of plain-text copies of state-media pages (issue 8) ----------------------------
# Every text below is CONSTRUCTED for the test, in the shape such pages have.

@pytest.mark.parametrize("line", [
    "Share", "Share - WeChat", "Share: Facebook | X", "share \u2013 Weibo",
])
def test_share_button_lines_are_removed(line: str) -> None:
    text = f"Police detained 40 people.\n{line}\nThe curfew was lifted.\n"
    assert [s.text for s in split_sentences(text)] == [
        "Police detained 40 people.", "The curfew was lifted."]


def test_share_in_prose_is_kept() -> None:
    text = "Share prices fell after the riots.\nShare the road, officials urged drivers.\n"
    assert [s.text for s in split_sentences(text)] == [
        "Share prices fell after the riots.", "Share the road, officials urged drivers."]


@pytest.mark.parametrize("line", [
    "[Photo/VCG]", "[Photo by Zhang Wei/China Daily]", "[ Photo provided to the paper ]",
])
def test_bracketed_photo_credits_are_removed_alone_and_after_a_caption(line: str) -> None:
    assert split_sentences(f"{line}\n") == []
    assert [s.text for s in split_sentences(f"Residents walk past a shop. {line}\n")] == [
        "Residents walk past a shop."]
    assert [s.text for s in split_sentences(f"Residents walk past a shop.{line}\n")] == [
        "Residents walk past a shop."]


@pytest.mark.parametrize("line", [
    "Home / Opinion / Editorials", "Home > World > Asia", "HOME \u00bb China",
    "World / Asia-Pacific / Central Asia",
])
def test_breadcrumbs_are_removed(line: str) -> None:
    assert [s.text for s in split_sentences(f"{line}\nTroops left the city.\n")] == ["Troops left the city."]


def test_slashes_in_prose_are_kept() -> None:
    text = "Police fired at 3/4 of the crowd.\nHome / away fans clashed, police said.\n"
    assert [s.text for s in split_sentences(text)] == [
        "Police fired at 3/4 of the crowd.", "Home / away fans clashed, police said."]


@pytest.mark.parametrize("line", [
    "Source: Xinhua Published: 2022-01-08 16:32:01",
    "Source: Global Times  Published: 2022/1/8 19:43:09",
    "Editor: Li Jing", "Published: 2022-01-08", "Updated: Jan 8, 2022 10:02",
])
def test_source_and_published_lines_are_removed(line: str) -> None:
    assert [s.text for s in split_sentences(f"Calm returned.\n{line}\n")] == ["Calm returned."]


def test_source_in_a_sentence_is_kept() -> None:
    text = "Source: a senior official, speaking on condition of anonymity, said the toll would rise.\n"
    assert [s.text for s in split_sentences(text)] == [text.strip()]


@pytest.mark.parametrize("caption", [
    "Police stand guard in Almaty on Jan. 6, 2022.XINHUA",
    "Police stand guard in Almaty on Jan. 6, 2022. REUTERS/Pavel Mikheyev",
    "Police stand guard in Almaty on Jan. 6, 2022. (Xinhua/Kadyrzhan)",
    "Police stand guard in Almaty on Jan. 6, 2022.(AFP)",
])
def test_agency_glued_to_a_caption_is_cut_off(caption: str) -> None:
    sentences = split_sentences(f"{caption}\n")
    assert [s.text for s in sentences] == ["Police stand guard in Almaty on Jan. 6, 2022."]
    assert all(caption[s.start:s.end] == s.text for s in sentences)


def test_agency_named_in_prose_is_kept() -> None:
    text = "The statement was carried by XINHUA. Reporters for AFP saw troops.\n"
    assert [s.text for s in split_sentences(text)] == [
        "The statement was carried by XINHUA.", "Reporters for AFP saw troops."]


# --- bounded memory (issue 9, finding 7): no unit longer than MAX_UNIT_CHARS -------------------

def test_an_unbroken_blob_is_cut_into_bounded_pieces() -> None:
    blob = base64.b64encode(bytes(range(256)) * 400).decode()  # ~136 kB, no spaces, no stops
    text = "A headline.\n" + blob + "\nThe end."
    sentences = split_sentences(text)
    assert all(len(s.text) <= MAX_UNIT_CHARS for s in sentences)
    assert "".join(s.text for s in sentences[1:-1]) == blob
    assert [s.text for s in (sentences[0], sentences[-1])] == ["A headline.", "The end."]
    for s in sentences:
        assert text[s.start:s.end] == s.text


def test_a_long_unit_is_cut_at_whitespace() -> None:
    words = " ".join(["word"] * 2000)  # 9,999 characters, no full stop
    sentences = split_sentences(words)
    assert all(len(s.text) <= MAX_UNIT_CHARS and s.text.startswith("word") and s.text.endswith("word")
               for s in sentences)
    assert " ".join(s.text for s in sentences) == words


def test_a_very_long_line_is_segmented_in_windows() -> None:
    line = "Security forces killed five militants. " * 6000  # 234,000 characters on one line
    sentences = split_sentences(line)
    assert len(sentences) == 6000
    assert {s.text for s in sentences} == {"Security forces killed five militants."}


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .\n\u00a0"), min_size=0, max_size=9000))
def test_pieces_point_back_into_the_text(text: str) -> None:
    for s in split_sentences(text):
        assert text[s.start:s.end] == s.text and 0 < len(s.text) <= MAX_UNIT_CHARS
