"""Scoring: every sentence gets a probability per frame; every article a frame profile.

The article profile of a frame is the **maximum** of its sentence probabilities: an
article carries a frame as strongly as its strongest sentence does, however long it is
(an average would dilute a frame invoked once in a long article). A frame is present in
the article when that maximum reaches the frame's threshold, i.e. when at least one
sentence carries it. ``coverage`` adds how much of the article does: the share of
sentences carrying the frame.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np

from framing.explain import Term, batch_terms
from framing.featurise import Rows
from framing.model import Model, load_model
from framing.segment import Sentence, iter_sentences

BATCH = 512  # sentences scored per call: bounds memory on very long articles
TERMS_PER_FRAME = 5


@dataclass
class SentenceScore:
    """One sentence's frame probabilities.

    ``start``/``end`` are offsets into the article (None when scored alone); ``frames``
    lists the frames at or above threshold, highest score first; ``terms`` gives, for each
    listed frame, the terms that pushed it up most.
    """

    text: str
    start: int | None
    end: int | None
    scores: dict[str, float]
    frames: list[str]
    terms: dict[str, list[Term]] = field(default_factory=dict)
    index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"index": self.index, "start": self.start, "end": self.end, "text": self.text,
                "scores": {f: round(s, 4) for f, s in self.scores.items()},
                "frames": list(self.frames),
                "terms": {f: [t.to_dict() for t in ts] for f, ts in self.terms.items()}}


@dataclass
class ArticleScore:
    """An article's frame profile, its evidence and (optionally) every sentence's scores.

    ``profile[f]`` is the highest probability of frame ``f`` over the article's sentences
    (0 for an article without sentences); ``frames`` are those whose profile reaches the
    threshold, highest first; ``evidence[f]`` the best sentences carrying ``f``;
    ``coverage[f]`` the share of sentences carrying ``f``.
    """

    sentences: list[SentenceScore]
    profile: dict[str, float]
    frames: list[str]
    evidence: dict[str, list[SentenceScore]]
    coverage: dict[str, float]
    n_sentences: int

    def to_dict(self, *, sentences: bool = True) -> dict[str, Any]:
        """Plain JSON types; ``sentences=False`` leaves the per-sentence list out."""
        out: dict[str, Any] = {
            "n_sentences": self.n_sentences,
            "frames": list(self.frames),
            "profile": {f: round(s, 4) for f, s in self.profile.items()},
            "coverage": {f: round(s, 4) for f, s in self.coverage.items()},
            "evidence": {f: [s.to_dict() for s in ss] for f, ss in self.evidence.items()},
        }
        if sentences:
            out["sentences"] = [s.to_dict() for s in self.sentences]
        return out


def thresholds_for(model: Model, threshold: float | None) -> np.ndarray:
    """The model's per-frame thresholds, or one threshold for every frame."""
    if threshold is None:
        return model.thresholds
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise TypeError(f"threshold must be a number between 0 and 1, not {type(threshold).__name__}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, not {threshold}")
    return np.full(len(model.frame_ids), float(threshold))


def _model(model: Model | None) -> Model:
    """The model given, or the shipped one; anything else is a TypeError."""
    if model is None:
        return load_model()
    if not isinstance(model, Model):
        path = isinstance(model, (str, PurePath))
        hint = " (load a directory with framing.load_model(path))" if path else ""
        raise TypeError(f"model must be a framing.Model{hint}, not {type(model).__name__}")
    return model


def _score_batch(model: Model, batch: Sequence[Sentence | str], cut: np.ndarray,
                 with_terms: bool) -> tuple[np.ndarray, list[SentenceScore], Rows]:
    texts = [s.text if isinstance(s, Sentence) else s for s in batch]
    rows = model.rows(texts)
    P = model.proba_from_rows(rows)
    order = np.argsort(-P, axis=1, kind="stable").tolist()
    present = (cut <= P).tolist()
    probabilities = P.tolist()
    frame_ids = model.frame_ids
    out = []
    for i, item in enumerate(batch):
        listed = [k for k in order[i] if present[i][k]]
        sentence = item if isinstance(item, Sentence) else None
        scored = SentenceScore(
            text=texts[i],
            start=sentence.start if sentence else None,
            end=sentence.end if sentence else None,
            index=sentence.index if sentence else i,
            scores=dict(zip(frame_ids, probabilities[i], strict=True)),
            frames=[frame_ids[k] for k in listed],
        )
        out.append(scored)
    if with_terms:
        _add_terms(model, rows, list(range(len(out))), out)
    return P, out, rows


def _add_terms(model: Model, rows: Rows, positions: list[int], scored: list[SentenceScore]) -> None:
    """Fill in the terms of sentences ``scored`` (rows ``positions``), for their listed frames."""
    column = {f: k for k, f in enumerate(model.frame_ids)}
    pair_rows = [i for i, s in zip(positions, scored, strict=True) for _ in s.frames]
    pair_columns = [column[f] for s in scored for f in s.frames]
    terms = iter(batch_terms(model, rows, pair_rows, pair_columns, TERMS_PER_FRAME))
    for s in scored:
        s.terms = {f: next(terms) for f in s.frames}


def _check_texts(sentences: Sequence[str]) -> None:
    for i, text in enumerate(sentences):
        if not isinstance(text, str):
            raise TypeError(f"predict_sentences: sentence {i} is {type(text).__name__}, not str")


def predict_sentences(sentences: Sequence[str], *, model: Model | None = None,
                      threshold: float | None = None) -> list[SentenceScore]:
    """Score sentences as given (no splitting, no furniture removal)."""
    if isinstance(sentences, str):
        raise TypeError("predict_sentences takes a list of sentences; for an article use predict()")
    if not isinstance(sentences, Sequence) and not hasattr(sentences, "__iter__"):
        raise TypeError(f"predict_sentences takes a list of str, not {type(sentences).__name__}")
    sentences = list(sentences)
    _check_texts(sentences)
    model = _model(model)
    cut = thresholds_for(model, threshold)
    out: list[SentenceScore] = []
    for start in range(0, len(sentences), BATCH):
        _, scored, _ = _score_batch(model, sentences[start:start + BATCH], cut, with_terms=True)
        for offset, s in enumerate(scored):
            s.index = start + offset
        out.extend(scored)
    return out


def predict(text: str, *, model: Model | None = None, threshold: float | None = None,
            top: int = 3, sentences: bool = True) -> ArticleScore:
    """Split an article into sentences (furniture removed), score each, build its profile.

    Parameters
    ----------
    threshold:
        One threshold for every frame instead of the model's per-frame thresholds.
    top:
        Evidence sentences kept per frame.
    sentences:
        Keep every sentence's scores (``ArticleScore.sentences``). With False only the
        evidence is kept, so memory stays bounded however long the article is, and terms
        are computed for the evidence sentences only.
    """
    if not isinstance(text, str):
        raise TypeError(f"predict takes the article's text as str, not {type(text).__name__}"
                        + ("; decode bytes first (text.decode('utf-8'))" if isinstance(text, bytes) else ""))
    if isinstance(top, bool) or not isinstance(top, int):
        raise TypeError(f"top must be an int, not {type(top).__name__}")
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    model = _model(model)
    cut = thresholds_for(model, threshold)
    k = len(model.frame_ids)
    best = np.zeros(k)
    carrying = np.zeros(k, dtype=np.int64)
    heaps: list[list[tuple[float, int, SentenceScore]]] = [[] for _ in range(k)]
    kept: list[SentenceScore] = []
    n = 0
    for batch in _batches(iter_sentences(text), BATCH):
        P, scored, rows = _score_batch(model, batch, cut, with_terms=sentences)
        n += len(batch)
        best = np.maximum(best, P.max(axis=0))
        present = cut <= P
        carrying += present.sum(axis=0)
        for column in np.flatnonzero(present.any(axis=0)):
            for i in np.flatnonzero(present[:, column]):
                entry = (float(P[i, column]), -int(scored[i].index or 0), scored[i])
                if len(heaps[column]) < top:
                    heapq.heappush(heaps[column], entry)
                elif entry[:2] > heaps[column][0][:2]:
                    heapq.heapreplace(heaps[column], entry)
        if sentences:
            kept.extend(scored)
        else:  # terms only for this batch's sentences now among the evidence (rows at hand)
            position = {id(s): i for i, s in enumerate(scored)}
            shown = list({id(s): s for heap in heaps for _, _, s in heap
                          if id(s) in position and not s.terms}.values())
            _add_terms(model, rows, [position[id(s)] for s in shown], shown)
    if model.unit == "article" and n:
        best = model.predict_proba([text])[0]
    profile = {f: float(best[j]) for j, f in enumerate(model.frame_ids)}
    # Present: the profile reaches the threshold, and some sentence exists (at threshold 0 an
    # article without sentences would otherwise carry every frame).
    frames = [model.frame_ids[j] for j in np.argsort(-best, kind="stable") if best[j] >= cut[j] and n]
    evidence = {f: [e[2] for e in sorted(heaps[model.frame_ids.index(f)], key=lambda e: e[:2],
                                         reverse=True)]
                for f in frames if heaps[model.frame_ids.index(f)]}
    coverage = {f: (float(carrying[j]) / n if n else 0.0) for j, f in enumerate(model.frame_ids)}
    return ArticleScore(sentences=kept, profile=profile, frames=frames, evidence=evidence,
                        coverage=coverage, n_sentences=n)


def _batches(items: Iterable[Sentence], size: int) -> Iterable[list[Sentence]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# --- Many articles at once (corpus scoring) ------------------------------------------------
# predict() builds rich per-sentence objects (terms, evidence heaps) one article at a time;
# a corpus needs only the numbers. score_articles() splits a whole chunk of articles, calls
# the model once on all their sentences (one vectoriser pass amortises its per-call cost),
# and takes each article's maximum with np.maximum.reduceat. Profiles and frames are the
# same as predict()'s (tests/test_corpus.py checks it).

MODEL_CALL = 20_000  # sentences per model call: bounds the feature matrix of a huge article


@dataclass
class ArticleBatch:
    """Frame scores of many articles, as arrays (columns in ``frame_ids`` order).

    ``profiles[i]`` is article ``i``'s profile (as :attr:`ArticleScore.profile`), ``present``
    marks the frames reaching their threshold, ``n_sentences[i]`` its number of sentences.
    With ``sentences=True``, ``sentence_spans`` holds one ``(article, index, start, end)`` row
    per sentence (offsets into the article as given) and
    ``sentence_scores`` the matching probabilities; otherwise both are None.
    """

    frame_ids: list[str]
    profiles: np.ndarray
    present: np.ndarray
    n_sentences: np.ndarray
    sentence_spans: np.ndarray | None = None
    sentence_scores: np.ndarray | None = None
    sentence_present: np.ndarray | None = None

    def frames(self, i: int) -> list[str]:
        """Article ``i``'s frames present, strongest first (as :attr:`ArticleScore.frames`)."""
        row = self.profiles[i]
        return [self.frame_ids[j] for j in np.argsort(-row, kind="stable") if self.present[i, j]]


def score_articles(texts: Sequence[str], *, model: Model | None = None, threshold: float | None = None,
                   sentences: bool = False) -> ArticleBatch:
    """Score many articles at once: their profiles (and optionally every sentence's scores).

    Each article is split as :func:`predict` splits it; all sentences of all articles go to
    the model together. An article without sentences has a profile of zeros.
    """
    model = _model(model)
    cut = thresholds_for(model, threshold)
    k = len(model.frame_ids)
    stripped = list(texts)  # offsets index each text as given (a BOM is skipped, not removed)
    flat: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    counts = np.zeros(len(stripped), dtype=np.int64)
    for a, text in enumerate(stripped):
        before = len(flat)
        for s in iter_sentences(text):
            flat.append(s.text)
            if sentences:
                spans.append((a, s.index, s.start, s.end))
        counts[a] = len(flat) - before
    P = np.zeros((len(flat), k))
    for start in range(0, len(flat), MODEL_CALL):
        part = flat[start:start + MODEL_CALL]
        P[start:start + len(part)] = model.predict_proba(part)
    profiles = np.zeros((len(stripped), k))
    nonempty = np.flatnonzero(counts)
    if len(nonempty):
        # reduceat over the first sentence of each non-empty article (an empty segment would
        # give the next article's first row, hence the filter).
        starts = (np.cumsum(counts) - counts)[nonempty]
        profiles[nonempty] = np.maximum.reduceat(P, starts, axis=0)
        if model.unit == "article":
            profiles[nonempty] = model.predict_proba([stripped[i] for i in nonempty])
    # An article without sentences carries no frame, even at threshold 0 (where its profile
    # of zeros would reach every threshold).
    present = (cut <= profiles) & (counts > 0)[:, None]
    return ArticleBatch(
        frame_ids=list(model.frame_ids), profiles=profiles, present=present,
        n_sentences=counts,
        sentence_spans=np.asarray(spans, dtype=np.int64).reshape(-1, 4) if sentences else None,
        sentence_scores=P if sentences else None,
        sentence_present=cut <= P if sentences else None,
    )
