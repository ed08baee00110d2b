"""Per-feature plan outputs: grid, queueing, charger totals, AFIR and rollout tables and checks.

Each function takes the decoded :class:`~planner.plan.Plan` and adds its columns to
``plan.hubs``, its block to ``plan.summary`` or its layers/tables to ``plan.extras``.
"""

from __future__ import annotations

import numpy as np

from planner.afir import gaps_geodataframe
from planner.chargers import TYPES
from planner.compliance import afir_summary, directions_table, measure_plan, pool_ok
from planner.model.grid import GridSpec
from planner.plan import Plan
from planner.queueing import expected_wait_h
from planner.rollout import RolloutResult, year_table
from planner.scenario import Scenario
from planner.sizing import session_hours
from planner.verify import Check

__all__ = [
    "afir_outputs",
    "charger_totals",
    "grid_outputs",
    "hub_queueing",
    "rollout_afir_check",
    "rollout_checks",
    "rollout_outputs",
]


def rollout_outputs(plan: Plan, rollout: RolloutResult, scenario: Scenario, network, sites, flows, instance) -> None:
    """Opening year per hub and the per-year table (served flows re-simulated per year)."""
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    opened = rollout.opened_year
    plan.hubs["opened_year"] = [int(opened[index[s]]) for s in plan.hubs["site_id"]]
    plan.summary["years"] = year_table(rollout, scenario, network, sites, flows, instance)
    plan.summary["rollout"] = {
        "mode": scenario.rollout.mode,
        "years": list(rollout.years),
        "solves": [r.to_dict() for r in rollout.results],
        "discounted_capex_eur": plan.summary["years"][-1]["discounted_capex_cumulative_eur"],
        "discounted_covered_truck_km": float(
            sum(row["covered_truck_km"] * d for row, d in zip(plan.summary["years"], rollout.discount, strict=True))
        ),
    }


def rollout_checks(years: list[dict], total_budget: float | None = None, *, afir_enforced: bool = False) -> list[Check]:
    """Yearly budgets, hubs staying open and (AFIR enforced) each year's milestone, from the per-year table."""
    over = [
        f"{r['year']} ({r['capex_eur']:,.0f} > {r['budget_eur']:,.0f})"
        for r in years
        if r["budget_eur"] is not None and r["capex_eur"] > r["budget_eur"] * (1 + 1e-9)
    ]
    shrink = [str(b["year"]) for a, b in zip(years[:-1], years[1:], strict=True) if b["hubs"] < a["hubs"]]
    spent = sum(r["capex_eur"] for r in years)
    total_ok = total_budget is None or spent <= total_budget * (1 + 1e-9)
    return [
        Check(
            "rollout_budget_total",
            total_ok,
            f"capex over all years {spent:,.0f} EUR"
            + ("" if total_budget is None else f" {'≤' if total_ok else '>'} {total_budget:,.0f} EUR"),
        ),
        Check(
            "rollout_budget_per_year",
            not over,
            "every year's capex within its budget" if not over else f"over budget in {', '.join(over)}",
        ),
        Check(
            "rollout_hubs_stay_open",
            not shrink,
            "hub count never falls" if not shrink else f"hubs closed in {', '.join(shrink)}",
        ),
        *([rollout_afir_check(years)] if afir_enforced else []),
    ]


def rollout_afir_check(years: list[dict]) -> Check:
    """Each year's open hubs meet the AFIR milestone due by its end (re-measured in the year table)."""
    due = [r for r in years if r.get("afir_met") is not None]
    missed = [
        f"{r['year']} ({r['afir_milestone']}: share {r['afir_share']:.3f} < {r['afir_required_share']:g})"
        if r["afir_share"] < r["afir_required_share"] - 1e-9
        else f"{r['year']} ({r['afir_milestone']}: a tier below {r['afir_required_share']:g})"
        for r in due
        if not r["afir_met"]
    ]
    return Check(
        "rollout_afir_per_year",
        not missed,
        f"{len(due)} year(s) meet the AFIR milestone due by their end (re-measured from each year's hubs)"
        if not missed
        else f"AFIR milestone missed in {', '.join(missed)}",
    )


def grid_outputs(plan: Plan, scenario: Scenario, sites, model, spec: GridSpec) -> None:
    """Grid capacity and upgrades per hub; upgrade cost added to the hub's capex."""
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    ks = [index[s] for s in plan.hubs["site_id"]]
    upgrade = model.grid.upgrade if model.grid is not None else {}
    battery = model.grid.battery if model.grid is not None else {}
    steps = np.array([round(upgrade[k].value() or 0.0) if k in upgrade else 0 for k in ks], dtype=int)
    units = np.array([round(battery[k].value() or 0.0) if k in battery else 0 for k in ks], dtype=int)
    g = scenario.grid
    plan.hubs["grid_available_kw"] = spec.available_kw[ks] if ks else []
    plan.hubs["grid_upgrade_kw"] = steps * spec.step_kw
    plan.hubs["battery_units"] = units
    plan.hubs["battery_kwh"] = units * g.battery_kwh
    plan.hubs["battery_kw"] = units * spec.battery_kw
    plan.hubs["cost_eur"] = plan.hubs["cost_eur"] + steps * spec.step_eur + units * spec.battery_eur
    plan.summary["total_cost_eur"] = float(plan.hubs["cost_eur"].sum())
    plan.summary["grid"] = {
        "upgrade_steps": int(steps.sum()),
        "upgrade_mw": float(steps.sum() * spec.step_kw / 1000),
        "upgrade_cost_eur": float(steps.sum() * spec.step_eur),
        "upgrades_available": spec.max_steps > 0,
    }


def hub_queueing(plan: Plan, scenario: Scenario, session_factor: float = 1.0) -> None:
    """Sessions, peak arrivals, utilisation and expected wait per hub and charger type."""
    hubs, cap = plan.hubs, scenario.capacity
    service = session_hours(scenario)
    sessions = hubs["volume_charging"].to_numpy(dtype=float) * session_factor
    hubs["sessions_per_day"] = sessions.round(3)
    hubs["peak_arrivals_per_hour"] = (sessions * cap.peak_hour_share).round(3)
    busy = np.zeros(len(hubs))
    wait = np.zeros(len(hubs))
    for t in TYPES:
        if t not in service:
            continue
        lam = hubs[f"sessions_{t}"].to_numpy(dtype=float) * cap.peak_hour_share
        busy += lam * service[t]
        w = [
            expected_wait_h(int(c), float(x), service[t]) * 60 for c, x in zip(hubs[f"chargers_{t}"], lam, strict=True)
        ]
        wait = np.maximum(wait, np.array(w, dtype=float)) if len(hubs) else wait
    chargers = hubs["chargers"].to_numpy(dtype=int)
    hubs["utilisation"] = np.where(chargers > 0, busy / np.maximum(chargers, 1), 0.0).round(4)
    hubs["expected_wait_min"] = wait.round(3)
    plan.summary["capacity"] = {
        "session_time_h": service,
        "peak_hour_share": cap.peak_hour_share,
        "max_wait_min": cap.max_wait_min,
        "sessions_per_day": float(sessions.sum()),
        "sessions_by_type": {t: float(hubs[f"sessions_{t}"].sum()) for t in TYPES},
        "max_expected_wait_min": float(wait.max()) if len(hubs) else 0.0,
    }


def charger_totals(plan: Plan, scenario: Scenario) -> None:
    """Points by type, installed power per hub, totals in the summary."""
    hubs, types = plan.hubs, scenario.chargers.types()
    hubs["power_kw"] = sum(hubs[f"chargers_{t}"].to_numpy(dtype=float) * types[t].power_kw for t in TYPES)
    plan.summary["total_chargers"] = int(hubs["chargers"].sum())
    plan.summary["chargers"] = {
        "points_by_type": {t: int(hubs[f"chargers_{t}"].sum()) for t in TYPES},
        "power_kw_by_type": {t: types[t].power_kw for t in TYPES},
        "total_power_mw": float(hubs["power_kw"].sum() / 1000),
        "capex_points_eur": float(sum(hubs[f"chargers_{t}"].sum() * types[t].capex_eur for t in TYPES)),
    }


def afir_outputs(plan: Plan, scenario: Scenario, network, sites) -> None:
    """Pool power per hub, AFIR report in the summary, gap layer and per-direction table."""
    plan.hubs["afir_pool_ok"] = pool_ok(plan.hubs, scenario.chargers, scenario.afir.year) if len(plan.hubs) else []
    report = measure_plan(scenario.afir, scenario.chargers, network, sites, plan.hubs)
    if report is None:
        plan.summary["afir"] = {"mode": scenario.afir.mode, "note": "no configured AFIR tier in this network"}
        return
    plan.summary["afir"] = afir_summary(report, scenario.afir.mode)
    plan.extras.setdefault("layers", {})["afir_gaps"] = gaps_geodataframe(network, report)
    plan.extras.setdefault("tables", {})["afir.csv"] = directions_table(report)
