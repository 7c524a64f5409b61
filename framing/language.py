"""Language of an article: the model reads English only, so other text gets a warning.

Detection is py3langid's (a maintained fork of langid.py: 97 languages, a data-only model
that ships inside the package, no network). Its model takes about half a second to
decompress, which would double the start-up of a one-article ``framing score``. So text that
is plainly English (at least :data:`MIN_TOKENS` word tokens, a :data:`FAST_ENGLISH_SHARE`
share of them common English function words, and Latin script) is called English without
loading it; anything else goes to py3langid. The fast path can only say "English": every
other answer, and every close call, is py3langid's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ENGLISH = "en"
MIN_TOKENS = 12
FAST_ENGLISH_SHARE = 0.30  # English news prose runs 0.40-0.55; mixed or foreign text far less
SAMPLE_CHARS = 20_000  # enough to tell a language; bounds the cost on very long articles
_WORD = re.compile(r"[^\W\d_]+")
_FUNCTION_WORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "from", "by",
    "with", "as", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "it",
    "its", "this", "that", "these", "those", "he", "she", "they", "we", "you", "i", "his", "her",
    "their", "our", "not", "no", "said", "says", "will", "would", "who", "which", "what", "when",
    "where", "after", "before", "than", "into", "about", "over", "also", "there", "against",
    "during",
))


@dataclass(frozen=True)
class Language:
    """A detected language: ISO 639-1 code, and how it was decided."""

    code: str
    method: str  # "function words" (fast path) or "py3langid"

    @property
    def is_english(self) -> bool:
        return self.code == ENGLISH

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "method": self.method}


def detect_language(text: str) -> Language | None:
    """The language of ``text``; None when it is too short to judge (no letters, or fewer
    than :data:`MIN_TOKENS` words of Latin script, where "Police." would come out as Pidgin)."""
    sample = text[:SAMPLE_CHARS]
    words = _WORD.findall(sample.lower())
    if not words:
        return None
    if _latin(words):
        if len(words) < MIN_TOKENS:
            return None  # a few Latin-script words: too short for any detector to be right
        share = sum(w in _FUNCTION_WORDS for w in words) / len(words)
        if share >= FAST_ENGLISH_SHARE:
            return Language(ENGLISH, "function words")
    code, _score = _identifier().classify(sample)
    return Language(str(code), "py3langid")


def _latin(words: list[str]) -> bool:
    letters = "".join(words)
    return sum(ch < "\u0250" for ch in letters) >= 0.95 * len(letters)


_TYPECODES = {2: "H", 4: "I", 8: "L"}


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier, its model unpacked in memory.

    py3langid's own loader streams the xz-compressed model through a temporary file, so a full
    disk or a file-size limit made language detection (an aid, not the job) fail a scoring run.
    Its model is plain arrays (npz, no pickle): unpacked here into memory (about 70 MB, once a
    process) and handed to its public ``LanguageIdentifier``. A model of another layout falls
    back to py3langid's loader.
    """
    import io
    import lzma
    from array import array

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    with lzma.open(MODEL_DIR / MODEL_FILE) as source:
        raw = source.read()
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        if not {"ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat"} <= set(data.files):
            return LanguageIdentifier.from_model_file(MODEL_FILE)

        def unsigned(values: np.ndarray) -> array:
            out = array(_TYPECODES[values.dtype.itemsize])
            out.frombytes(np.ascontiguousarray(values).tobytes())
            return out

        return LanguageIdentifier(np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                                  unsigned(data["nextmove"]), data["out_feat"].tolist(),
                                  tk_row=unsigned(data["nextmove_row"]))
