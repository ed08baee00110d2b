"""Base layers of every static map (EPSG:3035): projection, extent, sea, countries, network, scale bar."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from . import _style as st
from ._assets import countries
from ._load import RunData, explode_lines

LAEA = "EPSG:3035"
EUROPE_EXTENT = (2_500_000.0, 1_350_000.0, 7_400_000.0, 5_450_000.0)
SIMPLIFY_M = 400.0
LegendEntry = tuple[Line2D | Patch, str]


@dataclass
class Layers:
    """The geometries of a map, projected to EPSG:3035."""

    countries: gpd.GeoDataFrame
    network: gpd.GeoDataFrame | None
    afir_gaps: gpd.GeoDataFrame | None
    flow_lines: gpd.GeoDataFrame | None
    hubs: gpd.GeoDataFrame


@lru_cache(maxsize=1)
def _countries_laea() -> gpd.GeoDataFrame:
    return countries().to_crs(LAEA)


def countries_laea() -> gpd.GeoDataFrame:
    """Country outlines around Europe in EPSG:3035 (a fresh copy each call)."""
    return _countries_laea().copy()


def project(gdf: gpd.GeoDataFrame | None, simplify: bool = False) -> gpd.GeoDataFrame | None:
    """``gdf`` in EPSG:3035 (lines optionally simplified to ``SIMPLIFY_M``); ``None`` if empty."""
    if gdf is None or not len(gdf):
        return None
    out = gdf.to_crs(LAEA)
    if simplify:
        out = out.set_geometry(out.geometry.simplify(SIMPLIFY_M))
    return out


def project_run(data: RunData) -> Layers:
    """Project everything drawable in a run to EPSG:3035."""
    hubs = data.hubs.to_crs(LAEA) if len(data.hubs) else data.hubs
    return Layers(
        countries=countries_laea(),
        network=project(data.network, simplify=True),
        afir_gaps=project(data.afir_gaps, simplify=True),
        flow_lines=project(data.flow_lines, simplify=True),
        hubs=hubs,
    )


def map_extent(*frames: gpd.GeoDataFrame | None, aspect: float) -> tuple[float, float, float, float]:
    """Bounds of the frames (x0, x1, y0, y1), padded and widened to the axes' width/height ``aspect``."""
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if boxes:
        b = np.array(boxes)
        x0, y0 = b[:, 0].min(), b[:, 1].min()
        x1, y1 = b[:, 2].max(), b[:, 3].max()
    else:
        x0, y0, x1, y1 = EUROPE_EXTENT
    w, h = max(x1 - x0, 300_000.0), max(y1 - y0, 300_000.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = w * 1.08 + 60_000.0, h * 1.08 + 60_000.0  # room for markers at the edge
    if w / h > aspect:
        h = w / aspect
    else:
        w = h * aspect
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def segments(geoms: gpd.GeoSeries) -> list[np.ndarray]:
    """Coordinate arrays of every line part of ``geoms``."""
    segs: list[np.ndarray] = []
    for g in geoms:
        segs.extend(explode_lines(g))
    return segs


def draw_countries(ax: Axes, ctry: gpd.GeoDataFrame, extent: tuple[float, ...], *, labels: bool = True) -> None:
    """Sea, land and borders; ISO codes of the larger countries; a thin frame."""
    x0, x1, y0, y1 = extent
    ax.set_facecolor(st.SEA)
    ctry.plot(ax=ax, color=st.LAND, edgecolor=st.BORDER, linewidth=0.5, zorder=1)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_color("#8c8c8c")
        side.set_linewidth(0.6)
    if labels:
        _country_labels(ax, ctry, extent)


def _country_labels(ax: Axes, ctry: gpd.GeoDataFrame, extent: tuple[float, ...]) -> None:
    x0, x1, y0, y1 = extent
    span = (x1 - x0) * (y1 - y0)
    for code, geom in zip(ctry["iso_a2"], ctry.geometry, strict=True):
        if not code or geom.area < span * 0.002:
            continue
        p = geom.representative_point()
        if x0 < p.x < x1 and y0 < p.y < y1:
            ax.text(p.x, p.y, code, fontsize=8, color="#9c968b", ha="center", va="center", zorder=2, clip_on=True)


def draw_network(ax: Axes, net: gpd.GeoDataFrame | None, *, scale: float = 1.0, z: float = 3.0) -> list[LegendEntry]:
    """The network by tier (ferries and rail shuttles dashed); returns legend entries."""
    entries: list[LegendEntry] = []
    if net is None:
        return entries
    tiers = sorted(set(net["tier"]), key=lambda t: (t not in st.TIER_STYLE, t))
    for tier in reversed(tiers):
        colour, width = st.tier_style(tier)
        sub = net[net["tier"] == tier]
        ferry = sub["mode"].isin(st.FERRY_MODES)
        if (~ferry).any():
            segs = segments(sub[~ferry].geometry)
            ax.add_collection(LineCollection(segs, colors=colour, linewidths=width * scale, capstyle="round", zorder=z))
        if ferry.any():
            ax.add_collection(
                LineCollection(
                    segments(sub[ferry].geometry),
                    colors=colour,
                    linewidths=max(width * 0.9, 0.6) * scale,
                    linestyles=(0, (3.0, 2.0)),
                    zorder=z,
                )
            )
    for tier in tiers:
        colour, width = st.tier_style(tier)
        entries.append((Line2D([], [], color=colour, lw=width * 1.5), st.tier_label(tier)))
    if net["mode"].isin(st.FERRY_MODES).any():
        core = st.TIER_STYLE["core"][0]
        entries.append((Line2D([], [], color=core, lw=1.2, linestyle=(0, (3.0, 2.0))), "Ferry / rail shuttle"))
    return entries


def scale_bar(ax: Axes, extent: tuple[float, ...], *, fontsize: float = 8.0) -> None:
    """Two-segment scale bar in the lower left corner (km; EPSG:3035 is equal-area)."""
    x0, x1, y0, y1 = extent
    length = st.nice_number((x1 - x0) * 0.2 / 1000) * 1000
    if length <= 0:
        return
    bx, by = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.035
    h = (y1 - y0) * 0.008
    for i, face in enumerate(("#222222", "#ffffff")):
        ax.add_patch(
            Rectangle(
                (bx + i * length / 2, by),
                length / 2,
                h,
                facecolor=face,
                edgecolor="#222222",
                linewidth=0.6,
                zorder=9,
            )
        )
    for frac in (0.0, 0.5, 1.0):
        km = length * frac / 1000
        label = f"{km:g} km" if frac == 1.0 else f"{km:g}"
        ax.text(bx + frac * length, by + h * 1.8, label, fontsize=fontsize, ha="center", va="bottom", zorder=9)
