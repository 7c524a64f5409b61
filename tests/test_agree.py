"""framing.agree and `framing labels agree/merge`: coefficients checked against references,
intervals, disagreements, gold by majority and by adjudication."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from framing.agree import agree, merge, read_coding
from framing.cli import app
from framing.errors import LabelError
from framing.labels import read_labelled

runner = CliRunner()
TEXTS = [f"Sentence number {i} of the article." for i in range(40)]


def _write(path: Path, frames: list[str], *, annotator: str = "", offsets: bool = True) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["article", "index", "start", "end", "text", "frames", "annotator"])
        for i, (text, fs) in enumerate(zip(TEXTS, frames, strict=False)):
            start = i * 40
            writer.writerow(["a1", i, start if offsets else "", start + len(text) if offsets else "",
                             text, fs, annotator])
    return path


def _codes(seed: int, flip: float, base: list[str] | None = None) -> list[str]:
    rng = np.random.default_rng(seed)
    base = base or [";".join(f for f in ("x", "y") if rng.random() < 0.4) for _ in TEXTS]
    out = []
    for fs in base:
        chosen = set(filter(None, fs.split(";")))
        for f in ("x", "y"):
            if rng.random() < flip:
                chosen ^= {f}
        out.append(";".join(sorted(chosen)))
    return out


@pytest.fixture
def three(tmp_path: Path) -> list[Path]:
    base = _codes(0, 0.0)
    return [_write(tmp_path / "ann.csv", base, annotator="ann"),
            _write(tmp_path / "bob.csv", _codes(1, 0.15, base), annotator="bob"),
            _write(tmp_path / "cy.csv", _codes(2, 0.25, base))]


def _binary(path: Path, frame: str) -> list[int]:
    return [int(frame in fs) for fs in read_labelled(path).frames]


def test_kappa_matches_scikit_learn(three: list[Path]) -> None:
    result = agree([read_coding(p) for p in three[:2]], bootstrap=200)
    assert result.measure == "cohen_kappa" and result.coders == ["ann", "bob"]
    for f in result.frames:
        a, b = _binary(three[0], f.frame), _binary(three[1], f.frame)
        assert f.value == pytest.approx(cohen_kappa_score(a, b))
        assert f.percent == pytest.approx(np.mean(np.equal(a, b)))
        assert f.n == 40 and f.low is not None and f.high is not None
        assert f.low <= f.value <= f.high
        assert f.positives == {"ann": sum(a), "bob": sum(b)}


def test_alpha_for_three_coders_matches_the_package(three: list[Path]) -> None:
    result = agree([read_coding(p) for p in three], bootstrap=100)
    assert result.measure == "krippendorff_alpha" and result.coders == ["ann", "bob", "cy"]
    for f in result.frames:
        data = np.array([_binary(p, f.frame) for p in three], dtype=float)
        assert f.value == pytest.approx(krippendorff.alpha(reliability_data=data,
                                                           level_of_measurement="nominal"))


def test_disagreements_are_listed(three: list[Path]) -> None:
    result = agree([read_coding(p) for p in three[:2]], bootstrap=50)
    a, b = read_labelled(three[0]).frames, read_labelled(three[1]).frames
    differing = [i for i in range(40) if set(a[i]) != set(b[i])]
    assert [d["text"] for d in result.disagreements] == [TEXTS[i] for i in differing]
    first = result.disagreements[0]["frames"]
    assert set(first) == {"ann", "bob"}
    assert result.exact == pytest.approx(1 - len(differing) / 40)


def test_undefined_kappa_is_none_not_nan(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", ["x"] * 5 + [""] * 35)
    b = _write(tmp_path / "b.csv", ["x"] * 5 + [""] * 35)
    result = agree([read_coding(a), read_coding(b)], frames=["x", "never"], bootstrap=50)
    never = result.frames[1]
    assert never.frame == "never" and never.value is None and never.percent == 1.0
    assert json.loads(json.dumps(result.to_dict()))["frames"][1]["value"] is None


def test_units_are_matched_by_text_without_offsets(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", ["x"] * 40, offsets=False)
    b = _write(tmp_path / "b.csv", ["x"] * 20 + [""] * 20, offsets=False)
    assert agree([read_coding(a), read_coding(b)], bootstrap=20).units == 40


def test_files_with_no_common_unit_are_an_error(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", ["x"] * 3)
    other = tmp_path / "b.csv"
    other.write_text("text,frames\nSomething else entirely.,x\n", encoding="utf-8")
    with pytest.raises(LabelError, match="no unit is labelled in two files"):
        agree([read_coding(a), read_coding(other)])


def test_a_unit_twice_in_one_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("text,frames\nSame.,x\nSame.,y\n", encoding="utf-8")
    with pytest.raises(LabelError, match=r"a.csv:3: the same unit as line 2"):
        read_coding(path)


def test_merge_by_majority_and_adjudication(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", ["x;y", "x", "", "y"])
    b = _write(tmp_path / "b.csv", ["x", "x", "y", "y"])
    c = _write(tmp_path / "c.csv", ["x;y", "", "", "y"])
    gold = merge([read_coding(p) for p in (a, b, c)])
    assert [(r["text"][:17], r["frames"], r["method"]) for r in gold.rows] == [
        ("Sentence number 0", ("x", "y"), "majority"),
        ("Sentence number 1", ("x",), "majority"),
        ("Sentence number 2", (), "majority"),
        ("Sentence number 3", ("y",), "unanimous"),
    ]
    two = merge([read_coding(p) for p in (a, b)])  # two coders: a split frame is a tie
    assert [r["text"][:17] for r in two.unresolved] == ["Sentence number 0", "Sentence number 2"]
    assert two.unresolved[0]["ties"] == ["y"] and two.unresolved[0]["majority"] == ["x"]
    judged = tmp_path / "judged.csv"
    judged.write_text("article,start,end,text,frames\na1,0,33,Sentence number 0 of the article.,x;y\n"
                      "a1,80,113,Sentence number 2 of the article.,\n", encoding="utf-8")
    gold = merge([read_coding(p) for p in (a, b)], adjudication=read_coding(judged))
    assert not gold.unresolved and gold.adjudicated == 2
    assert [r["frames"] for r in gold.rows] == [("x", "y"), ("x",), (), ("y",)]


def test_cli_agree_merge_and_train_reads_the_gold(three: list[Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["labels", "agree", *map(str, three[:2]), "--bootstrap", "100",
                                 "--disagreements", str(tmp_path / "dis.csv")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split()[:2] == ["frame", "kappa"]
    assert "disagreement(s) written to" in result.stderr
    with open(tmp_path / "dis.csv", encoding="utf-8") as fh:
        assert next(csv.reader(fh))[4:6] == ["ann", "bob"]
    result = runner.invoke(app, ["labels", "agree", *map(str, three), "--format", "json",
                                 "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["measure"] == "krippendorff_alpha"
    gold = tmp_path / "gold.csv"
    result = runner.invoke(app, ["labels", "merge", *map(str, three), "-o", str(gold)])
    assert result.exit_code == 0, result.output
    assert len(read_labelled(gold)) == 40
    result = runner.invoke(app, ["labels", "agree", str(three[0])])
    assert result.exit_code != 0 and "at least two" in result.output
