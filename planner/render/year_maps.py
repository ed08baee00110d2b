"""Small multiples for rollouts: one small map per planning year with the hubs open by its end."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from shapely.geometry import box

from . import _style as st
from ._figure import figure_style, new_figure
from ._load import RunData
from ._mapbase import draw_countries, map_extent, project_run, segments
from .years import year_table

PANEL_W_IN = 3.7
PANEL_H_IN = 3.3
PER_ROW = 3
COUNTRY_SIMPLIFY_M = 3000.0
OLDER = "#4d4d4d"


def _panel_countries(ctry: gpd.GeoDataFrame, extent: tuple[float, ...]) -> gpd.GeoDataFrame:
    """Countries cut to the panel and simplified: small maps need few vertices (small SVG)."""
    x0, x1, y0, y1 = extent
    cut = ctry.clip(box(x0, y0, x1, y1))
    cut = cut[~cut.geometry.is_empty]
    return cut.set_geometry(cut.geometry.simplify(COUNTRY_SIMPLIFY_M))


def _title(row: pd.Series) -> str:
    parts = [f"{int(row['year'])}"]
    if "hubs" in row.index:
        parts.append(f"{st.fmt_num(row['hubs'])} hubs")
    if "covered_share" in row.index:
        parts.append(f"{st.fmt_pct(row['covered_share'])} served")
    return "  ·  ".join(parts)


def year_maps_figure(data: RunData) -> Figure | None:
    """Hubs open by the end of each planning year (new that year in its opening-year colour,
    older ones dark grey); ``None`` unless the run has opening years and a per-year table."""
    table = year_table(data.summary, data.hubs)
    if not len(table) or "opened_year" not in data.hubs.columns or not len(data.hubs):
        return None
    layers = project_run(data)
    style = st.hub_style(data.hubs)
    opened = pd.to_numeric(data.hubs["opened_year"], errors="coerce").to_numpy()
    colours = np.array(style.colours, dtype=object)
    n = len(table)
    rows = math.ceil(n / PER_ROW)
    cols = min(n, PER_ROW)
    with figure_style():
        fig = new_figure(PANEL_W_IN * cols, PANEL_H_IN * rows + 0.5)
        gs = fig.add_gridspec(rows, cols, left=0.01, right=0.99, top=1 - 0.35 / fig.get_figheight(), bottom=0.01,
                              wspace=0.04, hspace=0.16)  # fmt: skip
        extent = map_extent(layers.network, layers.hubs, aspect=PANEL_W_IN / PANEL_H_IN)
        ctry = _panel_countries(layers.countries, extent)
        net_segs = segments(layers.network.geometry) if layers.network is not None else []
        x, y = layers.hubs.geometry.x.to_numpy(), layers.hubs.geometry.y.to_numpy()
        r = max(1.6, float(st.base_radius(len(data.hubs))) * 1.1)
        for i, (_, row) in enumerate(table.iterrows()):
            ax = fig.add_subplot(gs[i // PER_ROW, i % PER_ROW])
            draw_countries(ax, ctry, extent, labels=False)
            if net_segs:
                ax.add_collection(LineCollection(net_segs, colors="#9aa5ae", linewidths=0.5, zorder=3))
            year = int(row["year"])
            older = opened < year
            new = opened == year
            ax.scatter(x[older], y[older], s=(2 * r) ** 2, c=OLDER, edgecolors="white", linewidths=0.3, zorder=6)
            ax.scatter(x[new], y[new], s=(2.4 * r) ** 2, c=list(colours[new]), edgecolors="black", linewidths=0.5,
                       zorder=7)  # fmt: skip
            ax.set_title(_title(row), fontsize=10.5, loc="left", pad=3)
        fig.legend(
            [Line2D([], [], marker="o", ls="", mfc=OLDER, mec="white", ms=7),
             Line2D([], [], marker="o", ls="", mfc=style.categories[0][1] if style.categories else OLDER,
                    mec="black", ms=8)],
            ["open before the year", "opened in the year (colour: opening year, as on map.png)"],
            loc="upper left", bbox_to_anchor=(0.01, 1.0), ncol=2, frameon=False, fontsize=10,
        )  # fmt: skip
    return fig
