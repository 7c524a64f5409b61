"""`framing score` and `framing explain` on the command line.

Results go to stdout (or --output); one line per unusable input and a summary go to stderr.
typer's CliRunner keeps the two apart in ``result.stdout`` and ``result.stderr``.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner, Result

from framing.cli import app
from framing.explain import explain
from framing.model import DEFAULT_MODEL, Model, load_model
from framing.read import read_article
from framing.score import predict

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO_ROOT / "docs" / "score.schema.json").read_text(encoding="utf-8"))
SEEDS = sorted((REPO_ROOT / "seeds").glob("*.txt"))

runner = CliRunner()


def score(*args: str | Path, input: bytes | None = None) -> Result:
    return runner.invoke(app, ["score", *map(str, args)], input=input)


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def jsonl(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    assert all(line.strip() for line in lines)
    return [json.loads(line) for line in lines]


def assert_clean_failure(result: Result, code: int) -> None:
    """Exit ``code`` by the program's own choice: no exception escaped, no traceback."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model()


@pytest.fixture
def seed_paths(seeds_dir: Path) -> list[Path]:
    paths = sorted(seeds_dir.glob("*.txt"))
    assert paths == SEEDS and len(paths) == 5
    return paths


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


# --- formats ----------------------------------------------------------------------------------

def test_table_shows_each_article_and_its_frames(seeds_dir: Path, seed_paths: list[Path],
                                                 model: Model) -> None:
    result = score(seeds_dir, "--format", "table")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    for line in lines:
        assert len(line) <= 80, line
    headers = [i for i, line in enumerate(lines) if not line.startswith(" ") and line]
    assert len(headers) == len(seed_paths)
    names = model.frame_names
    for path, start, stop in zip(seed_paths, headers, [*headers[1:], len(lines)], strict=True):
        expected = predict(read_article(path), model=model)
        assert lines[start] == (f"{path}  ({expected.n_sentences} sentences, "
                                f"{len(expected.frames)} frames)")
        block = lines[start + 1:stop]
        shown = [line[2:32].rstrip() for line in block if line.startswith("  ") and not
                 line.startswith("   ")]
        assert shown == [names[f][:30] for f in expected.frames]
        for f in expected.frames:
            assert any(line.startswith(f"  {names[f][:30]:<30} {expected.profile[f]:4.2f} ")
                       for line in block)


def test_table_says_when_no_frame_is_present(tmp_path: Path) -> None:
    path = tmp_path / "calm.txt"
    path.write_text("Hello.\n", encoding="utf-8")
    result = score(path, "--format", "table", "--threshold", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [f"{path}  (1 sentences, 0 frames)",
                                              "  no frame reaches its threshold"]


def test_json_validates_and_equals_predict(seeds_dir: Path, seed_paths: list[Path],
                                           model: Model) -> None:
    result = score(seeds_dir, "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    document = json.loads(result.stdout)
    validate(document)
    assert document["framing_version"] == version("framing")
    assert document["errors"] == []
    assert document["model"] == {
        "path": str(DEFAULT_MODEL), "created": model.meta["created"],
        "sha256": model.sha256,
        "thresholds": {f: round(float(t), 4) for f, t in zip(model.frame_ids, model.thresholds,
                                                             strict=True)}}
    assert [a["id"] for a in document["articles"]] == [str(p) for p in seed_paths]
    for article, path in zip(document["articles"], seed_paths, strict=True):
        expected = predict(read_article(path), model=model)
        assert "sentences" not in article
        assert article["n_sentences"] == expected.n_sentences
        assert article["frames"] == expected.frames
        assert article["profile"] == {f: round(p, 4) for f, p in expected.profile.items()}
        assert article["coverage"] == {f: round(c, 4) for f, c in expected.coverage.items()}
        assert {f: [s["index"] for s in ev] for f, ev in article["evidence"].items()} == {
            f: [s.index for s in ev] for f, ev in expected.evidence.items()}
        assert article == {"id": str(path), **expected.to_dict(sentences=False)}


def test_json_with_sentences_validates_and_offsets_point_back(seed_paths: list[Path]) -> None:
    result = score(*seed_paths[:2], "--format", "json", "--sentences")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document)
    for article, path in zip(document["articles"], seed_paths[:2], strict=True):
        text = read_article(path)
        assert len(article["sentences"]) == article["n_sentences"] > 0
        for i, s in enumerate(article["sentences"]):
            assert s["index"] == i
            assert text[s["start"]:s["end"]] == s["text"]


def test_schema_rejects_what_score_never_prints(seed_paths: list[Path]) -> None:
    document = json.loads(score(seed_paths[0], "--format", "json").stdout)
    validate(document)
    for broken in (
        {**document, "extra": 1},
        {k: v for k, v in document.items() if k != "errors"},
        {**document, "articles": [{**document["articles"][0], "profile": {"x": 1.5}}]},
        {**document, "articles": [{**document["articles"][0], "colour": "red"}]},
        {**document, "errors": [{"input": "a.txt"}]},
        {**document, "model": {**document["model"], "sha256": "not a digest"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_jsonl_is_one_object_per_article(seeds_dir: Path, seed_paths: list[Path]) -> None:
    result = score(seeds_dir, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = jsonl(result.stdout)
    assert len(result.stdout.splitlines()) == len(seed_paths)
    assert [r["id"] for r in records] == [str(p) for p in seed_paths]
    document = json.loads(score(seeds_dir, "--format", "json").stdout)
    assert records == document["articles"]


def test_default_format_off_a_terminal_is_jsonl(seed_paths: list[Path]) -> None:
    result = score(seed_paths[0])
    assert result.exit_code == 0, result.output
    assert result.stdout == score(seed_paths[0], "--format", "jsonl").stdout


def test_jsonl_with_sentences(seed_paths: list[Path]) -> None:
    result = score(seed_paths[0], "--format", "jsonl", "--sentences")
    assert result.exit_code == 0, result.output
    (record,) = jsonl(result.stdout)
    assert len(record["sentences"]) == record["n_sentences"]


def test_csv_has_a_row_per_article_and_frame(seeds_dir: Path, seed_paths: list[Path],
                                             model: Model) -> None:
    result = score(seeds_dir, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["id", "frame", "name", "score", "present", "coverage",
                             "best_sentence", "best_start", "best_end"]
    assert len(rows) == 12 * len(seed_paths)
    for i, path in enumerate(seed_paths):
        text = read_article(path)
        expected = predict(text, model=model)
        mine = rows[12 * i:12 * (i + 1)]
        assert [r["id"] for r in mine] == [str(path)] * 12
        assert [r["frame"] for r in mine] == model.frame_ids
        for r in mine:
            f = r["frame"]
            assert r["name"] == model.frame_names[f]
            assert float(r["score"]) == round(expected.profile[f], 4)
            assert float(r["coverage"]) == round(expected.coverage[f], 4)
            assert r["present"] == ("1" if f in expected.frames else "0")
            if f in expected.frames:
                best = expected.evidence[f][0]
                assert (r["best_sentence"], int(r["best_start"]), int(r["best_end"])) == (
                    best.text, best.start, best.end)
                assert text[int(r["best_start"]):int(r["best_end"])] == r["best_sentence"]
            else:
                assert r["best_sentence"] == r["best_start"] == r["best_end"] == ""


def test_csv_with_sentences_has_a_row_per_sentence(seed_paths: list[Path], model: Model) -> None:
    result = score(*seed_paths[:2], "--format", "csv", "--sentences")
    assert result.exit_code == 0, result.output
    reader = csv.reader(io.StringIO(result.stdout))
    header = next(reader)
    assert header == ["id", "index", "start", "end", "text", *model.frame_ids, "frames"]
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    expected = {str(p): predict(read_article(p), model=model) for p in seed_paths[:2]}
    assert len(rows) == sum(e.n_sentences for e in expected.values())
    for r in rows:
        text = read_article(Path(r["id"]))
        s = expected[r["id"]].sentences[int(r["index"])]
        assert text[int(r["start"]):int(r["end"])] == r["text"] == s.text
        assert {f: float(r[f]) for f in model.frame_ids} == {f: round(p, 4) for f, p in s.scores.items()}
        assert r["frames"] == ";".join(s.frames)


@pytest.mark.parametrize("top", [1, 2])
def test_top_limits_evidence(seeds_dir: Path, top: int, model: Model) -> None:
    result = score(seeds_dir, "--format", "jsonl", "--top", str(top))
    assert result.exit_code == 0, result.output
    records = jsonl(result.stdout)
    assert any(len(ev) == top for r in records for ev in r["evidence"].values())
    for r in records:
        assert all(1 <= len(ev) <= top for ev in r["evidence"].values())
        expected = predict(read_article(Path(r["id"])), model=model, top=top)
        assert r == {"id": r["id"], **expected.to_dict(sentences=False)}


def test_threshold_applies_to_every_frame(seeds_dir: Path, model: Model) -> None:
    result = score(seeds_dir, "--format", "json", "--threshold", "0")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document)
    assert document["model"]["thresholds"] == dict.fromkeys(model.frame_ids, 0.0)
    for article in document["articles"]:
        assert sorted(article["frames"]) == sorted(model.frame_ids)

    high = jsonl(score(seeds_dir, "--format", "jsonl", "--threshold", "0.99").stdout)
    for r in high:
        expected = predict(read_article(Path(r["id"])), model=model, threshold=0.99)
        assert r["frames"] == expected.frames
        assert all(r["profile"][f] >= 0.99 for f in r["frames"])


@pytest.mark.parametrize(("option", "value"), [("--threshold", "1.5"), ("--threshold", "-0.1"),
                                                ("--top", "0"), ("--format", "xml")])
def test_bad_option_values_are_usage_errors(seed_paths: list[Path], option: str, value: str) -> None:
    result = score(seed_paths[0], option, value)
    assert result.exit_code == 2, result.output
    assert option in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_output_file_is_written_atomically(tmp_path: Path, seeds_dir: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "scores.json"
    target.write_text("old contents\n", encoding="utf-8")
    result = score(seeds_dir, "--format", "json", "--output", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == ""
    assert sorted(p.name for p in out_dir.iterdir()) == ["scores.json"]  # no temporary left
    written = target.read_text(encoding="utf-8")
    assert written == score(seeds_dir, "--format", "json").stdout
    validate(json.loads(written))


def test_output_file_in_a_new_directory(tmp_path: Path, seed_paths: list[Path]) -> None:
    target = tmp_path / "new" / "scores.csv"
    result = score(seed_paths[0], "--format", "csv", "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == score(seed_paths[0], "--format", "csv").stdout
    assert sorted(p.name for p in target.parent.iterdir()) == ["scores.csv"]


def test_output_to_a_directory_is_a_clean_error(tmp_path: Path, seed_paths: list[Path]) -> None:
    target = tmp_path / "a_directory"
    target.mkdir()
    result = score(seed_paths[0], "--format", "json", "--output", target)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert str(target) in result.stderr
    assert list(target.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["a_directory"]


def test_stdin(seed_paths: list[Path], model: Model) -> None:
    data = seed_paths[0].read_bytes()
    result = score("-", "--format", "jsonl", input=data)
    assert result.exit_code == 0, result.output
    (record,) = jsonl(result.stdout)
    assert record["id"] == "<stdin>"
    expected = predict(read_article(seed_paths[0]), model=model)
    assert record == {"id": "<stdin>", **expected.to_dict(sentences=False)}


def test_stdin_with_bom_and_crlf(seed_paths: list[Path]) -> None:
    data = seed_paths[0].read_bytes()
    plain = jsonl(score("-", "--format", "jsonl", input=data).stdout)[0]
    result = score("-", "--format", "jsonl", input=b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    assert result.exit_code == 0, result.output
    (record,) = jsonl(result.stdout)
    assert record["frames"] == plain["frames"]
    assert record["profile"] == plain["profile"]


def test_stdin_not_utf8(seed_paths: list[Path]) -> None:
    result = score(seed_paths[0], "-", "--format", "jsonl", input=b"Le caf\xe9 est ferm\xe9.\n")
    assert_clean_failure(result, 1)
    assert result.stderr.splitlines() == [
        "error: <stdin>: not UTF-8 text (bad byte 0xe9 at offset 6); re-save it as UTF-8",
        "1 of 2 input(s) failed: <stdin>"]
    assert [r["id"] for r in jsonl(result.stdout)] == [str(seed_paths[0])]


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Kazakh president says protests were a coup attempt</title></head>
<body>
<nav><ul>
  <li><a href="/">Home</a></li>
  <li><a href="/world">World news menu entry</a></li>
</ul></nav>
<main><article>
<h1>Kazakh president says protests were a coup attempt</h1>
<p>The president of Kazakhstan said on Monday that protests last week that led to deadly
clashes with armed police were attempts to overthrow the government.</p>
<p>Officials said on Sunday that more than 160 people were killed in the fighting, including
three children.</p>
<p>Tokayev invited Russian troops into the country to help government forces quell the
demonstrations, and said the anti-terrorist operation was in its final stage.</p>
</article></main>
<footer><p>Copyright 2022 Example News Corporation. Contact our newsroom team.</p></footer>
</body>
</html>
"""


def test_html_input_is_extracted_and_scored(tmp_path: Path, model: Model) -> None:
    page = tmp_path / "page.html"
    page.write_text(HTML_PAGE, encoding="utf-8")
    result = score(page, "--format", "json", "--sentences")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document)
    (article,) = document["articles"]
    assert article["id"] == str(page)
    texts = [s["text"] for s in article["sentences"]]
    assert ("Officials said on Sunday that more than 160 people were killed in the fighting, "
            "including three children.") in " ".join(texts).replace("\n", " ")
    assert not any("<" in t or "menu entry" in t for t in texts)
    assert "casualty_toll" in article["frames"]
    expected = predict(read_article(page), model=model)
    assert article["frames"] == expected.frames
    assert article["n_sentences"] == expected.n_sentences


def test_directory_is_scanned_recursively(tmp_path: Path, seed_paths: list[Path]) -> None:
    text = seed_paths[0].read_text(encoding="utf-8")
    root = tmp_path / "corpus"
    (root / "b" / "deeper").mkdir(parents=True)
    (root / "a").mkdir()
    files = [root / "top.txt", root / "a" / "one.txt", root / "b" / "deeper" / "two.TXT",
             root / "b" / "page.htm"]
    for f in files:
        f.write_text(HTML_PAGE if f.suffix == ".htm" else text, encoding="utf-8")
    (root / "notes.csv").write_text("not,an,article\n", encoding="utf-8")
    (root / "b" / "README").write_text("not an article\n", encoding="utf-8")
    result = score(root, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = jsonl(result.stdout)
    assert sorted(r["id"] for r in records) == sorted(str(f) for f in files)
    by_id = {r["id"]: r for r in records}
    assert by_id[str(files[0])]["profile"] == by_id[str(files[2])]["profile"]


def test_directory_without_articles(tmp_path: Path, seed_paths: list[Path]) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "data.csv").write_text("a,b\n", encoding="utf-8")
    result = score(seed_paths[0], empty, "--format", "jsonl")
    assert_clean_failure(result, 1)
    assert result.stderr.splitlines() == [
        f"error: {empty}: no .txt or .html files in this directory",
        f"1 of 2 input(s) failed: {empty}"]
    assert len(jsonl(result.stdout)) == 1


# --- inputs that cannot be scored ---------------------------------------------------------------

@pytest.mark.parametrize("content", ["", "   \n\n\t\n", "Advertisement\nFollow us on Twitter\n"],
                         ids=["empty", "blank", "furniture"])
def test_article_without_sentences_is_an_empty_record(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    result = score(path, "--format", "json", "--sentences")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    document = json.loads(result.stdout)
    validate(document)
    (article,) = document["articles"]
    assert article["id"] == str(path)
    assert article["n_sentences"] == 0
    assert article["sentences"] == []
    assert article["frames"] == []
    assert article["evidence"] == {}
    assert set(article["profile"].values()) == {0.0}
    table = score(path, "--format", "table")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[:2] == [f"{path}  (0 sentences, 0 frames)",
                                             "  no frame reaches its threshold"]


def _binary(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    return path, (f"{path}: looks like a binary file (NUL bytes, the first at offset 8), not a text article; "
                  "give a UTF-8 .txt or .html file")


def _latin1(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le café est fermé.\n".encode("latin-1"))
    return path, f"{path}: not UTF-8 text (bad byte 0xe9 at offset 6); re-save it as UTF-8"


def _missing(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "nowhere.txt"
    return path, f"{path}: no such file or directory; check the path"


@pytest.mark.parametrize("make_bad", [_binary, _latin1, _missing], ids=["binary", "latin1", "missing"])
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table"])
def test_unusable_input_is_reported_and_the_rest_scored(tmp_path: Path, seed_paths: list[Path],
                                                        make_bad: Any, fmt: str) -> None:
    bad, message = make_bad(tmp_path)
    good = [seed_paths[0], seed_paths[1]]
    result = score(good[0], bad, good[1], "--format", fmt)
    assert_clean_failure(result, 1)
    assert result.stderr.splitlines() == [f"error: {message}", f"1 of 3 input(s) failed: {bad}"]
    if fmt == "jsonl":
        assert [r["id"] for r in jsonl(result.stdout)] == [str(p) for p in good]
    elif fmt == "json":
        document = json.loads(result.stdout)
        validate(document)
        assert [a["id"] for a in document["articles"]] == [str(p) for p in good]
        assert document["errors"] == [{"input": str(bad), "error": message}]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [r["id"] for r in rows] == [str(good[0])] * 12 + [str(good[1])] * 12
    else:
        for p in good:
            assert any(line.startswith(f"{p}  (") for line in result.stdout.splitlines())
        assert str(bad) not in result.stdout


def test_several_failures_are_counted(tmp_path: Path, seed_paths: list[Path]) -> None:
    binary, binary_message = _binary(tmp_path)
    missing, missing_message = _missing(tmp_path)
    result = score(binary, seed_paths[0], missing, "--format", "jsonl")
    assert_clean_failure(result, 1)
    assert result.stderr.splitlines() == [f"error: {binary_message}", f"error: {missing_message}",
                                          f"2 of 3 input(s) failed: {binary}, {missing}"]
    assert len(jsonl(result.stdout)) == 1


def test_only_unusable_inputs(tmp_path: Path) -> None:
    missing, message = _missing(tmp_path)
    result = score(missing, "--format", "json")
    assert_clean_failure(result, 1)
    document = json.loads(result.stdout)
    validate(document)
    assert document["articles"] == []
    assert document["errors"] == [{"input": str(missing), "error": message}]
    assert result.stderr.splitlines()[-1] == f"1 of 1 input(s) failed: {missing}"


def test_failures_with_output_file_still_write_it(tmp_path: Path, seed_paths: list[Path]) -> None:
    missing, _ = _missing(tmp_path)
    target = tmp_path / "out.jsonl"
    result = score(seed_paths[0], missing, "--format", "jsonl", "-o", target)
    assert_clean_failure(result, 1)
    assert result.stdout == ""
    assert [r["id"] for r in jsonl(target.read_text(encoding="utf-8"))] == [str(seed_paths[0])]


def test_unreadable_directory(tmp_path: Path, seed_paths: list[Path]) -> None:
    root = tmp_path / "corpus"
    locked = root / "locked"
    locked.mkdir(parents=True)
    shutil.copy(seed_paths[0], root / "open.txt")
    shutil.copy(seed_paths[1], locked / "hidden.txt")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as a user (root?) who can read a chmod 000 directory")
        result = score(root, "--format", "jsonl")
    finally:
        locked.chmod(0o755)
    assert_clean_failure(result, 1)
    assert result.stderr.splitlines() == [
        f"error: {locked}: cannot read directory (Permission denied); check its permissions",
        f"1 of 2 input(s) failed: {locked}"]
    assert [r["id"] for r in jsonl(result.stdout)] == [str(root / "open.txt")]


def test_unreadable_directory_simulated(tmp_path: Path, seed_paths: list[Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above for any user (root reads a chmod 000 directory): listing it fails."""
    root = tmp_path / "corpus"
    locked = root / "locked"
    locked.mkdir(parents=True)
    shutil.copy(seed_paths[0], root / "open.txt")
    shutil.copy(seed_paths[1], locked / "hidden.txt")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = score(root, "--format", "jsonl")
    assert_clean_failure(result, 1)
    assert result.stderr.splitlines() == [
        f"error: {locked}: cannot read directory (Permission denied); check its permissions",
        f"1 of 2 input(s) failed: {locked}"]
    assert [r["id"] for r in jsonl(result.stdout)] == [str(root / "open.txt")]


# --- model problems ---------------------------------------------------------------------------

def _copy_model(tmp_path: Path) -> Path:
    directory = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, directory)
    return directory


def _missing_model(tmp_path: Path) -> tuple[Path, str]:
    directory = tmp_path / "no-model"
    return directory, f"error: {directory}: no such model directory; "


def _data_file(directory: Path, kind: str) -> Path:
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    return directory / meta["files"][kind]["file"]


def _tampered_model(tmp_path: Path) -> tuple[Path, str]:
    directory = _copy_model(tmp_path)
    arrays = _data_file(directory, "arrays")
    with open(arrays, "ab") as fh:
        fh.write(b"\x00")
    return directory, f"error: {arrays}: sha256 does not match meta.json; "


def _corrupt_meta(tmp_path: Path) -> tuple[Path, str]:
    directory = _copy_model(tmp_path)
    meta = directory / "meta.json"
    meta.write_text(meta.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    return directory, f"error: {meta}: corrupt metadata ("


def _future_format(tmp_path: Path) -> tuple[Path, str]:
    directory = _copy_model(tmp_path)
    meta = directory / "meta.json"
    data = json.loads(meta.read_text(encoding="utf-8"))
    data["format_version"] = 99
    meta.write_text(json.dumps(data), encoding="utf-8")
    return directory, f"error: {meta}: model format version 99, this framing reads version 2; "


def _no_artifact(tmp_path: Path) -> tuple[Path, str]:
    directory = _copy_model(tmp_path)
    _data_file(directory, "features").unlink()
    return directory, f"error: {directory}: a file named in meta.json is missing; "


MODEL_PROBLEMS = [_missing_model, _tampered_model, _corrupt_meta, _future_format, _no_artifact]
MODEL_PROBLEM_IDS = ["missing", "tampered", "corrupt-meta", "future-format", "no-artifact"]


@pytest.mark.parametrize("make_model", MODEL_PROBLEMS, ids=MODEL_PROBLEM_IDS)
def test_bad_model_is_one_line_and_exit_2(tmp_path: Path, seed_paths: list[Path], make_model: Any) -> None:
    directory, start = make_model(tmp_path)
    result = score(seed_paths[0], "--model", directory, "--format", "jsonl")
    assert_clean_failure(result, 2)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(start), line
    assert "framing train" in line


@pytest.mark.parametrize("make_model", MODEL_PROBLEMS, ids=MODEL_PROBLEM_IDS)
def test_explain_with_bad_model(tmp_path: Path, make_model: Any) -> None:
    directory, start = make_model(tmp_path)
    result = runner.invoke(app, ["explain", "The militants were killed.", "--model", str(directory)])
    assert_clean_failure(result, 2)
    (line,) = result.stderr.splitlines()
    assert line.startswith(start), line
    assert "framing train" in line


@pytest.mark.slow
def test_tampered_model_in_a_real_process(tmp_path: Path, seed_paths: list[Path]) -> None:
    directory, start = _tampered_model(tmp_path)
    done = subprocess.run([sys.executable, "-m", "framing.cli", "score", str(seed_paths[0]),
                           "--model", str(directory)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(start) and "framing train" in line


def test_copied_model_scores_like_the_shipped_one(tmp_path: Path, seed_paths: list[Path]) -> None:
    directory = _copy_model(tmp_path)
    mine = json.loads(score(seed_paths[0], "--model", directory, "--format", "json").stdout)
    shipped = json.loads(score(seed_paths[0], "--format", "json").stdout)
    assert mine["model"]["path"] == str(directory)
    assert mine["articles"] == shipped["articles"]


# --- explain ---------------------------------------------------------------------------------

SENTENCE = 'Nazarbaev said the attackers "received instructions from abroad."'


def test_explain_table(model: Model) -> None:
    result = runner.invoke(app, ["explain", SENTENCE])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    expected = sorted(explain(SENTENCE, model=model, top=5), key=lambda e: -e.probability)
    frame_lines = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert frame_lines == [
        f"{e.frame:<24} {e.probability:5.2f}  (threshold {e.threshold:.2f}, "
        f"{'PRESENT' if e.present else 'absent'})" for e in expected]
    assert "foreign_instigation" in frame_lines[0]
    up_lines = [line for line in result.stdout.splitlines() if line.startswith("    up:   ")]
    assert up_lines[0] == "    up:   " + ", ".join(f"{t.term} +{t.weight:.2f}" for t in expected[0].up)
    # the frame's own cue block speaks for it, and no other frame's cue block does (own cues)
    assert "all foreign_instigation cue terms" in up_lines[0]
    others = [f for f in model.frame_ids if f != "foreign_instigation"]
    assert not [f for f in others if f"all {f} cue terms" in up_lines[0]]


def test_explain_json(model: Model) -> None:
    result = runner.invoke(app, ["explain", SENTENCE, "--format", "json", "--top", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == [e.to_dict() for e in explain(SENTENCE, model=model, top=3)]
    assert [d["frame"] for d in data] == model.frame_ids
    assert all(len(d["up"]) <= 3 and len(d["down"]) <= 3 for d in data)


def test_explain_bad_format() -> None:
    result = runner.invoke(app, ["explain", SENTENCE, "--format", "xml"])
    assert result.exit_code == 2, result.output
    assert "--format must be table or json, not 'xml'" in result.stderr
    assert result.stdout == ""


def test_a_text_that_is_not_english_is_scored_with_a_warning_and_its_language(tmp_path: Path) -> None:
    # CONSTRUCTED: a Russian sentence about a protest, and an English one.
    russian = tmp_path / "ru.txt"
    russian.write_text("Протестующие собрались на площади, полиция применила слезоточивый газ против "
                       "них, сообщили свидетели.\n", encoding="utf-8")
    english = tmp_path / "en.txt"
    english.write_text("The protesters gathered in the main square on Sunday and the police fired tear "
                       "gas at them, witnesses said.\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(russian), str(english), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {russian}: the text looks like 'ru', not English; the model reads English only, "
        "so its scores mean little (translate it first)"]
    languages = {a["id"]: a["language"] for a in json.loads(result.stdout)["articles"]}
    assert languages == {str(russian): "ru", str(english): "en"}
