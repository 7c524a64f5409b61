"""Page furniture: lines and sentences that are part of the web page, not of the article.

All rules live here so a reader can see, in one place, what is thrown away before
sentences are labelled or scored. A rule matches the *whole* stripped line (or sentence),
case-insensitively unless it says otherwise. Add a rule with a comment naming where it was
seen; never add one that could match a sentence of reporting.
"""

from __future__ import annotations

import re

# Whole lines that are navigation, ads or widgets.
_LINE_RULES: tuple[tuple[str, str], ...] = (
    ("advertisement", r"advertisements?"),
    ("accessibility", r"accessibility links|skip to (main )?content|skip navigation"),
    ("banner", r"breaking news|latest headlines|top stories|most read|trending( now)?"),
    ("social", r"follow us( on .{1,40})?|share (this|on) .{1,40}|share this (article|story)"),
    # Share buttons scraped as text: "Share", "Share - WeChat", "Share: Facebook | X" (China Daily).
    ("social", r"share\s*([-\u2013\u2014:|]\s*.{0,40})?"),
    # Breadcrumbs: "Home / Opinion / Editorials", "Home > World > Asia" (China Daily, CGTN).
    ("breadcrumb", r"home(\s*[/>\u00bb\u203a|]\s*[\w&' -]{1,40}){1,6}"),
    # Breadcrumbs without "Home": three or more short sections and no sentence punctuation.
    ("breadcrumb", r"[\w&' -]{1,30}(\s+[/>\u00bb\u203a]\s+[\w&' -]{1,30}){2,6}"),
    # "Source: Xinhua Published: 2022-01-08 16:32:01" and "Editor: Li Jing" (Global Times, Xinhua).
    ("dateline furniture", r"source:\s*.{1,60}?\s+(published|updated|editor):\s*.{0,60}"),
    ("dateline furniture", r"(published|updated|editor|source):\s*[\w .,:/&'-]{1,60}"),
    # Image placeholders left by scrapers, e.g. "  • 16x9 Image" (RFE/RL).
    ("image", r"[•·*-]?\s*\d+x\d+\s+image"),
    # Outlet self-promotion footers, e.g. RFE/RL's "journalists report the news in 27 languages".
    ("footer", r".{0,80}journalists\s+report\s+the\s+news\s+in\s+\d+\s+languages.*"),
    ("footer", r"(sign up|subscribe) (for|to) (our|the) .{0,60}newsletter.*"),
    ("footer", r"(copyright|\(c\)|©).{0,80}all rights reserved\.?"),
    # Credit lines at the end of wire and RFE/RL copy.
    ("credit", r"(with )?(additional )?reporting by .{1,120}"),
)

# "RELATED <headline>" teasers (UPI). Case-sensitive: "Related" starts real sentences.
_RELATED = re.compile(r"RELATED\b.*")

# Sentences that are photo credits, possibly sharing a line with a caption (UPI:
# "... clashes between activists and police.  Photo by Kazakh Presidential Press Service/EPA-EFE").
_SENTENCE_RULES: tuple[tuple[str, str], ...] = (
    ("photo credit", r"(photo|image|picture|video)s?( by|:| credit:?| courtesy of) .{1,150}"),
    ("photo credit", r"(file )?photo:?\s*(reuters|ap|afp|getty images|epa)\b.*"),
    # Bracketed credits: "[Photo/VCG]", "[Photo by Zhang Wei/China Daily]" (China Daily).
    ("photo credit", r"\[\s*(photo|image|video|file photo)\b[^\]]{0,100}\]"),
)

# A photo agency's name glued to the end of a caption, with or without a photographer:
# "... in Almaty on Jan. 6.XINHUA", "... police. REUTERS/Pavel Mikheyev", "... square.[Photo/VCG]".
# Case-sensitive capitals, and only after sentence-final punctuation, so "said AFP" stays.
_AGENCIES = r"XINHUA|REUTERS|AFP|AP|EPA|EPA-EFE|VCG|TASS|SPUTNIK|ANADOLU|GETTY IMAGES|CFP|IC|IMAGINECHINA"
_GLUED_CREDIT = re.compile(
    r"(?<=[.!?\"'\u201d)])\s*(?:"
    rf"\(?(?:{_AGENCIES})(?:/[\w .'-]{{1,60}})?\)?"
    r"|\[\s*(?i:photo|image|video|file photo)\b[^\]]{0,100}\]"
    r"|\(\s*(?i:photo|image):?\s*[^)]{1,60}\)"
    rf"|\(\s*(?i:{_AGENCIES})\s*/[^)]{{1,60}}\)"
    r")\s*$")


_LINE_PATTERNS = tuple((name, re.compile(rx, re.IGNORECASE)) for name, rx in _LINE_RULES)
_SENTENCE_PATTERNS = tuple((name, re.compile(rx, re.IGNORECASE)) for name, rx in _SENTENCE_RULES)


def furniture_line(line: str) -> str | None:
    """Return the rule name if the stripped ``line`` is page furniture, else None."""
    stripped = line.strip()
    if not stripped:
        return None
    if _RELATED.fullmatch(stripped):
        return "related"
    for name, pattern in _LINE_PATTERNS:
        if pattern.fullmatch(stripped):
            return name
    return None


def furniture_sentence(sentence: str) -> str | None:
    """Return the rule name if ``sentence`` (already stripped) is furniture, else None."""
    for name, pattern in _SENTENCE_PATTERNS:
        if pattern.fullmatch(sentence):
            return name
    if _CREDIT_UNIT.fullmatch(sentence):
        return "photo credit"
    return furniture_line(sentence)


# The same credit when the segmenter has cut it off as a unit of its own ("XINHUA").
# In parentheses with a photographer the case varies ("(Xinhua/Kadyrzhan)"): any case there.
_CREDIT_UNIT = re.compile(rf"\(?(?:{_AGENCIES})(?:/[\w .'-]{{1,60}})?\)?"
                          rf"|\(\s*(?i:{_AGENCIES})\s*/[^)]{{1,60}}\)")


def glued_credit(sentence: str) -> int:
    """Length of a photo credit glued to the end of a caption (0 when there is none)."""
    match = _GLUED_CREDIT.search(sentence)
    if match is None or match.start() == 0:
        return 0
    return len(sentence) - match.start()


def same_headline(a: str, b: str) -> bool:
    """True when two lines are the same headline, ignoring whitespace differences."""
    return " ".join(a.split()) == " ".join(b.split())
