"""What the HTML pages share: the Jinja2 environment (autoescape always on), the palette,
the inline CSS and JS, and the Content-Security-Policy that keeps a page offline.

Every page is one self-contained file: styles, scripts and charts are inline, and the
page's CSP (``default-src 'none'``) forbids every request, so an opened report never
reaches the network, and scripts run only when their hash is listed, so even text that
escaped escaping could not run (an ``onerror=`` attribute is not an allowed script).
Article text reaches a page only through autoescaped template variables, never inside a
``<script>``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

# Colour-blind-safe: Paul Tol's "muted" scheme, then three of Okabe and Ito's. Twelve hues
# cannot all be told apart by every reader, so pages also number frames (colour is never
# the only cue).
PALETTE = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99",
           "#999933", "#AA4499", "#E69F00", "#0072B2", "#D55E00")
# Lines of groups over time: Okabe and Ito's eight, with a marker and dash each.
LINE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def frame_colour(index: int) -> str:
    """The colour of the frame at ``index`` in the model's order."""
    return PALETTE[index % len(PALETTE)]


def frame_ink(index: int) -> str:
    """Black or white, whichever reads better on :func:`frame_colour` (its frame's badges)."""
    red, green, blue = (int(frame_colour(index)[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.45 else "#fff"


def frame_badge(index: int) -> dict[str, Any]:
    """What a frame's numbered badge needs: number, colour and ink."""
    return {"number": index + 1, "colour": frame_colour(index), "ink": frame_ink(index)}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates from ``framing/templates``; autoescape on for every template."""
    env = Environment(loader=PackageLoader("framing", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["zip"] = zip
    # Missing figures (None, or NaN: x != x) are empty cells.
    env.filters["pct"] = lambda x, digits=1: "" if x is None or x != x else f"{100 * x:.{digits}f}%"
    env.filters["num"] = lambda x, digits=3: "" if x is None or x != x else f"{x:.{digits}f}"
    return env


def asset(name: str) -> str:
    """The text of a file shipped in ``framing/templates`` (CSS, JS)."""
    return resources.files("framing").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def csp(scripts: list[str]) -> str:
    """A Content-Security-Policy allowing inline styles, data: images and exactly ``scripts``."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                      for s in scripts)
    return (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src {hashes or chr(39) + 'none' + chr(39)}; base-uri 'none'; form-action 'none'")


def json_attribute(value: Any) -> str:
    """JSON for a ``data-`` attribute: plain text, which the template's autoescape escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render(template: str, *, scripts: tuple[str, ...] = (), **context: Any) -> str:
    """Render ``template`` with the inline CSS, the named inline scripts and their CSP."""
    code = [asset(name) for name in scripts]
    return environment().get_template(template).render(
        css=Markup(asset("page.css")), scripts=[Markup(c) for c in code], csp=csp(code), **context)
