"""Output formats for scored articles: table (80 columns), JSON, JSONL and CSV.

Rendering only; scoring happens in :mod:`framing.score`. Each function returns text.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from framing.model import Model
from framing.score import ArticleScore

FORMATS = ("table", "json", "jsonl", "csv", "html")  # html: pages to read, framing.article_html
WIDTH = 80


def article_record(source: str, result: ArticleScore, *, sentences: bool) -> dict[str, Any]:
    """One article as a plain-JSON record: its id (the input it came from) and its scores.

    With ``sentences``, ``"sentences"`` is an iterator that converts each sentence when it is
    read, so that the renderers below can write a long article without holding it twice.
    """
    record = {"id": source, **result.to_dict(sentences=False)}
    if sentences:
        record["sentences"] = (s.to_dict() for s in result.sentences)
    return record


def model_record(model: Model, threshold: float | None) -> dict[str, Any]:
    """Which model scored, so a JSON document can be traced to it."""
    return {"path": str(model.path) if model.path else None,
            "created": model.meta.get("created"),
            "sha256": model.sha256,
            "thresholds": ({f: float(threshold) for f in model.frame_ids} if threshold is not None
                           else {f: round(float(t), 4) for f, t in zip(model.frame_ids, model.thresholds,
                                                                      strict=True)})}


def render_json(records: Iterable[dict[str, Any]], errors: list[dict[str, str]], model: Model,
                threshold: float | None) -> str:
    return "".join(iter_json(records, errors, model, threshold))


def iter_json(records: Iterable[dict[str, Any]], errors: list[dict[str, str]], model: Model,
              threshold: float | None) -> Iterator[str]:
    """The JSON document, in pieces: one per article and one per sentence, so that its size
    is not bounded by memory. The text is exactly ``json.dumps(document, indent=2)``.

    ``errors`` is read after the last record, so a caller may fill it while ``records`` runs.
    """
    from importlib.metadata import version

    head = {"framing_version": version("framing"), "model": model_record(model, threshold)}
    yield json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ',\n  "articles": ['
    first = True
    for record in records:
        yield "\n    " if first else ",\n    "
        yield from _record_pieces(record, level=2, indent=2)
        first = False
    yield ("]" if first else "\n  ]") + ',\n  "errors": ' + _dumps(errors, level=1, indent=2) + "\n}\n"


def render_jsonl(records: Iterable[dict[str, Any]]) -> str:
    return "".join(iter_jsonl(records))


def iter_jsonl(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One line per article, streamed sentence by sentence (see :func:`iter_json`)."""
    for record in records:
        yield from _record_pieces(record, level=0, indent=None)
        yield "\n"


def _dumps(value: Any, *, level: int, indent: int | None) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * (indent * level)) if indent else text


def _record_pieces(record: dict[str, Any], *, level: int, indent: int | None) -> Iterator[str]:
    """A record as ``json.dumps`` writes it at nesting ``level``; its sentences one by one."""
    sentences = record.get("sentences")
    if sentences is None or isinstance(sentences, list):
        yield _dumps(record, level=level, indent=indent)
        return
    rest = {k: v for k, v in record.items() if k != "sentences"}
    text = _dumps(rest, level=level, indent=indent)
    if indent is None:
        yield (text[:-1] + ", " if rest else "{") + '"sentences": ['
        sep = ""
        for s in sentences:
            yield sep + json.dumps(s, ensure_ascii=False)
            sep = ", "
        yield "]}"
        return
    pad = "\n" + " " * (indent * (level + 1))
    yield (text[:-(indent * level + 2)] + "," if rest else "{") + pad + '"sentences": ['
    first = True
    for s in sentences:
        yield ("" if first else ",") + pad + " " * indent + _dumps(s, level=level + 2, indent=indent)
        first = False
    yield ("]" if first else pad + "]") + "\n" + " " * (indent * level) + "}"


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
            # The record holds the score to 4 decimals; 0.995 (from 0.99503) is 1.00, not the
            # 0.99 that formatting the float 0.995 would give.
            shown = Decimal(str(score)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            out.append(f"  {model.frame_names[f][:30]:<30} {shown:4.2f} {bar:<10} "
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
