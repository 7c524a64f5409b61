"""``framing score --format html``: an article's text with every sentence highlighted by the
frames it carries; hovering or focusing a sentence shows its probability per frame and the
terms behind them. Several articles give one page each and an index page linking them.

Built on the public result objects (:class:`~framing.score.ArticleScore` and its
``to_dict``), not on the scorer's internals. Article text is only ever a template variable
(autoescaped); the per-sentence numbers travel in an escaped ``data-`` attribute.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framing.atomic import write_text_atomic
from framing.pages import frame_badge, frame_colour, json_attribute, render
from framing.score import ArticleScore

INDEX = "index.html"


@dataclass(frozen=True)
class FrameInfo:
    """The frames of the model that scored: ids in order, names, thresholds used."""

    frame_ids: list[str]
    names: dict[str, str]
    thresholds: dict[str, float]

    @classmethod
    def from_model(cls, model: Any, threshold: float | None = None) -> FrameInfo:
        """From a loaded :class:`~framing.model.Model` (``threshold``: one for every frame)."""
        ids = list(model.frame_ids)
        cuts = [threshold] * len(ids) if threshold is not None else [float(t) for t in model.thresholds]
        return cls(ids, {f: model.frame_names.get(f, f) for f in ids},
                   {f: float(t) for f, t in zip(ids, cuts, strict=True)})

    def legend(self) -> list[dict[str, Any]]:
        return [{"id": f, "name": self.names.get(f, f), **frame_badge(k),
                 "threshold": self.thresholds[f]} for k, f in enumerate(self.frame_ids)]


def _pieces(text: str, result: dict[str, Any], frames: FrameInfo) -> list[dict[str, Any]]:
    """The article as a list of gaps (text between sentences) and sentences, in order."""
    number = {f: k for k, f in enumerate(frames.frame_ids)}
    sentences = result["sentences"]
    exact = all(s["start"] is not None and text[s["start"]:s["end"]] == s["text"] for s in sentences)
    pieces: list[dict[str, Any]] = []
    at = 0
    for s in sentences:
        if exact and s["start"] > at:
            pieces.append({"gap": text[at:s["start"]]})
        elif not exact and pieces:
            pieces.append({"gap": " "})
        data = {"i": s["index"], "p": [s["scores"][f] for f in frames.frame_ids],
                "t": {f: [t["term"] for t in ts] for f, ts in s["terms"].items()}}
        pieces.append({"text": s["text"], "data": json_attribute(data), "index": s["index"],
                       "frames": [frame_badge(number[f]) for f in s["frames"]],
                       "colour": frame_colour(number[s["frames"][0]]) if s["frames"] else ""})
        at = s["end"] if exact else at
    if exact and at < len(text):
        pieces.append({"gap": text[at:]})
    return pieces


def _profile(result: dict[str, Any], frames: FrameInfo) -> list[dict[str, Any]]:
    rows = [{**f, "score": result["profile"][f["id"]], "coverage": result["coverage"][f["id"]],
             "present": f["id"] in result["frames"]} for f in frames.legend()]
    return sorted(rows, key=lambda r: -r["score"])


def article_page(name: str, text: str, result: ArticleScore, frames: FrameInfo, *,
                 index: str | None = None) -> str:
    """One article's page. ``result`` must hold every sentence (``predict(..., sentences=True)``);
    ``index`` is the link back to the index page, when there is one."""
    data = result.to_dict(sentences=True)
    if data["n_sentences"] and not data["sentences"]:
        raise ValueError("article_page needs every sentence's scores: predict(..., sentences=True)")
    legend = frames.legend()
    return render("article.html.j2", scripts=("article.js",), name=name, legend=legend,
                  frames_json=json_attribute([{k: f[k] for k in ("id", "name", "colour", "ink", "threshold")}
                                              for f in legend]),
                  profile=_profile(data, frames), carried=data["frames"], n_sentences=data["n_sentences"],
                  pieces=_pieces(text, data, frames), index=index)


def page_names(names: Sequence[str]) -> list[str]:
    """File names of the articles' pages: ``STEM.html`` (the input's name without suffix, made
    safe), so ``framing report --link 'DIR/{id}.html'`` finds them when corpus ids are those
    stems; numbered ``0001-STEM.html`` when two stems would collide."""
    stems = [re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem)[:80].strip("._") or "article"
             for name in names]
    if len(set(stems)) == len(stems) and INDEX not in {f"{s}.html" for s in stems}:
        return [f"{s}.html" for s in stems]
    return [f"{n:04d}-{s}.html" for n, s in enumerate(stems, start=1)]


def index_page(entries: Sequence[dict[str, Any]], frames: FrameInfo) -> str:
    """The index of several articles' pages: name, sentences, frames carried, each linked."""
    return render("index.html.j2", scripts=("sortable.js",), entries=entries, legend=frames.legend())


def write_article_pages(articles: Sequence[tuple[str, str, ArticleScore]], frames: FrameInfo,
                        out: Path) -> list[Path]:
    """Write one page per ``(name, text, result)`` into directory ``out`` and ``index.html``
    linking them; return the paths written, index first."""
    out.mkdir(parents=True, exist_ok=True)
    number = {f: k for k, f in enumerate(frames.frame_ids)}
    written, entries = [], []
    for file_name, (name, text, result) in zip(page_names([a[0] for a in articles]), articles, strict=True):
        target = out / file_name
        write_text_atomic(target, article_page(name, text, result, frames, index=INDEX))
        written.append(target)
        entries.append({"name": name, "href": target.name, "n_sentences": result.n_sentences,
                        "frames": [{**frame_badge(number[f]), "name": frames.names.get(f, f),
                                    "score": result.profile[f]}
                                   for f in result.frames]})
    write_text_atomic(out / INDEX, index_page(entries, frames))
    return [out / INDEX, *written]
