"""Peak memory (RSS) of `framing` on inputs that once exhausted it (issue 9, finding 7).

Each case runs in its own process and its peak RSS is read from the kernel (os.wait4), so
the figures are those of the command alone. The baseline is a process that imports
framing and loads the shipped model; every case must stay under LIMIT_MB.

    .venv/bin/python bench/bench_memory.py            # the sizes of the issue
    .venv/bin/python bench/bench_memory.py --scale 0.1

Cases: a 10 MB base64 blob (one unbroken "sentence"), 50 MB of ordinary text, a corpus of
one 30 MB record, `--sentences --format json` on 10 MB of text, and
`framing.predict("a" * 5_000_000)`. Data is made in a temporary directory.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_MB = 600
ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [line.strip() for p in sorted((ROOT / "seeds").glob("*.txt"))
             for line in p.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 40]


def text_of(n_bytes: int, seed: int = 0) -> str:
    """Ordinary news text: seed paragraphs in random order, about ``n_bytes`` long."""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < n_bytes:
        paragraph = " ".join(rng.choice(SENTENCES) for _ in range(4)) + "\n"
        parts.append(paragraph)
        size += len(paragraph.encode("utf-8"))
    return "".join(parts)


def peak_rss_mb(command: list[str]) -> tuple[float, float, int]:
    """Peak RSS in MB, wall seconds and exit status of ``command``."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.stderr.write(err.decode("utf-8", "replace")[-2000:])
    return usage.ru_maxrss / 1024, time.monotonic() - start, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every input size by this")
    parser.add_argument("--only", default="", help="run only the cases whose name holds this text "
                        "(and the baseline)")
    args = parser.parse_args()
    mb = int(1_000_000 * args.scale)
    framing = [sys.executable, "-m", "framing.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        blob = work / "blob.txt"
        blob.write_text(base64.b64encode(random.Random(1).randbytes(10 * mb * 3 // 4)).decode() + "\n",
                        encoding="ascii")
        big = work / "big.txt"
        big.write_text(text_of(50 * mb), encoding="utf-8")
        ten = work / "ten.txt"
        ten.write_text(text_of(10 * mb, seed=2), encoding="utf-8")
        record = work / "record.jsonl"
        record.write_text(json.dumps({"id": 1, "text": text_of(30 * mb, seed=3)}) + "\n", encoding="utf-8")
        cases = [
            ("baseline: import framing, load the model",
             [sys.executable, "-c", "import framing; framing.load_model()"]),
            (f"score a {10 * args.scale:g} MB base64 blob",
             [*framing, "score", str(blob), "-o", str(work / "1.jsonl")]),
            (f"score {50 * args.scale:g} MB of text",
             [*framing, "score", str(big), "-o", str(work / "2.jsonl")]),
            (f"score-corpus, one {30 * args.scale:g} MB record",
             [*framing, "score-corpus", str(record), "-o", str(work / "3.jsonl"), "--no-progress"]),
            (f"score --sentences --format json, {10 * args.scale:g} MB of text",
             [*framing, "score", str(ten), "--sentences", "--format", "json", "-o", str(work / "4.json")]),
            (f"predict('a' * {int(5_000_000 * args.scale):,})",
             [sys.executable, "-c", f"import framing; framing.predict('a' * {int(5_000_000 * args.scale)})"]),
        ]
        print(f"{'case':<48}{'peak RSS':>10}{'x base':>8}{'seconds':>9}  status")
        base = None
        failed = False
        for name, command in cases:
            if args.only and args.only not in name and not name.startswith("baseline"):
                continue
            rss, seconds, status = peak_rss_mb(command)
            base = base or rss
            over = rss > LIMIT_MB or status != 0
            failed |= over
            print(f"{name:<48}{rss:>7.0f} MB{rss / base:>8.2f}{seconds:>9.1f}  "
                  f"{'FAIL' if over else 'ok'}{'' if status == 0 else f' (exit {status})'}", flush=True)
        print(f"limit: {LIMIT_MB} MB per case")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
