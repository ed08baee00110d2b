"""Side-by-side comparison of several runs (``compare.html``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import _style as st
from ._assets import countries
from ._figure import figure_style, new_figure, svg_text
from ._html import esc, page, table
from ._load import RunData, load_run
from ._mapbase import LAEA, Layers, draw_countries, draw_network, map_extent, project, scale_bar

MAX_SITE_ROWS = 300
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


def _count(key: str) -> Getter:
    def get(run: RunData) -> Any:
        v = run.summary.get(key)
        return len(v) if isinstance(v, list) else v

    return get


# label, getter, formatter, numeric (gets a delta column)
KPIS: list[tuple[str, Getter, Callable[[Any], str], bool]] = [
    ("Scenario", _get("scenario"), str, False),
    ("Solver status", _get("status"), str, False),
    ("Hubs", _get("hub_count"), st.fmt_num, True),
    ("Served share", _get("covered_share"), st.fmt_pct, True),
    ("Covered volume (trucks/day)", _get("covered_volume"), st.fmt_num, True),
    ("Total volume (trucks/day)", _get("total_volume"), st.fmt_num, True),
    ("Total cost", _get("total_cost_eur"), st.fmt_eur, True),
    ("Charging points", _hub_sum("chargers"), st.fmt_num, True),
    ("Installed power (MW)", _hub_sum("power_kw", 1e-3), lambda v: st.fmt_num(v, 1), True),
    ("MIP gap", _get("mip_gap"), lambda v: st.fmt_pct(v, 2), True),
    ("Solve time (s)", _get("solve_seconds"), lambda v: st.fmt_num(v, 1), True),
    ("Verification passed", _get("verification", "passed"), st.fmt_num, False),
    ("Candidates", _count("candidates"), st.fmt_num, True),
    ("Flows", _count("flows"), st.fmt_num, True),
    ("Unservable flows", _count("unservable_flows"), st.fmt_num, True),
]
KNOWN_TOP = {
    "scenario",
    "status",
    "hub_count",
    "covered_share",
    "covered_volume",
    "total_volume",
    "total_cost_eur",
    "mip_gap",
    "solve_seconds",
    "verification",
    "candidates",
    "flows",
    "unservable_flows",
}


def _fmt_plain(value: Any) -> str:
    try:
        return st.fmt_num(value, 0 if abs(float(value)) >= 100 else 2)
    except (TypeError, ValueError):
        return str(value)


def _extra_kpis(runs: list[RunData]) -> list[tuple[str, Getter, Callable[[Any], str], bool]]:
    """Numeric scalars present in any run that the fixed list does not cover."""
    keys: set[tuple[str, ...]] = set()
    for run in runs:
        for k, v in run.summary.items():
            if k in KNOWN_TOP:
                continue
            if isinstance(v, int | float) and not isinstance(v, bool):
                keys.add((k,))
            elif isinstance(v, dict) and k in ("totals", "afir"):
                keys.update(
                    (k, k2)
                    for k2, v2 in v.items()
                    if isinstance(v2, int | float) and not isinstance(v2, bool)
                )
    out = []
    for path in sorted(keys):
        label = ".".join(path).replace("_", " ")
        fmt = (
            st.fmt_eur
            if path[-1].endswith("_eur")
            else (st.fmt_pct if path[-1].endswith("share") else _fmt_plain)
        )
        out.append((label, _get(*path), fmt, True))
    return out


def _delta(value: Any, base: Any, fmt: Callable[[Any], str]) -> str:
    try:
        d = float(value) - float(base)
    except (TypeError, ValueError):
        return ""
    if d == 0 or not np.isfinite(d):
        return ""
    text = fmt(abs(d))
    return f' <span class="note">({"+" if d > 0 else "−"}{esc(text)})</span>'


def kpi_table(runs: list[RunData], labels: list[str]) -> str:
    """KPI rows × run columns; numeric cells show the difference to the first run."""
    rows = []
    for label, get, fmt, numeric in KPIS + _extra_kpis(runs):
        values = [get(r) for r in runs]
        if all(v is None for v in values):
            continue
        cells = [esc(label)]
        for i, v in enumerate(values):
            text = "–" if v is None else esc(fmt(v))
            if numeric and i > 0 and v is not None and values[0] is not None:
                text += _delta(v, values[0], fmt)
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
    df = pd.DataFrame(list(records.values()))
    for i in range(len(runs)):
        col = f"run{i}"
        df[col] = df[col].fillna(False).astype(bool) if col in df else False
    if len(df):
        df["n_runs"] = df[[f"run{i}" for i in range(len(runs))]].sum(axis=1)
        df = df.sort_values(["n_runs", "site_id"], ascending=[False, True], kind="stable")
    return df.reset_index(drop=True)


def difference_map(runs: list[RunData], labels: list[str], sites: pd.DataFrame) -> Figure:
    """Sites common to all runs vs only in some, over the network of the first run."""
    n = len(runs)
    net_run = next((r for r in runs if r.network is not None), runs[0])
    pts = gpd.GeoDataFrame(
        sites,
        geometry=gpd.points_from_xy(sites.get("lon", []), sites.get("lat", [])),
        crs="EPSG:4326",
    ).to_crs(LAEA)
    layers = Layers(
        countries=countries().to_crs(LAEA),
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
            common = pts[pts["n_runs"] == n]
            ax.scatter(
                common.geometry.x,
                common.geometry.y,
                s=42,
                c="#444444",
                edgecolors="white",
                linewidths=0.6,
                zorder=6,
            )
            entries.append(
                (
                    Line2D([], [], marker="o", ls="", mfc="#444444", mec="white", ms=7),
                    f"Common to all runs ({len(common)})",
                )
            )
            some = pts[(pts["n_runs"] > 1) & (pts["n_runs"] < n)]
            if len(some):
                ax.scatter(
                    some.geometry.x,
                    some.geometry.y,
                    s=55,
                    c="#bdbdbd",
                    edgecolors="#222222",
                    linewidths=0.9,
                    zorder=7,
                )
                entries.append(
                    (
                        Line2D([], [], marker="o", ls="", mfc="#bdbdbd", mec="#222222", ms=7),
                        f"In some runs ({len(some)})",
                    )
                )
            for i, label in enumerate(labels):
                only = pts[(pts["n_runs"] == 1) & pts[f"run{i}"]] if n > 1 else pts.iloc[:0]
                if not len(only):
                    continue
                colour = st.RUN_COLOURS[i % len(st.RUN_COLOURS)]
                ax.scatter(
                    only.geometry.x,
                    only.geometry.y,
                    s=60,
                    c=colour,
                    marker="D",
                    edgecolors="#222222",
                    linewidths=0.7,
                    zorder=8,
                )
                entries.append(
                    (
                        Line2D([], [], marker="D", ls="", mfc=colour, mec="#222222", ms=7),
                        f"Only in {st.mpl_text(label)} ({len(only)})",
                    )
                )
        lax = fig.add_axes((0.765, 0.02, 0.23, 0.96))
        lax.set_axis_off()
        if entries:
            lax.legend(
                [e[0] for e in entries],
                [e[1] for e in entries],
                loc="upper left",
                frameon=False,
                fontsize=8,
                borderaxespad=0.0,
            )
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
    note = (
        f'<p class="note">{min(len(diff), MAX_SITE_ROWS)} of {len(diff)} sites that are '
        "not open in every run.</p>"
    )
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
        '<p class="note">Differences in brackets are relative to the first run.</p>',
        kpi_table(runs, labels),
        "<h2>Sites</h2>",
        f"<p>{len(sites)} sites open in at least one run; {common} common to all runs.</p>",
        '<figure class="map">'
        + svg_text(difference_map(runs, labels, sites))
        + "<figcaption>Common to all runs (dark), in some runs (grey), only in one run "
        "(coloured diamonds).</figcaption></figure>",
        _site_table(sites, labels),
    ]
    return page(f"Comparison: {', '.join(labels)}", "\n".join(body))


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
