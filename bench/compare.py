"""Compare the full model with two simpler ones, on real and on constructed sentences.

What it measures: per-frame F1 and micro/macro precision, recall and F1 of

(a) full     -- the shipped recipe, ``train()`` with its defaults (cue block and the
                codebook's constructed examples, settings chosen by grouped CV);
(b) plain    -- TF-IDF + logistic regression on the labelled sentences alone
                (``train(..., use_codebook=False)``: no cue block, no constructed examples);
(c) keyword  -- no learning: a frame is predicted when any of its codebook cue terms occurs
                as whole words in the normalised sentence.

on two sets, reported separately:

1. seed CV   -- nested grouped cross-validation over the hand-labelled seed sentences
                (real article text; whole articles held out, settings and thresholds chosen
                inside each fold). The keyword baseline fits nothing, so its score is simply
                its score on every seed sentence.
2. challenge -- bench/challenge.csv, sentences about OTHER crises that were CONSTRUCTED for
                this benchmark (not real article text) and never used for training; (a) and
                (b) are trained on all seed labels first.

Run from anywhere: ``.venv/bin/python bench/compare.py``. It prints figures and writes nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from framing.codebook import Codebook
from framing.evaluate import evaluate_model
from framing.features import cue_term
from framing.labels import LabelledSet, load_training_data, read_labelled
from framing.train import report, train, training_rows

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "labels"
CODEBOOK = LABELS / "codebook.toml"
CHALLENGE = REPO / "bench" / "challenge.csv"
SYSTEMS = ("full", "plain", "keyword")
SETS = ("seed CV", "challenge")


def keyword_predictions(texts: list[str], codebook: Codebook) -> np.ndarray:
    """1 where a text contains any of the frame's cue terms as whole words, else 0."""
    terms = [{cue_term(c) for c in frame.cues} - {""} for frame in codebook.frames]
    pred = np.zeros((len(texts), len(terms)), dtype=np.int8)
    for row, text in enumerate(texts):
        words = f" {cue_term(text)} "  # the sentence as the analyser sees it, padded for whole words
        for k, frame_terms in enumerate(terms):
            pred[row, k] = any(f" {term} " in words for term in frame_terms)
    return pred


def keyword_report(data: LabelledSet, codebook: Codebook) -> dict[str, Any]:
    truth = training_rows(data, codebook, use_examples=False).Y
    return report(truth, keyword_predictions(data.texts, codebook), codebook.ids)


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run() -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, float], LabelledSet, LabelledSet]:
    data, codebook = load_training_data(LABELS, CODEBOOK)
    challenge = read_labelled(CHALLENGE, group_column="crisis", codebook=codebook)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    for system, use_codebook in (("full", True), ("plain", False)):
        note(f"training {system} (nested CV, search, final fit) ...")
        start = time.perf_counter()
        trained = train(data, codebook, use_codebook=use_codebook)
        seconds[system] = time.perf_counter() - start
        # train() runs the same nested grouped CV as cross_validate() on the same grid, so its
        # scores are reused rather than computed a second time.
        results[system, "seed CV"] = trained.cv
        results[system, "challenge"] = evaluate_model(trained.model, challenge)
    results["keyword", "seed CV"] = keyword_report(data, codebook)
    results["keyword", "challenge"] = keyword_report(challenge, codebook)
    return results, seconds, data, challenge


def table(results: dict[tuple[str, str], dict[str, Any]], frame_ids: list[str]) -> list[str]:
    cell = 8
    width = max(len(f) for f in frame_ids) + 2
    group = cell * len(SYSTEMS)
    lines = [(" " * width + "".join(f"{s:<{group + 5}}" for s in
                                    ("seed CV (real text)", "challenge (CONSTRUCTED)"))).rstrip(),
             f"{'F1 per frame':<{width}}" + "".join(
                 f"{'n':>5}" + "".join(f"{system:>{cell}}" for system in SYSTEMS) for _ in SETS)]
    for frame_id in frame_ids:
        line = f"{frame_id:<{width}}"
        for s in SETS:
            line += f"{results['full', s]['frames'][frame_id]['support']:>5}"
            line += "".join(f"{results[system, s]['frames'][frame_id]['f1']:>{cell}.2f}"
                            for system in SYSTEMS)
        lines.append(line)
    lines.append("")
    for kind in ("micro", "macro"):
        for measure, label in (("precision", "P"), ("recall", "R"), ("f1", "F1")):
            line = f"{kind + ' ' + label:<{width}}"
            for s in SETS:
                line += " " * 5 + "".join(f"{results[system, s][kind][measure]:>{cell}.2f}"
                                          for system in SYSTEMS)
            lines.append(line)
        lines.append("")
    return lines


def main() -> None:
    results, seconds, data, challenge = run()
    frame_ids = list(results["full", "seed CV"]["frames"])
    print("full = train() defaults (cue block + constructed examples); plain = TF-IDF + LR, "
          "no codebook;\nkeyword = any codebook cue term as whole words in the normalised sentence")
    print(f"seed CV: {results['full', 'seed CV']['method']}; {len(data)} real sentences "
          f"from {len(set(data.groups))} articles (keyword: scored on all of them, it fits nothing)")
    print(f"challenge: {len(challenge)} CONSTRUCTED sentences from other crises "
          f"({len(set(challenge.groups))} crises), never trained on; full and plain trained on "
          "all seed labels")
    print()
    print("\n".join(table(results, frame_ids)).rstrip())
    print()
    print("training time (train(): nested CV + settings search + final fit): "
          + ", ".join(f"{system} {seconds[system]:.1f} s" for system in ("full", "plain"))
          + "; keyword: none")


if __name__ == "__main__":
    main()
