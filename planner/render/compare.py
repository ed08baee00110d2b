"""Side-by-side comparison of several runs (``compare.html``)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from planner.demand import demand_shares

from . import _style as st
from ._figure import figure_style, new_figure, svg_text
from ._html import BASE_CSS, esc, page, table
from ._load import RunData, load_run
from ._mapbase import (
    LAEA,
    Layers,
    LegendEntry,
    countries_laea,
    draw_countries,
    draw_network,
    map_extent,
    project,
    scale_bar,
)
from .compare_sections import inputs_section, years_section
from .details import objective_unit

MAX_SITE_ROWS = 300
COMPARE_CSS = """
.page { break-before: page; }
.nowrap { white-space: nowrap; }
td .note { white-space: normal; }
@media print {
  .map svg.figure { width: 100%; max-width: none; height: auto; max-height: 165mm; border: none; }
  .years svg.figure { width: 100%; height: auto; max-height: 150mm; }
}
"""
Getter = Callable[[RunData], Any]


def _get(*keys: str) -> Getter:
    def get(run: RunData) -> Any:
        obj: Any = run.summary
        for k in keys:
            if not isinstance(obj, dict) or k not in obj:
                return None
            obj = obj[k]
        return obj

    return get


def _hub_sum(col: str, scale: float = 1.0) -> Getter:
    def get(run: RunData) -> Any:
        if col not in run.hubs.columns or not len(run.hubs):
            return None
        return float(pd.to_numeric(run.hubs[col], errors="coerce").sum()) * scale

    return get


_CUT = ("demand", "cut_flows_sessions")  # what a max_flows cut leaves out of sized hubs (planner.demand_cut)


def _demand(which: int) -> Getter:
    """One of :func:`planner.demand.demand_shares` (0: the demand planned, 1: served of every flow)."""

    def get(run: RunData) -> Any:
        return demand_shares(run.summary)[which]

    return get


def _count(key: str) -> Getter:
    def get(run: RunData) -> Any:
        v = run.summary.get(key)
        return len(v) if isinstance(v, list) else v

    return get


# label, getter, kind. Kinds with a delta against the first run: count, share (in points), eur,
# eur_year, mw, mwh, seconds; objective only where both runs' objectives have the same unit; text,
# year and bool never.
Kpi = tuple[str, Getter, str]
KPIS: list[Kpi] = [
    ("Scenario", _get("scenario"), "text"),
    ("Objective", _get("objective"), "text"),
    ("Rollout: figures of the year", _get("kpi_year"), "year"),
    ("Solver status", _get("status"), "text"),
    ("Objective value", _get("objective_value"), "objective"),
    ("Hubs", _get("hub_count"), "count"),
    ("Charging points", _hub_sum("chargers"), "count"),
    ("Installed power (MW)", _hub_sum("power_kw", 1e-3), "mw"),
    ("Capex", _get("total_cost_eur"), "eur"),
    ("Opex per year", _get("economics", "opex_eur_per_year"), "eur_year"),
    ("Capex annualised with opex", _get("economics", "annualised_cost_eur"), "eur_year"),
    ("Grid upgrades (MW)", _get("grid", "upgrade_mw"), "mw"),
    ("Grid upgrade cost (in capex)", _get("grid", "upgrade_cost_eur"), "eur"),
    ("Hourly sizing: cost per year", _get("hourly", "totals", "annual_cost_eur"), "eur_year"),
    ("Hourly sizing: energy cost per year", _get("hourly", "totals", "energy_cost_eur_per_year"), "eur_year"),
    ("Grid connection (MW)", _get("hourly", "totals", "connection_mw"), "mw"),
    ("Battery storage (MWh)", _hub_sum("battery_kwh", 1e-3), "mwh"),
    ("Peak grid load (MW)", _get("hourly", "totals", "peak_load_mw"), "mw"),
    ("Served share of volume", _get("covered_share"), "share"),
    ("Share of the demand planned", _demand(0), "share"),
    ("Served share of every flow", _demand(1), "share"),
    ("Sessions/day the cut flows bring to sized hubs (at least)", _get(*_CUT, "sessions_per_day"), "count"),
    ("Points sized hubs lack for them (at least)", _hub_sum("cut_points_short"), "count"),
    (
        "Capex sizing hubs for every flow needs (at least)",
        _get(*_CUT, "every_flow_bound", "every_flow_capex_bound_eur"),
        "eur",
    ),
    ("Served trucks/day", _get("covered_volume"), "count"),
    ("All trucks/day", _get("total_volume"), "count"),
    ("Served truck-km/day", _get("covered_truck_km"), "count"),
    ("AFIR rules of the year", _get("afir", "year"), "year"),
    ("AFIR compliant share", _get("afir", "share"), "share"),
    ("AFIR requirement met", _get("afir", "met"), "bool"),
    ("MIP gap", _get("mip_gap"), "gap"),
    ("Solve time (s)", _get("solve_seconds"), "seconds"),
    ("Verification passed", _get("verification", "passed"), "bool"),
    ("Candidate sites", _count("candidates"), "count"),
    ("Flows", _count("flows"), "count"),
    ("Unservable flows", _count("unservable_flows"), "count"),
]
DELTA_KINDS = {"count", "share", "eur", "eur_year", "mw", "mwh", "seconds", "objective"}


def kpi_text(value: Any, kind: str, run: RunData | None = None) -> str:
    """A KPI value as text by its kind (years without separators, shares in %, money in €)."""
    if value is None:
        return "–"
    if kind == "bool" or isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "text":
        return str(value)
    if kind == "year":
        return str(int(value))
    if kind == "share":
        return st.fmt_pct(value)
    if kind == "gap":
        return st.fmt_pct(value, 2)
    if kind == "eur":
        return st.fmt_eur(value)
    if kind == "eur_year":
        return st.fmt_eur(value) + "/year"
    if kind in ("mw", "mwh", "seconds"):
        return st.fmt_num(value, 1)
    if kind == "objective":
        return st.fmt_num(value)
    return st.fmt_num(value)


def _delta(value: Any, base: Any, kind: str) -> str:
    try:
        d = float(value) - float(base)
    except (TypeError, ValueError):
        return ""
    if d == 0 or not np.isfinite(d):
        return ""
    sign = "+" if d > 0 else "−"
    if kind == "share":
        text = f"{100 * abs(d):.1f} pp"
    elif kind == "objective":
        text = st.fmt_num(abs(d))
    else:
        text = kpi_text(abs(d), kind)
    if not any(ch in "123456789" for ch in text):  # rounds to zero at this precision
        return ""
    return f' <span class="note">({sign}{esc(text)})</span>'


def kpi_table(runs: list[RunData], labels: list[str]) -> str:
    """KPI rows × run columns; the difference to the first run in brackets, only between like units."""
    rows = []
    for label, get, kind in KPIS:
        values = [get(r) for r in runs]
        if all(v is None for v in values):
            continue
        cells = [f'<span class="nowrap">{esc(label)}</span>']
        base_unit = objective_unit(runs[0].summary)
        for i, (v, run) in enumerate(zip(values, runs, strict=True)):
            text = esc(kpi_text(v, kind, run))
            like = kind != "objective" or (base_unit != "" and objective_unit(run.summary) == base_unit)
            if kind in DELTA_KINDS and like and i > 0 and v is not None and values[0] is not None:
                text += _delta(v, values[0], kind)
            if kind == "objective" and v is not None:
                unit = objective_unit(run.summary) or "unit unknown"
                tail = "" if like or i == 0 else ": not subtracted"
                text += f'<br><span class="note">{esc(unit)}{tail}</span>'
            cells.append(text)
        rows.append(cells)
    n = len(runs)
    return table(["KPI"] + labels, rows, [False] + [True] * n, raw=[True] * (n + 1))


def site_membership(runs: list[RunData]) -> pd.DataFrame:
    """One row per site open in any run: id, name, country, lon, lat, one bool per run."""
    records: dict[str, dict[str, Any]] = {}
    for i, run in enumerate(runs):
        for _, h in run.hubs.iterrows():
            sid = str(h["site_id"])
            rec = records.setdefault(
                sid,
                {
                    "site_id": sid,
                    "name": h.get("name"),
                    "country": h.get("country"),
                    "lon": float(h.geometry.x),
                    "lat": float(h.geometry.y),
                },
            )
            rec[f"run{i}"] = True
    info = ["site_id", "name", "country", "lon", "lat"]
    df = pd.DataFrame([{k: r[k] for k in info} for r in records.values()], columns=info)
    member = {f"run{i}": [bool(r.get(f"run{i}", False)) for r in records.values()] for i in range(len(runs))}
    df = pd.concat([df, pd.DataFrame(member, index=df.index, dtype=bool)], axis=1)  # not a column per run
    if len(df):
        df["n_runs"] = df[[f"run{i}" for i in range(len(runs))]].sum(axis=1)
        df = df.sort_values(["n_runs", "site_id"], ascending=[False, True], kind="stable")
    return df.reset_index(drop=True)


def _site_markers(ax: Axes, pts: gpd.GeoDataFrame, labels: list[str]) -> list[LegendEntry]:
    """Common sites dark, sites in some runs grey, sites of only one run as diamonds in its colour."""
    n = len(labels)
    groups = [
        (pts[pts["n_runs"] == n], "o", "#444444", "white", 42, "Common to all runs"),
        (pts[(pts["n_runs"] > 1) & (pts["n_runs"] < n)], "o", "#bdbdbd", "#222222", 55, "In some runs"),
    ]
    for i, label in enumerate(labels):
        only = pts[(pts["n_runs"] == 1) & pts[f"run{i}"]] if n > 1 else pts.iloc[:0]
        colour = st.RUN_COLOURS[i % len(st.RUN_COLOURS)]
        groups.append((only, "D", colour, "#222222", 60, f"Only in {st.mpl_text(label)}"))
    entries: list[LegendEntry] = []
    for z, (sub, marker, face, edge, size, text) in enumerate(groups):
        if not len(sub) and text != "Common to all runs":
            continue
        ax.scatter(sub.geometry.x, sub.geometry.y, s=size, c=face, marker=marker, edgecolors=edge, linewidths=0.7,
                   zorder=6 + min(z, 2))  # fmt: skip
        text = textwrap.fill(f"{text} ({len(sub)})", width=28, break_on_hyphens=False)  # fits the legend column
        entries.append((Line2D([], [], marker=marker, ls="", mfc=face, mec=edge, ms=7), text))
    return entries


def difference_map(runs: list[RunData], labels: list[str], sites: pd.DataFrame) -> Figure:
    """Sites common to all runs vs only in some, over the network of the first run."""
    net_run = next((r for r in runs if r.network is not None), runs[0])
    pts = gpd.GeoDataFrame(
        sites,
        geometry=gpd.points_from_xy(sites.get("lon", []), sites.get("lat", [])),
        crs="EPSG:4326",
    ).to_crs(LAEA)
    layers = Layers(
        countries=countries_laea(),
        network=project(net_run.network, simplify=True),
        afir_gaps=None,
        flow_lines=None,
        hubs=pts,
    )
    size = (11.0, 7.6)
    rect = (0.01, 0.02, 0.74, 0.96)
    with figure_style():
        fig = new_figure(*size)
        ax = fig.add_axes(rect)
        extent = map_extent(layers.network, pts, aspect=(rect[2] * size[0]) / (rect[3] * size[1]))
        draw_countries(ax, layers.countries, extent)
        entries = draw_network(ax, layers.network)
        scale_bar(ax, extent)
        if len(pts):
            entries += _site_markers(ax, pts, labels)
        lax = fig.add_axes((0.765, 0.02, 0.23, 0.96))
        lax.set_axis_off()
        if entries:
            lax.legend([e[0] for e in entries], [e[1] for e in entries], loc="upper left", frameon=False,
                       fontsize=9.5, borderaxespad=0.0)  # fmt: skip
    return fig


def _site_table(sites: pd.DataFrame, labels: list[str]) -> str:
    n = len(labels)
    diff = sites[sites["n_runs"] < n] if len(sites) else sites
    if not len(diff):
        return "<p>All runs open the same sites.</p>" if len(sites) else "<p>No hubs.</p>"
    rows = []
    for _, r in diff.head(MAX_SITE_ROWS).iterrows():
        name = "" if pd.isna(r.get("name")) else r.get("name")
        country = "" if pd.isna(r.get("country")) else r.get("country")
        rows.append([r["site_id"], name, country] + ["✓" if r[f"run{i}"] else "" for i in range(n)])
    note = f'<p class="note">{min(len(diff), MAX_SITE_ROWS)} of {len(diff)} sites that are not open in every run.</p>'
    return note + table(["site", "name", "country"] + labels, rows, [False] * 3 + [False] * n)


def _labels(runs: list[RunData]) -> list[str]:
    labels = [r.label for r in runs]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} ({r.run_dir.name})" for lab, r in zip(labels, runs, strict=True)]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} #{i + 1}" for i, lab in enumerate(labels)]
    return labels


def comparison_html(runs: list[RunData]) -> str:
    """The complete comparison page for loaded runs."""
    labels = _labels(runs)
    sites = site_membership(runs)
    n = len(runs)
    common = int((sites["n_runs"] == n).sum()) if len(sites) else 0
    body = [
        f"<h1>Comparison of {n} runs</h1>",
        '<p class="sub">' + esc(" · ".join(labels)) + "</p>",
        "<h2>Key figures</h2>",
        '<p class="note">Differences in brackets are relative to the first run (shares in percentage '
        "points); values in different units are not subtracted.</p>",
        kpi_table(runs, labels),
        inputs_section(runs, labels),
        years_section(runs, labels),
        '<h2 class="page">Sites</h2>',
        f"<p>{len(sites)} sites open in at least one run; {common} common to all runs.</p>",
        '<figure class="map">'
        + svg_text(difference_map(runs, labels, sites))
        + "<figcaption>Common to all runs (dark), in some runs (grey), only in one run "
        "(coloured diamonds).</figcaption></figure>",
        _site_table(sites, labels),
    ]
    return page(f"Comparison: {', '.join(labels)}", "\n".join(b for b in body if b), css=BASE_CSS + COMPARE_CSS)


def render_comparison(run_dirs: list[Path], out_dir: Path) -> list[Path]:
    """Write ``compare.html`` comparing several run folders.

    Parameters
    ----------
    run_dirs : list of Path
        Run folders (at least one). Missing files or keys are shown as blanks.
    out_dir : Path
        Folder for ``compare.html`` (created if needed).

    Returns
    -------
    list of Path
        The written file.
    """
    if not run_dirs:
        raise ValueError("render_comparison needs at least one run folder")
    runs = [load_run(Path(d), need_flow_lines=False) for d in run_dirs]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "compare.html"
    out.write_text(comparison_html(runs), encoding="utf-8")
    return [out]
