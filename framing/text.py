"""Text as every feature block sees it: one normaliser and one token pattern.

Kept apart from :mod:`framing.features` (which builds the scikit-learn transformers used in
training) so that scoring can normalise and tokenise text without importing scikit-learn.
:mod:`framing.features` re-exports these names; ``framing.features.normalise`` is this
function, so models pickled by older versions still find it.
"""

from __future__ import annotations

import re

TOKEN_PATTERN = r"(?u)\b\w+\b"
_TOKEN = re.compile(TOKEN_PATTERN)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PUNCT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    """Lowercase, straighten quotes and dashes, and write every number as ``0``.

    Numbers are folded because a casualty count is about *a* number, not 26 or 160.
    """
    return _NUMBER.sub("0", text.translate(_PUNCT).lower())


def tokens(normalised: str) -> list[str]:
    """The word tokens of normalised text, as the word analyser finds them."""
    return _TOKEN.findall(normalised)


def cue_term(phrase: str) -> str:
    """A cue phrase as the word analyser sees it (``"Anti-terrorist"`` -> ``"anti terrorist"``)."""
    return " ".join(_TOKEN.findall(normalise(phrase)))
