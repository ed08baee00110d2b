"""Static A4-landscape map of a plan (matplotlib, EPSG:3035), written as PNG and SVG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colorbar import ColorbarBase
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from . import _style as st
from ._assets import countries
from ._figure import figure_style, new_figure, save
from ._load import RunData, explode_lines

LAEA = "EPSG:3035"
A4_LANDSCAPE = (11.69, 8.27)
DPI = 200
EUROPE_EXTENT = (2_500_000.0, 1_350_000.0, 7_400_000.0, 5_450_000.0)
MAP_RECT = (0.012, 0.06, 0.735, 0.84)  # left, bottom, width, height (figure fraction)
LEGEND_RECT = (0.758, 0.06, 0.235, 0.84)
SIMPLIFY_M = 400.0


@dataclass
class Layers:
    """The geometries of a map, projected to EPSG:3035."""

    countries: gpd.GeoDataFrame
    network: gpd.GeoDataFrame | None
    afir_gaps: gpd.GeoDataFrame | None
    flow_lines: gpd.GeoDataFrame | None
    hubs: gpd.GeoDataFrame


def _project(gdf: gpd.GeoDataFrame | None, simplify: bool = False) -> gpd.GeoDataFrame | None:
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
        countries=countries().to_crs(LAEA),
        network=_project(data.network, simplify=True),
        afir_gaps=_project(data.afir_gaps, simplify=True),
        flow_lines=_project(data.flow_lines, simplify=True),
        hubs=hubs,
    )


def map_extent(*frames: gpd.GeoDataFrame | None, aspect: float) -> tuple[float, ...]:
    """Bounds of the frames, padded and widened to the axes' width/height ``aspect``."""
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
    w, h = w * 1.1 + 60_000.0, h * 1.1 + 60_000.0  # room for markers at the edge
    if w / h > aspect:
        h = w / aspect
    else:
        w = h * aspect
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def _segments(geoms: gpd.GeoSeries) -> list[np.ndarray]:
    segs: list[np.ndarray] = []
    for g in geoms:
        segs.extend(explode_lines(g))
    return segs


def draw_base(
    ax: Axes, layers: Layers, extent: tuple[float, ...], *, labels: bool = True
) -> list[tuple[Line2D | Patch, str]]:
    """Sea, countries and the network by tier; returns legend entries."""
    x0, x1, y0, y1 = extent
    ax.set_facecolor(st.SEA)
    layers.countries.plot(ax=ax, color=st.LAND, edgecolor=st.BORDER, linewidth=0.45, zorder=1)
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
        _country_labels(ax, layers.countries, extent)
    entries: list[tuple[Line2D | Patch, str]] = []
    net = layers.network
    if net is None:
        return entries
    tiers = sorted(set(net["tier"]), key=lambda t: (t not in st.TIER_STYLE, t))
    for tier in reversed(tiers):
        colour, width = st.tier_style(tier)
        sub = net[net["tier"] == tier]
        road = sub[~sub["mode"].isin(st.FERRY_MODES)]
        if len(road):
            ax.add_collection(
                LineCollection(
                    _segments(road.geometry),
                    colors=colour,
                    linewidths=width,
                    capstyle="round",
                    zorder=4,
                )
            )
        ferry = sub[sub["mode"].isin(st.FERRY_MODES)]
        if len(ferry):
            ax.add_collection(
                LineCollection(
                    _segments(ferry.geometry),
                    colors=colour,
                    linewidths=max(width * 0.8, 0.8),
                    linestyles=(0, (3.0, 2.0)),
                    zorder=4,
                )
            )
    for tier in tiers:
        colour, width = st.tier_style(tier)
        entries.append((Line2D([], [], color=colour, lw=width), f"{tier.capitalize()} network"))
    if net["mode"].isin(st.FERRY_MODES).any():
        entries.append(
            (
                Line2D([], [], color=st.TIER_STYLE["core"][0], lw=1.2, linestyle=(0, (3.0, 2.0))),
                "Ferry / rail shuttle",
            )
        )
    return entries


def _country_labels(ax: Axes, ctry: gpd.GeoDataFrame, extent: tuple[float, ...]) -> None:
    x0, x1, y0, y1 = extent
    span = (x1 - x0) * (y1 - y0)
    for code, geom in zip(ctry["iso_a2"], ctry.geometry, strict=True):
        if not code or geom.area < span * 0.002:
            continue
        p = geom.representative_point()
        if x0 < p.x < x1 and y0 < p.y < y1:
            ax.text(
                p.x,
                p.y,
                code,
                fontsize=7,
                color="#a39d92",
                ha="center",
                va="center",
                zorder=2,
                clip_on=True,
            )


def scale_bar(ax: Axes, extent: tuple[float, ...]) -> None:
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
        ax.text(
            bx + frac * length,
            by + h * 1.8,
            label,
            fontsize=7,
            ha="center",
            va="bottom",
            zorder=9,
            bbox={"boxstyle": "square,pad=0.1", "fc": "none", "ec": "none"},
        )


def _flow_widths(vol: np.ndarray, vmax: float) -> np.ndarray:
    """Band width in points, linear in volume so served/unserved bands compare."""
    return 0.7 + 9.0 * np.clip(vol, 0, None) / vmax


def _bands(
    ax: Axes, geoms: gpd.GeoSeries, volumes: pd.Series, vmax: float, colour: str, z: float
) -> None:
    segs: list[np.ndarray] = []
    widths: list[float] = []
    for geom, vol in zip(geoms, volumes, strict=True):
        if vol <= 0:
            continue
        parts = explode_lines(geom)
        segs.extend(parts)
        widths.extend([float(_flow_widths(np.array([vol]), vmax)[0])] * len(parts))
    if segs:
        ax.add_collection(
            LineCollection(
                segs, colors=colour, linewidths=widths, capstyle="butt", joinstyle="round", zorder=z
            )
        )


def draw_flows(ax: Axes, layers: Layers) -> list[tuple[Line2D | Patch, str]]:
    """Flow volume per network edge: total band in the unserved colour, served part on top.

    The red fringe around the green band is the unserved volume. Falls back to the
    route lines of the largest flows when flows could not be put on the network.
    """
    entries: list[tuple[Line2D | Patch, str]] = []
    net = layers.network
    total = (
        None
        if net is None or "served_volume" not in net
        else (net["served_volume"] + net["unserved_volume"])
    )
    if net is not None and total is not None and total.gt(0).any():
        vmax = float(total.max())
        _bands(ax, net.geometry, total, vmax, st.UNSERVED_BAND, 3.0)
        _bands(ax, net.geometry, net["served_volume"], vmax, st.SERVED_BAND, 3.1)
        entries.append((Line2D([], [], color=st.SERVED_BAND, lw=5), "Served volume"))
        entries.append((Line2D([], [], color=st.UNSERVED_BAND, lw=5), "Unserved volume"))
        for v in sorted({st.round_sig(vmax / 4, 1), st.round_sig(vmax, 1)}):
            if v > 0:
                entries.append(
                    (
                        Line2D(
                            [], [], color="#b0b0b0", lw=float(_flow_widths(np.array([v]), vmax)[0])
                        ),
                        f"{st.fmt_num(v)} trucks/day",
                    )
                )
    elif layers.flow_lines is not None:
        fl = layers.flow_lines
        for ok, colour, label in (
            (True, st.SERVED, "Served flows (largest)"),
            (False, st.UNSERVED, "Unserved flows (largest)"),
        ):
            sub = fl[fl["served"] == ok]
            if len(sub):
                ax.add_collection(
                    LineCollection(
                        _segments(sub.geometry), colors=colour, linewidths=0.8, alpha=0.35, zorder=3
                    )
                )
                entries.append((Line2D([], [], color=colour, lw=2, alpha=0.6), label))
    return entries


def draw_afir(ax: Axes, layers: Layers) -> list[tuple[Line2D | Patch, str]]:
    """AFIR gaps as a thick orange halo under the network."""
    gaps = layers.afir_gaps
    if gaps is None or not len(gaps):
        return []
    ax.add_collection(
        LineCollection(
            _segments(gaps.geometry),
            colors=st.AFIR,
            linewidths=7.0,
            alpha=0.55,
            capstyle="round",
            zorder=3.5,
        )
    )
    return [(Line2D([], [], color=st.AFIR, lw=6, alpha=0.6), "AFIR gap")]


def draw_hubs(ax: Axes, hubs: gpd.GeoDataFrame, style: st.HubStyle) -> None:
    """Hubs as circles (new) or squares with a dark edge (locked / existing)."""
    if not len(hubs):
        return
    x, y = hubs.geometry.x.to_numpy(), hubs.geometry.y.to_numpy()
    locked = hubs["locked"].to_numpy(dtype=bool)
    colours = np.array(style.colours, dtype=object)
    order = np.argsort(-style.radius, kind="stable")  # big first, small on top
    for is_locked, marker, edge, lw, z in (
        (False, "o", st.NEW_EDGE, 0.6, 6),
        (True, "s", st.LOCKED_EDGE, 1.1, 7),
    ):
        idx = order[locked[order] == is_locked]
        if not len(idx):
            continue
        r = style.radius[idx] * (0.9 if is_locked else 1.0)
        ax.scatter(
            x[idx],
            y[idx],
            s=(2 * r) ** 2,
            c=list(colours[idx]),
            marker=marker,
            edgecolors=edge,
            linewidths=lw,
            zorder=z,
        )


def hub_legend(style: st.HubStyle, hubs: pd.DataFrame) -> list[tuple[Line2D | Patch, str]]:
    """Legend entries for hub kind, size and (categorical) colour."""
    entries: list[tuple[Line2D | Patch, str]] = []
    if not len(hubs):
        return entries
    base = st.HUB_SINGLE if style.colour_by is None else "#bbbbbb"
    n_locked = int(hubs["locked"].sum())
    entries.append(
        (
            Line2D([], [], marker="o", ls="", mfc=base, mec="#666666", ms=8),
            f"New hub ({len(hubs) - n_locked})",
        )
    )
    if n_locked:
        entries.append(
            (
                Line2D([], [], marker="s", ls="", mfc=base, mec=st.LOCKED_EDGE, mew=1.1, ms=7),
                f"Locked / existing hub ({n_locked})",
            )
        )
    for v in style.legend_values():
        r = style.radius_for(v)
        entries.append(
            (
                Line2D([], [], marker="o", ls="", mfc="none", mec="#444444", ms=2 * r),
                style.legend_label(v),
            )
        )
    for label, colour in style.categories[:14]:
        entries.append((Patch(facecolor=colour, edgecolor="none"), f"Opened {label}"))
    return entries


def _legend(
    fig: Figure,
    sections: list[tuple[str, list[tuple[Line2D | Patch, str]]]],
    style: st.HubStyle | None,
) -> None:
    lax = fig.add_axes(LEGEND_RECT)
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
            handles,
            labels,
            loc="upper left",
            frameon=False,
            fontsize=7.5,
            handlelength=2.6,
            borderaxespad=0.0,
            labelspacing=0.55,
            borderpad=0.0,
        )
        for i, text in enumerate(leg.get_texts()):
            if i in headers:
                text.set_fontweight("bold")
    if style is not None and style.colour_by == "utilisation" and style.norm is not None:
        cax = fig.add_axes((LEGEND_RECT[0] + 0.005, LEGEND_RECT[1] + 0.03, 0.2, 0.015))
        ColorbarBase(cax, cmap=style.cmap, norm=style.norm, orientation="horizontal")
        cax.set_title("Hub utilisation", fontsize=7.5, fontweight="bold", loc="left")
        cax.tick_params(labelsize=7)


def subtitle(summary: dict) -> str:
    """One line of headline numbers from summary.json."""
    parts = []
    if "hub_count" in summary:
        parts.append(f"{st.fmt_num(summary['hub_count'])} hubs")
    if "covered_share" in summary:
        vol = summary.get("total_volume")
        tail = f" of {st.fmt_num(vol)} trucks/day" if vol is not None else ""
        parts.append(f"{st.fmt_pct(summary['covered_share'])} of volume served{tail}")
    if "total_cost_eur" in summary:
        parts.append(f"total cost {st.fmt_eur(summary['total_cost_eur'])}")
    if "status" in summary:
        gap = summary.get("mip_gap")
        parts.append(
            f"solver {summary['status']}"
            + (f" (gap {st.fmt_pct(gap, 2)})" if gap is not None else "")
        )
    return "  ·  ".join(parts)


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
        net_entries = draw_base(ax, layers, extent)
        flow_entries = draw_flows(ax, layers)
        gap_entries = draw_afir(ax, layers)
        draw_hubs(ax, layers.hubs, style)
        scale_bar(ax, extent)
        fig.text(
            0.012,
            0.965,
            st.mpl_text(title or f"Charging hubs: {data.title_label}"),
            fontsize=15,
            fontweight="bold",
            va="center",
        )
        fig.text(
            0.012,
            0.925,
            st.mpl_text(subtitle(data.summary)),
            fontsize=9.5,
            color="#333333",
            va="center",
        )
        fig.text(
            0.012,
            0.028,
            "Country outlines: Natural Earth 1:50m (public domain).  "
            "Projection: ETRS89-LAEA Europe (EPSG:3035).  Flow volumes aggregated per "
            "network edge.",
            fontsize=6.5,
            color="#666666",
            va="center",
        )
        size_title = {"power_kw": "Hubs (area ∝ power)", "chargers": "Hubs (area ∝ chargers)"}.get(
            style.size_by or "", "Hubs"
        )
        _legend(
            fig,
            [
                ("Network", net_entries),
                ("Flows", flow_entries),
                ("AFIR", gap_entries),
                (size_title, hub_legend(style, data.hubs)),
            ],
            style,
        )
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
