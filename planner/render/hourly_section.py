"""The report's "Hour by hour" section of an hourly-sized run (``hub_hourly.csv``).

A network-wide 24-hour chart, small multiples of the largest hubs, the key figures of
``summary.json`` → ``hourly`` (totals, the daily-average comparison, the queue simulation, the
gap) and a table per hub. The figures shown here are taken out of the report's "Further results"
(:func:`further_summary`); the model's assumptions and solves stay there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from . import _hourly as hr
from . import _style as st
from ._figure import svg_text
from ._html import esc, table
from ._load import RunData
from .hourly_charts import MAX_PANELS, hub_grid_chart, network_chart, panel_titles

TABLE_HUBS = 25
SHOWN_KEYS = ("totals", "daily_average", "simulation", "bound")  # of summary["hourly"], drawn here
SECTION_CSS = """
.hourly figure.wide svg.figure { max-width: var(--w, 1150px); }
.hourly figure.net svg.figure { max-width: 680px; }
@media print {
  .hourly figure.wide svg.figure, .hourly figure.net svg.figure { width: 100%; max-width: none; height: auto;
    max-height: 160mm; }
}
"""


def _num(block: Any, key: str) -> float | None:
    value = block.get(key) if isinstance(block, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _eur_per_kwh(x: float) -> str:
    return f"{x:.3f} EUR/kWh"


def _total_rows(t: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    hubs, with_batt = _num(t, "hubs"), _num(t, "hubs_with_battery")
    if with_batt is not None:
        extra = [f"{st.fmt_num(v)} {u}" for v, u in ((_num(t, "battery_units"), "units"),) if v is not None]
        mwh = _num(t, "battery_mwh")
        extra += [f"{st.fmt_num(mwh, 1)} MWh"] if mwh is not None else []
        of = f" of {st.fmt_num(hubs)}" if hubs is not None else ""
        rows.append(
            ["Hubs with a battery", f"{st.fmt_num(with_batt)}{of}" + (f" ({', '.join(extra)})" if extra else "")]
        )
    conn, peak = _num(t, "connection_mw"), _num(t, "peak_load_mw")
    if conn is not None:
        tail = f" for a {st.fmt_num(peak, 1)} MW sum of the hubs' peak loads" if peak is not None else ""
        rows.append(["Grid connections", f"{st.fmt_num(conn, 1)} MW{tail}"])
    avoided = _num(t, "grid_avoided_mw")
    if avoided is not None:
        rows.append(["Grid connection avoided by batteries", f"{st.fmt_num(avoided, 1)} MW"])
    gwh = _num(t, "energy_gwh_per_year")
    if gwh is not None:
        rows.append(["Energy delivered", f"{st.fmt_num(gwh, 1)} GWh/year"])
    energy, capacity = _num(t, "energy_cost_eur_per_year"), _num(t, "capacity_charge_eur_per_year")
    per_kwh = _num(t, "energy_and_capacity_eur_per_kwh")
    if energy is not None or per_kwh is not None:
        parts = [f"{st.fmt_eur(v)}/year" for v in (energy, capacity) if v is not None]
        text = " + ".join(parts) + (f" = {_eur_per_kwh(per_kwh)} delivered" if per_kwh is not None else "")
        rows.append(["Energy cost + capacity charges", text.strip(" =")])
    annual, all_in = _num(t, "annual_cost_eur"), _num(t, "annual_cost_eur_per_kwh")
    if annual is not None or all_in is not None:
        parts = [f"{st.fmt_eur(annual)}/year"] if annual is not None else []
        parts += [_eur_per_kwh(all_in)] if all_in is not None else []
        rows.append(["All-in annual cost (annuities, opex, energy, capacity charges)", " = ".join(parts)])
    return rows


def _other_rows(block: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    daily = block.get("daily_average")
    hourly_pts, daily_pts = _num(daily, "points_hourly"), _num(daily, "points_daily_average")
    if hourly_pts is not None and daily_pts is not None:
        share = _num(daily, "peak_hour_share")
        rule = f" (peak-hour share {st.fmt_pct(share, 0)})" if share is not None else ""
        rows.append(
            [
                "Charging points: hour by hour vs the daily-average rule",
                f"{st.fmt_num(hourly_pts)} vs {st.fmt_num(daily_pts)}{rule}",
            ]
        )
    sim = block.get("simulation")
    trucks, mean = _num(sim, "trucks"), _num(sim, "mean_wait_min")
    if trucks is not None and mean is not None:
        days = _num(sim, "days")
        text = f"{st.fmt_num(trucks)} trucks" + (f" over {st.fmt_num(days)} days" if days is not None else "")
        text += f"; mean wait {mean:.1f} min"
        worst, p95, limit = (
            _num(sim, k) for k in ("worst_hub_mean_wait_min", "worst_hub_p95_wait_min", "wait_limit_min")
        )
        if worst is not None:
            text += f", worst hub {worst:.1f} min"
        if p95 is not None:
            text += f" (95th percentile {p95:.1f} min" + (f", limit {limit:.1f} min)" if limit is not None else ")")
        served = _num(sim, "energy_served_share")
        text += f"; {st.fmt_pct(min(served, 1.0))} of energy served" if served is not None else ""
        rows.append(["Queue simulation", text])
    gap, lower = _num(block.get("bound"), "gap"), _num(block.get("bound"), "lower_eur_per_year")
    if gap is not None:
        tail = f" (lower bound {st.fmt_eur(lower)}/year)" if lower is not None else ""
        rows.append(["Gap to the lower bound", st.fmt_pct(gap, 2) + tail])
    return rows


def _hub_table(data: RunData, days: dict[str, hr.HubDay], sites: list[str]) -> str:
    hubs = data.hubs.assign(site_id=data.hubs["site_id"].astype(str)).drop_duplicates("site_id").set_index("site_id")

    def given(site: str, col: str) -> float | None:
        if col not in hubs.columns or site not in hubs.index:
            return None
        v = pd.to_numeric(pd.Series([hubs.at[site, col]]), errors="coerce").iloc[0]
        return None if pd.isna(v) else float(v)

    rows = []
    for site in sites:
        day = days[site]
        peak_hour = given(site, "peak_hour")
        peak_load = given(site, "peak_load_kw")
        sizing = hubs.at[site, "sizing"] if "sizing" in hubs.columns and site in hubs.index else None
        rows.append(
            [
                site,
                hr.hub_label(data.hubs, site, 40),
                st.fmt_num(peak_hour if peak_hour is not None else int(day.load.argmax())),
                st.fmt_num(peak_load if peak_load is not None else day.load.max()),
                st.fmt_num(day.connection_kw if math.isfinite(day.connection_kw) else None),
                st.fmt_num(day.battery_kwh if math.isfinite(day.battery_kwh) else None),
                st.fmt_num(given(site, "grid_avoided_kw")),
                st.fmt_eur(given(site, "energy_cost_eur_per_year")),
                sizing if isinstance(sizing, str) else "–",
            ]
        )
    heads = [
        "site id",
        "name",
        "peak hour",
        "peak load (kW)",
        "connection (kW)",
        "battery (kWh)",
        "grid avoided (kW)",
        "energy cost (EUR/year)",
        "sizing",
    ]
    return table(heads, rows, [False, False, True, True, True, True, True, True, False])


def _network_caption(day: hr.HubDay) -> str:
    text = "The representative day of all hubs together, each hour's mean: the chargers' load, what the hubs draw"
    text += " from the grid and what their batteries give (up) and take (down)" if day.has_battery else " from the grid"
    if math.isfinite(day.connection_kw):
        text += "; dashed: the hubs' grid connections summed (hubs peak at different hours)"
    if np.isfinite(day.price).any():
        text += "; dotted: the energy price"
    return text + "."


def hourly_section(data: RunData) -> str:
    """The "Hour by hour" section, or ``""`` when the run has no ``hub_hourly.csv``.

    Parameters
    ----------
    data : RunData
        Loaded run (:attr:`RunData.hourly`, hub names from ``hubs.csv``, ``summary["hourly"]``).

    Returns
    -------
    str
        HTML.
    """
    days = hr.hub_days(data.hourly)
    net = hr.network_day(days)
    if net is None:
        return ""
    order = hr.largest(days, data.hubs, len(days))
    shown = order[:MAX_PANELS]
    parts = ['<section class="hourly"><h2 class="page">Hour by hour</h2>']
    block = data.summary.get("hourly") if isinstance(data.summary.get("hourly"), dict) else {}
    totals = block.get("totals") if isinstance(block.get("totals"), dict) else {}
    rows = _total_rows(totals) + _other_rows(block)
    if rows:
        parts.append(table(["", "value"], rows, [False, False]))
    parts.append(
        f'<figure class="net">{svg_text(network_chart(*net))}<figcaption>{esc(_network_caption(net[0]))}'
        "</figcaption></figure>"
    )
    grid = hub_grid_chart([days[s] for s in shown], panel_titles(data.hubs, shown))
    if grid is not None:
        width = round(grid.get_figwidth() * 100)
        note = f"The {len(shown)} hubs with the highest peak load" if len(shown) < len(days) else "Every hub"
        parts.append(
            f'<h3>{esc(note)}, hour by hour</h3><figure class="wide" style="--w: {width}px">{svg_text(grid)}'
            "<figcaption>Each hub on its own scale: load, grid draw, battery discharging (up) and charging "
            "(down), dashed the hub's grid connection.</figcaption></figure>"
        )
    listed = order[:TABLE_HUBS]
    parts.append(
        f'<h3>Per hub</h3><p class="note">{len(listed)} of {len(days)} hubs, by peak load.</p>'
        + _hub_table(data, days, listed)
    )
    return "".join(parts) + "</section>"


def further_summary(data: RunData) -> dict[str, Any]:
    """``summary.json`` without the hourly figures :func:`hourly_section` shows (all of it if it shows none)."""
    block = data.summary.get("hourly")
    if not isinstance(block, dict) or not hr.hub_days(data.hourly):
        return data.summary
    rest = {k: v for k, v in block.items() if k not in SHOWN_KEYS}
    return {**data.summary, "hourly": rest}
