"""`framing annotate` in a real browser: Playwright driving Debian's chromium, the server run
as a separate process (so it can be killed with SIGKILL), labelling with the keyboard.

Run alone with ``pytest -m browser``. Without chromium (or playwright) these tests skip and
say why. Screenshots go to the test's temporary directory, or to $FRAMING_SCREENSHOTS.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from framing.labels import read_labelled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent

ARTICLE_ONE = """Troops opened fire on protesters in the capital.
The president called the marchers terrorists sent from abroad.
Fuel prices had doubled in January.
Rights groups urged calm and talks between the sides.
"""
ARTICLE_TWO = """Police said order had been restored in the city.
Twelve people were killed in the clashes, officials said.
"""
HOSTILE = ('A sentence with <script>pwned = 1</script> in it. '
           'And <img src=x onerror="pwned = 2"> too.\n'
           'Then an ordinary sentence about the weather.\n')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``framing annotate`` in its own process, started and killed by the test."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.args, self.cwd, self.port = args, cwd, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        command = [sys.executable, "-c", "from framing.cli import main; main()", "annotate",
                   *self.args, "--port", str(self.port)]
        log = self.cwd / f"server-{self.port}.log"
        with open(log, "a", encoding="utf-8") as out:  # the child keeps its own copy of the fd
            self.proc = subprocess.Popen(command, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {log.read_text(encoding='utf-8')}")
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise AssertionError("server did not answer within 60 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


class Watched:
    """A page whose requests, console errors and page errors are recorded."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1300, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check_clean(self, port: int) -> None:
        outside = [u for u in self.requests if not u.startswith(f"http://127.0.0.1:{port}/")]
        assert not outside, f"requests outside localhost: {outside}"
        assert not self.errors, f"console errors: {self.errors}"

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def press_and_wait(self, key: str) -> None:
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def unit(self) -> str:
        return str(self.page.locator("#unit").text_content())

    def progress(self) -> str:
        return " ".join(str(self.page.locator("#progress").text_content()).split())


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FRAMING_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _journal(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_label_undo_reload_kill_restart(browser: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    corpus.mkdir()
    (corpus / "one.txt").write_text(ARTICLE_ONE, encoding="utf-8")
    (corpus / "two.txt").write_text(ARTICLE_TWO, encoding="utf-8")
    labels = tmp_path / "alice.csv"
    server = Server([str(corpus), "--labels", str(labels), "--annotator", "alice",
                     "--order", "document", "--codebook", str(ROOT / "labels" / "codebook.toml")],
                    cwd=tmp_path)
    shots = _shots(tmp_path)
    server.start()
    try:
        w = Watched(browser)
        w.page.goto(server.url)
        assert w.unit() == "Troops opened fire on protesters in the capital."
        assert w.progress().startswith("0 labelled, 0 skipped, 6 of 6 to go")
        assert w.page.locator("label.frame .p").count() == 12  # suggestions with probabilities
        w.press("4")  # lethal_force
        w.press("4")  # toggled off again
        w.press("4")
        w.page.locator("label.frame").nth(3).hover()
        assert w.page.locator("#def-lethal_force").is_visible()
        w.page.screenshot(path=str(shots / "annotate-page.png"), full_page=True)
        w.press_and_wait("Enter")
        assert w.unit().startswith("The president called the marchers terrorists")
        assert w.progress().startswith("1 labelled")
        w.press("1")  # foreign_instigation
        w.press("2")  # terrorism_label
        w.press_and_wait("Enter")
        w.press_and_wait("u")  # undo: back to the second sentence, its frames still ticked
        assert w.unit().startswith("The president called the marchers terrorists")
        assert w.page.locator('input[value="foreign_instigation"]').is_checked()
        assert w.page.locator('input[value="terrorism_label"]').is_checked()
        w.press("1")  # untick foreign_instigation: the correction
        w.press_and_wait("Enter")
        w.press_and_wait("0")  # "Fuel prices ..." has no frame
        w.press_and_wait("s")  # skip "Rights groups ..."
        assert w.unit() == "Police said order had been restored in the city."
        w.press("6")  # order_restored
        w.press("n")
        w.page.keyboard.type("said by police; check")
        w.press_and_wait("Enter")
        w.page.reload()
        assert w.unit() == "Twelve people were killed in the clashes, officials said."
        assert w.progress().startswith("4 labelled, 1 skipped, 1 of 6 to go")
        w.check_clean(server.port)
        w.page.close()

        events = [e["event"] for e in _journal(tmp_path / "alice.journal.jsonl")]
        assert events == ["label", "label", "undo", "label", "label", "skip", "label"]
        before_kill = _rows(labels)
        assert [(r["text"][:20], r["frames"], r["note"]) for r in before_kill] == [
            ("Troops opened fire o", "lethal_force", ""),
            ("The president called", "terrorism_label", ""),
            ("Fuel prices had doub", "", ""),
            ("Police said order ha", "order_restored", "said by police; check"),
        ]

        server.kill()  # SIGKILL: no shutdown code runs
        assert _rows(labels) == before_kill
        server.start()
        w = Watched(browser)
        w.page.goto(server.url)
        assert w.unit() == "Twelve people were killed in the clashes, officials said."
        assert w.progress().startswith("4 labelled, 1 skipped, 1 of 6 to go")
        w.press("5")  # casualty_toll
        w.press_and_wait("Enter")
        assert "Nothing left to label" in str(w.page.locator("main").text_content())
        w.page.screenshot(path=str(shots / "annotate-done.png"), full_page=True)
        w.check_clean(server.port)
        w.page.close()
    finally:
        server.kill()
    rows = _rows(labels)
    assert len(rows) == 5 and rows[-1]["frames"] == "casualty_toll"
    assert all(r["annotator"] == "alice" for r in rows)
    text = (corpus / "one.txt").read_text(encoding="utf-8")
    assert all(text[int(r["start"]):int(r["end"])] == r["text"] for r in rows if r["article"] == "one")
    data = read_labelled(labels)  # what `framing train --labels` reads
    assert len(data) == 5 and data.grouped


def test_corpus_text_is_shown_never_run(browser: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "articles"
    corpus.mkdir()
    (corpus / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    server = Server([str(corpus), "--labels", str(tmp_path / "bob.csv"), "--annotator", "bob",
                     "--order", "document", "--blind",
                     "--codebook", str(ROOT / "labels" / "codebook.toml")], cwd=tmp_path)
    server.start()
    try:
        w = Watched(browser)
        w.page.goto(server.url)
        assert "<script>pwned = 1</script>" in w.unit()
        assert w.page.evaluate("typeof window.pwned") == "undefined"
        assert w.page.locator("#unit script, #unit img, .context img").count() == 0
        assert w.page.locator("label.frame .p").count() == 0  # --blind: no suggestions at all
        w.page.screenshot(path=str(_shots(tmp_path) / "annotate-hostile-blind.png"), full_page=True)
        w.press_and_wait("0")
        assert "onerror" in w.unit()
        assert w.page.evaluate("typeof window.pwned") == "undefined"
        w.check_clean(server.port)
        w.page.close()
    finally:
        server.kill()
