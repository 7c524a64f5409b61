"""Output formats for scored articles: table (80 columns), JSON, JSONL and CSV.

Rendering only; scoring happens in :mod:`framing.score`. Each function returns text.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable
from typing import Any

from framing.model import Model
from framing.score import ArticleScore

FORMATS = ("table", "json", "jsonl", "csv", "html")  # html: pages to read, framing.article_html
WIDTH = 80


def article_record(source: str, result: ArticleScore, *, sentences: bool) -> dict[str, Any]:
    """One article as a plain-JSON record: its id (the input it came from) and its scores."""
    return {"id": source, **result.to_dict(sentences=sentences)}


def model_record(model: Model, threshold: float | None) -> dict[str, Any]:
    """Which model scored, so a JSON document can be traced to it."""
    return {"path": str(model.path) if model.path else None,
            "created": model.meta.get("created"),
            "sha256": model.sha256,
            "thresholds": ({f: float(threshold) for f in model.frame_ids} if threshold is not None
                           else {f: round(float(t), 4) for f, t in zip(model.frame_ids, model.thresholds,
                                                                      strict=True)})}


def render_json(records: list[dict[str, Any]], errors: list[dict[str, str]], model: Model,
                threshold: float | None) -> str:
    from importlib.metadata import version

    document = {"framing_version": version("framing"), "model": model_record(model, threshold),
                "articles": records, "errors": errors}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_jsonl(records: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def render_csv(records: list[dict[str, Any]], model: Model, *, sentences: bool) -> str:
    """Per article and frame; with ``sentences``, per sentence with a score column per frame."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if sentences:
        writer.writerow(["id", "index", "start", "end", "text", *model.frame_ids, "frames"])
        for r in records:
            for s in r["sentences"]:
                writer.writerow([r["id"], s["index"], s["start"], s["end"], s["text"],
                                 *(s["scores"][f] for f in model.frame_ids), ";".join(s["frames"])])
    else:
        writer.writerow(["id", "frame", "name", "score", "present", "coverage", "best_sentence",
                         "best_start", "best_end"])
        for r in records:
            for f in model.frame_ids:
                best = (r["evidence"].get(f) or [{}])[0]
                writer.writerow([r["id"], f, model.frame_names[f], r["profile"][f],
                                 int(f in r["frames"]), r["coverage"][f], best.get("text", ""),
                                 best.get("start", ""), best.get("end", "")])
    return buffer.getvalue()


def render_table(records: list[dict[str, Any]], model: Model) -> str:
    """Per article: frames present with score and a bar, and the best evidence sentence."""
    out: list[str] = []
    for r in records:
        out.append(f"{r['id']}  ({r['n_sentences']} sentences, {len(r['frames'])} frames)")
        if not r["frames"]:
            out.append("  no frame reaches its threshold")
        for f in r["frames"]:
            score = r["profile"][f]
            bar = "#" * round(score * 10)
            out.append(f"  {model.frame_names[f][:30]:<30} {score:4.2f} {bar:<10} "
                       f"{r['coverage'][f]:4.0%} of sentences")
            best = (r["evidence"].get(f) or [None])[0]
            if best is not None:
                quote = textwrap.shorten(best["text"], width=WIDTH - 8, placeholder=" ...")
                out.append(f"      \"{quote}\"")
                terms = ", ".join(t["term"] for t in best["terms"].get(f, [])[:3])
                if terms:
                    why = textwrap.shorten(f"why: {terms}", width=WIDTH - 6, placeholder=" ...")
                    out.append(f"      {why}")
        out.append("")
    return "\n".join(out)
