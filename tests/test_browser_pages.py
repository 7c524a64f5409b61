"""The HTML pages in a real browser (headless Debian chromium through Playwright): nothing is
fetched, nothing is logged as an error, the charts are drawn, hovering a sentence shows its
scores, tables sort, and markup in article text never runs.

Screenshots go to ``$FRAMING_SCREENSHOTS`` when set (to look at them), else to a temporary
directory. Run these alone with ``pytest -m browser``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from scored_corpus import FRAMES, OUTLETS, write_scored_corpus

from framing.article_html import FrameInfo, article_page, write_article_pages
from framing.corpus_report import build_report, render_report
from framing.model import Model
from framing.score import predict

pytestmark = pytest.mark.browser

PAYLOAD = ('<img src=x onerror="window.pwned=1"></script><script>window.pwned=2</script>'
           '<!-- <svg onload="window.pwned=3">')
TEXT = ("Fuel prices in Osh rose again, and drivers blocked the main road.\n\n"
        "Officials called the attackers terrorists and bandits. Leaders urged calm and offered talks.\n"
        "The weather was cold.")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("FRAMING_SCREENSHOTS") or tmp_path / "shots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@dataclass
class Visit:
    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def check_quiet(self) -> None:
        """Only the file itself was loaded; no console error, page error or dialog."""
        assert self.requests == [self.url]
        assert self.errors == [] and self.dialogs == []


def visit(browser: Any, path: Path, width: int = 1200) -> Visit:
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen = Visit(page, path.resolve().as_uri())
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))

    def dialog(d: Any) -> None:
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(seen.url, wait_until="load")
    return seen


def column(page: Any, table: str, index: int) -> list[float]:
    return [float(v) for v in page.eval_on_selector_all(
        f"#{table} tbody tr", f"rows => rows.map(r => r.cells[{index}].getAttribute('data-v'))")]


def test_report_is_offline_draws_its_charts_and_sorts(browser: Any, tmp_path: Path, shots: Path) -> None:
    corpus = write_scored_corpus(tmp_path / "corpus", 50)
    path = tmp_path / "report.html"
    path.write_text(render_report(build_report(corpus.scores, sentences=corpus.sentences,
                                               by=["outlet", "month"])), encoding="utf-8")
    seen = visit(browser, path)
    page = seen.page
    page.screenshot(path=str(shots / "report.png"), full_page=True)
    seen.check_quiet()
    # The heatmap and the small multiples: a line per outlet in a panel per frame.
    assert page.locator("#heatmap svg").bounding_box()["width"] > 300
    lines = page.locator('#timelines svg [id^="time-series-"]')
    assert lines.count() == len(FRAMES) * len(OUTLETS)
    assert all(lines.nth(i).locator("path").count() >= 1 for i in range(lines.count()))
    legend = page.locator("#timelines svg text").all_text_contents()
    assert all(outlet in legend for outlet in OUTLETS)
    # Sorting: share (column 4) ascending, then descending.
    table = "prevalence-table"
    assert column(page, table, 4) != sorted(column(page, table, 4))
    page.locator(f"#{table} thead th").nth(4).locator("button").click()
    assert column(page, table, 4) == sorted(column(page, table, 4))
    assert page.locator(f"#{table} thead th").nth(4).get_attribute("aria-sort") == "ascending"
    page.locator(f"#{table} thead th").nth(4).locator("button").click()
    assert column(page, table, 4) == sorted(column(page, table, 4), reverse=True)
    page.locator(f"#{table} thead th").nth(0).locator("button").click()
    groups = page.eval_on_selector_all(f"#{table} tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    assert groups == sorted(groups, key=str.lower)
    # Printed: no navigation or sort arrows, the details tables shown.
    page.emulate_media(media="print")
    assert not page.locator("nav.toc").is_visible()
    assert page.locator("#time-table").is_visible()
    page.screenshot(path=str(shots / "report-print.png"), full_page=True)
    page.close()


def test_hovering_or_focusing_a_sentence_shows_its_scores(browser: Any, toy_model: Model, tmp_path: Path,
                                                           shots: Path) -> None:
    result = predict(TEXT, model=toy_model, sentences=True)
    frames = FrameInfo.from_model(toy_model)
    path = tmp_path / "article.html"
    path.write_text(article_page("osh.txt", TEXT, result, frames), encoding="utf-8")
    seen = visit(browser, path, width=1000)
    page = seen.page
    tip = page.locator("#tip")
    assert not tip.is_visible()
    carrying = next(i for i, s in enumerate(result.sentences) if s.frames)
    sentence = result.sentences[carrying]
    page.locator(".s").nth(carrying).hover()
    assert tip.is_visible()
    text = tip.text_content()
    assert f"Sentence {carrying + 1}" in text
    for f in frames.frame_ids:
        assert f"{frames.names[f]}{sentence.scores[f]:.2f}" in text.replace(" ", "").replace(
            frames.names[f].replace(" ", ""), frames.names[f])
    assert "terms:" in text and sentence.terms[sentence.frames[0]][0].term in text
    page.screenshot(path=str(shots / "article-hover.png"))
    page.mouse.move(0, 0)
    assert not tip.is_visible()
    page.keyboard.press("Tab")  # the "all articles" link is absent: the first stop is a sentence
    assert tip.is_visible() and "Sentence 1" in tip.text_content()
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    seen.check_quiet()
    page.close()


def test_markup_in_article_text_never_runs(browser: Any, toy_model: Model, tmp_path: Path,
                                           shots: Path) -> None:
    text = f"Officials said {PAYLOAD} today.\nFuel prices rose {PAYLOAD}."
    frames = FrameInfo.from_model(toy_model)
    written = write_article_pages([(f"x{PAYLOAD}.txt", text, predict(text, model=toy_model, sentences=True))],
                                  frames, tmp_path / "articles")
    corpus = write_scored_corpus(tmp_path / "corpus", 12, text=PAYLOAD, outlets=[f"Out{PAYLOAD}", "Plain"])
    report = tmp_path / "report.html"
    report.write_text(render_report(build_report(corpus.scores, sentences=corpus.sentences, by=["outlet"])),
                      encoding="utf-8")
    for path in [*written, report]:
        seen = visit(browser, path)
        page = seen.page
        for i in range(min(page.locator(".s").count(), 4)):
            page.locator(".s").nth(i).hover()
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.locator("main img, body img, svg svg").count() == 0
        assert PAYLOAD in page.locator("body").text_content()
        page.screenshot(path=str(shots / f"payload-{path.stem}.png"), full_page=path == report)
        seen.check_quiet()
        page.close()


def test_index_links_each_article_and_sorts(browser: Any, toy_model: Model, tmp_path: Path,
                                            shots: Path) -> None:
    frames = FrameInfo.from_model(toy_model)
    texts = [("long.txt", TEXT), ("short.txt", "Wages angered the marchers."), ("mid.txt", TEXT[:140])]
    written = write_article_pages([(n, t, predict(t, model=toy_model, sentences=True)) for n, t in texts],
                                  frames, tmp_path / "articles")
    seen = visit(browser, written[0])
    page = seen.page
    page.locator("#articles thead th").nth(1).locator("button").click()
    assert column(page, "articles", 1) == sorted(column(page, "articles", 1))
    page.screenshot(path=str(shots / "index.png"))
    page.locator("#articles a", has_text="short.txt").click()
    page.wait_for_load_state("load")
    assert page.url == written[2].resolve().as_uri() and page.locator("h1").text_content() == "short.txt"
    assert seen.errors == [] and seen.dialogs == []
    assert seen.requests == [seen.url, page.url]
    page.close()
