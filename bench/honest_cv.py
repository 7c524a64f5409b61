"""Why cross-validation can promise more than a held-out dev set gives (issue 13, problem 7).

On SemEval-2023 Task 3 subtask 3 (paragraphs of articles, 19 persuasion techniques), training
reported nested-CV micro-F1 0.39 and the dev set gave 0.229. SemEval cannot be downloaded
here, so this script reproduces the suspected mechanisms on **generated** data built like it:
articles of several paragraphs, each article leaning on a few labels and using its own
vocabulary (names, places, topic words) that says nothing about the labels in other articles.
A separate set of articles plays the dev set. Each mechanism is switched on alone and its
CV figure compared with the dev figure of the same training data:

* **no groups**: paragraphs of one article in different folds (what happened when the file's
  article column was not called ``article``): the model learns an article's own words from its
  sibling paragraphs and is tested on them;
* **thresholds on the test folds**: settings and thresholds chosen on the same out-of-fold
  predictions that are scored (``nested=False``);
* **duplicates across articles**: the same paragraph (boilerplate, a quoted statement) in
  several articles, trained on in one fold and tested in another; framing now puts identical
  texts in one group, and the script also runs the old behaviour for comparison.

Run: ``.venv/bin/python bench/honest_cv.py`` (a few minutes on two cores). Prints micro-F1.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np

import framing.train as train_module
from framing.codebook import Codebook
from framing.evaluate import run_cv
from framing.labels import LabelledSet
from framing.train import FoldSpec, report, train

LABELS = [f"Technique_{c}" for c in "ABCDEFGH"]
CUES = {label: [f"cue{label[-1].lower()}{i}" for i in range(6)] for label in LABELS}
FILLER = [f"word{i}" for i in range(300)]
GRID = {"C": [1.0, 4.0], "min_df": [1]}


def articles(n: int, prefix: str, rng: random.Random, paragraphs: int = 8) -> LabelledSet:
    """``n`` generated articles. Each leans on 1-3 labels; a paragraph carries each of its
    article's labels with probability 0.5 (others 0.03), shows a cue word of a carried label
    with probability 0.45 and a cue of another label with probability 0.25, and always uses
    three of its article's own six words."""
    texts, frames, groups = [], [], []
    for a in range(n):
        leaning = rng.sample(LABELS, rng.randint(1, 3))
        own = [f"{prefix}{a}x{i}" for i in range(6)]
        for _ in range(paragraphs):
            carried = sorted(f for f in LABELS if rng.random() < (0.5 if f in leaning else 0.03))
            words = rng.sample(FILLER, 8) + rng.sample(own, 3)
            words += [rng.choice(CUES[f]) for f in carried if rng.random() < 0.45]
            words += [rng.choice(CUES[f]) for f in LABELS if f not in carried and rng.random() < 0.25 / 8]
            rng.shuffle(words)
            texts.append(" ".join(words) + ".")
            frames.append(tuple(carried))
            groups.append(f"{prefix}{a}")
    return LabelledSet(texts=texts, frames=frames, groups=groups, frame_ids=list(LABELS))


def with_duplicates(data: LabelledSet, share: float, rng: random.Random) -> LabelledSet:
    """``data`` plus copies of a ``share`` of its paragraphs, each put into another article."""
    texts, frames, groups = list(data.texts), list(data.frames), list(data.groups)
    names = sorted(set(groups))
    for i in rng.sample(range(len(texts)), int(share * len(texts))):
        texts.append(data.texts[i])
        frames.append(data.frames[i])
        groups.append(rng.choice([g for g in names if g != data.groups[i]]))
    return LabelledSet(texts=texts, frames=frames, groups=groups, frame_ids=list(LABELS))


def ungrouped(data: LabelledSet) -> LabelledSet:
    return LabelledSet(texts=data.texts, frames=data.frames, groups=[f"row{i}" for i in range(len(data))],
                       frame_ids=data.frame_ids, grouped=False)


def dev_f1(data: LabelledSet, dev: LabelledSet) -> float:
    """Train on ``data`` (settings and thresholds chosen by its CV) and score on ``dev``."""
    result = train(data, BOOK, grid=GRID, nested=False)
    Y = np.array([[f in fs for f in LABELS] for fs in dev.frames], dtype=np.int8)
    pred = (result.model.predict_proba(dev.texts) >= result.model.thresholds).astype(np.int8)
    return float(report(Y, pred, LABELS)["micro"]["f1"])


def cv_f1(data: LabelledSet, *, nested: bool = True) -> float:
    if nested:
        return float(run_cv(data, BOOK, grid=GRID, folds=FoldSpec(n_folds=5)).scores["micro"]["f1"])
    return float(train(data, BOOK, grid=GRID, nested=False, folds=FoldSpec(n_folds=5)).cv["micro"]["f1"])


BOOK = Codebook.from_ids(LABELS)


def main() -> None:
    rng = random.Random(13)
    data = articles(40, "t", rng)
    dev = articles(20, "d", rng)
    duplicated = with_duplicates(data, 0.25, rng)
    start = time.perf_counter()
    rows: list[tuple[str, Any, Any]] = []
    base_dev = dev_f1(data, dev)
    rows.append(("honest: nested CV, grouped by article", cv_f1(data), base_dev))
    rows.append(("no groups: paragraphs of an article across folds", cv_f1(ungrouped(data)), base_dev))
    rows.append(("thresholds and settings chosen on the test folds", cv_f1(data, nested=False), base_dev))
    rows.append(("no groups and thresholds on the test folds", cv_f1(ungrouped(data), nested=False),
                 base_dev))
    dup_dev = dev_f1(duplicated, dev)
    rows.append(("25% duplicates across articles, kept in one group (now)", cv_f1(duplicated), dup_dev))
    merge = train_module.merge_duplicate_groups
    train_module.merge_duplicate_groups = lambda texts, groups, testable: (list(groups), 0)
    try:
        rows.append(("25% duplicates across articles, split over folds (before)", cv_f1(duplicated),
                     dup_dev))
    finally:
        train_module.merge_duplicate_groups = merge
    print(f"generated: {len(data)} paragraphs in 40 articles for training and CV, {len(dev)} in 20 "
          f"other articles as the dev set; {len(LABELS)} labels; micro-F1")
    print(f"{'mechanism':<60}{'CV':>7}{'dev':>7}{'CV - dev':>10}")
    for name, cv, dv in rows:
        print(f"{name:<60}{cv:>7.3f}{dv:>7.3f}{cv - dv:>+10.3f}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
