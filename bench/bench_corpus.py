"""Benchmark corpus scoring: throughput against the raw pipeline, --jobs 2 against 1, peak
memory against corpus size, and the cold start of `framing score` against loading the model.

Usage:  .venv/bin/python bench/bench_corpus.py [--sizes 10000 100000] [--inprocess 4000]
                                              [--jobs-size 30000] [--jobs-repeat 3]

The corpora are synthetic: each article is --sentences seed sentences (labels/
seed_sentences.csv) drawn at random with a fixed seed, so every run scores the same text.
Files go to bench/out/ (ignored by git). Figures depend on the machine and on what else
runs on it; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FRAMING = str(BIN / "framing")
TARGETS = {"throughput": 0.8, "jobs": 1.7, "memory": 1.10, "cold": 1.2}


def build_corpus(path: Path, n: int, per_article: int, seed: int) -> int:
    """Write ``n`` synthetic articles as JSONL; return the number of sentences."""
    with open(ROOT / "labels" / "seed_sentences.csv", encoding="utf-8") as f:
        sentences = [row["text"] for row in csv.DictReader(f)]
    rng = random.Random(seed)
    outlets = ["outlet-a", "outlet-b", "outlet-c"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            text = " ".join(rng.sample(sentences, per_article))
            f.write(json.dumps({"id": f"a{i:07d}", "date": f"2024-{i % 12 + 1:02d}-15",
                                "outlet": outlets[i % 3], "text": text}) + "\n")
    return n * per_article


def corpus(out: Path, n: int, per_article: int, seed: int) -> Path:
    path = out / f"corpus-{n}-{per_article}-{seed}.jsonl"
    if not path.exists():
        build_corpus(path, n, per_article, seed)
    return path


def timed_run(command: list[str]) -> tuple[float, int, float]:
    """Wall time (s), peak RSS (kB) and CPU time (s, with its workers) of a child process.

    Measured by /usr/bin/time -v: the peak RSS is the child's own (with --jobs, the largest
    of it and its workers); the CPU time includes the worker processes it waited for.
    """
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")

    def field(name: str) -> float:
        match = re.search(rf"{re.escape(name)}: ([\d.]+)", result.stderr)
        if match is None:
            sys.exit(f"/usr/bin/time printed no {name!r}")
        return float(match.group(1))

    cpu = field("User time (seconds)") + field("System time (seconds)")
    return wall, int(field("Maximum resident set size (kbytes)")), cpu


def sentences_in(scores: Path) -> int:
    with open(scores, encoding="utf-8") as f:
        return sum(json.loads(line)["n_sentences"] for line in f)


def best_walls(commands: list[list[str]], repeat: int) -> list[float]:
    """Best wall time of each command, run in turn ``repeat`` times (so load drift hits all alike)."""
    walls: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for command, times in zip(commands, walls, strict=True):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return [min(times) for times in walls]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def in_process(path: Path, repeat: int) -> tuple[float, float, int, int]:
    """Best-of-``repeat`` seconds of score_corpus and of the raw pipeline on the same sentences."""
    from framing.corpus import score_corpus, worker_model
    from framing.segment import split_sentences

    model = worker_model(None)
    with open(path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    sentences = [s.text for t in texts for s in split_sentences(t)]
    model.pipeline.predict_proba(sentences[:100])  # warm up both paths alike
    end_to_end, raw = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        score_corpus(path, path.with_suffix(".scores.jsonl"), model=model)
        end_to_end.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.pipeline.predict_proba(sentences)
        raw.append(time.perf_counter() - start)
    return min(end_to_end), min(raw), len(texts), len(sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="corpus sizes (articles) for the memory runs")
    parser.add_argument("--inprocess", type=int, default=4000, help="articles for the in-process comparison")
    parser.add_argument("--jobs-size", type=int, default=30_000, help="articles for --jobs 2 against 1")
    parser.add_argument("--jobs-repeat", type=int, default=3, help="runs of each --jobs setting")
    parser.add_argument("--sentences", type=int, default=5, help="sentences per article")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=2, help="repeats of the in-process timings (best kept)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # figures as they come
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(args.sizes)
    print(f"synthetic corpora: {args.sentences} shuffled seed sentences per article, random seed "
          f"{args.seed}; {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    print("load average before: {:.2f} {:.2f} {:.2f} (other processes share the CPUs)".format(
        *os.getloadavg()))
    results: dict[str, bool] = {}

    # 1. one process: framing end to end (read, split, score, write) vs the raw pipeline
    path = corpus(args.out, args.inprocess, args.sentences, args.seed)
    e2e, raw, n_articles, n_sentences = in_process(path, args.repeat)
    ratio = raw / e2e
    results["throughput"] = ratio >= TARGETS["throughput"]
    print(f"\n[1] one process, {n_articles:,} articles / {n_sentences:,} sentences (best of {args.repeat})")
    print(f"  framing score_corpus end to end : {n_articles / e2e:8,.0f} articles/s "
          f"{n_sentences / e2e:8,.0f} sentences/s ({e2e:.2f} s)")
    print(f"  raw pipeline.predict_proba      : {n_sentences / raw:8,.0f} sentences/s ({raw:.2f} s, "
          "pre-split sentences: the ceiling of this stack)")
    print(f"  end to end / raw                : {ratio:.2f}x   target >= {TARGETS['throughput']}x  "
          f"{verdict(results['throughput'])}")

    # 2. the command line, one job, at each size: time and peak memory
    print("\n[2] `framing score-corpus` in a child process (wall time includes start-up)")
    walls, peaks, cpus = {}, {}, {}  # by corpus size
    for n in sizes:
        source = corpus(args.out, n, args.sentences, args.seed)
        scores = args.out / f"scores-{n}.jsonl"
        walls[n], peaks[n], cpus[n] = timed_run([FRAMING, "score-corpus", str(source), "-o", str(scores),
                                                 "--no-progress"])
        print(f"  N={n:>7,}  --jobs 1: {walls[n]:7.1f} s  {n / walls[n]:7,.0f} articles/s  "
              f"{sentences_in(scores) / walls[n]:7,.0f} sentences/s  peak RSS {peaks[n] / 1024:6.0f} MB  "
              f"CPU {cpus[n]:.1f} s")
    small, large = sizes[0], sizes[-1]
    growth = peaks[large] / peaks[small]
    results["memory"] = growth <= TARGETS["memory"]
    print(f"  peak RSS N={large:,} / N={small:,}: {growth:.3f}x   target <= {TARGETS['memory']:.2f}x  "
          f"{verdict(results['memory'])}")

    # 3. --jobs 2 against --jobs 1, run in turn and the best of each kept: on a shared
    # machine, load that comes and goes during one long run would decide the ratio. The
    # workers' start-up (import scikit-learn, load the model) is paid once per run.
    n = args.jobs_size
    source = corpus(args.out, n, args.sentences, args.seed)
    runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for _ in range(args.jobs_repeat):
        for jobs in (1, 2):
            wall, _, cpu = timed_run([FRAMING, "score-corpus", str(source), "-o",
                                      str(args.out / f"scores-{n}-j{jobs}.jsonl"), "--no-progress",
                                      "--jobs", str(jobs)])
            runs[jobs].append((wall, cpu))
    one_job, two_jobs = args.out / f"scores-{n}-j1.jsonl", args.out / f"scores-{n}-j2.jsonl"
    same = one_job.read_bytes() == two_jobs.read_bytes()
    print(f"\n[3] --jobs, N={n:,} (each run {args.jobs_repeat} times in turn, best kept)")
    for jobs, timings in runs.items():
        wall, cpu = min(timings)
        print(f"  --jobs {jobs}: {wall:7.1f} s  {n / wall:7,.0f} articles/s  CPU {cpu:6.1f} s "
              f"({cpu / wall:.2f} CPUs busy on average)   all runs: "
              + ", ".join(f"{w:.1f} s" for w, _ in timings))
    speedup = min(runs[1])[0] / min(runs[2])[0]
    results["jobs"] = speedup >= TARGETS["jobs"] and same
    print(f"  output identical: {same}")
    print(f"  speed-up --jobs 2 / --jobs 1    : {speedup:.2f}x   target >= {TARGETS['jobs']}x  "
          f"{verdict(results['jobs'])}")

    # 4. cold start: scoring one article vs importing scikit-learn and loading the model
    one = args.out / "one.txt"
    with open(ROOT / "labels" / "seed_sentences.csv", encoding="utf-8") as f:
        one.write_text(" ".join(row["text"] for row in list(csv.DictReader(f))[:5]) + "\n", encoding="utf-8")
    python = str(BIN / "python")
    # The shipped model is data now (no pickle); the baseline loads the same model pickled,
    # as models were before issue 12 (see bench/bench_scoring.py for the ratio at 0.35x).
    import joblib

    import framing

    artifact = args.out / "baseline.joblib"
    shipped = framing.load_model()
    joblib.dump({"pipeline": shipped.to_sklearn(), "frame_ids": shipped.frame_ids,
                 "thresholds": shipped.thresholds}, artifact)
    score, joblib_load, framing_load = best_walls([
        [FRAMING, "score", str(one)],
        [python, "-c", f"import sklearn, joblib; joblib.load({str(artifact)!r})"],
        [python, "-c", "import sklearn, joblib, framing; framing.load_model()"]], 7)
    cold = score / joblib_load
    results["cold"] = cold <= TARGETS["cold"]
    print("\n[4] cold start (best of 7, run in turn)")
    print(f"  framing score one.txt                          : {score:.2f} s")
    print(f"  python -c 'import sklearn, joblib; joblib.load' : {joblib_load:.2f} s")
    print(f"  python -c 'import framing; load_model()'        : {framing_load:.2f} s")
    print(f"  framing score / joblib.load baseline           : {cold:.2f}x   target <= {TARGETS['cold']}x  "
          f"{verdict(results['cold'])}")
    print(f"  framing score / framing.load_model baseline    : {score / framing_load:.2f}x")

    print("\nload average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("summary: " + ", ".join(f"{k} {verdict(v)}" for k, v in results.items()))
    if statistics.mean(results.values()) < 1:
        print("(a MISS is reported, not failed: see docs/large-corpora.md for the figures' context)")


if __name__ == "__main__":
    main()
