"""Which recipe learns framing from data? Nested grouped CV of several recipes, side by side.

Issue 8 asks for a model that "lets the data speak": one frame's cue terms must not push
another frame's score unless cross-validation shows that it helps. This compares, on the
seed labels plus the constructed corpus (``labels/``), by nested grouped cross-validation
(whole articles held out; settings, calibration and thresholds chosen inside each fold):

  today      -- the recipe before issue 8: every frame sees every cue column, the cue weight
                searched over {0, 1, 2}
  ngrams     -- word and char n-grams only, no cue block
  own cues   -- a cue block, but each frame sees only its own cue columns
  own+weight -- own cues, and hand-labelled real sentences weighted against constructed ones
  shipped    -- own cues with the shipped search (``SEARCHES["full"]`` in framing.train: C
                {8, 32} x cue weight {0.25, 0.5}), as ``framing train`` does
  keyword    -- no learning: a frame where any of its cue terms occurs (the baseline)

Each learned recipe but ``shipped`` searches C in {1, 4, 16} plus what defines it. Two test sets, reported
separately and never pooled:

  seed    -- the 5 real seed articles, one held out at a time (training: the other seeds,
             the whole constructed corpus and the codebook examples);
  corpus  -- the constructed corpus, five folds of whole crises (training: the other
             crises' articles, all seeds, the codebook examples).

Run: ``.venv/bin/python bench/recipes.py [--only NAME ...] [--jobs N]``. Slow (tens of minutes on two
shared cores); prints figures and writes nothing. It does not read the challenge set.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from framing.codebook import Codebook
from framing.features import cue_term
from framing.labels import load_training_data
from framing.train import CORPUS, LABELLED, SEARCHES, FoldCache, nested_cv, report, training_rows

C_GRID = [1.0, 4.0, 16.0]
RECIPES: dict[str, dict[str, list[Any]]] = {
    "today": {"C": C_GRID, "min_df": [1], "cue_weight": [0.0, 1.0, 2.0], "cue_mode": ["all"]},
    "ngrams": {"C": C_GRID, "min_df": [1], "cue_weight": [0.0], "cue_mode": ["all"]},
    "own cues": {"C": C_GRID, "min_df": [1], "cue_weight": [1.0, 2.0], "cue_mode": ["own"]},
    "own+weight": {"C": C_GRID, "min_df": [1], "cue_weight": [1.0], "cue_mode": ["own"],
                   "labelled_weight": [1.0, 3.0, 10.0]},
    "shipped": SEARCHES["full"],
}
SETS = {"seed": (LABELLED,), "corpus": (CORPUS,)}


def keyword_predictions(texts: list[str], codebook: Codebook) -> np.ndarray:
    """1 where a text contains any of the frame's cue terms as whole words, else 0."""
    terms = [{cue_term(c) for c in frame.cues} - {""} for frame in codebook.frames]
    pred = np.zeros((len(texts), len(terms)), dtype=np.int8)
    for row, text in enumerate(texts):
        words = f" {cue_term(text)} "
        for k, frame_terms in enumerate(terms):
            pred[row, k] = any(f" {term} " in words for term in frame_terms)
    return pred


def line(name: str, result: dict[str, Any]) -> str:
    micro, macro = result["micro"], result["macro"]
    calibration = f"  ECE {micro['ece']:.3f}  Brier {micro['brier']:.4f}" if "ece" in micro else ""
    return (f"  {name:<12} micro P {micro['precision']:.2f} R {micro['recall']:.2f} "
            f"F1 {micro['f1']:.3f}   macro F1 {macro['f1']:.3f}{calibration}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=list(RECIPES), help="recipes to run")
    parser.add_argument("--jobs", type=int, default=1, help="processes for the outer folds")
    args = parser.parse_args()
    data, book = load_training_data()
    rows = training_rows(data, book)
    cues = {f.id: list(f.cues) for f in book.frames}
    print(f"{len(rows.texts)} rows: {int((rows.origin == LABELLED).sum())} seed, "
          f"{int((rows.origin == CORPUS).sum())} constructed corpus, "
          f"{int((rows.origin == 'example').sum())} codebook examples")
    per_frame: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in SETS}
    shared: FoldCache = {}
    for set_name, test in SETS.items():
        rows_tested = np.flatnonzero(rows.origin == test[0])
        truth = rows.Y[rows_tested]
        keyword = report(truth, keyword_predictions([rows.texts[i] for i in rows_tested], book),
                         rows.frame_ids)
        print(f"\n== {set_name}: {len(rows_tested)} test sentences ==", flush=True)
        print(line("keyword", keyword), flush=True)
        per_frame[set_name]["keyword"] = keyword
        for name, grid in RECIPES.items():
            if args.only and name not in args.only:
                continue
            start = time.perf_counter()
            result = nested_cv(rows, cues, grid, test=test, shared=shared if args.jobs == 1 else None,
                               jobs=args.jobs)
            per_frame[set_name][name] = result
            print(line(name, result) + f"   ({time.perf_counter() - start:.0f} s)", flush=True)
        shared.clear()  # the folds of the other test set are different
    for set_name, results in per_frame.items():
        print(f"\nper-frame F1, {set_name}:")
        names = list(results)
        print(f"  {'frame':<23}" + "".join(f"{n:>12}" for n in names))
        for frame_id in rows.frame_ids:
            print(f"  {frame_id:<23}" + "".join(f"{results[n]['frames'][frame_id]['f1']:>12.2f}"
                                                for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
