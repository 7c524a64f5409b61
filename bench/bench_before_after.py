"""Benchmark `framing score-corpus --jobs 1` before issue 12 against the current code (issue 12's
target: >= 2x today's articles/s), on the same model and the same corpus, in one run.

Usage:  .venv/bin/python bench/bench_before_after.py [--articles 10000] [--repeat 3] [--retrain]

"Before" is commit 1569ce8 (the last commit before any issue-12 work), taken out of git with
`git archive` into a temporary directory, never touching this working tree, and run with this
venv's python and PYTHONPATH pointing at it. The script checks that `import framing` then
resolves to that copy (the venv has the current code installed in editable mode), and that
without PYTHONPATH it resolves to this working tree.

1. The model: trained once by the before-code on its own shipped labels (`framing train`
   with its defaults, about a minute: the normal model with the codebook's cue block; kept
   in bench/out/ and reused until --retrain), then converted by the current code with
   `framing model convert OLD --trust-pickle --out NEW`. Both versions' `predict_proba` on
   a sample of texts (seed sentences, the challenge set, a few odd strings) must agree to
   1e-9.
2. The corpus: bench/bench_corpus.py's synthetic JSONL (--sentences seed sentences per
   article, fixed seed), --articles of them in bench/out/ (ignored by git).
3. The timing: `framing score-corpus CORPUS -o OUT.jsonl --jobs 1 --no-progress --model DIR`
   run as a child process, before and after in turn for --repeat rounds (so load on the
   shared machine hits both alike), each to a fresh output file. Wall time, and CPU time
   (user + system) and peak RSS from os.wait4. Each round also scores a one-article corpus,
   to show how much of the time is start-up (imports and model load).
   Reported: articles/s per run, and the median over rounds of after/before articles/s,
   for wall and for CPU time; PASS when the wall ratio is >= 2.0.
4. The output: the two versions' rows for the same ids are compared on what they have in
   common (sentence counts, a score per frame, rounded to 4 decimals by both, and the frames
   present); columns only one version writes are named.

Figures depend on the machine and on what else runs on it; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_corpus import corpus  # noqa: E402 - bench/ is not a package

FRAMING = str(Path(sys.executable).parent / "framing")
PYTHON = sys.executable
BEFORE = "1569ce8adf53b8a6e9687293c19d857992a91bdf"  # the code before issue 12
TARGET = 2.0
PROBA_TOLERANCE = 1e-9
# Both versions round scores to 4 decimals when writing; the same probability can round one
# unit apart only if the two differ in the last bits around a tie, so allow one unit.
OUTPUT_TOLERANCE = 1e-4 + 1e-12

# Run in each environment: the version's own load_model and predict_proba on the same texts.
PROBA_SNIPPET = """
import json, sys
import framing
from framing.model import load_model
model = load_model(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as f:
    texts = json.load(f)
json.dump({"file": framing.__file__, "frame_ids": list(model.frame_ids),
           "proba": model.predict_proba(texts).tolist()}, sys.stdout)
"""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def extract_before(target: Path) -> Path:
    """The before-code's tree, from `git archive` (the working tree is not touched)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def environments(tree: Path) -> dict[str, dict[str, str]]:
    """Environment variables for each version: PYTHONPATH=tree for before, none for after."""
    after = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {"before": {**after, "PYTHONPATH": str(tree)}, "after": after}


def check_imports(envs: dict[str, dict[str, str]], tree: Path, cwd: Path) -> None:
    """Exit unless `import framing` (and its CLI) resolves to the intended copy in each env."""
    expected = {"before": tree / "framing", "after": ROOT / "framing"}
    for name, env in envs.items():
        # The console script runs `from framing.cli import main` with this python: the same lookup.
        out = subprocess.run([PYTHON, "-c", "import framing, framing.cli; print(framing.__file__); "
                              "print(framing.cli.__file__)"], env=env, cwd=cwd, check=True,
                             capture_output=True, text=True).stdout.split()
        ok = all(Path(p).resolve().parent == expected[name].resolve() for p in out)
        print(f"  {name:<6} import framing -> {out[0]}  {'ok' if ok else 'WRONG'}")
        if not ok:
            sys.exit(f"{name}: framing resolves to {out}, expected {expected[name]}")


def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Wall s, CPU s (user + system, the child and anything it waited for) and peak RSS kB."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            sys.exit(f"failed ({child.returncode}): {' '.join(command)}\n"
                     + err.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def train_before(model_dir: Path, tree: Path, env: dict[str, str], retrain: bool) -> None:
    """Train with the before-code on its shipped labels (its defaults), unless already there."""
    if (model_dir / "model.joblib").exists() and not retrain:
        print(f"  before-code model: reused {model_dir} (--retrain to train it again)")
        return
    # Its defaults read labels/ and labels/codebook.toml relative to the working directory.
    wall, cpu, _ = run([FRAMING, "train", "--out", str(model_dir)], env, tree)
    print(f"  before-code model: `framing train` (its defaults, shipped labels) -> {model_dir} "
          f"({wall:.0f} s)")


def sample_texts(n_corpus: int, corpus_path: Path) -> list[str]:
    """Seed sentences, the challenge set, whole corpus articles and a few odd strings."""
    with open(ROOT / "labels" / "seed_sentences.csv", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    with open(ROOT / "bench" / "challenge.csv", encoding="utf-8") as f:
        texts += [row["text"] for row in csv.DictReader(f)]
    with open(corpus_path, encoding="utf-8") as f:
        texts += [json.loads(line)["text"] for _, line in zip(range(n_corpus), f, strict=False)]
    return texts + ["", " ", "A", "Ünïcödé — “quoted” text… 42%", "riot police riot police " * 20]


def check_probabilities(old: Path, new: Path, texts: list[str], envs: dict[str, dict[str, str]],
                        scratch: Path) -> list[str]:
    """Exit unless both versions give the same probabilities; return the frame ids."""
    path = scratch / "texts.json"
    path.write_text(json.dumps(texts), encoding="utf-8")
    got = {}
    for name, model in (("before", old), ("after", new)):
        out = subprocess.run([PYTHON, "-c", PROBA_SNIPPET, str(model), str(path)], env=envs[name],
                             cwd=scratch, check=True, capture_output=True, text=True).stdout
        got[name] = json.loads(out)
    same_frames = got["before"]["frame_ids"] == got["after"]["frame_ids"]
    diff = max(abs(a - b) for ra, rb in zip(got["before"]["proba"], got["after"]["proba"], strict=True)
               for a, b in zip(ra, rb, strict=True))
    ok = same_frames and diff <= PROBA_TOLERANCE
    print(f"  predict_proba, before-code on {old.name}/ vs current code on {new.name}/: "
          f"{len(texts)} texts x {len(got['before']['frame_ids'])} frames, same frame order: "
          f"{same_frames}, max |difference| {diff:.1e} (tolerance {PROBA_TOLERANCE:.0e})  "
          f"{'ok' if ok else 'DIFFERENT'}")
    if not ok:
        sys.exit("the two models disagree: the timings would not compare the same model")
    return list(got["before"]["frame_ids"])


def read_rows(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as f:
        return {row["id"]: row for row in map(json.loads, f)}


def compare_outputs(before: Path, after: Path, frame_ids: list[str]) -> bool:
    """Print how the two versions' article rows compare; True when they agree."""
    old, new = read_rows(before), read_rows(after)
    only_old = sorted({k for r in old.values() for k in r} - {k for r in new.values() for k in r})
    only_new = sorted({k for r in new.values() for k in r} - {k for r in old.values() for k in r})
    common = old.keys() & new.keys()
    diff = max((abs(old[i][f] - new[i][f]) for i in common for f in frame_ids), default=0.0)
    n_sent = sum(old[i]["n_sentences"] != new[i]["n_sentences"] for i in common)
    frames_set = sum(set(old[i]["frames"]) != set(new[i]["frames"]) for i in common)
    frames_order = sum(old[i]["frames"] != new[i]["frames"] for i in common) - frames_set
    carried = sum(any(old[i][k] != new[i][k] for k in ("date", "outlet")) for i in common)
    ok = (len(common) == len(old) == len(new) and diff <= OUTPUT_TOLERANCE and not n_sent
          and not frames_set and not frames_order and not carried)
    print(f"  ids: {len(old):,} before, {len(new):,} after, {len(common):,} in both")
    print(f"  frame scores: max |difference| {diff:.1e} (both round to 4 decimals; tolerance 1e-4)")
    print(f"  rows whose n_sentences differ: {n_sent}; frames differ: {frames_set} (as sets), "
          f"{frames_order} (order only); carried date/outlet differ: {carried}")
    print(f"  columns only before: {only_old or 'none'}; only after: {only_new or 'none'}")
    print(f"  same frames and scores for the same ids: {'yes' if ok else 'NO'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000,
                        help="articles in the corpus (10,000: about 20 s a run for the before-code here)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of before, after")
    parser.add_argument("--sentences", type=int, default=5, help="sentences per article")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retrain", action="store_true", help="train the before-code's model again")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # figures as they come
    args.out.mkdir(parents=True, exist_ok=True)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    print(f"score-corpus --jobs 1, before ({BEFORE[:7]}) against after (this working tree, HEAD "
          f"{head}); {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    print("load average before: {:.2f} {:.2f} {:.2f} (other processes share the CPUs)".format(
        *os.getloadavg()))

    with tempfile.TemporaryDirectory(prefix="bench-before-after-") as tmp:
        scratch = Path(tmp)
        tree = extract_before(scratch / "before")
        envs = environments(tree)
        print(f"\n[1] the two versions (before-code from `git archive {BEFORE[:7]}` into {tree})")
        check_imports(envs, tree, scratch)

        print("\n[2] one model in both formats")
        old_model = args.out / f"model-before-{BEFORE[:7]}"
        new_model = args.out / f"model-before-{BEFORE[:7]}-converted"
        train_before(old_model, tree, envs["before"], args.retrain)
        if new_model.exists():
            for path in new_model.iterdir():
                path.unlink()
            new_model.rmdir()
        subprocess.run([FRAMING, "model", "convert", str(old_model), "--trust-pickle", "--out",
                        str(new_model)], env=envs["after"], cwd=scratch, check=True, capture_output=True)
        print(f"  converted by the current code: `framing model convert ... --trust-pickle` -> {new_model}")
        source = corpus(args.out, args.articles, args.sentences, args.seed)
        frame_ids = check_probabilities(old_model, new_model, sample_texts(200, source), envs, scratch)

        one = scratch / "one.jsonl"
        with open(source, encoding="utf-8") as f:
            one.write_text(f.readline(), encoding="utf-8")
        models = {"before": old_model, "after": new_model}
        runs: dict[str, list[tuple[float, float, int]]] = {"before": [], "after": []}
        starts: dict[str, list[float]] = {"before": [], "after": []}
        outputs: dict[str, list[Path]] = {"before": [], "after": []}
        print(f"\n[3] `framing score-corpus {source.name} --jobs 1` ({args.articles:,} articles, "
              f"{args.sentences} sentences each), before and after in turn, {args.repeat} rounds")
        for r in range(args.repeat):
            for name in ("before", "after"):
                output = scratch / f"scores-{name}-{r}.jsonl"
                command = [FRAMING, "score-corpus", str(source), "-o", str(output), "--jobs", "1",
                           "--no-progress", "--model", str(models[name])]
                wall, cpu, rss = run(command, envs[name], scratch)
                one_wall, _, _ = run([FRAMING, "score-corpus", str(one), "-o",
                                   str(scratch / f"one-{name}-{r}.jsonl"), "--jobs", "1", "--no-progress",
                                   "--model", str(models[name])], envs[name], scratch)
                runs[name].append((wall, cpu, rss))
                starts[name].append(one_wall)
                outputs[name].append(output)
                print(f"  round {r + 1} {name:<6}: {wall:6.1f} s  {args.articles / wall:6,.0f} articles/s  "
                      f"CPU {cpu:6.1f} s ({args.articles / cpu:6,.0f} articles per CPU-s)  "
                      f"peak RSS {rss / 1024:4.0f} MB  | one-article run {one_wall:.2f} s")

        wall_ratios = [b[0] / a[0] for b, a in zip(runs["before"], runs["after"], strict=True)]
        cpu_ratios = [b[1] / a[1] for b, a in zip(runs["before"], runs["after"], strict=True)]
        wall_ratio, cpu_ratio = statistics.median(wall_ratios), statistics.median(cpu_ratios)
        med = {name: statistics.median(w for w, _, _ in runs[name]) for name in runs}
        start = {name: statistics.median(starts[name]) for name in starts}
        print(f"  median articles/s: before {args.articles / med['before']:,.0f}, "
              f"after {args.articles / med['after']:,.0f}")
        print("  after / before articles/s, per round: wall "
              + ", ".join(f"{x:.2f}x" for x in wall_ratios) + "; CPU "
              + ", ".join(f"{x:.2f}x" for x in cpu_ratios))
        net = (med["before"] - start["before"]) / (med["after"] - start["after"])
        print(f"  start-up (one-article run, median): before {start['before']:.2f} s, after "
              f"{start['after']:.2f} s; without it, after / before articles/s {net:.2f}x")
        print(f"  median after / before, CPU time : {cpu_ratio:.3f}x   target >= {TARGET}x  "
              f"{verdict(cpu_ratio >= TARGET)}")
        print(f"  median after / before, wall time: {wall_ratio:.3f}x   target >= {TARGET}x  "
              f"{verdict(wall_ratio >= TARGET)}")

        print("\n[4] the outputs")
        for name, paths in outputs.items():
            same = all(p.read_bytes() == paths[0].read_bytes() for p in paths[1:])
            print(f"  {name}: the {len(paths)} runs wrote identical files: {same}")
        agree = compare_outputs(outputs["before"][-1], outputs["after"][-1], frame_ids)

    print("\nload average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"summary: score-corpus --jobs 1 after/before {wall_ratio:.3f}x wall, {cpu_ratio:.3f}x CPU "
          f"(target >= {TARGET}x) {verdict(wall_ratio >= TARGET)}; outputs agree: {agree}")


if __name__ == "__main__":
    main()
