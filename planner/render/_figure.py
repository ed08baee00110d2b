"""Deterministic saving of matplotlib figures (no pyplot, no dates, fixed SVG ids)."""

from __future__ import annotations

import io
import re
from contextlib import AbstractContextManager
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SVG_RC = {"svg.hashsalt": "planner-render", "svg.fonttype": "none", "svg.image_inline": True}
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
PNG_METADATA = {"Software": None}
# Charts are drawn about as wide as they are shown in the report (≈ 6 in on screen and on an
# A4-landscape page), so these point sizes are close to what a reader sees (10 pt ≈ 13 px).
STYLE_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.titleweight": "bold",
    "axes.labelsize": 10.5,
    "xtick.labelsize": 10.0,
    "ytick.labelsize": 10.0,
    "legend.fontsize": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": True,
}


def figure_style() -> AbstractContextManager[None]:
    """Context in which figures are built: fonts and sizes shared by all charts."""
    return mpl.rc_context(STYLE_RC)


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure with an Agg canvas attached, independent of pyplot's global state.

    Build its content inside :func:`figure_style`.
    """
    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, path: Path, *, dpi: int = 200) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, PNG or SVG) reproducibly."""
    fmt = path.suffix.lower().lstrip(".")
    with mpl.rc_context({**STYLE_RC, **SVG_RC}):
        if fmt == "svg":
            fig.savefig(path, format="svg", metadata=SVG_METADATA)
        else:
            fig.savefig(path, format=fmt, dpi=dpi, metadata=PNG_METADATA)
    return path


def svg_text(fig: Figure) -> str:
    """SVG markup of ``fig`` ready to inline in HTML (no XML prolog or DOCTYPE)."""
    buf = io.StringIO()
    with mpl.rc_context({**STYLE_RC, **SVG_RC}):
        fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    return inline_svg(buf.getvalue())


def inline_svg(svg: str) -> str:
    """Strip the prolog of an SVG document and make it scale with its container."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    # let CSS size it: keep viewBox, drop fixed width/height on the root element
    head_end = svg.find(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[:head_end])
    return head + ' class="figure" preserveAspectRatio="xMidYMid meet"' + svg[head_end:]
