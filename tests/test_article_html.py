"""framing.article_html: the article view shows the article's own text, every sentence with
its scores, escaped; several articles get an index page."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from framing.article_html import FrameInfo, article_page, page_names, write_article_pages
from framing.cli import app
from framing.model import Model
from framing.score import predict

TEXT = ("Fuel prices in Osh rose again, and drivers blocked the main road.\n\n"
        "Officials called the attackers terrorists and bandits.   Leaders urged calm and offered talks.\n"
        "The weather was cold.")
PAYLOAD = ('Officials said <img src=x onerror="window.pwned=1"> and '
           '</script><script>window.pwned=2</script><!--.')


def parse(html: str) -> Any:
    return lxml.html.fromstring(html)


def article_text(page: Any) -> str:
    article = copy.deepcopy(page.find(".//article"))
    for sup in article.findall(".//sup"):
        sup.drop_tree()  # the frame numbers after a sentence are not the article's text
    return str(article.text_content())


def test_the_page_holds_the_text_and_every_sentence_scores(toy_model: Model) -> None:
    result = predict(TEXT, model=toy_model, sentences=True)
    frames = FrameInfo.from_model(toy_model)
    page = parse(article_page("osh.txt", TEXT, result, frames))
    assert article_text(page) == TEXT  # gaps (blank lines, spaces) kept: the text reads as written
    spans = page.find_class("s")
    assert len(spans) == result.n_sentences == len(result.sentences)
    for span, sentence in zip(spans, result.sentences, strict=True):
        data = json.loads(span.get("data-s"))
        assert data["p"] == [round(sentence.scores[f], 4) for f in frames.frame_ids]
        numbers = [frames.frame_ids.index(f) + 1 for f in sentence.frames]
        assert [int(s.text) for s in span.findall("sup")] == numbers
        assert ("on" in span.get("class").split()) == bool(sentence.frames)
        assert set(data["t"]) == set(sentence.frames)
        assert span.get("id") == f"s{sentence.index}"  # what a report's evidence links to
    assert any(sentence.frames for sentence in result.sentences)
    profile = page.find_class("profile")[0].findall(".//tbody/tr")
    assert len(profile) == len(frames.frame_ids)
    legend = page.find_class("legend")[0].text_content()
    assert all(frames.names[f] in legend for f in frames.frame_ids)


def test_article_text_is_escaped_never_markup(toy_model: Model) -> None:
    text = PAYLOAD + "\nFuel prices rose."
    html = article_page("<b>name</b>", text, predict(text, model=toy_model, sentences=True),
                        FrameInfo.from_model(toy_model))
    page = parse(html)
    assert page.findall(".//img") == [] and page.findall(".//b") == []
    assert len(page.findall(".//script")) == 1  # only the page's own script
    assert article_text(page) == text
    assert "<img" not in html and "</script><script>window" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html.replace("&#39;", "'")


def test_several_articles_get_pages_and_an_index(toy_model: Model, tmp_path: Path) -> None:
    frames = FrameInfo.from_model(toy_model)
    articles = [(name, text, predict(text, model=toy_model, sentences=True))
                for name, text in [("a/one.txt", TEXT), ("b/one.txt", "Wages angered the marchers.")]]
    written = write_article_pages(articles, frames, tmp_path / "out")
    assert [p.name for p in written] == ["index.html", "0001-one.html", "0002-one.html"]  # stems collide
    index = parse(written[0].read_text(encoding="utf-8"))
    links = [(a.text, a.get("href")) for a in index.findall(".//table//a")]
    assert links == [("a/one.txt", "0001-one.html"), ("b/one.txt", "0002-one.html")]
    back = parse(written[1].read_text(encoding="utf-8")).find(".//nav/a")
    assert back.get("href") == "index.html"


def test_pages_are_named_after_their_inputs() -> None:
    assert page_names(["seeds/000_ab.txt", "x/<b> one.html"]) == ["000_ab.html", "b_one.html"]
    assert page_names(["a/index.txt"]) == ["0001-index.html"]  # never overwrites the index


def test_one_threshold_for_every_frame(toy_model: Model) -> None:
    assert set(FrameInfo.from_model(toy_model, 0.25).thresholds.values()) == {0.25}


runner = CliRunner()


def test_score_format_html_on_the_command_line(seeds_dir: Path, tmp_path: Path) -> None:
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    result = runner.invoke(app, ["score", str(seed), "--format", "html"])
    assert result.exit_code == 0, result.output
    assert article_text(parse(result.stdout)) == seed.read_text(encoding="utf-8")
    result = runner.invoke(app, ["score", str(seeds_dir), "--format", "html"])
    assert result.exit_code == 2
    assert "several articles need --output DIR" in result.output
    result = runner.invoke(app, ["score", str(seeds_dir), "--format", "html", "-o", str(tmp_path / "view")])
    assert result.exit_code == 0, result.output
    pages = sorted(p.name for p in (tmp_path / "view").iterdir())
    assert pages[-1] == "index.html" and len(pages) == 1 + len(list(seeds_dir.glob("*.txt")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"],
                                            include_characters="\n\t<>&\"'/"), max_size=300))
def test_any_text_reads_back_as_written(toy_model: Model, text: str) -> None:
    result = predict(text, model=toy_model, sentences=True)
    html = article_page("t.txt", text, result, FrameInfo.from_model(toy_model))
    assert html.count('<span class="s') == result.n_sentences
    assert article_text(parse(html)) == text
