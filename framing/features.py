"""Features: word and character TF-IDF n-grams, plus a block of codebook cue terms.

The cue block is how the codebook's knowledge reaches the model. Each frame's cue terms
(``cues`` in ``codebook.toml``) become TF-IDF columns of their own, and every frame also gets
one column summing the TF-IDF weights of its cues. A cue never seen in the training
sentences still moves that frame's sum column, whose weight the classifier learns from the
cues that were seen: this is what lets ~100 labelled sentences reach wording they never
contained. The block is weighted against the n-gram blocks by ``cue_weight``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

# Normalisation and tokens live in framing.text, which scoring imports without scikit-learn.
from framing.text import TOKEN_PATTERN, cue_term, normalise

__all__ = ["TOKEN_PATTERN", "CueFeatures", "build_features", "cue_term", "normalise"]

class CueFeatures(TransformerMixin, BaseEstimator):
    """TF-IDF over the codebook's cue terms, plus one summed column per frame.

    Parameters
    ----------
    cues:
        Frame id -> cue phrases. Frames without cues get an all-zero sum column.
    """

    def __init__(self, cues: dict[str, list[str]] | None = None) -> None:
        self.cues = cues

    def fit(self, X: Iterable[str], y: object = None) -> CueFeatures:
        self.vectorizer_ = self.structure().fit(X)
        return self

    def structure(self) -> TfidfVectorizer:
        """Set the fitted state that does not depend on texts (``frames_``, ``terms_``,
        ``membership_``); return the cue-term vectoriser, not fitted yet.

        Training fits that vectoriser from counts shared across folds (framing.train).
        """
        cues = self.cues or {}
        self.frames_ = list(cues)
        terms: dict[str, set[int]] = {}
        for column, frame_id in enumerate(self.frames_):
            for phrase in cues[frame_id]:
                term = cue_term(phrase)
                if term:
                    terms.setdefault(term, set()).add(column)
        self.terms_ = sorted(terms)
        longest = max((len(t.split()) for t in self.terms_), default=1)
        rows = [i for i, t in enumerate(self.terms_) for _ in terms[t]]
        cols = [c for t in self.terms_ for c in sorted(terms[t])]
        self.membership_ = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)),
            shape=(max(len(self.terms_), 1), len(self.frames_)),
        )
        return TfidfVectorizer(
            vocabulary=self.terms_ or ["\u0000"], preprocessor=normalise,
            token_pattern=TOKEN_PATTERN, ngram_range=(1, longest), sublinear_tf=True,
            dtype=np.float64,
        )

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        return self.with_sums(self.vectorizer_.transform(X))

    def with_sums(self, weights: sp.csr_matrix) -> sp.csr_matrix:
        """The block from the cue-term TF-IDF weights: those, then one summed column per frame."""
        return sp.hstack([weights, weights @ self.membership_], format="csr")

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        names = [f"cue '{t}'" for t in (self.terms_ or ["\u0000"])]
        names += [f"all {f} cue terms" for f in self.frames_]
        return np.asarray(names, dtype=object)


def build_features(
    cues: dict[str, list[str]],
    *,
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] = (2, 5),
    min_df: int = 1,
    cue_weight: float = 1.0,
) -> FeatureUnion:
    """The feature union: word n-grams, char_wb n-grams, and the cue block."""
    words = TfidfVectorizer(preprocessor=normalise, token_pattern=TOKEN_PATTERN,
                            ngram_range=word_ngrams, min_df=min_df, sublinear_tf=True)
    chars = TfidfVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=char_ngrams,
                            min_df=min_df, sublinear_tf=True)
    blocks: list[tuple[str, object]] = [("words", words), ("chars", chars)]
    weights = {"words": 1.0, "chars": 1.0}
    if cue_weight > 0 and any(cues.values()):
        blocks.append(("cues", CueFeatures(cues)))
        weights["cues"] = cue_weight
    return FeatureUnion(blocks, transformer_weights=weights)


CUE_MODES = ("all", "own")  # every frame sees every cue column / only its own frame's


def cue_masks(blocks: list[tuple[str, Any, int]], frame_ids: list[str],
              mode: str) -> list[np.ndarray | None] | None:
    """Per frame, which feature columns its regression may use (None: all of them).

    ``blocks`` are the fitted feature blocks in column order as (name, transformer, width).
    In ``"own"`` mode a frame may use the word and character columns, the cue-term columns
    of its own cues and its own cue-sum column, but not the cue columns of other frames: a
    cue term shared by two frames counts for both. In ``"all"`` mode (or without a cue
    block) every frame uses every column.
    """
    if mode not in CUE_MODES:
        raise ValueError(f"cue mode must be one of {', '.join(CUE_MODES)}, not {mode!r}")
    cue = next(((t, sum(w for _, _, w in blocks[:i])) for i, (name, t, _) in enumerate(blocks)
                if name == "cues"), None)
    if mode == "all" or cue is None:
        return None
    transformer, offset = cue
    width = sum(w for _, _, w in blocks)
    membership = transformer.membership_.toarray().astype(bool)  # terms x cue frames
    n_terms = membership.shape[0]
    position = {f: j for j, f in enumerate(transformer.frames_)}
    masks: list[np.ndarray | None] = []
    for frame_id in frame_ids:
        mask = np.ones(width, dtype=bool)
        mask[offset:offset + n_terms + len(transformer.frames_)] = False
        j = position.get(frame_id)
        if j is not None:
            mask[offset:offset + n_terms] = membership[:, j]
            mask[offset + n_terms + j] = True
        masks.append(mask)
    return masks


def union_blocks(union: FeatureUnion) -> list[tuple[str, Any, int]]:
    """(name, fitted transformer, width) of a fitted feature union's blocks, in column order."""
    return [(name, t, len(t.get_feature_names_out())) for name, t in union.transformer_list]
