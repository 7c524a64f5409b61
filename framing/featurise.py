"""The scoring featuriser: a model's feature rows computed from its saved arrays, exactly as
its fitted scikit-learn feature union computes them, without scikit-learn.

A model's features are blocks side by side (see :mod:`framing.features`): TF-IDF word
n-grams, TF-IDF ``char_wb`` n-grams and the codebook cue block (TF-IDF over the cue terms,
then one column per frame summing them), each multiplied by its transformer weight. Per
block and row this module does what ``TfidfVectorizer.transform`` does:

* the text goes through :func:`framing.text.normalise` (the vectorisers' preprocessor), once
  for all blocks;
* word n-grams of the tokens of :data:`framing.text.TOKEN_PATTERN`; ``char_wb`` n-grams
  of each whitespace-separated word padded with one space each side (scikit-learn's
  ``_char_wb_ngrams``, kept line for line in :func:`char_wb_ngrams`);
* counts of the vocabulary's n-grams, ``log(count) + 1`` when ``sublinear_tf``, times the
  idf vector, divided by the row's l2 norm within the block.

Where this differs from scikit-learn it is only in speed, never in the numbers: the
char n-grams of a word are computed once and cached (a corpus repeats its words), and cue
n-grams are looked up only where a cue term can start. The floating-point results equal
the pipeline's up to the order of additions (tests/test_featurise.py checks 1e-12).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from framing.text import TOKEN_PATTERN, normalise, tokens

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse as sp

# The preprocessors this featuriser reproduces (framing.features re-exports framing.text's).
PREPROCESSORS = ("framing.text.normalise", "framing.features.normalise")
ANALYZERS = ("word", "char_wb")
WORD_CACHE = 100_000  # distinct words whose char n-grams are kept; the cache is emptied when full
_ABSENT = -1  # column of an n-gram outside the vocabulary (dropped after counting)
ROW_OCCURRENCES = 1_000_000  # beyond this many n-grams a text's are counted, not listed (memory)
LONG_WORD = 64  # a longer word's n-grams are counted as they are made, never listed or cached


def char_wb_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The char_wb n-grams of one whitespace-free word, as scikit-learn makes them."""
    w = " " + word + " "
    w_len = len(w)
    ngrams = []
    for n in range(min_n, max_n + 1):
        offset = 0
        ngrams.append(w[offset:offset + n])
        while offset + n < w_len:
            offset += 1
            ngrams.append(w[offset:offset + n])
        if offset == 0:  # count a short word (w_len < n) only once
            break
    return ngrams


def _iter_char_wb_ngrams(word: str, min_n: int, max_n: int) -> Any:
    """:func:`char_wb_ngrams` as a generator, for words too long to list their n-grams."""
    w = " " + word + " "
    w_len = len(w)
    for n in range(min_n, max_n + 1):
        offset = 0
        yield w[offset:offset + n]
        while offset + n < w_len:
            offset += 1
            yield w[offset:offset + n]
        if offset == 0:
            break


class _CharCache(dict[str, list[int]]):
    """Word -> the vocabulary columns of its char_wb n-grams (every char block), repeated as
    often as each occurs; computed on first sight, emptied when :data:`WORD_CACHE` are kept."""

    def __init__(self, blocks: list[tuple[int, int, dict[str, int]]]) -> None:
        super().__init__()
        self.blocks = blocks

    def __missing__(self, word: str) -> list[int]:
        found: list[int] = []
        for lo, hi, columns in self.blocks:
            found.extend(c for c in map(columns.get, char_wb_ngrams(word, lo, hi)) if c is not None)
        if len(self) >= WORD_CACHE:
            self.clear()
        self[word] = found
        return found


@dataclass
class NgramBlock:
    """A fitted TfidfVectorizer as data: its analyser settings, vocabulary and idf."""

    name: str
    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    vocabulary: list[str]  # in column order
    idf: np.ndarray
    weight: float = 1.0
    sublinear_tf: bool = True

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def feature_name(self, column: int) -> str:
        return self.vocabulary[column]


@dataclass
class CueBlock:
    """A fitted :class:`framing.features.CueFeatures` as data.

    ``terms`` are the cue terms (columns, as word n-grams), ``membership[t, f]`` is 1 when
    term ``t`` is a cue of frame ``frames[f]``; the block's columns are the terms, then one
    sum per frame.
    """

    name: str
    frames: list[str]
    terms: list[str]
    idf: np.ndarray
    membership: np.ndarray
    weight: float = 1.0
    sublinear_tf: bool = True

    @property
    def width(self) -> int:
        return len(self.terms) + len(self.frames)

    @property
    def longest(self) -> int:
        return max((len(t.split(" ")) for t in self.terms), default=1)

    def feature_name(self, column: int) -> str:
        if column < len(self.terms):
            return f"cue '{self.terms[column]}'"
        return f"all {self.frames[column - len(self.terms)]} cue terms"


Block = NgramBlock | CueBlock


@dataclass
class Rows:
    """Feature rows of a batch of texts.

    The counted columns are in CSR form (``data``, ``indices``, ``indptr``, indices sorted
    within a row); the cue blocks' per-frame sums, dense in ``sums``, are the columns
    ``sum_columns``.
    """

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    sums: np.ndarray
    sum_columns: np.ndarray
    n_features: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ``i``'s nonzero columns, in increasing order, and their values."""
        a, z = self.indptr[i], self.indptr[i + 1]
        indices, data = self.indices[a:z], self.data[a:z]
        if self.sums.shape[1]:
            nonzero = np.flatnonzero(self.sums[i])
            if len(nonzero):
                sum_columns = self.sum_columns[nonzero]
                indices = np.concatenate([indices, sum_columns])
                data = np.concatenate([data, self.sums[i, nonzero]])
                if a < z and sum_columns[0] < self.indices[z - 1]:  # sums not after the counted columns
                    order = np.argsort(indices, kind="stable")
                    return indices[order], data[order]
        return indices, data

    def to_scipy(self) -> sp.csr_matrix:
        """The rows as a scipy CSR matrix with sorted indices (as the pipeline returns them)."""
        import scipy.sparse as sp

        n = len(self)
        counted = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(n, self.n_features))
        rows, cols = np.nonzero(self.sums)
        summed = sp.csr_matrix((self.sums[rows, cols], (rows, self.sum_columns[cols])),
                               shape=(n, self.n_features))
        out = sp.csr_matrix(counted + summed)
        out.sort_indices()
        return out

    def dot(self, W: np.ndarray) -> np.ndarray:
        """``X @ W`` for a dense ``W`` of shape (n_features, k)."""
        n = len(self)
        out = np.zeros((n, W.shape[1]))
        lengths = np.diff(self.indptr)
        nonempty = np.flatnonzero(lengths)
        if len(nonempty):
            # reduceat over the first entry of each non-empty row (an empty row's start would
            # give the next row's first entry instead of 0, hence the filter).
            products = np.take(W, self.indices, axis=0)  # faster than W[indices]
            products *= self.data[:, None]
            out[nonempty] = np.add.reduceat(products, self.indptr[:-1][nonempty], axis=0)
        # Column by column, not a matrix product: each row's result must not depend on the
        # other rows of the batch (BLAS may round differently for other shapes).
        for j, column in enumerate(self.sum_columns):
            out += self.sums[:, j, None] * W[column]
        return out


class Featuriser:
    """Feature rows from the saved arrays of a model's feature union (see the module doc)."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = list(blocks)
        self.offsets: list[int] = []
        offset = 0
        for block in self.blocks:
            self.offsets.append(offset)
            offset += block.width
        self.n_features = offset
        # Per column: idf, and the block whose l2 norm it shares (sum columns: unused).
        self._idf = np.zeros(self.n_features)
        self._group = np.zeros(self.n_features, dtype=np.intp)
        self._weight = np.array([float(b.weight) for b in self.blocks])
        self._sublinear = [b.sublinear_tf for b in self.blocks]
        sum_columns: list[int] = []
        self._word_blocks: list[tuple[int, int, dict[str, int]]] = []
        self._char_blocks: list[tuple[int, int, dict[str, int]]] = []
        self._cue_blocks: list[tuple[int, dict[str, list[tuple[int, dict[tuple[str, ...], int]]]]]] = []
        self._cue_members: list[tuple[int, np.ndarray, np.ndarray]] = []  # (block, first column, membership)
        for g, (block, start) in enumerate(zip(self.blocks, self.offsets, strict=True)):
            if isinstance(block, NgramBlock):
                counted = block.width
                columns = {t: start + i for i, t in enumerate(block.vocabulary)}
                lo, hi = block.ngram_range
                target = self._word_blocks if block.analyzer == "word" else self._char_blocks
                target.append((lo, hi, columns))
            else:
                counted = len(block.terms)
                by_first: dict[str, dict[int, dict[tuple[str, ...], int]]] = {}
                for i, term in enumerate(block.terms):
                    words = tuple(term.split(" "))
                    by_first.setdefault(words[0], {}).setdefault(len(words), {})[words] = start + i
                self._cue_blocks.append((g, {w: sorted(by_n.items()) for w, by_n in by_first.items()}))
                sum_columns.extend(range(start + counted, start + block.width))
                self._cue_members.append((g, np.arange(start, start + counted),
                                          np.asarray(block.membership, dtype=np.float64)))
            self._idf[start:start + counted] = block.idf
            self._group[start:start + block.width] = g
        self._sum_columns = np.asarray(sum_columns, dtype=np.intp)
        self._chars = _CharCache(self._char_blocks)

    # --- counting -------------------------------------------------------------------------

    def occurrences(self, text: str, long_counts: list[Counter[int]]) -> Iterator[int]:
        """The columns of the text's n-grams and cue terms, once per occurrence (-1 for an
        n-gram outside the vocabulary). The char n-grams of words longer than
        :data:`LONG_WORD` are counted into a Counter appended to ``long_counts`` instead, so
        memory stays bounded however long a word is."""
        doc = normalise(text)
        parts: list[Iterable[int]] = []
        if self._word_blocks or self._cue_blocks:
            toks = tokens(doc)
            for lo, hi, columns in self._word_blocks:
                for n in range(lo, hi + 1):
                    windows = zip(*(toks[j:] for j in range(n)), strict=False)  # stops at the shortest
                    grams = toks if n == 1 else map(" ".join, windows)
                    parts.append(map(columns.get, grams, repeat(_ABSENT)))
            for _, by_first in self._cue_blocks:
                found = []
                if by_first.keys().isdisjoint(toks):
                    continue
                for i in [i for i, t in enumerate(toks) if t in by_first]:
                    for n, terms in by_first[toks[i]]:
                        column = terms.get(tuple(toks[i:i + n])) if i + n <= len(toks) else None
                        if column is not None:
                            found.append(column)
                parts.append(found)
        if self._char_blocks:
            # scikit-learn first replaces runs of whitespace by one space (its _white_spaces),
            # which cannot change what split() returns: re's \s and str.split() both use
            # str.isspace(). tests/test_featurise.py checks this on arbitrary Unicode.
            words = doc.split()
            if len(doc) > LONG_WORD and max(map(len, words), default=0) > LONG_WORD:
                counted: Counter[int] = Counter()
                for word in (w for w in words if len(w) > LONG_WORD):
                    for lo, hi, columns in self._char_blocks:
                        counted.update(c for c in map(columns.get, _iter_char_wb_ngrams(word, lo, hi))
                                       if c is not None)
                long_counts.append(counted)
                words = [w for w in words if len(w) <= LONG_WORD]
            parts.append(chain.from_iterable(map(self._chars.__getitem__, words)))
        return chain.from_iterable(parts)

    # --- rows -------------------------------------------------------------------------------

    def transform(self, texts: Sequence[str]) -> Rows:
        """The feature rows of ``texts``, as the fitted feature union's ``transform`` gives them."""
        n = len(texts)
        flat: list[int] = []
        lengths = np.zeros(n, dtype=np.intp)
        extra_rows: list[int] = []
        extra: list[Counter[int]] = []
        for r, text in enumerate(texts):
            before, found = len(flat), len(extra)
            occurrences = self.occurrences(text, extra)
            flat.extend(islice(occurrences, ROW_OCCURRENCES))
            if len(flat) - before == ROW_OCCURRENCES:  # a huge text: count the rest as it comes
                counted = Counter(flat[before:])
                del flat[before:]
                counted.update(occurrences)
                counted.pop(_ABSENT, None)
                extra.append(counted)
            lengths[r] = len(flat) - before
            extra_rows.extend([r] * (len(extra) - found))
        columns = np.fromiter(flat, dtype=np.int64, count=len(flat))
        del flat
        keys = np.repeat(np.arange(n, dtype=np.int64), lengths) * self.n_features + columns
        keys = keys[columns != _ABSENT]
        if extra:  # counts of long words' n-grams, added to the same keys
            sizes = [len(c) for c in extra]
            more = np.fromiter(chain.from_iterable(extra), dtype=np.int64, count=sum(sizes))
            more += np.repeat(np.asarray(extra_rows, dtype=np.int64), sizes) * self.n_features
            weights = np.concatenate([np.ones(len(keys)), np.fromiter(
                chain.from_iterable(c.values() for c in extra), dtype=np.float64, count=sum(sizes))])
            unique, inverse = np.unique(np.concatenate([keys, more]), return_inverse=True)
            data: np.ndarray = np.bincount(inverse, weights=weights, minlength=len(unique)).astype(np.float64)
        else:
            unique, counts = np.unique(keys, return_counts=True)
            data = counts.astype(np.float64)
        row, indices = np.divmod(unique, self.n_features)
        row, indices = row.astype(np.intp), indices.astype(np.intp)
        pointer = np.zeros(n + 1, dtype=np.intp)
        np.cumsum(np.bincount(row, minlength=n), out=pointer[1:])
        group = self._group[indices]
        if all(self._sublinear):
            np.log(data, out=data)
            data += 1.0
        elif any(self._sublinear):
            sublinear = np.asarray(self._sublinear)[group]
            data[sublinear] = np.log(data[sublinear]) + 1.0
        data *= self._idf[indices]
        key = row * len(self.blocks) + group
        norms = np.sqrt(np.bincount(key, weights=data * data, minlength=n * len(self.blocks)))
        data /= norms[key]
        sums = np.zeros((n, len(self._sum_columns)))
        done = 0
        for g, members, membership in self._cue_members:
            # Sums use the block's normalised values before its weight (as CueFeatures does).
            mask = group == g
            if mask.any():
                term = np.searchsorted(members, indices[mask])
                block_sums = np.zeros((n, membership.shape[1]))
                np.add.at(block_sums, row[mask], data[mask, None] * membership[term])
                sums[:, done:done + membership.shape[1]] = block_sums * self._weight[g]
            done += membership.shape[1]
        data *= self._weight[group]
        return Rows(data=data, indices=indices, indptr=pointer, sums=sums,
                    sum_columns=self._sum_columns, n_features=self.n_features)

    # --- names ------------------------------------------------------------------------------

    def feature_name(self, column: int) -> str:
        """The block-prefixed name of a column, as ``get_feature_names_out`` gives it."""
        g = int(self._group[column])
        block = self.blocks[g]
        return f"{block.name}__{block.feature_name(column - self.offsets[g])}"

    def feature_names(self) -> np.ndarray:
        """Every column's name, as the feature union's ``get_feature_names_out``."""
        return np.asarray([f"{b.name}__{b.feature_name(i)}" for b in self.blocks for i in range(b.width)],
                          dtype=object)


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings (``exp`` of ``-|x|`` only)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# --- From a fitted scikit-learn feature union (training; no scikit-learn import needed) --------

def _qualified(function: Any) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"


def _check_vectorizer(name: str, v: Any, analyzers: Sequence[str] = ANALYZERS) -> None:
    """Refuse settings this featuriser does not reproduce (so an export is never wrong)."""
    p = v.get_params(deep=False)
    problems = []
    if p["analyzer"] not in analyzers:
        problems.append(f"analyzer {p['analyzer']!r}")
    if _qualified(p["preprocessor"]) not in PREPROCESSORS:
        problems.append(f"preprocessor {_qualified(p['preprocessor'])}")
    if p["analyzer"] == "word" and p["token_pattern"] != TOKEN_PATTERN:
        problems.append(f"token_pattern {p['token_pattern']!r}")
    for key, wanted in (("tokenizer", None), ("stop_words", None), ("binary", False), ("norm", "l2"),
                        ("use_idf", True), ("input", "content")):
        if p[key] != wanted:
            problems.append(f"{key}={p[key]!r}")
    if np.dtype(p["dtype"]) != np.float64:
        problems.append(f"dtype {p['dtype']}")
    if problems:
        raise ValueError(f"feature block {name!r}: {', '.join(problems)} cannot be exported to the "
                         "data-only model format; framing.featurise reproduces TfidfVectorizer "
                         "with framing's normaliser, l2 norm and idf only")


def _vocabulary(v: Any) -> list[str]:
    vocabulary = [""] * len(v.vocabulary_)
    for term, column in v.vocabulary_.items():
        vocabulary[column] = term
    return vocabulary


def blocks_from_union(union: Any) -> list[Block]:
    """The blocks of a fitted feature union built by :func:`framing.features.build_features`.

    Raises ValueError for a block this featuriser does not reproduce exactly.
    """
    weights = union.transformer_weights or {}
    blocks: list[Block] = []
    for name, transformer in union.transformer_list:
        weight = float(weights.get(name, 1.0))
        if transformer == "drop":
            continue
        if type(transformer).__name__ == "TfidfVectorizer":
            _check_vectorizer(name, transformer)
            blocks.append(NgramBlock(
                name=name, analyzer=transformer.analyzer, ngram_range=tuple(transformer.ngram_range),
                vocabulary=_vocabulary(transformer),
                idf=np.asarray(transformer.idf_, dtype=np.float64), weight=weight,
                sublinear_tf=bool(transformer.sublinear_tf)))
        elif type(transformer).__name__ == "CueFeatures":
            v = transformer.vectorizer_
            _check_vectorizer(name, v, analyzers=("word",))
            terms = _vocabulary(v)
            if tuple(v.ngram_range) != (1, max((len(t.split(" ")) for t in terms), default=1)):
                raise ValueError(f"feature block {name!r}: cue n-gram range {v.ngram_range} does not "
                                 "match its longest term")
            membership = np.asarray(transformer.membership_.toarray(), dtype=np.float64)
            blocks.append(CueBlock(
                name=name, frames=list(transformer.frames_), terms=terms,
                idf=np.asarray(v.idf_, dtype=np.float64), membership=membership, weight=weight,
                sublinear_tf=bool(v.sublinear_tf)))
        else:
            raise ValueError(f"feature block {name!r}: {type(transformer).__name__} cannot be "
                             "exported to the data-only model format")
    return blocks


def to_sklearn_union(blocks: Sequence[Block]) -> Any:
    """A fitted scikit-learn FeatureUnion equal to these blocks (imports scikit-learn)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    from framing.features import CueFeatures

    def vectorizer(vocabulary: list[str], idf: np.ndarray, analyzer: str, ngram_range: tuple[int, int],
                   sublinear_tf: bool) -> TfidfVectorizer:
        v = TfidfVectorizer(preprocessor=normalise, analyzer=analyzer, ngram_range=ngram_range,
                            sublinear_tf=sublinear_tf, vocabulary=vocabulary, dtype=np.float64,
                            **({"token_pattern": TOKEN_PATTERN} if analyzer == "word" else {}))
        v.idf_ = np.array(idf, dtype=np.float64)
        return v

    parts: list[tuple[str, Any]] = []
    weights = {}
    for block in blocks:
        weights[block.name] = float(block.weight)
        if isinstance(block, NgramBlock):
            lo, hi = block.ngram_range
            parts.append((block.name, vectorizer(block.vocabulary, block.idf, block.analyzer,
                                                 (lo, hi), block.sublinear_tf)))
        else:
            cues = {f: [t for t, member in zip(block.terms, block.membership[:, j], strict=True) if member]
                    for j, f in enumerate(block.frames)}
            cue = CueFeatures(cues)
            cue.frames_ = list(block.frames)
            cue.terms_ = [t for t in block.terms if t != "\u0000"]
            cue.vectorizer_ = vectorizer(block.terms, block.idf, "word", (1, block.longest),
                                         block.sublinear_tf)
            cue.membership_ = sp.csr_matrix(block.membership)
            parts.append((block.name, cue))
    return FeatureUnion(parts, transformer_weights=weights)


__all__ = ["Block", "CueBlock", "Featuriser", "NgramBlock", "Rows", "blocks_from_union", "char_wb_ngrams",
           "expit", "to_sklearn_union"]
