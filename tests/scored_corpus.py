"""A generated scored corpus (what ``score-corpus --sentences`` writes, and its sidecar), for
the report's tests: outlets over months, each outlet leaning to different frames."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRAMES = ["foreign_instigation", "terrorism_label", "rights_concern", "order_restored"]
NAMES = {"foreign_instigation": "Foreign instigation", "terrorism_label": "Terrorism label",
         "rights_concern": "Rights concern", "order_restored": "Order restored"}
THRESHOLDS = {"foreign_instigation": 0.4, "terrorism_label": 0.5, "rights_concern": 0.5,
              "order_restored": 0.6}
OUTLETS = ["Alpha News", "Beta Times", "Gamma Daily"]
MONTHS = ["2024-01", "2024-02", "2024-03"]


@dataclass
class Corpus:
    scores: Path
    sentences: Path
    articles: list[dict[str, Any]]
    rows: list[dict[str, Any]]  # sentence rows


def write_scored_corpus(directory: Path, n: int = 50, *, seed: int = 7, sidecar: bool = True,
                        text: str = "", outlets: list[str] | None = None) -> Corpus:
    """``n`` articles spread over 3 outlets and 3 months; ``text`` is added to every sentence."""
    rng = random.Random(seed)
    outlets = outlets or OUTLETS
    articles, rows = [], []
    for i in range(n):
        outlet = outlets[i % len(outlets)]
        lean = FRAMES[outlets.index(outlet) % len(FRAMES)]
        ident = f"a{i:03d}"
        scores = []
        for _ in range(rng.randint(2, 6)):
            scores.append({f: round(rng.random() * (1.0 if f == lean or rng.random() < 0.07 else 0.45), 4)
                           for f in FRAMES})
        sentence_frames = [[f for f in sorted(FRAMES, key=lambda f: -s[f]) if s[f] >= THRESHOLDS[f]]
                           for s in scores]
        profile = {f: max(s[f] for s in scores) for f in FRAMES}
        articles.append({"id": ident, "outlet": outlet,
                         "date": f"{MONTHS[(i // len(outlets)) % 3]}-{1 + i % 27:02d}",
                         "url": f"https://news.example/{ident}", "title": f"Story {i}{text}",
                         "n_sentences": len(scores), **profile,
                         "frames": [f for f in sorted(FRAMES, key=lambda f: -profile[f])
                                    if profile[f] >= THRESHOLDS[f]]})
        for k, (s, carried) in enumerate(zip(scores, sentence_frames, strict=True)):
            rows.append({"id": ident, "index": k, "start": 0, "end": 0,
                         "text": f"Sentence {k} of {ident}.{text}", **s, "frames": carried})
    directory.mkdir(parents=True, exist_ok=True)
    scores_path, sentences_path = directory / "scores.jsonl", directory / "sentences.jsonl"
    scores_path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    sentences_path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if sidecar:
        (directory / "scores.jsonl.framing.json").write_text(json.dumps({
            "model_sha256": "0" * 64, "frame_ids": FRAMES, "thresholds": THRESHOLDS, "frame_names": NAMES,
            "model": "default", "options": {"threshold": None}, "input": {"path": "corpus.jsonl"}}))
    return Corpus(scores_path, sentences_path, articles, rows)
