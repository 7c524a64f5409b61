"""The README's commands and Python examples work.

Every `$ framing ...` line of a console block runs, in README order, in one scratch copy of
the repository's data (later commands use earlier outputs, as a reader would). The exit
status expected is 1 for commands reading news.jsonl (like the README's, it holds one
malformed record, which is reported and skipped), else 0.
Commands that need a running Dask scheduler are left to tests/test_cluster.py.
"""

from __future__ import annotations

import csv
import json
import random
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from framing.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
NEEDS_CLUSTER = ("--scheduler", "tcp://")
# `framing annotate` serves a page until stopped: here a scripted coder labels every sentence
# through the app in-process instead (tests/test_annotate_browser.py drives the real server),
# ticking a frame when the sentence holds one of the frame's codebook cue terms.
CODERS = {"alice": slice(None), "bob": slice(None, -1)}  # which of a frame's cue terms they go by


def _blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README) if lang == kind]


def _commands() -> list[tuple[str, int]]:
    """(command, expected exit status) for every `$ framing` line, continuations joined."""
    found = []
    for body in _blocks("console"):
        for line in body.replace("\\\n", " ").splitlines():
            if not line.startswith("$ framing "):
                continue
            command = line[2:].strip()
            found.append((command, 1 if "news.jsonl" in command.split() else 0))
    return found


COMMANDS = _commands()
PYTHON = _blocks("python")


def _news(path: Path) -> None:
    """news.jsonl as the README shows it: 2,000 articles of shuffled seed sentences in two
    outlets over January-February 2024, and one malformed record at line 1201."""
    with open(ROOT / "labels" / "seed_sentences.csv", encoding="utf-8") as fh:
        sentences = [row["text"] for row in csv.DictReader(fh)]
    rng = random.Random(0)
    with open(path, "w", encoding="utf-8") as fh:
        for n in range(2001):
            if n == 1200:
                fh.write('{"id": "broken", "text": "unterminated\n')
                continue
            record = {"id": f"a{n:07d}", "date": f"2024-{1 + n % 2:02d}-{1 + n % 28:02d}",
                      "outlet": f"outlet-{'ab'[n % 2]}", "text": " ".join(rng.sample(sentences, 5))}
            fh.write(json.dumps(record) + "\n")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch directory laid out like the repository, with the files the README names."""
    root = tmp_path_factory.mktemp("readme")
    for name in ("seeds", "labels", "bench", "examples"):
        shutil.copytree(ROOT / name, root / name)
    with open(ROOT / "labels" / "seed_sentences.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(root / "my_labels.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["article_id", "sentence", "frames"])
        writer.writerows([r["article"], r["text"], r["frames"]] for r in rows)
    _news(root / "news.jsonl")
    (root / "short.txt").write_text(
        "Troops were ordered to shoot to kill after what the president called a coup attempt "
        "by foreign-trained terrorists.\n", encoding="utf-8")
    return root


def test_readme_has_examples() -> None:
    assert len(COMMANDS) >= 8
    assert len(PYTHON) >= 2


@pytest.mark.slow
@pytest.mark.parametrize(("command", "expected"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_readme_command(command: str, expected: int, workdir: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    if any(marker in command for marker in NEEDS_CLUSTER):
        pytest.skip("needs a running Dask scheduler; tests/test_cluster.py runs this path")
    monkeypatch.chdir(workdir)
    argv = shlex.split(command)[1:]
    if argv[0] == "annotate":
        from framing.codebook import load_codebook

        cues = CODERS[argv[argv.index("--annotator") + 1]]
        coder = {f.id: tuple(c.lower() for c in f.cues[cues])
                 for f in load_codebook(workdir / "labels" / "codebook.toml").frames}
        monkeypatch.setattr("uvicorn.run", lambda served, **_: _label_everything(served, coder))
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == expected, f"{command}\n{result.output}"
    assert result.output.strip() or Path(workdir).exists()


def _label_everything(served: Any, coder: dict[str, tuple[str, ...]]) -> None:
    """Label every sentence the page offers, as a coder following ``coder``'s words would."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    with TestClient(served, base_url="http://127.0.0.1:8765") as client:
        while 'id="unit"' in (page := client.get("/").text):
            form = {name: re.search(rf'name="{name}" value="([^"]*)"', page)[1]  # type: ignore[index]
                    for name in ("csrf", "key")}
            text = re.search(r'id="unit">(.*?)</p>', page, re.DOTALL)[1].lower()  # type: ignore[index]
            frames = [f for f, words in coder.items() if any(w in text for w in words)]
            response = client.post("/decide", data={**form, "frame": frames, "action": "label"},
                                   follow_redirects=False)
            assert response.status_code == 303, response.text


class _SparkLike:
    """Stands in for a Spark DataFrame: mapInPandas runs the function on pandas batches."""

    def __init__(self, path: Path) -> None:
        import pandas as pd

        self.frame = pd.read_json(path, lines=True, nrows=40)

    def mapInPandas(self, fn: Any, schema: str) -> list[Any]:  # noqa: N802 - Spark's name
        batches: Iterator[Any] = iter([self.frame.iloc[:20], self.frame.iloc[20:]])
        return list(fn(batches))


@pytest.mark.parametrize("source", PYTHON)
def test_readme_python(source: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if any(marker in source for marker in NEEDS_CLUSTER):
        pytest.skip("needs a running Dask scheduler; tests/test_cluster.py runs this path")
    monkeypatch.chdir(workdir)
    namespace: dict[str, Any] = {"__name__": "readme"}
    if "mapInPandas" in source:
        (workdir / "news-head.jsonl").write_text(
            "".join((workdir / "news.jsonl").read_text(encoding="utf-8").splitlines(True)[:40]),
            encoding="utf-8")
        namespace["articles"] = _SparkLike(workdir / "news-head.jsonl")
    exec(compile(source, "README.md", "exec"), namespace)
    if "mapInPandas" in source:
        scored = namespace["scores"]
        assert sum(len(df) for df in scored) == 40
        assert "frames" in scored[0].columns
