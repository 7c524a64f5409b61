"""framing.annotate in-process: the journal, the sources, the order, and the app's guards.

The app is built in-process (``create_app``) and fetched with starlette's TestClient, as a
browser would; the real-browser tests are in test_annotate_browser.py.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from framing.annotate import create_app, open_session
from framing.annotate.journal import journal_path, replay
from framing.annotate.order import Queue
from framing.annotate.server import MAX_BODY, Session
from framing.annotate.source import load_source
from framing.cli import app
from framing.errors import FramingError, LabelError
from framing.labels import read_labelled

with warnings.catch_warnings():  # starlette 1.x suggests httpx2; httpx is what is installed
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "labels" / "codebook.toml"
ARTICLES = {
    "a.txt": "Troops opened fire on protesters.\nThe president called them terrorists.\n",
    "b.txt": "Fuel prices doubled in January.\nRights groups urged calm.\nPolice restored order.\n",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _session(corpus: Path, labels: Path, **options: Any) -> Session:
    options.setdefault("codebook", CODEBOOK)
    options.setdefault("order", "document")
    return open_session(corpus, labels, options.pop("annotator", "alice"), **options)


def _form(page: str) -> dict[str, str]:
    return {name: re.search(rf'name="{name}" value="([^"]*)"', page)[1]  # type: ignore[index]
            for name in ("csrf", "key")}


def _decide(client: TestClient, **fields: Any) -> Any:
    form = _form(client.get("/").text)
    return client.post("/decide", data={**form, **fields}, follow_redirects=False)


# --- journal -------------------------------------------------------------------------------

def test_every_decision_is_in_the_journal_and_the_labels_csv(corpus: Path, tmp_path: Path) -> None:
    labels = tmp_path / "out.csv"
    session = _session(corpus, labels)
    with TestClient(create_app(session)) as client:
        response = _decide(client, frame=["lethal_force"], note="shots", action="label")
        assert response.status_code == 303 and response.headers["location"] == "/"
        _decide(client, action="none")
        _decide(client, action="skip")
    session.journal.close()
    records = [json.loads(line) for line in journal_path(labels).read_text().splitlines()]
    assert [r["event"] for r in records] == ["label", "label", "skip"]
    first = records[0]
    assert first["annotator"] == "alice" and first["frames"] == ["lethal_force"]
    assert first["note"] == "shots" and len(first["model_sha256"]) == 64
    assert (first["start"], first["end"]) == (0, len("Troops opened fire on protesters."))
    data = read_labelled(labels)  # what `framing train --labels` reads
    assert data.texts == ["Troops opened fire on protesters.", "The president called them terrorists."]
    assert data.frames == [("lethal_force",), ()]


def test_a_half_written_last_line_is_dropped_and_the_rest_kept(corpus: Path, tmp_path: Path) -> None:
    labels = tmp_path / "out.csv"
    session = _session(corpus, labels)
    with TestClient(create_app(session)) as client:
        _decide(client, frame=["lethal_force"], action="label")
    session.journal.close()
    path = journal_path(labels)
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"v":1,"event":"label","annot')  # killed mid-write
    session = _session(corpus, labels)
    assert session.journal.dropped_partial
    assert session.journal.state.labelled == 1
    unit, _, _ = session.current()
    assert unit is not None and unit.text == "The president called them terrorists."
    session.journal.close()
    assert path.read_bytes() == whole


def test_a_malformed_line_inside_the_journal_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "out.journal.jsonl"
    path.write_text('not json\n{"v": 1}\n', encoding="utf-8")
    with pytest.raises(LabelError, match=r"out.journal.jsonl:1: not a journal record"):
        replay(path)


def test_one_journal_one_annotator(corpus: Path, tmp_path: Path) -> None:
    labels = tmp_path / "alice.csv"
    with TestClient(create_app(session := _session(corpus, labels))) as client:
        _decide(client, action="none")
    session.journal.close()
    with pytest.raises(FramingError, match="labelled by 'alice', not 'bob'.*new file name"):
        _session(corpus, labels, annotator="bob")
    bob = _session(corpus, tmp_path / "bob.csv", annotator="bob")  # a separate file works
    assert bob.journal.state.labelled == 0
    bob.journal.close()


def test_two_servers_cannot_write_one_journal(corpus: Path, tmp_path: Path) -> None:
    labels = tmp_path / "out.csv"
    first = _session(corpus, labels)
    with pytest.raises(FramingError, match="another `framing annotate` is writing"):
        _session(corpus, labels)
    first.journal.close()


def test_a_labels_file_not_written_by_annotate_is_not_overwritten(corpus: Path, tmp_path: Path) -> None:
    labels = tmp_path / "mine.csv"
    labels.write_text("text,frames\nx,y\n", encoding="utf-8")
    with pytest.raises(FramingError, match="not written by `framing annotate`"):
        _session(corpus, labels)
    assert labels.read_text(encoding="utf-8") == "text,frames\nx,y\n"


def test_undo_takes_back_the_last_decision_and_shows_it_again(corpus: Path, tmp_path: Path) -> None:
    session = _session(corpus, tmp_path / "out.csv")
    with TestClient(create_app(session)) as client:
        _decide(client, frame=["terrorism_label", "lethal_force"], note="n1", action="label")
        csrf = _form(client.get("/").text)["csrf"]
        assert client.post("/undo", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        page = client.get("/").text
    assert "Troops opened fire on protesters." in page.split('id="unit"')[1][:80]
    assert re.search(r'value="terrorism_label" data-key="2" checked', page)
    assert 'value="n1"' in page
    assert session.journal.state.labelled == 0
    session.journal.close()


# --- sources and order ------------------------------------------------------------------------

def test_offsets_are_those_of_framing_score(corpus: Path) -> None:
    from framing.segment import split_sentences

    source = load_source(corpus)
    text = ARTICLES["b.txt"]
    expected = [(s.start, s.end, s.text) for s in split_sentences(text)]
    assert [(u.start, u.end, u.text) for u in source.units if u.article == "b"] == expected


def test_a_jsonl_corpus_gives_titles_and_sources(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text(json.dumps({"id": 7, "title": "Clashes", "url": "https://example.org/7",
                                "text": "One. Two."}) + "\n", encoding="utf-8")
    source = load_source(path)
    assert [u.text for u in source.units] == ["One.", "Two."]
    assert source.articles["7"].title == "Clashes"
    assert source.articles["7"].source == "https://example.org/7"


def test_a_labels_file_is_reviewed_with_its_frames(tmp_path: Path) -> None:
    path = tmp_path / "theirs.csv"
    path.write_text("article,text,frames\nx,First one.,lethal_force\nx,Second one.,\n", encoding="utf-8")
    source = load_source(path)
    assert source.review
    assert [u.prior_frames for u in source.units] == [("lethal_force",), ()]


def test_random_order_is_reproducible_and_seeded(corpus: Path) -> None:
    units = load_source(corpus).units

    def order(seed: int) -> list[str]:
        queue, done = Queue(units, "random", seed=seed), set()
        out = []
        while (unit := queue.next(done, Counter())) is not None:
            out.append(unit.key)
            done.add(unit.key)
        return out

    assert order(3) == order(3)
    assert sorted(order(3)) == sorted(u.key for u in units)
    assert len({tuple(order(s)) for s in range(6)}) > 1


def test_active_order_prefers_uncertain_units_across_articles(corpus: Path, tmp_path: Path) -> None:
    session = _session(corpus, tmp_path / "out.csv", order="active")
    assert session.suggestions is not None
    uncertainty = session.suggestions.uncertainty()
    first, _, _ = session.current()
    assert first is not None
    assert uncertainty[session.suggestions.index[first.key]] == pytest.approx(uncertainty.max())
    seen = []
    with TestClient(create_app(session)) as client:
        for _ in range(2):
            seen.append(session.current()[0].article)  # type: ignore[union-attr]
            _decide(client, action="none")
    assert seen[0] != seen[1]  # the second comes from the article with no decision yet
    session.journal.close()


def test_the_model_is_updated_in_the_background_every_n_labels(corpus: Path, tmp_path: Path) -> None:
    session = _session(corpus, tmp_path / "out.csv", order="active", retrain_every=4)
    assert session.updater is not None and session.suggestions is not None
    with TestClient(create_app(session)) as client:
        for frames in (["lethal_force"], ["lethal_force"], [], []):
            _decide(client, frame=frames, action="label")
        session.updater.thread.join(timeout=60)  # type: ignore[union-attr]
        assert session.suggestions.update == 1 and session.suggestions.updated_on == 4
        assert "model updated on 4 labels" in client.get("/").text
        _decide(client, action="none")
    assert json.loads(journal_path(tmp_path / "out.csv").read_text().splitlines()[-1])["model_update"] == 1
    session.journal.close()


# --- the page and its guards ---------------------------------------------------------------------

def test_the_page_shows_the_unit_neighbours_frames_and_suggestions(corpus: Path, tmp_path: Path) -> None:
    session = _session(corpus, tmp_path / "out.csv")
    with TestClient(create_app(session)) as client:
        _decide(client, action="none")
        page = client.get("/").text
    session.journal.close()
    assert '<p class="neighbour">Troops opened fire on protesters.</p>' in page
    assert '<p class="unit" id="unit">The president called them terrorists.</p>' in page
    assert page.count('class="definition"') == 12 and "Includes" in page
    assert re.search(r'<span class="bar" data-p="0\.\d+">', page)
    assert "<strong>1</strong> labelled, 0 skipped" in " ".join(page.split())


def test_blind_pages_carry_no_probabilities(corpus: Path, tmp_path: Path) -> None:
    session = _session(corpus, tmp_path / "out.csv", blind=True)
    with TestClient(create_app(session)) as client:
        page = client.get("/").text
    session.journal.close()
    assert 'class="bar"' not in page and "blind" in page


def test_text_is_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "a.txt").write_text('He wrote <script>alert(1)</script> and <img src=x onerror="go()">\n',
                                  encoding="utf-8")
    session = _session(folder, tmp_path / "out.csv")
    with TestClient(create_app(session)) as client:
        response = client.get("/")
    session.journal.close()
    assert "<script>alert" not in response.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<img src=x" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_guards(corpus: Path, tmp_path: Path) -> None:
    session = _session(corpus, tmp_path / "out.csv")
    with TestClient(create_app(session, allowed_hosts={"testserver"})) as client:
        form = _form(client.get("/").text)
        assert client.get("/", headers={"host": "evil.example"}).status_code == 421
        assert client.post("/decide", data={**form, "csrf": "forged", "action": "none"}).status_code == 403
        big = client.post("/decide", content=b"x" * (MAX_BODY + 1),
                          headers={"content-type": "application/x-www-form-urlencoded"})
        assert big.status_code == 413
        assert client.post("/decide", data={**form, "frame": ["nope"]}).status_code == 400
        assert client.post("/decide", data={**form, "key": "elsewhere"}).status_code == 400
        for path in ("/static/../../pyproject.toml", "/static/annotate.html", "/labels.csv",
                     "/out.journal.jsonl"):
            assert client.get(path).status_code == 404, path
        assert client.get("/static/annotate.js").headers["content-type"].startswith("text/javascript")
    assert session.journal.state.events == 0
    session.journal.close()


def test_a_token_is_needed_when_one_is_set(corpus: Path, tmp_path: Path) -> None:
    session = _session(corpus, tmp_path / "out.csv")
    with TestClient(create_app(session, token="s3cret")) as client:
        assert client.get("/").status_code == 403
        assert client.get("/?token=wrong").status_code == 403
        first = client.get("/?token=s3cret", follow_redirects=False)
        assert first.status_code == 303 and "HttpOnly" in first.headers["set-cookie"]
        assert client.get("/").status_code == 200  # the cookie now carries it
    session.journal.close()


def test_cli_annotate_refuses_bad_input_in_one_line(corpus: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["annotate", str(tmp_path / "missing"), "--labels",
                                      str(tmp_path / "o.csv"), "--annotator", "a"])
    assert result.exit_code == 1
    assert "missing: no such file or directory" in result.output
    result = CliRunner().invoke(app, ["annotate", str(corpus), "--labels", str(tmp_path / "o.txt"),
                                      "--annotator", "a", "--codebook", str(CODEBOOK)])
    assert result.exit_code == 1 and "name it *.csv" in result.output


def test_review_shows_the_file_s_frames_unless_blind(tmp_path: Path) -> None:
    path = tmp_path / "theirs.csv"
    path.write_text("article,text,frames\nx,Troops fired.,lethal_force\n", encoding="utf-8")
    for blind in (False, True):
        session = _session(path, tmp_path / f"review-{blind}.csv", blind=blind)
        with TestClient(create_app(session)) as client:
            page = client.get("/").text
        session.journal.close()
        assert ("In the file under review" in page) is not blind
        assert (re.search(r'value="lethal_force" data-key="4" checked', page) is not None) is not blind


def test_cli_annotate_binds_localhost_or_prints_a_token(corpus: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app_, **kw: served.append({"app": app_, **kw}))
    base = ["annotate", str(corpus), "--codebook", str(CODEBOOK), "--annotator", "a"]
    result = CliRunner().invoke(app, [*base, "--labels", str(tmp_path / "one.csv"), "--port", "9001"])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 9001
    assert "open http://127.0.0.1:9001/  (" in result.output
    result = CliRunner().invoke(app, [*base, "--labels", str(tmp_path / "two.csv"), "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    token = re.search(r"open http://0\.0\.0\.0:8765/\?token=(\S+)", result.output)
    assert token is not None and served[1]["host"] == "0.0.0.0"
    with TestClient(served[1]["app"]) as client:
        assert client.get("/").status_code == 403
        assert client.get(f"/?token={token[1]}").status_code == 200


def test_pages_are_served_while_an_update_runs(corpus: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from framing.annotate.order import Suggestions

    release = threading.Event()
    original = Suggestions.refit

    def slow_refit(self: Suggestions, decisions: Any) -> None:
        release.wait(timeout=30)
        original(self, decisions)

    monkeypatch.setattr(Suggestions, "refit", slow_refit)
    session = _session(corpus, tmp_path / "out.csv", order="active", retrain_every=1)
    with TestClient(create_app(session)) as client:
        _decide(client, frame=["lethal_force"], action="label")
        assert session.updater is not None and session.updater.running
        page = client.get("/")  # answered while the update waits
        assert page.status_code == 200 and "updating in the background" in page.text
        assert _decide(client, action="none").status_code == 303
        release.set()
        session.updater.thread.join(timeout=30)  # type: ignore[union-attr]
    assert session.suggestions is not None and session.suggestions.update == 1
    session.journal.close()


def test_a_csv_corpus_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_text("id,outlet,text\n1,Daily,First one. Second one.\n2,Weekly,Third one.\n",
                    encoding="utf-8")
    source = load_source(path)
    assert [(u.article, u.text) for u in source.units] == [("1", "First one."), ("1", "Second one."),
                                                          ("2", "Third one.")]
    assert source.articles["2"].source == "Weekly" and source.articles["1"].title == "First one."
    path.write_text("id,text\n1,One.\n1,Again.\n", encoding="utf-8")
    with pytest.raises(FramingError, match="article id '1' appears twice"):
        load_source(path)
    path.write_text("id,body\n1,One.\n", encoding="utf-8")
    with pytest.raises(FramingError, match="no column 'text'.*--text-column"):
        load_source(path)


def test_a_failed_write_is_reported_and_leaves_the_journal_whole(corpus: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import os as os_module

    labels = tmp_path / "out.csv"
    session = _session(corpus, labels)
    real_fsync = os_module.fsync

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with TestClient(create_app(session)) as client:
        _decide(client, frame=["lethal_force"], action="label")
        monkeypatch.setattr("framing.annotate.journal.os.fsync", full)
        response = _decide(client, action="none")
        assert response.status_code == 500 and "the decision was not saved" in response.text
        monkeypatch.setattr("framing.annotate.journal.os.fsync", real_fsync)
        assert _decide(client, action="none").status_code == 303
    session.journal.close()
    state, _ = replay(journal_path(labels))
    assert state.labelled == 2 and state.events == 2
