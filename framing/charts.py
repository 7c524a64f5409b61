"""The report's charts, drawn with matplotlib as SVG text to inline in the page (no
JavaScript chart library, nothing fetched). Text stays text (``svg.fonttype = none``), so
labels are searchable, print sharply and are small; every axis is labelled; colours are
colour-blind safe (cividis for heatmaps, Okabe-Ito with a marker and dash per line).

Each series is a group with an ``id`` (``series-...``) so a test (or a reader's tool) can
find it; ids are prefixed per chart so several SVGs can share one page.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from framing.errors import FramingError
from framing.pages import LINE_COLOURS

REPORT_EXTRA = "pip install 'framing[report]'"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":", "-", "--", "-.", ":")
_RC: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "framing", "font.size": 9,
       "font.family": "DejaVu Sans", "axes.titlesize": 9, "axes.labelsize": 9,
       "axes.spines.top": False, "axes.spines.right": False}


def _matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise FramingError(f"the report's charts need matplotlib, which is not installed; "
                           f"{REPORT_EXTRA}") from None


LABEL_CHARS = 40  # longer group names are shortened in charts (the tables hold them whole)


def plain(text: str) -> str:
    """Text matplotlib prints as it is: a ``$`` would otherwise start mathtext."""
    return text.replace("$", r"\$")


def label(text: str) -> str:
    """A group's or frame's name as a tick or legend label: plain, and shortened."""
    return plain(text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "\u2026")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"


def _svg(fig: object, prefix: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})  # type: ignore[attr-defined]
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and doctype: it is inline HTML
    svg = re.sub(r'\bid="', f'id="{prefix}-', svg)
    svg = svg.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')
    return svg


def heatmap(values: np.ndarray, rows: Sequence[str], columns: Sequence[str], *, xlabel: str,
            ylabel: str, title: str, prefix: str, annotations: Sequence[Sequence[str]] | None = None,
            vmax: float | None = None, scale: str = "share of articles") -> str:
    """A rows x columns heatmap (values in [0, vmax]) with each cell's figure written in it."""
    _matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        n, k = values.shape
        fig = Figure(figsize=(max(5.0, 0.62 * k + 2.6), max(1.8, 0.36 * n + 1.9)))
        ax = fig.add_subplot()
        top = vmax if vmax is not None else max(float(np.nanmax(values)) if values.size else 1.0, 1e-9)
        image = ax.imshow(values, cmap="cividis", vmin=0, vmax=top, aspect="auto")
        image.set_gid("series-heatmap")
        ax.set_xticks(range(k), [label(c) for c in columns], rotation=40, ha="right")
        ax.set_yticks(range(n), [label(r) for r in rows])
        ax.set_xlabel(plain(xlabel))
        ax.set_ylabel(plain(ylabel))
        ax.set_title(plain(title), loc="left")
        ax.spines[:].set_visible(False)
        cmap = image.get_cmap()
        for i in range(n):
            for j in range(k):
                v = values[i, j]
                if math.isnan(v):
                    continue
                r, g, b, _ = cmap(min(v / top, 1.0))
                light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5
                figure = annotations[i][j] if annotations is not None else f"{v:.0%}"
                ax.text(j, i, plain(figure), ha="center", va="center", fontsize=7,
                        color="black" if light else "white")
        bar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
        bar.set_label(plain(scale))
        return _svg(fig, prefix)


def timelines(periods: Sequence[str], series: dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]],
              frames: Sequence[tuple[str, str]], *, xlabel: str, prefix: str, legend: str = "group",
              columns: int = 3) -> str:
    """Small multiples: a panel per frame, a line per group over ``periods`` with its 95% band.

    ``series[frame_id][group] = (share, low, high)``, arrays over the periods (NaN: no articles).
    """
    _matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        rows = math.ceil(len(frames) / columns)
        fig = Figure(figsize=(3.6 * columns, 2.35 * rows + 0.6))
        axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
        x = np.arange(len(periods))
        step = max(1, math.ceil(len(periods) / 8))
        groups: list[str] = []
        for (frame_id, name), ax in zip(frames, axes.flat, strict=False):
            for g, (group, (share, low, high)) in enumerate(series[frame_id].items()):
                if group not in groups:
                    groups.append(group)
                colour = LINE_COLOURS[g % len(LINE_COLOURS)]
                band = ax.fill_between(x, low, high, color=colour, alpha=0.12, linewidth=0)
                band.set_gid(f"band-{slug(frame_id)}-{g}")
                (line,) = ax.plot(x, share, color=colour, marker=MARKERS[g % len(MARKERS)], markersize=3,
                                  linestyle=DASHES[g % len(DASHES)], linewidth=1.4, label=label(group))
                line.set_gid(f"series-{slug(frame_id)}-{g}")
            ax.set_title(label(name), loc="left")
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
            ax.set_xticks(x[::step], [plain(p) for p in periods[::step]], rotation=40, ha="right")
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        for ax in axes.flat[len(frames):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("share of articles")
        for ax in axes[-1, :]:
            ax.set_xlabel(plain(xlabel))
            ax.xaxis.set_tick_params(labelbottom=True)
        fig.tight_layout()
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), frameon=False,
                   bbox_to_anchor=(0.5, 1.0), title=plain(legend))
        return _svg(fig, prefix)
