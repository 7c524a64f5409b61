"""framing.charts: SVG text for inline use; user text printed as given, never as mathtext."""

from __future__ import annotations

import re

import numpy as np

from framing.charts import LABEL_CHARS, heatmap, label, timelines


def test_heatmap_is_inline_svg_with_its_labels_as_text() -> None:
    rows = ["$5 papers", "x" * 60]
    svg = heatmap(np.array([[0.25, 1.0], [0.0, np.nan]]), rows, ["a", "b"], xlabel="frame", ylabel="outlet",
                  title="Share", prefix="h", vmax=1.0)
    assert svg.startswith("<svg") and "<?xml" not in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "$5 papers" in texts and "x" * (LABEL_CHARS - 1) + "\u2026" in texts
    assert {"frame", "outlet", "Share", "share of articles", "25%", "100%"} <= set(texts)
    assert label("y" * LABEL_CHARS) == "y" * LABEL_CHARS


def test_two_charts_share_no_ids() -> None:
    a = heatmap(np.eye(2), ["a", "b"], ["c", "d"], xlabel="x", ylabel="y", title="t", prefix="one")
    b = heatmap(np.eye(2), ["a", "b"], ["c", "d"], xlabel="x", ylabel="y", title="t", prefix="two")
    ids_a, ids_b = set(re.findall(r'\bid="([^"]+)"', a)), set(re.findall(r'\bid="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b
    assert all(ref in ids_a for ref in re.findall(r"url\(#([^)]+)\)", a))


def test_timelines_draw_a_series_per_group_and_frame_with_gaps() -> None:
    share = np.array([0.2, np.nan, 0.5])
    series = {f: {g: (share, share - 0.1, share + 0.1) for g in ("x", "y")} for f in ("f1", "f2")}
    svg = timelines(["2024-01", "2024-02", "2024-03"], series, [("f1", "One"), ("f2", "Two")],
                    xlabel="month", prefix="t", legend="outlet")
    assert len(re.findall(r'id="t-series-f\d-\d"', svg)) == 4
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"One", "Two", "x", "y", "outlet", "month", "share of articles", "2024-01"} <= set(texts)
