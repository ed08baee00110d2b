"""Self-contained, printable HTML report of one run (``report.html``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from planner.demand import describe_cut_load, describe_demand
from planner.plan import kpi_year_factor, truck_km_share

from . import _style as st
from . import charts
from ._figure import svg_text
from ._html import BASE_CSS, esc, page, table
from ._load import RunData
from .details import further_results_html, objective_unit, value_text
from .hourly_section import SECTION_CSS, further_summary, hourly_section
from .year_maps import year_maps_figure
from .years import YEAR_COLUMNS, format_cell, year_table

TOP_HUBS = 25
TOP_UNSERVED = 50
HUB_COLUMNS = (
    "site_id",
    "name",
    "country",
    "tier",
    "locked",
    "chargers",
    "chargers_mcs",
    "chargers_ccs",
    "chargers_mcs_existing",
    "chargers_ccs_existing",
    "power_kw",
    "utilisation",
    "opened_year",
    "flows_charging",
    "volume_charging",
    "cost_eur",
)
SOLVER_KEYS = (
    "solver",
    "status",
    "solver_message",
    "objective",
    "metric",
    "objective_value",
    "best_bound",
    "mip_gap",
    "time_limit_hit",
    "solve_seconds",
    "build_seconds",
    "candidates",
    "flows",
    "flows_served",
)
HANDLED_KEYS = {
    *SOLVER_KEYS,
    "scenario",
    "description",
    "objective_offset",
    "hub_count",
    "total_volume",
    "covered_volume",
    "covered_share",
    "total_cost_eur",
    "vehicle",
    "verification",
    "model",
    "unservable_flows",
    "tradeoff",
    "tradeoff_curve",
    "cost_breakdown",
    "years",
    "by_country",
    "by_region",
}
REPORT_CSS = """
.page { break-before: page; }
section.block { break-inside: avoid; }
h4 { font-size: .9rem; margin: .6rem 0 .25rem; color: var(--muted); }
.years figure.wide svg.figure { max-width: 1150px; }
@media print {
  h1 { font-size: 18pt; }
  h2 { margin-top: 0; }
  .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }
  .years .charts { grid-template-columns: 1fr 1fr 1fr; gap: 4mm; }
  .map svg.figure { width: 100%; max-width: none; height: auto; max-height: 160mm; border: none; }
  .years figure.wide svg.figure { width: 100%; max-width: none; height: auto; max-height: 160mm; }
  .kpis { grid-template-columns: repeat(5, 1fr); gap: 3mm; }
  .kpi { padding: 2mm 3mm; }
  .kpi .v { font-size: 13pt; }
  thead { display: table-header-group; }
}
"""
NUMERIC_COLUMNS = {
    "chargers",
    "chargers_mcs",
    "chargers_ccs",
    "chargers_mcs_existing",
    "chargers_ccs_existing",
    "power_kw",
    "utilisation",
    "opened_year",
    "flows_charging",
    "volume_charging",
    "cost_eur",
    "volume",
    "length_km",
    *("cut_sessions_per_day", "cut_energy_mwh_per_year", "cut_points_short", "cut_connection_short_kw"),
}
#: The hubs table of :func:`_cut_hubs`, where the columns exist.
CUT_COLUMNS = (
    "site_id",
    "name",
    "country",
    "chargers",
    "volume_charging",
    "cut_sessions_per_day",
    "cut_points_short",
    "cut_energy_mwh_per_year",
    "cut_connection_short_kw",
)


def _kpis(data: RunData) -> str:
    s = data.summary
    cards: list[tuple[str, str]] = []
    hub_count = s.get("hub_count", len(data.hubs) if len(data.hubs) else None)
    if hub_count is not None:
        cards.append(("Hubs", st.fmt_num(hub_count)))
    year = f" in {int(s['kpi_year'])}" if s.get("kpi_year") else ""  # a rollout's headline is its last year's
    if "covered_share" in s:
        cards.append((f"Served share{year}", st.fmt_pct(s["covered_share"])))
        if isinstance(s["covered_share"], int | float) and s["covered_share"] < 1:
            cards.append((f"Unserved share{year}", st.fmt_pct(1 - s["covered_share"])))
    if s.get("metric") == "truck_km" and (share := truck_km_share(s)) is not None:
        # what the objective counts (and a coverage target is set on)
        cards.append((f"Served share of truck-km{year}", st.fmt_pct(share)))
    if "covered_volume" in s:
        tail = f" / {st.fmt_num(s['total_volume'])}" if "total_volume" in s else ""
        cards.append((f"Covered volume (trucks/day){year}", st.fmt_num(s["covered_volume"]) + tail))
    if "total_cost_eur" in s:
        cards.append(("Capex", st.fmt_eur(s["total_cost_eur"])))
    if "chargers" in data.hubs.columns and len(data.hubs):
        total = st.fmt_num(pd.to_numeric(data.hubs["chargers"], errors="coerce").sum())
        by_type = [
            f"{t.upper()} {st.fmt_num(pd.to_numeric(data.hubs[f'chargers_{t}'], errors='coerce').sum())}"
            for t in ("mcs", "ccs")
            if f"chargers_{t}" in data.hubs.columns
        ]
        cards.append(("Charging points", total + (f" ({', '.join(by_type)})" if by_type else "")))
    if "power_kw" in data.hubs.columns and len(data.hubs):
        mw = pd.to_numeric(data.hubs["power_kw"], errors="coerce").sum() / 1000
        cards.append(("Installed power", f"{st.fmt_num(mw, 1)} MW"))
    if "status" in s:
        gap = s.get("mip_gap")
        cards.append(
            (
                "Solver status",
                str(s["status"]) + (f" (gap {st.fmt_pct(gap, 2)})" if gap is not None else ""),
            )
        )
    ver = s.get("verification")
    if isinstance(ver, dict) and "passed" in ver:
        cards.append(("Verification", "passed" if ver["passed"] else "FAILED"))
    html = []
    for k, v in cards:
        cls = ""
        if k == "Verification":
            cls = " ok" if v == "passed" else " bad"
        html.append(f'<div class="kpi"><div class="k">{esc(k)}</div><div class="v{cls}">{esc(v)}</div></div>')
    return '<div class="kpis">' + "".join(html) + "</div>" if html else ""


def _verification(summary: dict[str, Any]) -> str:
    ver = summary.get("verification")
    if not isinstance(ver, dict):
        return ""
    passed = ver.get("passed")
    head = (
        '<p class="ok">All checks passed.</p>'
        if passed
        else '<p class="bad">Verification FAILED.</p>'
        if passed is not None
        else ""
    )
    checks = [c for c in ver.get("checks", []) if isinstance(c, dict)]
    rows = []
    for c in checks:
        ok = c.get("passed")
        mark = '<span class="ok">✓ pass</span>' if ok else '<span class="bad">✗ fail</span>'
        rows.append([c.get("name", ""), mark, c.get("detail", "")])
    tbl = table(["Check", "Result", "Detail"], rows, raw=[False, True, False]) if rows else ""
    return "<h2>Verification</h2>" + head + tbl


def _figure_html(fig: Figure | None, caption: str) -> str:
    if fig is None:
        return ""
    return f"<figure>{svg_text(fig)}<figcaption>{esc(caption)}</figcaption></figure>"


def _cell(value: Any, col: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if col == "cost_eur":
        return st.fmt_eur(value)
    if col == "utilisation":
        f = pd.to_numeric(value, errors="coerce")
        return st.fmt_pct(f) if pd.notna(f) and f <= 1.0 else st.fmt_num(f, 1)
    if col == "opened_year":
        return st.fmt_num(value).replace(",", "")
    if isinstance(value, float):
        return "–" if pd.isna(value) else st.fmt_num(value, 0 if value.is_integer() else 1)
    return "–" if value is None else str(value)


def _numeric_col(col: str) -> bool:
    return col in NUMERIC_COLUMNS


def _ranked(hubs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``hubs`` by the numeric columns ``keys``, largest first, ties by site id (as given without keys)."""
    if not keys:
        return hubs
    ranks = {f"_{c}": pd.to_numeric(hubs[c], errors="coerce").fillna(0) for c in keys}
    order = [*ranks, "site_id"]
    return hubs.assign(**ranks).sort_values(order, ascending=[False] * len(keys) + [True], kind="stable")


def _top_hubs(hubs: pd.DataFrame) -> str:
    if not len(hubs):
        return "<h2>Top hubs</h2><p>No hubs open.</p>"
    cols = [c for c in HUB_COLUMNS if c in hubs.columns]
    key = next((c for c in ("volume_charging", "power_kw", "chargers") if c in hubs.columns), None)
    df = _ranked(hubs, [key] if key else []).head(TOP_HUBS)
    rows = [[_cell(r[c], c) for c in cols] for _, r in df.iterrows()]
    note = (
        f'<p class="note">{min(TOP_HUBS, len(hubs))} of {len(hubs)} hubs'
        + (f", by {esc(key.replace('_', ' '))}" if key else "")
        + ".</p>"
    )
    return (
        "<h2>Top hubs</h2>" + note + table([c.replace("_", " ") for c in cols], rows, [_numeric_col(c) for c in cols])
    )


def _flows(data: RunData) -> str:
    f = data.flows
    if not len(f):
        return ""
    factor = kpi_year_factor(data.summary)
    if factor != 1.0:  # a rollout: its last year's trucks/day, as the headline
        f = f.assign(volume=pd.to_numeric(f["volume"], errors="coerce") * factor)
    total = float(f["volume"].sum()) or 1.0
    rows = []
    for label, sub in (("All flows", f), ("Served", f[f["served"]]), ("Unserved", f[~f["served"]])):
        length = pd.to_numeric(sub["length_km"], errors="coerce").mean() if "length_km" in sub and len(sub) else None
        rows.append(
            [
                label,
                st.fmt_num(len(sub)),
                st.fmt_num(sub["volume"].sum()),
                st.fmt_pct(sub["volume"].sum() / total),
                st.fmt_num(length),
            ]
        )
    how = describe_demand(data.summary.get("demand") or {})
    year = (
        f'<p class="note">Trucks/day of {int(data.summary["kpi_year"])}, as the headline: flows.csv lists them '
        f"before the rollout's growth and BEV shares (× {factor:.3f} here; years.csv has each year's factor).</p>"
        if factor != 1.0
        else ""
    )
    out = [
        "<h2>Flows</h2>",
        f'<p class="note">Demand: {esc(how)}.</p>' if how else "",
        year,
        table(
            ["", "Flows", "Volume (trucks/day)", "Share of volume", "Mean length (km)"],
            rows,
            [False, True, True, True, True],
        ),
    ]
    un = f[~f["served"]].sort_values(["volume", "flow_id"], ascending=[False, True], kind="stable")
    listed = set(un["flow_id"].astype(str))
    extra = [str(x) for x in data.summary.get("unservable_flows", []) or [] if str(x) not in listed]
    out.append("<h3>Unserved flows</h3>")
    if not len(un) and not extra:
        out.append("<p>None: every flow is served.</p>")
    if len(un):
        cols = [c for c in ("flow_id", "origin", "destination", "volume", "length_km", "status") if c in un.columns]
        rows = [[_cell(r[c], c) for c in cols] for _, r in un.head(TOP_UNSERVED).iterrows()]
        out.append(f'<p class="note">{min(TOP_UNSERVED, len(un))} largest of {len(un)} unserved flows.</p>')
        out.append(table([c.replace("_", " ") for c in cols], rows, [_numeric_col(c) for c in cols]))
    if extra:
        out.append(
            '<p class="note">Unservable according to summary.json: '
            + esc(", ".join(extra[:200]))
            + (" …" if len(extra) > 200 else "")
            + "</p>"
        )
    return "".join(out)


def _cut_hubs(data: RunData) -> str:
    """The hubs a ``demand.max_flows`` cut leaves shortest (sized runs; :mod:`planner.demand_cut`): by the
    points they lack, then the cut flows' sessions."""
    load = (data.summary.get("demand") or {}).get("cut_flows_sessions")
    hubs = data.hubs
    if load is None or "cut_sessions_per_day" not in hubs.columns or not len(hubs):
        return ""
    df = _ranked(hubs, [c for c in ("cut_points_short", "cut_sessions_per_day") if c in hubs.columns])
    cols = [c for c in CUT_COLUMNS if c in hubs.columns]
    rows = [[_cell(r[c], c) for c in cols] for _, r in df.head(TOP_HUBS).iterrows()]
    note = (
        f'<p class="note">The demand cut: {esc(describe_cut_load(load))}. '
        f"{min(TOP_HUBS, len(hubs))} of {len(hubs)} hubs, by the points they lack, then the cut flows' "
        "sessions; volume charging is the sessions a hub is sized for.</p>"
    )
    head = [c.replace("_", " ") for c in cols]
    return "<h2>What the demand cut leaves out</h2>" + note + table(head, rows, [_numeric_col(c) for c in cols])


def _countries(hubs: pd.DataFrame) -> str:
    tab = charts.country_table(hubs)
    if tab.empty:
        return ""
    cols = list(tab.columns)
    rows = []
    for country, r in tab.iterrows():
        cells = [str(country)]
        for c in cols:
            cells.append(st.fmt_eur(r[c]) if c == "cost_eur" else st.fmt_num(r[c], 1 if c == "MW" else 0))
        rows.append(cells)
    return "<h3>Hubs per country</h3>" + table(
        ["country"] + [c.replace("_", " ") for c in cols], rows, [False] + [True] * len(cols)
    )


def _coverage_by_country(summary: dict[str, Any]) -> str:
    """Served flows and volume per country (``summary.json`` → ``by_country``, regions such as
    Northern Ireland after their country)."""
    by_country = summary.get("by_country")
    if not isinstance(by_country, dict) or not by_country:
        return ""
    regions = summary.get("by_region") if isinstance(summary.get("by_region"), dict) else {}
    rows = []
    for code in sorted(by_country):
        for name, r in [(code, by_country[code])] + [
            (f"  of which {reg}", regions[reg]) for reg in sorted(regions) if reg.split("-")[0] == code
        ]:
            rows.append(
                [
                    name,
                    st.fmt_num(r.get("flows", 0)),
                    st.fmt_num(r.get("flows_served", 0)),
                    st.fmt_num(r.get("volume", 0.0)),
                    value_text("served_share", r.get("served_share")),
                    st.fmt_num(r["hubs"]) if "hubs" in r else "–",
                    st.fmt_num(r["charging_points"]) if "charging_points" in r else "–",
                ]
            )
    head = ["country", "flows (an end there)", "served", "trucks/day", "served share", "hubs", "points"]
    note = "<p>A flow counts for every country it starts or ends in; hubs where they stand.</p>"
    return "<h3>Coverage by country</h3>" + note + table(head, rows, [False] + [True] * 6)


def _details(summary: dict[str, Any]) -> str:
    out = []
    unit = objective_unit(summary)
    rows = []
    for k in SOLVER_KEYS:
        if k not in summary:
            continue
        v = summary[k]
        if k == "flows" and isinstance(v, list):
            v = len(v)
        text = value_text(k, v)
        if k in ("objective_value", "best_bound") and isinstance(v, int | float) and not isinstance(v, bool):
            text = f"{v:,.0f} {unit}".strip() if abs(v) >= 100 else f"{v:,.3g} {unit}".strip()
        rows.append([k.replace("_", " "), text])
    model = summary.get("model") if isinstance(summary.get("model"), dict) else {}
    rows += [[f"model {k}", st.fmt_num(v)] for k, v in model.items()]
    if rows:
        out.append("<h3>Solver and model</h3>" + table(["", "value"], rows, [False, True]))
    vehicle = summary.get("vehicle")
    if isinstance(vehicle, dict) and vehicle:
        vrows = [[k.replace("_", " "), value_text(k, v)] for k, v in vehicle.items()]
        out.append("<h3>Vehicle</h3>" + table(["parameter", "value"], vrows, [False, True]))
    further = further_results_html(summary, HANDLED_KEYS | {"vehicle"})
    if further:
        out.append('<h2 class="page">Further results</h2>' + further)
    return '<h2 class="page">Details</h2>' + "".join(out) if out else ""


def _years_section(data: RunData) -> str:
    """Per-year table, charts and small maps of a rollout (empty for single-year runs)."""
    tab = year_table(data.summary, data.hubs)
    if not len(tab):
        return ""
    cols = [(c, lab, kind) for c, lab, kind in YEAR_COLUMNS if c in tab.columns]
    rows = [[format_cell(r[c], kind) for c, _, kind in cols] for _, r in tab.iterrows()]
    numeric = [kind != "bool" for _, _, kind in cols]
    figs = [
        _figure_html(charts.year_build_chart(tab), "Hubs open and installed power at the end of each year"),
        _figure_html(charts.year_money_chart(tab), "Capex spent in each planning year and its budget"),
        _figure_html(charts.year_share_chart(tab), "Served share of volume and AFIR compliance per year"),
    ]
    maps = year_maps_figure(data)
    parts = [
        '<section class="years"><h2 class="page">Rollout by year</h2>',
        '<p class="note">Figures at the end of each planning year; points and MW cumulative.</p>',
        table([lab for _, lab, _ in cols], rows, numeric),
        '<div class="charts">' + "".join(f for f in figs if f) + "</div>",
    ]
    if maps is not None:
        parts.append(
            '<h3 class="page">Hubs open by year</h3><figure class="wide">' + svg_text(maps) + "<figcaption>"
            "Hubs open at the end of each planning year; those opened in the year in colour.</figcaption></figure>"
        )
    return "".join(parts) + "</section>"


def report_html(data: RunData, map_svg: str | None, *, title: str | None = None) -> str:
    """The complete report page.

    Parameters
    ----------
    data : RunData
        Loaded run.
    map_svg : str or None
        Inline SVG of the static map (see :func:`planner.render._figure.svg_text`).
    title : str, optional
        Report title; defaults to the scenario name.

    Returns
    -------
    str
    """
    s = data.summary
    title = title or f"Charging hub plan: {data.title_label}"
    # no folder name: `planner run` renders inside a temporary folder before moving it
    sub = [str(s[k]) for k in ("scenario", "description") if s.get(k)]
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">{esc(" · ".join(sub))}</p>' if sub else "",
        _kpis(data),
        _verification(s),
    ]
    if map_svg:
        parts.append(
            '<h2 class="page">Map</h2><figure class="map">'
            + map_svg
            + "<figcaption>Hubs, the network by tier and the trucks/day on each network edge: band width all "
            "trucks/day, blue served, vermillion core unserved. Interactive version: map.html.</figcaption></figure>"
        )
    caption = (
        "Served share vs number of hubs: each point a plan with that many hubs (greedy, re-simulated); "
        "the band reaches the upper bound no plan with that many hubs can beat"
    )
    if (s.get("afir") or {}).get("mode") == "enforce":
        caption += "; AFIR is enforced, and the plans with fewer hubs than this one do not meet it"
    chart_html = [_figure_html(charts.tradeoff_chart(s), caption)]
    cost = charts.cost_chart(s, data.hubs)
    if cost is not None:
        chart_html.append(_figure_html(cost[0], cost[1]))
    chart_html.append(_figure_html(charts.country_chart(data.hubs), "Charging points and power per country"))
    chart_html.append(_figure_html(charts.rollout_chart(data.hubs), "Rollout by year"))
    chart_html = [c for c in chart_html if c]
    if chart_html:
        parts.append('<h2 class="page">Charts</h2><div class="charts">' + "".join(chart_html) + "</div>")
    hourly = hourly_section(data)
    parts.extend([hourly, _years_section(data)])
    tables = [
        _top_hubs(data.hubs),
        _coverage_by_country(data.summary),
        _countries(data.hubs),
        _flows(data),
        _cut_hubs(data),
    ]
    parts.extend(['<div class="page"></div>', *tables])
    parts.append(_details(further_summary(data)))
    parts.append('<p class="note">Generated by planner. Country outlines: Natural Earth (public domain).</p>')
    return page(title, "\n".join(p for p in parts if p), css=BASE_CSS + REPORT_CSS + (SECTION_CSS if hourly else ""))


def write_report(data: RunData, map_svg: str | None, out: Path | None = None, *, title: str | None = None) -> Path:
    """Write ``report.html`` (default into the run folder) and return its path."""
    out = out or data.run_dir / "report.html"
    out.write_text(report_html(data, map_svg, title=title), encoding="utf-8")
    return out
