"""How training time grows with the data: ``framing.train`` on synthetic sets of 1k, 3k, 10k
sentences, and the shipped model's own training, timed in one run.

The synthetic sets are made from the shipped labels (seed + constructed corpus): each
synthetic sentence is a labelled sentence with a quarter of its words replaced by words drawn
from the whole vocabulary, keeping its frames, grouped 20 to an article. That keeps the
vocabulary growing with size as real text does, which is what costs time; the words are
nonsense and the scores mean nothing. What it measures: wall time of ``train()`` per size,
with ``--search quick`` and ``full``, nested CV as ``train`` decides by default (nested up to
5,000 texts), and the ratio to the 1k time. Goals (issue 8): 10,000 sentences in under 10
minutes; the shipped model in under 3.

Run: ``.venv/bin/python bench/bench_train.py [--sizes 1000 3000 10000] [--search quick full]``.
Prints figures, writes nothing. Minutes long; the machine is shared, so read the ratios.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from framing.labels import LabelledSet, load_training_data
from framing.train import train


def synthetic(base: LabelledSet, size: int, seed: int = 0) -> LabelledSet:
    rng = random.Random(seed)
    vocabulary = sorted({w for t in base.texts for w in t.split()})
    texts, frames, groups = [], [], []
    for i in range(size):
        j = rng.randrange(len(base))
        words = base.texts[j].split()
        for k in range(len(words)):
            if rng.random() < 0.25:
                words[k] = rng.choice(vocabulary)
        texts.append(" ".join(words))
        frames.append(base.frames[j])
        groups.append(f"synthetic-{i // 20}")
    return LabelledSet(texts=texts, frames=frames, groups=groups, frame_ids=base.frame_ids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=[1000, 3000, 10000])
    parser.add_argument("--search", nargs="*", default=["quick", "full"])
    parser.add_argument("--shipped", action="store_true", help="also time the shipped model's training")
    args = parser.parse_args()
    base, book = load_training_data()
    if args.shipped:
        start = time.perf_counter()
        result = train(base, book)
        print(f"shipped model ({len(base)} texts, search full, nested CV): "
              f"{time.perf_counter() - start:.0f} s (goal: under 180 s)", flush=True)
        del result
    for search in args.search:
        first = None
        for size in args.sizes:
            data = synthetic(base, size)
            start = time.perf_counter()
            result = train(data, book, search=search)
            seconds = time.perf_counter() - start
            first = first or seconds
            print(f"search {search:<5} {size:>6} sentences: {seconds:7.1f} s  "
                  f"({seconds / first:5.1f}x the {args.sizes[0]} time; nested CV "
                  f"{'yes' if result.cv['nested'] else 'no'})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
