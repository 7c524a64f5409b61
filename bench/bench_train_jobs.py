"""`framing train --jobs 2` against `--jobs 1` on a generated 10,000-sentence file.

The file is generated (never real text): 1,000 articles of 10 sentences, each sentence built
from a template of one of six frames (or none) with article-specific names and filler
words, so that the features are not trivial. Both runs train with ``--search quick`` through
the command line in a fresh process each, and the script prints the wall time of each, the
ratio, and whether the two models are the same byte for byte (they must be).

Run: ``.venv/bin/python bench/bench_train_jobs.py [--sentences 10000] [--search quick]``.
It takes a few minutes on two cores; run it when the machine is otherwise quiet.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FRAMES = {
    "Economy": ["fuel prices rose sharply in {place}", "wages in {place} have not kept up with bread prices",
                "the subsidy cuts hit families in {place}"],
    "Terror_Label": ["officials called the marchers in {place} terrorists",
                     "bandits attacked {place} overnight",
                     "a counterterrorist operation began in {place}"],
    "Talks": ["leaders urged calm and dialogue in {place}", "both sides in {place} agreed to negotiations",
              "the envoy called for restraint in {place}"],
    "Casualties": ["{n} people were killed in {place}", "hospitals in {place} treated {n} wounded",
                   "the death toll in {place} rose to {n}"],
    "Foreign-Hand": ["foreign agents were blamed for the unrest in {place}",
                     "the ministry said groups trained abroad stirred {place}",
                     "outside forces were accused of funding protests in {place}"],
    "Order": ["order was restored in {place} by the evening", "the curfew in {place} was lifted",
              "life in {place} returned to normal"],
}
FILLER = ("reporters", "on Tuesday", "according to witnesses", "the statement said",
          "in a televised address", "late at night", "after the meeting", "local media reported",
          "as crowds gathered", "officials added")
NEUTRAL = ["the weather in {place} was cold", "the market in {place} opened at nine",
           "a football match in {place} was postponed", "traffic in {place} was light"]


def generate(path: Path, sentences: int, seed: int = 0) -> None:
    """Write ``sentences`` generated rows (article, text, frames) to ``path``."""
    rng = random.Random(seed)
    names = list(FRAMES)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["article", "text", "frames"])
        for i in range(sentences):
            article = i // 10
            place = f"town{article % 400}"
            chosen = rng.sample(names, rng.choice([0, 1, 1, 1, 2]))
            parts = [rng.choice(FRAMES[f]) for f in chosen] or [rng.choice(NEUTRAL)]
            parts.append(rng.choice(FILLER))
            rng.shuffle(parts)
            text = ", ".join(parts).format(place=place, n=rng.randint(2, 300)).capitalize() + "."
            writer.writerow([f"art{article:05d}", text, ";".join(sorted(chosen))])


CUES = {"Economy": ["prices", "wages", "subsidy"], "Terror_Label": ["terrorists", "bandits"],
        "Talks": ["dialogue", "negotiations", "restraint"], "Casualties": ["killed", "wounded"],
        "Foreign-Hand": ["foreign", "abroad"], "Order": ["order was restored", "curfew"]}


def write_codebook(path: Path) -> None:
    """A codebook for the generated frames: names, definitions, cue terms (so ``--search``
    searches the codebook grid)."""
    lines = []
    for frame, cues in CUES.items():
        lines += [f'[frames."{frame}"]', f'name = "{frame}"', f'definition = "Generated frame {frame}."',
                  "cues = [" + ", ".join(f'"{c}"' for c in cues) + "]", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def run(labels: Path, codebook: Path, out: Path, jobs: int, search: str) -> float:
    command = [sys.executable, "-m", "framing.cli", "train", "--labels", str(labels), "--codebook",
               str(codebook), "--out", str(out), "--search", search, "--jobs", str(jobs), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def digest(directory: Path) -> str:
    """sha256 over every file of a model directory but meta.json (which holds the time)."""
    h = hashlib.sha256()
    for file in sorted(directory.iterdir()):
        if file.name != "meta.json":
            h.update(file.name.encode() + b"\0" + file.read_bytes())
    return h.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--search", default="quick", choices=["quick", "full"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "generated.csv"
        generate(labels, args.sentences)
        codebook = Path(tmp) / "codebook.toml"
        write_codebook(codebook)
        print(f"{args.sentences:,} generated sentences in {args.sentences // 10:,} articles, "
              f"--search {args.search}")
        one = run(labels, codebook, Path(tmp) / "jobs1", 1, args.search)
        print(f"  --jobs 1: {one:7.1f} s")
        two = run(labels, codebook, Path(tmp) / "jobs2", 2, args.search)
        print(f"  --jobs 2: {two:7.1f} s")
        print(f"  speed-up --jobs 2 / --jobs 1: {one / two:.2f}x")
        same = digest(Path(tmp) / "jobs1") == digest(Path(tmp) / "jobs2")
        print(f"  models identical byte for byte: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
