"""framing.corpus_report: the report of a generated corpus (50 articles, 3 outlets, 3 months)
says what an independent count of the same files says, on the page as in the numbers."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import lxml.html
import numpy as np
import pytest
from scipy.stats import binomtest
from scored_corpus import FRAMES, MONTHS, NAMES, OUTLETS, THRESHOLDS, Corpus, write_scored_corpus

from framing import corpus_report
from framing.corpus_report import ALL, OTHER, build_report, render_report
from framing.errors import InputError


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return write_scored_corpus(tmp_path_factory.mktemp("corpus"), 50)


@pytest.fixture(scope="module")
def report(corpus: Corpus) -> corpus_report.CorpusReport:
    return build_report(corpus.scores, sentences=corpus.sentences, by=["outlet", "month"])


@pytest.fixture(scope="module")
def page(report: corpus_report.CorpusReport) -> Any:
    return lxml.html.fromstring(render_report(report))


def independent(corpus: Corpus) -> dict[str, Any]:
    """The same figures, counted directly from the rows."""
    carried: dict[str, Counter[str]] = defaultdict(Counter)
    for row in corpus.rows:
        carried[row["id"]].update(row["frames"])
    out: dict[str, Any] = {"n": Counter(), "with": Counter(), "coverage": defaultdict(list),
                           "monthly": Counter(), "monthly_with": Counter(), "both": Counter()}
    for a in corpus.articles:
        outlet, month = a["outlet"], a["date"][:7]
        out["n"][outlet] += 1
        out["monthly"][(outlet, month)] += 1
        for f in FRAMES:
            out["with"][(outlet, f)] += f in a["frames"]
            out["monthly_with"][(outlet, month, f)] += f in a["frames"]
            out["coverage"][(outlet, f)].append(carried[a["id"]][f] / a["n_sentences"])
        for f, g in itertools.product(a["frames"], repeat=2):
            out["both"][(f, g)] += 1
    return out


def test_numbers_equal_an_independent_count(corpus: Corpus, report: corpus_report.CorpusReport) -> None:
    want = independent(corpus)
    assert report.articles == 50 and report.groups == OUTLETS and report.periods == MONTHS
    assert report.measure == "coverage" and report.frame_ids == FRAMES
    for outlet, f in itertools.product(OUTLETS, FRAMES):
        cell = report.cells[(outlet, f)]
        assert (cell.articles, cell.present) == (want["n"][outlet], want["with"][(outlet, f)])
        ci = binomtest(cell.present, cell.articles).proportion_ci(method="wilson")
        assert (cell.low, cell.high) == pytest.approx((ci.low, ci.high))
        assert cell.mean == pytest.approx(np.mean(want["coverage"][(outlet, f)]))
        assert cell.mean_low <= cell.mean <= cell.mean_high
    for outlet, month, f in itertools.product(OUTLETS, MONTHS, FRAMES):
        cell = report.timeline[(outlet, month, f)]
        assert (cell.articles, cell.present) == (want["monthly"][(outlet, month)],
                                                 want["monthly_with"][(outlet, month, f)])
    assert sum(want["monthly"].values()) == 50
    assert all(want["monthly"][(o, m)] for o in OUTLETS for m in MONTHS)
    for (i, f), (j, g) in itertools.product(enumerate(FRAMES), repeat=2):
        assert report.cooccurrence[i, j] == want["both"][(f, g)]
    overall = report.overall[FRAMES[0]]
    assert overall.present == sum(want["with"][(o, FRAMES[0])] for o in OUTLETS)


def test_differences_read_only_what_the_interval_supports(report: corpus_report.CorpusReport) -> None:
    assert len(report.differences) == 3 * len(FRAMES)  # 3 pairs of outlets per frame
    for d in report.differences:
        a, b = report.cells[(d.a, d.frame)], report.cells[(d.b, d.frame)]
        assert d.share == pytest.approx(a.share - b.share) and d.low <= d.share <= d.high
        assert d.mean == pytest.approx(a.mean - b.mean) and d.mean_low <= d.mean <= d.mean_high
        assert d.reading == (f"{d.a} more" if d.low > 0 else f"{d.b} more" if d.high < 0
                             else "no clear difference")
    # Each outlet leans to its own frame in the generated data: the report must see it.
    lean = {(d.frame, d.a, d.b): d.reading for d in report.differences}
    assert lean[(FRAMES[0], "Alpha News", "Beta Times")] == "Alpha News more"
    assert lean[(FRAMES[1], "Alpha News", "Beta Times")] == "Beta Times more"


def test_evidence_is_the_best_sentences_of_each_frame_and_outlet(corpus: Corpus,
                                                                 report: corpus_report.CorpusReport) -> None:
    outlet_of = {a["id"]: a["outlet"] for a in corpus.articles}
    for f, outlet in itertools.product(FRAMES, OUTLETS):
        carrying = [r for r in corpus.rows if f in r["frames"] and outlet_of[r["id"]] == outlet]
        best = sorted(carrying, key=lambda r: -r[f])[:3]
        got = report.evidence.get(f, {}).get(outlet, [])
        assert [e.score for e in got] == [r[f] for r in best]
        assert {e.text for e in got} <= {r["text"] for r in carrying}
        assert all(e.url == f"https://news.example/{e.article}" for e in got)


def rows_of(page: Any, table_id: str) -> list[list[str]]:
    return [[" ".join(td.text_content().split()) for td in tr.findall("td")]
            for tr in page.get_element_by_id(table_id).find("tbody").findall("tr")]


def test_the_page_shows_the_same_numbers(corpus: Corpus, page: Any) -> None:
    want = independent(corpus)
    shown = {(r[0], r[1].split(" ", 1)[1]): r[2:6] for r in rows_of(page, "prevalence-table")}
    assert len(shown) == len(OUTLETS) * len(FRAMES)
    for outlet, f in itertools.product(OUTLETS, FRAMES):
        n, k = want["n"][outlet], want["with"][(outlet, f)]
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert shown[(outlet, NAMES[f])] == [str(n), str(k), f"{100 * k / n:.1f}%",
                                             f"{100 * ci.low:.1f}%–{100 * ci.high:.1f}%"]
    over_time = {(r[0], r[1], r[2]): r[3:6] for r in rows_of(page, "time-table")}
    for outlet, month, f in itertools.product(OUTLETS, MONTHS, FRAMES):
        n, k = want["monthly"][(outlet, month)], want["monthly_with"][(outlet, month, f)]
        assert over_time[(outlet, month, NAMES[f])] == [str(n), str(k), f"{100 * k / n:.1f}%"]
    pairs = {(r[0], r[1]): int(r[2]) for r in rows_of(page, "cooccurrence-table")}
    for f, g in itertools.combinations(FRAMES, 2):
        assert pairs.get((NAMES[f], NAMES[g]), 0) == want["both"][(f, g)]
    # The charts: a heatmap, and a line per outlet in a panel per frame.
    assert page.get_element_by_id("heatmap").find(".//svg") is not None
    lines = page.xpath('//*[@id="timelines"]//*[starts-with(@id, "time-series-")]')
    assert len(lines) == len(OUTLETS) * len(FRAMES)
    assert "These figures are model estimates." in page.get_element_by_id("caveat").text_content()
    card = " ".join(page.get_element_by_id("model").text_content().split())
    assert "shipped default" in card and "0" * 64 in card
    assert all(f in card for f in FRAMES) and f"{THRESHOLDS['order_restored']:.2f}" in card


def test_without_sidecar_or_sentences_frames_come_from_the_file(tmp_path: Path) -> None:
    corpus = write_scored_corpus(tmp_path, 12, sidecar=False)
    report = build_report(corpus.scores, by=["outlet"])
    assert report.frame_ids == FRAMES and report.columns.source == "file" and report.measure == "score"
    assert report.model == {} and report.evidence == {} and not report.periods
    cell = report.cells[("Alpha News", FRAMES[0])]
    scores = [a[FRAMES[0]] for a in corpus.articles if a["outlet"] == "Alpha News"]
    assert cell.mean == pytest.approx(np.mean(scores), abs=1e-6)
    assert any("no sidecar" in n for n in report.notes) and any("--sentences" in n for n in report.notes)
    html = render_report(report)
    assert 'id="time"' not in html and "Unknown: the score file has no sidecar" in html


def test_an_unfinished_run_and_a_lost_model_are_noted(tmp_path: Path) -> None:
    corpus = write_scored_corpus(tmp_path, 6)
    sidecar = tmp_path / "scores.jsonl.framing.json"
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "complete": False,
                                   "model": str(tmp_path / "gone")}))
    report = build_report(corpus.scores)
    assert any("has not finished" in n for n in report.notes)
    assert any(n.startswith("The model that scored could not be read") for n in report.notes)
    page = lxml.html.fromstring(render_report(report))
    assert str(tmp_path / "gone") in page.get_element_by_id("model").text_content()


def test_no_groups_is_the_whole_corpus_and_by_month_alone_draws_it(corpus: Corpus) -> None:
    report = build_report(corpus.scores, by=["month"])
    assert report.groups == [ALL] and report.periods == MONTHS and report.line_groups == [ALL]
    assert report.differences == []


def test_many_groups_are_pooled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_report, "MAX_GROUPS", 3)
    corpus = write_scored_corpus(tmp_path, 20, outlets=["a", "b", "c", "d", "e"])
    report = build_report(corpus.scores, by=["outlet"])
    assert report.groups == ["a", "b", OTHER]
    assert report.cells[(OTHER, FRAMES[0])].articles == 12
    assert any("3 smaller groups (12 articles) are pooled" in n for n in report.notes)


def test_bad_input_is_named(corpus: Corpus, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--by month and year: give one period"):
        build_report(corpus.scores, by=["month", "year"])
    with pytest.raises(InputError, match=r"scores.jsonl: no column 'country' to group by"):
        build_report(corpus.scores, by=["country"])
    with pytest.raises(InputError, match=r"scores.jsonl:1: no column 'doc'; pass --id-column"):
        build_report(corpus.scores, id_column="doc")
    with pytest.raises(InputError, match=r"scores.jsonl:1: no column\(s\) 'text'; give the sentence "
                                         r"table of `framing score-corpus --sentences`"):
        build_report(corpus.sentences.parent / "scores.jsonl", sentences=corpus.scores)


def test_evidence_links_to_the_article_view(corpus: Corpus) -> None:
    report = build_report(corpus.scores, sentences=corpus.sentences, by=["outlet"], link="view/{id}.html")
    links = {e.url for by_group in report.evidence.values() for items in by_group.values() for e in items}
    assert links and all(re.fullmatch(r"view/a\d{3}\.html#s\d", u) for u in links)
    assert corpus_report.article_link("v/{id}.html", "a b/c?") == "v/a%20b%2Fc%3F.html"
    assert corpus_report.article_link("v/{id}.html", "x", 4) == "v/x.html#s4"
    for bad in ("view.html", "javascript:go({id})"):
        with pytest.raises(InputError, match=r"--link .*: give an address holding \{id\}, relative or http"):
            build_report(corpus.scores, link=bad)


def test_only_web_links_become_links(tmp_path: Path) -> None:
    corpus = write_scored_corpus(tmp_path, 6)
    articles = [{**a, "url": "javascript:alert(1)"} for a in corpus.articles]
    corpus.scores.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    html = render_report(build_report(corpus.scores, sentences=corpus.sentences))
    assert "javascript:" not in html


def test_report_on_the_command_line(corpus: Corpus, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from framing.cli import app

    runner = CliRunner()
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(corpus.scores), "--sentences", str(corpus.sentences),
                                 "--by", "outlet", "--by", "month", "-o", str(out),
                                 "--title", "Three outlets"])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"report of 50 article(s) written to {out}\n"
    page = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    assert page.find(".//h1").text == "Three outlets"
    result = runner.invoke(app, ["report", str(corpus.scores), "--by", "week", "--by", "month",
                                 "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == "error: --by week and month: give one period (the time axis)\n"
