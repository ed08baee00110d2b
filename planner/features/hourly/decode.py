"""Hourly sizing into the plan: hub columns, ``hub_hourly.csv`` and the ``hourly`` summary block."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.chargers import TYPES, set_existing_columns
from planner.features.capacity.queueing import expected_wait_h
from planner.features.hourly.costs import HubCosts, hourly_split
from planner.features.hourly.decompose import Decomposition
from planner.features.hourly.excess import excess_allowance, expected_excess, load_spread
from planner.features.hourly.hub_sizing import HubDesign
from planner.features.hourly.master_solve import cheapest_levels
from planner.plan import Plan
from planner.scenario import Scenario

__all__ = ["HOURLY_COLUMNS", "daily_average_comparison", "hub_columns", "hourly_summary", "hourly_table"]

HOURLY_COLUMNS = [
    "site_id",
    "hour",
    "arrivals",
    "arrivals_mcs",
    "arrivals_ccs",
    "sessions",
    "utilisation",
    "load_kw",
    "grid_kw",
    "battery_charge_kw",
    "battery_discharge_kw",
    "battery_soc_kwh",
    "price_eur_per_mwh",
    "wait_min",
    "grid_connection_kw",
    "battery_kwh",
]


def _waits(split: dict[str, np.ndarray], chargers: dict[str, int], session_h: dict[str, float]) -> np.ndarray:
    wait = np.zeros(24)
    for t, lam in split.items():
        if t in session_h:
            w = [expected_wait_h(chargers[t], float(x), session_h[t]) * 60 for x in lam]
            wait = np.maximum(wait, np.array(w))
    return wait


def _busy(split: dict[str, np.ndarray], session_h: dict[str, float]) -> np.ndarray:
    return sum(split[t] * session_h[t] for t in split if t in session_h)


def _counts(design: HubDesign, costs: HubCosts) -> dict[str, int]:
    counts = {t: 0 for t in TYPES}
    counts.update({tl.name: n for tl, n in zip(costs.types, design.chargers, strict=True)})
    return counts


def without_battery_kw(load: np.ndarray, costs: HubCosts, power_kw: float) -> float:
    """Connection the same chargers and load would need without a battery: whole steps covering the
    chargers' power share and leaving no more load above it than the allowance in any hour."""
    conn = math.ceil(max(float(load.max()), costs.simultaneity * power_kw) / costs.step_kw - 1e-9) * costs.step_kw
    spread = load_spread(load, costs.max_power_kw)
    while np.any(expected_excess(load, spread, conn) > excess_allowance(load)):
        conn += costs.step_kw
    return conn


def _sizing_note(design: HubDesign, avoided: float, costs: HubCosts) -> str:
    if design.battery_units == 0:
        return f"connection {design.connection_kw:,.0f} kW, no battery"
    return (
        f"{design.battery_units} battery unit(s) ({design.battery_units * costs.battery_kwh:,.0f} kWh) instead of "
        f"{avoided:,.0f} kW more connection"
    )


def hub_columns(plan: Plan, result: Decomposition, costs: HubCosts, scenario: Scenario, available) -> None:
    """Points, sessions, peak hour, connection, battery, energy cost and annual cost per hub."""
    hubs, hp = plan.hubs, result.plan
    rows: list[dict] = []
    for i, design in enumerate(hp.designs):
        counts = _counts(design, costs)
        split = hourly_split(hp.arrivals[i], counts, costs)
        waits = _waits(split, counts, costs.session_h)
        busy = _busy(split, costs.session_h)
        peak = int(np.argmax(hp.arrivals[i]))
        power = sum(counts[t] * scenario.chargers.types()[t].power_kw for t in TYPES)
        avoided = max(without_battery_kw(hp.load[i], costs, power) - design.connection_kw, 0.0)
        rows.append(
            {
                **{f"chargers_{t}": counts[t] for t in TYPES},
                **{f"sessions_{t}": round(float(split[t].sum()), 6) for t in TYPES},
                "sessions_per_day": round(float(hp.arrivals[i].sum()), 3),
                "peak_hour": peak,
                "peak_arrivals_per_hour": round(float(hp.arrivals[i][peak]), 3),
                "peak_wait_min": round(float(waits[peak]), 3),
                "utilisation": round(float(busy[peak] / max(sum(counts.values()), 1)), 4),
                "expected_wait_min": round(float(waits.max()), 3),
                "grid_connection_kw": design.connection_kw,
                "grid_upgrade_kw": design.upgrade_kw,
                "battery_units": design.battery_units,
                "battery_kwh": design.battery_units * costs.battery_kwh,
                "battery_kw": design.battery_units * costs.battery_kw,
                "grid_avoided_kw": avoided,
                "peak_load_kw": round(float(hp.load[i].max()), 3),
                "energy_cost_eur_per_year": round(design.annual["energy"], 2),
                "capacity_charge_eur_per_year": round(design.annual["capacity_charge"], 2),
                "hourly_annual_cost_eur": round(
                    design.annual_total + (0.0 if hubs["locked"].iloc[i] else costs.site_annual_eur), 2
                ),
                "sizing": _sizing_note(design, avoided, costs),
                "capex_sizing": sum(design.capex.values()),
            }
        )
    table = pd.DataFrame(rows, index=hubs.index)
    site_fixed = np.where(hubs["locked"].to_numpy(dtype=bool), 0.0, scenario.costs.site_fixed_eur)
    hubs["cost_eur"] = site_fixed + table.pop("capex_sizing").to_numpy(dtype=float)
    for col in table.columns:
        hubs[col] = table[col].to_numpy()
    hubs["chargers"] = sum(hubs[f"chargers_{t}"] for t in TYPES)
    if available is not None:
        hubs.insert(hubs.columns.get_loc("grid_connection_kw"), "grid_available_kw", available[hp.hub_sites])
    plan.summary["total_cost_eur"] = float(hubs["cost_eur"].sum())
    plan.summary["total_chargers"] = int(hubs["chargers"].sum())
    if costs.existing:  # which of a hub's points were standing before the plan
        stand = [costs.standing(int(k)) for k in hp.hub_sites]
        set_existing_columns(hubs, {tl.name: [s[ti] for s in stand] for ti, tl in enumerate(costs.types)})


def hourly_table(plan: Plan, result: Decomposition, costs: HubCosts) -> pd.DataFrame:
    """``hub_hourly.csv``: one row per hub and hour."""
    hp, hubs = result.plan, plan.hubs
    parts = []
    for i, design in enumerate(hp.designs):
        counts = _counts(design, costs)
        split = hourly_split(hp.arrivals[i], counts, costs)
        busy = _busy(split, costs.session_h)
        points = max(sum(counts.values()), 1)
        parts.append(
            pd.DataFrame(
                {
                    "site_id": hubs["site_id"].iloc[i],
                    "hour": np.arange(24),
                    "arrivals": hp.arrivals[i].round(6),
                    "arrivals_mcs": split["mcs"].round(6),
                    "arrivals_ccs": split["ccs"].round(6),
                    "sessions": busy.round(6),
                    "utilisation": (busy / points).round(6),
                    "load_kw": hp.load[i].round(6),
                    "grid_kw": design.grid_kw.round(6),
                    "battery_charge_kw": design.charge_kw.round(6),
                    "battery_discharge_kw": design.discharge_kw.round(6),
                    "battery_soc_kwh": design.soc_kwh.round(6),
                    "price_eur_per_mwh": costs.price,
                    "wait_min": _waits(split, counts, costs.session_h).round(6),
                    "grid_connection_kw": design.connection_kw,
                    "battery_kwh": design.battery_units * costs.battery_kwh,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=HOURLY_COLUMNS)


def daily_average_comparison(result: Decomposition, costs: HubCosts, peak_hour_share: float) -> dict:
    """What sizing on the daily average (``capacity.peak_hour_share`` of the day's sessions in the busiest
    hour) would have given the same hubs: points, and hubs whose real busiest hour it misses."""
    points = hourly = short = over = 0
    for arrivals, design in zip(result.plan.arrivals, result.plan.designs, strict=True):
        assumed, peak = peak_hour_share * float(arrivals.sum()), float(arrivals.max())
        picks = cheapest_levels(costs.types, tuple(costs.charger_annual(t) for t in range(len(costs.types))), assumed)
        points += sum(tl.servers[li] for tl, li in zip(costs.types, picks, strict=True))
        hourly += sum(design.chargers)
        capacity = sum(tl.capacity[li] for tl, li in zip(costs.types, picks, strict=True))
        short += capacity < peak * (1 - 1e-4)
        over += assumed > peak * (1 + 1e-4)
    return {
        "peak_hour_share": peak_hour_share,
        "points_daily_average": points,
        "points_hourly": hourly,
        "hubs_missing_their_peak_hour": short,
        "hubs_sized_for_more_than_their_peak": over,
    }


def hourly_summary(plan: Plan, result: Decomposition, costs: HubCosts, scenario: Scenario, profiles: dict) -> dict:
    """The ``hourly`` block of summary.json: what was assumed, what was built, what it costs, the bound."""
    hubs, hc = plan.hubs, scenario.hourly
    energy_kwh = float(sum(load.sum() for load in result.plan.load)) * 365.0
    energy_cost = float(hubs["energy_cost_eur_per_year"].sum())
    capacity = float(hubs["capacity_charge_eur_per_year"].sum())
    annual = float(hubs["hourly_annual_cost_eur"].sum())
    return {
        "departure_profiles": profiles,
        "tariff_eur_per_mwh": list(hc.tariff_eur_per_mwh),
        "energy_adder_eur_per_mwh": hc.energy_adder_eur_per_mwh,
        "charge_efficiency": hc.charge_efficiency,
        "discharge_efficiency": hc.discharge_efficiency,
        "session_time_h": costs.session_h,
        "energy_spread_h": costs.charge_h,
        "max_wait_min": scenario.capacity.max_wait_min,
        "totals": {
            "hubs": int(len(hubs)),
            "hubs_with_battery": int((hubs["battery_units"] > 0).sum()),
            "battery_units": int(hubs["battery_units"].sum()),
            "battery_mwh": float(hubs["battery_kwh"].sum() / 1000),
            "connection_mw": float(hubs["grid_connection_kw"].sum() / 1000),
            "grid_avoided_mw": float(hubs["grid_avoided_kw"].sum() / 1000),
            "peak_load_mw": float(hubs["peak_load_kw"].sum() / 1000),
            "energy_gwh_per_year": energy_kwh / 1e6,
            "energy_cost_eur_per_year": energy_cost,
            "capacity_charge_eur_per_year": capacity,
            "energy_and_capacity_eur_per_kwh": (energy_cost + capacity) / energy_kwh if energy_kwh else None,
            "annual_cost_eur": annual,
            "annual_cost_eur_per_kwh": annual / energy_kwh if energy_kwh else None,
        },
        "daily_average": daily_average_comparison(result, costs, scenario.capacity.peak_hour_share),
        "bound": result.bound,
        "rounds": result.rounds,
        "master": {name: r.to_dict() for name, r in result.master.stages.items()},
        "seconds": result.seconds,
    }
