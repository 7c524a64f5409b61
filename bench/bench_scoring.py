"""Benchmark the scorer against scikit-learn (issue 12's targets), as ratios measured in one run.

Usage:  .venv/bin/python bench/bench_scoring.py [--sentences 20000] [--repeat 5] [--calls 300]

1. Cold start: `framing score one.txt` against `python -c "import sklearn, joblib;
   joblib.load(model)"` on the same model pickled as before (bench/out/baseline.joblib,
   written from Model.to_sklearn()). CPU time (user + system) and wall time, best of
   --repeat runs taken in turn, so load on the machine hits both alike. Target <= 0.35x.
2. Batch scoring: `framing.predict_sentences` (SentenceScore objects with terms) against the
   raw scikit-learn pipeline's `predict_proba` on the same --sentences sentences
   (synthetic: seed and challenge sentences with their words shuffled, so nearly every
   sentence is new text). Target >= 2.0x the raw pipeline's sentences/s.
3. One-sentence `framing.predict` when warm: median ms per call over --calls calls.
   Target <= 2.5 ms.

Figures depend on the machine and on what else runs on it; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMING = str(Path(sys.executable).parent / "framing")
TARGETS = {"cold": 0.35, "batch": 2.0, "one_ms": 2.5}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` synthetic sentences: real ones with their words shuffled (fixed seed)."""
    texts = []
    for name in ("labels/seed_sentences.csv", "bench/challenge.csv"):
        with open(ROOT / name, encoding="utf-8", newline="") as fh:
            texts += [row["text"] for row in csv.DictReader(fh)]
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        words = rng.choice(texts).split()
        rng.shuffle(words)
        out.append(" ".join(words))
    return out


def run_cpu(command: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return cpu, wall


def cold_start(out: Path, repeat: int) -> None:
    import joblib

    import framing

    out.mkdir(parents=True, exist_ok=True)
    baseline = out / "baseline.joblib"
    model = framing.load_model()
    joblib.dump({"pipeline": model.to_sklearn(), "frame_ids": model.frame_ids,
                 "thresholds": model.thresholds}, baseline)
    article = out / "one.txt"
    article.write_text("Troops were ordered to shoot to kill after what the president called a coup "
                       "attempt by foreign-trained terrorists.\n", encoding="utf-8")
    commands = {
        "framing score one.txt": [FRAMING, "score", str(article), "--format", "json"],
        "import sklearn, joblib; joblib.load": [sys.executable, "-c",
                                                f"import sklearn, joblib; joblib.load({str(baseline)!r})"],
        "python -c 'import framing'": [sys.executable, "-c", "import framing"],
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(run_cpu(command))
    best = {name: (min(c for c, _ in r), min(w for _, w in r)) for name, r in runs.items()}
    print(f"1. cold start (best of {repeat}, CPU and wall):")
    for name, (cpu, wall) in best.items():
        print(f"  {name:<40} {cpu:6.2f} s CPU  {wall:6.2f} s wall")
    score, base = best["framing score one.txt"], best["import sklearn, joblib; joblib.load"]
    ratio_cpu, ratio_wall = score[0] / base[0], score[1] / base[1]
    print(f"  framing score / joblib.load baseline: {ratio_cpu:.2f}x CPU, {ratio_wall:.2f}x wall   "
          f"target <= {TARGETS['cold']}x  {verdict(ratio_cpu <= TARGETS['cold'])}")


def batch(n: int) -> None:
    import framing

    model = framing.load_model()
    pipeline = model.to_sklearn()
    texts = sentences(n)
    framing.predict_sentences(texts[:200], model=model)  # warm up both paths alike
    pipeline.predict_proba(texts[:200])
    start = time.process_time()
    scored = framing.predict_sentences(texts, model=model)
    ours = time.process_time() - start
    start = time.process_time()
    raw = pipeline.predict_proba(texts)
    theirs = time.process_time() - start
    assert len(scored) == len(raw) == n
    worst = max(abs(s.scores[f] - raw[i, k]) for i, s in enumerate(scored)
                for k, f in enumerate(model.frame_ids))
    with_terms = sum(1 for s in scored if s.terms)
    ratio = theirs / ours
    print(f"2. {n:,} sentences ({with_terms:,} with terms shown), CPU time:")
    print(f"  framing.predict_sentences        : {n / ours:8,.0f} sentences/s ({ours:.2f} s)")
    print(f"  scikit-learn pipeline.predict_proba: {n / theirs:8,.0f} sentences/s ({theirs:.2f} s)")
    print(f"  predict_sentences / raw predict_proba: {ratio:.2f}x   target >= {TARGETS['batch']}x  "
          f"{verdict(ratio >= TARGETS['batch'])}   (largest difference in a probability: {worst:.1e})")


def one_sentence(calls: int) -> None:
    import framing

    model = framing.load_model()
    text = "The president vowed to destroy the bandits sent from abroad."
    framing.predict(text, model=model)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        framing.predict(text, model=model)
        times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    print(f"3. one-sentence framing.predict, warm: median {ms:.2f} ms per call over {calls} calls   "
          f"target <= {TARGETS['one_ms']} ms  {verdict(ms <= TARGETS['one_ms'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    cold_start(ROOT / "bench" / "out", args.repeat)
    batch(args.sentences)
    one_sentence(args.calls)


if __name__ == "__main__":
    main()
