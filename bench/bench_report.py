"""Benchmark `framing report`: time and page size on 10,000 and 100,000 scored articles.

Usage:  .venv/bin/python bench/bench_report.py [--sizes 10000 100000] [--sentences 6]

The score files are synthetic but shaped like `score-corpus --sentences` output with the
shipped model's frames: 4 outlets, 24 months, about --sentences sentences per article, a
sidecar. (Scoring 100,000 real articles would take far longer than the report; see
bench_corpus.py for that.) Files go to bench/out/ (ignored by git). The report runs in a
subprocess, as a user runs it, so the time includes Python, numpy and matplotlib start-up.
Target: 100,000 articles in under 60 s, and a page whose size does not grow with the corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMING = str(Path(sys.executable).parent / "framing")
TARGET_SECONDS = 60.0


def write_scores(directory: Path, n: int, per_article: int, seed: int = 1) -> tuple[Path, Path, int]:
    """Write a score file, its sentence table and sidecar; return their paths and the sentence count."""
    meta = json.loads((ROOT / "models" / "default" / "meta.json").read_text(encoding="utf-8"))
    frames, cuts = meta["frame_ids"], meta["thresholds"]
    rng = random.Random(seed)
    outlets = ["Outlet A", "Outlet B", "Outlet C", "Outlet D"]
    directory.mkdir(parents=True, exist_ok=True)
    scores, sentences = directory / "scores.jsonl", directory / "sentences.jsonl"
    total = 0
    with open(scores, "w", encoding="utf-8") as a, open(sentences, "w", encoding="utf-8") as s:
        for i in range(n):
            outlet = outlets[i % 4]
            lean = {f: (0.5 if (j + i % 4) % 5 == 0 else 0.12) for j, f in enumerate(frames)}
            k = max(1, int(rng.expovariate(1 / per_article)))
            rows = [{f: round(rng.random() ** (1 / lean[f] / 4), 4) for f in frames} for _ in range(k)]
            ident = f"a{i:07d}"
            for index, row in enumerate(rows):
                carried = [f for f in frames if row[f] >= cuts[f]]
                s.write(json.dumps({"id": ident, "index": index, "start": 0, "end": 10,
                                    "text": f"Sentence {index} of article {i}, long enough to read.",
                                    **row, "frames": carried}) + "\n")
            profile = {f: max(r[f] for r in rows) for f in frames}
            a.write(json.dumps({"id": ident, "outlet": outlet,
                                "date": f"{2023 + (i // 4) % 24 // 12}-{(i // 4) % 12 + 1:02d}-15",
                                "url": f"https://news.example/{ident}", "n_sentences": k, **profile,
                                "frames": [f for f in frames if profile[f] >= cuts[f]]}) + "\n")
            total += k
    (directory / "scores.jsonl.framing.json").write_text(json.dumps(
        {"model_sha256": meta["artifact"]["sha256"], "frame_ids": frames, "thresholds": cuts,
         "frame_names": meta["frame_names"], "model": "default", "options": {}, "input": {}}))
    return scores, sentences, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--sentences", type=int, default=6)
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        directory = ROOT / "bench" / "out" / f"report-{n}"
        scores, sentences, total = write_scores(directory, n, args.sentences)
        out = directory / "report.html"
        start = time.perf_counter()
        subprocess.run([FRAMING, "report", str(scores), "--sentences", str(sentences), "--by", "outlet",
                        "--by", "month", "-o", str(out)], check=True, capture_output=True)
        seconds = time.perf_counter() - start
        size = out.stat().st_size
        results.append((n, total, seconds, size))
        print(f"{n:>9,} articles {total:>10,} sentences  report in {seconds:6.1f} s  "
              f"page {size / 1e6:5.2f} MB", flush=True)
    if len(results) > 1:
        (n0, _, t0, s0), (n1, _, t1, s1) = results[0], results[-1]
        print(f"{n1 / n0:.0f}x the articles: {t1 / t0:.1f}x the time, {s1 / s0:.2f}x the page size")
    n, _, seconds, _ = results[-1]
    verdict = "meets" if seconds < TARGET_SECONDS * n / 100_000 else "misses"
    print(f"target: 100,000 articles in under {TARGET_SECONDS:.0f} s ({verdict} it at {n:,})")


if __name__ == "__main__":
    main()
