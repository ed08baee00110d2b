"""Static A4-landscape map of a plan (matplotlib, EPSG:3035), written as PNG and SVG.

Drawing order, bottom to top: sea and countries, the network by tier, one flow band per network
edge as wide as all its trucks/day (blue) with the unserved trucks/day as a vermillion core on
top (same width scale), hubs sized by power class. AFIR gaps are not drawn on the main
map: when AFIR was measured they get their own inset panel under the legend.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colorbar import ColorbarBase
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import _style as st
from ._figure import figure_style, new_figure, save
from ._load import RunData, explode_lines
from ._mapbase import (
    LAEA,
    Layers,
    LegendEntry,
    draw_countries,
    draw_network,
    map_extent,
    project_run,
    scale_bar,
    segments,
)

__all__ = ["LAEA", "map_figure", "subtitle", "write_static_maps"]

A4_LANDSCAPE = (11.69, 8.27)
DPI = 200
MAP_RECT = (0.012, 0.06, 0.735, 0.84)  # left, bottom, width, height (figure fraction)
LEGEND_RECT = (0.758, 0.06, 0.235, 0.84)
INSET_RECT = (0.762, 0.075, 0.226, 0.27)
LEGEND_FONT = 8.5
Z_FLOWS = 5.0
Z_HUBS = 7.0


def edge_volumes(net: gpd.GeoDataFrame | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Served and unserved trucks/day per network edge, or ``None`` without flows on the network."""
    if net is None or "served_volume" not in net:
        return None
    served = net["served_volume"].to_numpy(dtype=float)
    unserved = net["unserved_volume"].to_numpy(dtype=float)
    return (served, unserved) if (served + unserved).max(initial=0.0) > 0 else None


def _band_layer(ax: Axes, geoms: list, widths: list[float], colour: str, z: float) -> None:
    segs: list[np.ndarray] = []
    lws: list[float] = []
    for geom, w in zip(geoms, widths, strict=True):
        parts = explode_lines(geom)
        segs.extend(parts)
        lws.extend([w] * len(parts))
    if segs:
        ax.add_collection(
            LineCollection(segs, colors=colour, linewidths=lws, capstyle="round", joinstyle="round", zorder=z)
        )


def draw_bands(ax: Axes, geoms: gpd.GeoSeries, served: np.ndarray, unserved: np.ndarray, vmax: float) -> None:
    """One band per edge, as wide as all its trucks/day (served colour), and the unserved volume
    as a vermillion core on top, by the same width scale (see :func:`planner.render._style.core_width`)."""
    total = served + unserved
    geoms = list(geoms)
    band = st.band_width(total, vmax)
    core = st.core_width(unserved, total, vmax)
    pick = np.flatnonzero(total > 0)
    _band_layer(ax, [geoms[i] for i in pick], [float(band[i]) for i in pick], st.SERVED, Z_FLOWS)
    pick = np.flatnonzero(unserved > 0)
    _band_layer(ax, [geoms[i] for i in pick], [float(core[i]) for i in pick], st.UNSERVED, Z_FLOWS + 0.2)


def draw_flows(ax: Axes, layers: Layers) -> list[LegendEntry]:
    """Flow bands per network edge, or the route lines of the largest flows as a fallback."""
    entries: list[LegendEntry] = []
    vols = edge_volumes(layers.network)
    if vols is not None and layers.network is not None:
        served, unserved = vols
        vmax = st.band_scale(served + unserved)
        draw_bands(ax, layers.network.geometry, served, unserved, vmax)
        entries.append((Line2D([], [], color=st.SERVED, lw=6), "Served"))
        if unserved.max() > 0:
            entries.append((Line2D([], [], color=st.UNSERVED, lw=3), "Unserved (core of the band)"))
        else:
            entries.append((Line2D([], [], ls="", marker=""), "Unserved: none"))
        for v in st.band_legend_values(vmax):
            lw = float(st.band_width(v, vmax))
            prefix = "≥ " if v >= vmax and (served + unserved).max() > vmax else ""
            entries.append((Line2D([], [], color=st.SERVED, lw=lw), f"{prefix}{st.fmt_num(v)} trucks/day"))
        entries.append((Line2D([], [], ls="", marker=""), "band width ∝ √(trucks/day)"))
    elif layers.flow_lines is not None:
        fl = layers.flow_lines
        for ok, colour, label in (
            (True, st.SERVED, "Served flows (largest)"),
            (False, st.UNSERVED, "Unserved flows (largest)"),
        ):
            sub = fl[fl["served"] == ok]
            if len(sub):
                segs = segments(sub.geometry)
                ax.add_collection(LineCollection(segs, colors=colour, linewidths=1.0, alpha=0.5, zorder=Z_FLOWS))
                entries.append((Line2D([], [], color=colour, lw=2.5), label))
    return entries


def draw_hubs(ax: Axes, hubs: gpd.GeoDataFrame, style: st.HubStyle, *, scale: float = 1.0) -> None:
    """Hubs as discs (new) or squares with a black edge (locked / existing), big ones first."""
    if not len(hubs):
        return
    x, y = hubs.geometry.x.to_numpy(), hubs.geometry.y.to_numpy()
    locked = hubs["locked"].to_numpy(dtype=bool)
    colours = np.array(style.colours, dtype=object)
    order = np.argsort(-style.radius, kind="stable")
    edge_w = 0.5 if len(hubs) <= 200 else 0.25
    for is_locked, marker, edge, lw, z in (
        (False, "o", st.NEW_EDGE, edge_w, Z_HUBS),
        (True, "s", st.LOCKED_EDGE, 1.0, Z_HUBS + 0.5),
    ):
        idx = order[locked[order] == is_locked]
        if len(idx):
            r = style.radius[idx] * scale * (0.9 if is_locked else 1.0)
            ax.scatter(
                x[idx], y[idx], s=(2 * r) ** 2, c=list(colours[idx]), marker=marker, edgecolors=edge, linewidths=lw,
                zorder=z,
            )  # fmt: skip


def hub_legend(style: st.HubStyle, hubs: gpd.GeoDataFrame) -> list[LegendEntry]:
    """Legend entries for hub kind, power classes and opening years."""
    entries: list[LegendEntry] = []
    if not len(hubs):
        return entries
    base = st.HUB_SINGLE if style.colour_by is None else "#9a9a9a"
    n_locked = int(hubs["locked"].sum())
    entries.append(
        (Line2D([], [], marker="o", ls="", mfc=base, mec="#666666", ms=7), f"New hub ({len(hubs) - n_locked:,})")
    )
    if n_locked:
        entries.append(
            (
                Line2D([], [], marker="s", ls="", mfc=base, mec=st.LOCKED_EDGE, mew=1.0, ms=6.5),
                f"Existing hub, kept open ({n_locked:,})",
            )
        )
    for label, r, _k in style.classes:
        entries.append((Line2D([], [], marker="o", ls="", mfc=base, mec="white", ms=2 * r), label))
    for label, colour in style.categories[:14]:
        entries.append((Patch(facecolor=colour, edgecolor="none"), f"Opened {label}"))
    return entries


def _legend(fig: Figure, sections: list[tuple[str, list[LegendEntry]]], rect: tuple[float, ...]) -> None:
    lax = fig.add_axes(rect)
    lax.set_axis_off()
    handles: list[Line2D | Patch] = []
    labels: list[str] = []
    headers: set[int] = set()
    for title, entries in sections:
        if not entries:
            continue
        headers.add(len(labels))
        handles.append(Line2D([], [], ls="", marker=""))
        labels.append(title)
        for h, lab in entries:
            handles.append(h)
            labels.append(st.mpl_text(lab))
    if handles:
        leg = lax.legend(
            handles, labels, loc="upper left", frameon=False, fontsize=LEGEND_FONT, handlelength=2.6,
            borderaxespad=0.0, labelspacing=0.5, borderpad=0.0,
        )  # fmt: skip
        for i, text in enumerate(leg.get_texts()):
            if i in headers:
                text.set_fontweight("bold")


def _colourbar(fig: Figure, style: st.HubStyle, rect: tuple[float, ...]) -> None:
    if style.colour_by != "utilisation" or style.norm is None:
        return
    cax = fig.add_axes((rect[0] + 0.005, rect[1] + 0.03, 0.2, 0.015))
    ColorbarBase(cax, cmap=style.cmap, norm=style.norm, orientation="horizontal")
    cax.set_title("Hub utilisation", fontsize=LEGEND_FONT, fontweight="bold", loc="left")
    cax.tick_params(labelsize=8)


def afir_caption(summary: dict) -> str:
    """Two lines on AFIR compliance from ``summary["afir"]`` (empty if not measured)."""
    afir = summary.get("afir")
    if not isinstance(afir, dict) or not isinstance(afir.get("overall"), dict):
        return ""
    o = afir["overall"]
    gap = (o.get("total_km") or 0.0) - (o.get("compliant_km") or 0.0)
    year = afir.get("year")
    rules = f" ({year} rules)" if year is not None else ""
    return (
        f"Compliant: {st.fmt_pct(o.get('share'))} of {st.fmt_num(o.get('total_km'))} km{rules}\n"
        f"Gaps: {st.fmt_num(gap)} km (each direction counted)"
    )


def afir_inset(fig: Figure, layers: Layers, summary: dict, rect: tuple[float, ...] = INSET_RECT) -> bool:
    """A small map of the AFIR gaps under the legend; ``False`` (nothing drawn) if AFIR was not measured."""
    caption = afir_caption(summary)
    if layers.afir_gaps is None and not caption:
        return False
    ax = fig.add_axes(rect)
    aspect = (rect[2] * A4_LANDSCAPE[0]) / (rect[3] * A4_LANDSCAPE[1])
    extent = map_extent(layers.network, layers.hubs, aspect=aspect)
    draw_countries(ax, layers.countries, extent, labels=False)
    if layers.network is not None:
        segs = segments(layers.network.geometry)
        ax.add_collection(LineCollection(segs, colors="#8d98a2", linewidths=0.45, zorder=3))
    gaps = layers.afir_gaps
    if gaps is not None and len(gaps):
        ax.add_collection(LineCollection(segments(gaps.geometry), colors=st.AFIR, linewidths=1.3, zorder=4))
    top = rect[1] + rect[3]
    fig.text(rect[0], top + 0.05, "AFIR gaps", fontsize=LEGEND_FONT + 0.5, fontweight="bold", va="bottom")
    fallback = "Gap stretches of plan.gpkg\n(no compliance figures in summary.json)"
    fig.text(rect[0], top + 0.008, st.mpl_text(caption or fallback), fontsize=8, va="bottom")
    ax.legend(
        [Line2D([], [], color=st.AFIR, lw=2.0), Line2D([], [], color="#8d98a2", lw=1.0)],
        ["gap (no compliant pool in reach)", "network"], loc="lower left", fontsize=7, frameon=True,
        framealpha=0.9, edgecolor="none", borderpad=0.3, handlelength=1.8,
    )  # fmt: skip
    return True


def subtitle(summary: dict) -> str:
    """One line of headline numbers from summary.json."""
    parts = []
    if "hub_count" in summary:
        parts.append(f"{st.fmt_num(summary['hub_count'])} hubs")
    if "covered_share" in summary:
        vol = summary.get("total_volume")
        tail = f" of {st.fmt_num(vol)} trucks/day" if vol is not None else ""
        share = summary["covered_share"]
        parts.append(f"{st.fmt_pct(share)} served{tail}")
        if isinstance(share, int | float) and share < 1.0:
            parts.append(f"{st.fmt_pct(1.0 - share)} unserved")
    if "total_cost_eur" in summary:
        parts.append(f"capex {st.fmt_eur(summary['total_cost_eur'])}")
    if "status" in summary:
        gap = summary.get("mip_gap")
        parts.append(f"solver {summary['status']}" + (f" (gap {st.fmt_pct(gap, 2)})" if gap is not None else ""))
    return "  ·  ".join(parts)


def _titles(fig: Figure, data: RunData, title: str | None) -> None:
    label = st.mpl_text(title or f"Charging hubs: {data.title_label}")
    fig.text(0.012, 0.962, label, fontsize=16, fontweight="bold", va="center")
    fig.text(0.012, 0.922, st.mpl_text(subtitle(data.summary)), fontsize=10.5, color="#333333", va="center")
    fig.text(
        0.012,
        0.03,
        "Country outlines: Natural Earth 1:50m (public domain).  Projection: ETRS89-LAEA Europe (EPSG:3035).  "
        "Flow volumes aggregated per network edge.",
        fontsize=7.5,
        color="#555555",
        va="center",
    )


def map_figure(data: RunData, title: str | None = None) -> Figure:
    """Build the run's A4 landscape map figure.

    Parameters
    ----------
    data : RunData
        Loaded run.
    title : str, optional
        Figure title; defaults to the scenario name.

    Returns
    -------
    matplotlib.figure.Figure
    """
    layers = project_run(data)
    style = st.hub_style(data.hubs)
    with figure_style():
        fig = new_figure(*A4_LANDSCAPE)
        ax = fig.add_axes(MAP_RECT)
        aspect = (MAP_RECT[2] * A4_LANDSCAPE[0]) / (MAP_RECT[3] * A4_LANDSCAPE[1])
        extent = map_extent(layers.network, layers.hubs, layers.afir_gaps, aspect=aspect)
        draw_countries(ax, layers.countries, extent)
        net_entries = draw_network(ax, layers.network)
        flow_entries = draw_flows(ax, layers)
        draw_hubs(ax, layers.hubs, style)
        scale_bar(ax, extent)
        _titles(fig, data, title)
        legend_rect = LEGEND_RECT
        if afir_inset(fig, layers, data.summary):
            cut = INSET_RECT[1] + INSET_RECT[3] + 0.09 - LEGEND_RECT[1]
            legend_rect = (LEGEND_RECT[0], LEGEND_RECT[1] + cut, LEGEND_RECT[2], LEGEND_RECT[3] - cut)
        hub_title = {"power_kw": "Hubs (size: installed power)", "chargers": "Hubs (size: charging points)"}
        sections = [
            ("Flows per edge (trucks/day)", flow_entries),
            ("Network", net_entries),
            (hub_title.get(style.size_by or "", "Hubs"), hub_legend(style, data.hubs)),
        ]
        _legend(fig, sections, legend_rect)
        _colourbar(fig, style, legend_rect)
    return fig


def write_static_maps(
    data: RunData, run_dir: Path, *, png: bool = True, svg: bool = True, title: str | None = None
) -> tuple[list[Path], Figure]:
    """Write ``map.png`` / ``map.svg``; return the paths and the figure (for the report)."""
    fig = map_figure(data, title)
    paths = []
    if png:
        paths.append(save(fig, run_dir / "map.png", dpi=DPI))
    if svg:
        paths.append(save(fig, run_dir / "map.svg"))
    return paths, fig
