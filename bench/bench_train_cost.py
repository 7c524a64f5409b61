"""Training's CPU cost: the shipped labels trained with the reference fitting path and the
fast one, alternating in one process, with the CPU ratio and whether the models are identical.

The reference path is the code as it was before issue 12's training item: every
cross-validation fold fits its own vectorisers (``framing.train.SHARE_COUNTS = False``) and
every frame is a scikit-learn ``LogisticRegression.fit`` (``framing.classifier._train_wrap``
unset, the fallback the classifier keeps). The fast path shares term counts across folds and
calls liblinear directly. Both are ``framing train --shipped-labels --jobs 1`` (nested CV as
``train`` decides), so every fit is in this process and ``time.process_time`` sees all of it.
Target (issue 12): fast / reference <= 0.75 CPU, identical model.

Run: ``.venv/bin/python bench/bench_train_cost.py [--search quick|full] [--rounds 2]``.
Minutes long (quick: about 2 min per reference run). Prints figures, writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator

import numpy as np

from framing import classifier, train
from framing.labels import load_training_data


@contextlib.contextmanager
def reference_path() -> Iterator[None]:
    """The fitting path as it was: per-fold vectorisers, scikit-learn's LogisticRegression."""
    saved = train.SHARE_COUNTS, classifier._train_wrap
    train.SHARE_COUNTS, classifier._train_wrap = False, None
    try:
        yield
    finally:
        train.SHARE_COUNTS, classifier._train_wrap = saved


def identical(a: train.TrainResult, b: train.TrainResult) -> bool:
    """Same coefficients, intercepts, thresholds, chosen settings and CV reports."""
    ca, cb = a.model.pipeline[-1], b.model.pipeline[-1]
    return bool(np.array_equal(ca.coef_, cb.coef_) and np.array_equal(ca.intercept_, cb.intercept_)
                and np.array_equal(a.model.thresholds, b.model.thresholds)
                and a.params == b.params and a.cv == b.cv and a.cv_constructed == b.cv_constructed
                and a.model.meta["calibration"] == b.model.meta["calibration"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--search", choices=["quick", "full"], default="quick")
    parser.add_argument("--rounds", type=int, default=2, help="reference/fast pairs to run")
    args = parser.parse_args()
    data, book = load_training_data()
    print(f"framing train on the shipped labels ({len(data)} texts), search {args.search}, "
          f"jobs 1, {args.rounds} rounds of reference then fast", flush=True)
    times: dict[str, list[float]] = {"reference": [], "fast": []}
    results: dict[str, list[train.TrainResult]] = {"reference": [], "fast": []}
    for round_ in range(1, args.rounds + 1):
        for name in ("reference", "fast"):
            context = reference_path() if name == "reference" else contextlib.nullcontext()
            with context:
                start = time.process_time()
                result = train.train(data, book, search=args.search)
                seconds = time.process_time() - start
            times[name].append(seconds)
            results[name].append(result)
            print(f"round {round_} {name:<9} CPU {seconds:7.1f} s", flush=True)
    reference, fast = sum(times["reference"]), sum(times["fast"])
    same = all(identical(results["reference"][0], r) for r in results["reference"][1:] + results["fast"])
    ratios = [f / r for f, r in zip(times["fast"], times["reference"], strict=True)]
    print(f"CPU fast / reference: {fast / reference:.3f} (target <= 0.75); "
          f"per round: {', '.join(f'{x:.3f}' for x in ratios)}")
    print(f"models identical (coefficients, intercepts, thresholds, settings, CV reports): "
          f"{'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
