"""Hourly verifier checks, from the plan's tables and the scenario only.

* ``hourly_balance``: every hub-hour of ``hub_hourly.csv`` balances (load = grid + discharge − charge),
  the grid stays within the connection, the battery within 0 … capacity and its power, its state of
  charge follows the charge and discharge (cyclic over the day), the connection is whole steps within
  the site's limit, connection and battery cover the chargers' power share, and the energy cost and
  capacity charge in ``hubs.csv`` follow from the dispatch and the tariff.
* ``hourly_demand``: arrivals and loads recomputed from the flows (:mod:`.demand_check`).
* ``hourly_queueing``: every hour, every type's M/M/c wait with its points meets the target.
* ``queue_simulation``: the SimPy simulation of every hub (:mod:`.sim_check`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.chargers import TYPES, offered_types
from planner.context import RunContext
from planner.features.capacity.queueing import expected_wait_h
from planner.features.hourly.demand_check import demand_check, hub_demand
from planner.features.hourly.excess import excess_allowance, expected_excess, load_spread
from planner.features.hourly.sim_check import simulation_check
from planner.plan import Plan
from planner.scenario import Scenario
from planner.verify import Check, listing

__all__ = ["balance_check", "hourly_checks", "queueing_check"]

_TOL = 1e-4  # kW / kWh: the table holds 6 decimals
_REL = 1e-6  # of the hub's largest kW / kWh: the solver's feasibility tolerance


def max_power_kw(sc: Scenario) -> float:
    """Power of the fastest offered charger type (the load's spread within an hour)."""
    return max(t.spec.power_kw for t in offered_types(sc))


def _hub_limits(hub, sc: Scenario) -> str | None:
    """What is wrong with a hub's connection, upgrades, battery units or power cover (None: nothing)."""
    hc, grid = sc.hourly, sc.grid
    conn, upg, units = float(hub.grid_connection_kw), float(hub.grid_upgrade_kw), float(hub.battery_units)
    if abs(conn / hc.connection_step_kw - round(conn / hc.connection_step_kw)) > 1e-9:
        return f"connection {conn:,.0f} kW is not whole {hc.connection_step_kw:g} kW steps"
    if units != round(units) or not 0 <= units <= hc.max_battery_units:
        return f"{units:g} battery units not allowed"
    if (
        abs(float(hub.battery_kwh) - units * hc.battery_unit_kwh) > 1e-6
        or abs(float(hub.battery_kw) - units * hc.battery_unit_kw) > 1e-6
    ):
        return "battery_kwh / battery_kw do not match the units"
    if grid.enabled:
        steps_ok = (
            grid.upgrades_available and abs(upg / grid.upgrade_step_kw - round(upg / grid.upgrade_step_kw)) < 1e-9
        )
        if upg > 0 and (not steps_ok or upg > grid.max_upgrade_steps * grid.upgrade_step_kw + 1e-6):
            return f"upgrade {upg:,.0f} kW not allowed (steps, limit or lead time)"
        if conn > float(hub.grid_available_kw) + upg + 1e-6:
            return f"connection {conn:,.0f} kW > available {float(hub.grid_available_kw):,.0f} + upgrade {upg:,.0f} kW"
    elif conn > hc.max_connection_kw + 1e-6:
        return f"connection {conn:,.0f} kW > hourly.max_connection_kw"
    power = sum(float(getattr(hub, f"chargers_{t}")) * spec.power_kw for t, spec in sc.chargers.types().items())
    cover = conn + float(hub.battery_kw)
    if hc.simultaneity * power > cover + 1e-6:
        return f"{hc.simultaneity:g} × {power:,.0f} kW of chargers > connection + battery {cover:,.0f} kW"
    return None


def _hour_rows(part: pd.DataFrame, hub, sc: Scenario, energy_sd: float) -> str | None:
    """What is wrong with a hub's 24 rows (None: nothing)."""
    hc = sc.hourly
    g, c, d, s, load = (
        part[k].to_numpy(float)
        for k in ("grid_kw", "battery_charge_kw", "battery_discharge_kw", "battery_soc_kwh", "load_kw")
    )
    cap, pkw, conn = float(hub.battery_kwh), float(hub.battery_kw), float(hub.grid_connection_kw)
    tol = _TOL + _REL * max(float(load.max()), conn, cap, 1.0)  # solver tolerances on values of this scale
    excess = expected_excess(load, load_spread(load, max_power_kw(sc)), conn)
    checks = [
        (np.abs(load - (g + d - c)) <= tol, "load ≠ grid + discharge − charge"),
        ((g >= -tol) & (g <= conn + tol), "grid outside 0 … connection"),
        ((s >= -tol) & (s <= cap + tol), "state of charge outside 0 … capacity"),
        ((c >= -tol) & (c <= pkw + tol) & (d >= -tol) & (d <= pkw + tol), "battery power over its units"),
        (
            np.abs(s - np.roll(s, 1) - hc.charge_efficiency * c + d / hc.discharge_efficiency) <= tol,
            "state of charge does not follow charge and discharge",
        ),
        (d >= excess - excess_allowance(load) - tol, "discharge below the hour's expected load above the connection"),
    ]
    for ok, what in checks:
        if not ok.all():
            return f"hour {int(part['hour'].iloc[int(np.flatnonzero(~ok)[0])])}: {what}"
    reserve, busy = hc.reserve_sd * energy_sd, float(load.sum()) + hc.reserve_sd * energy_sd
    if busy > 24 * conn + 24 * tol:
        return f"a busy day's {busy:,.0f} kWh (reserve {reserve:,.0f}) exceed 24 h × the connection"
    price = np.asarray(hc.tariff_eur_per_mwh) + hc.energy_adder_eur_per_mwh
    if not np.allclose(part["price_eur_per_mwh"].to_numpy(float), price):
        return "price_eur_per_mwh is not the tariff plus the adder"
    energy = 365.0 * float(price @ g) / 1000.0
    if abs(energy - float(hub.energy_cost_eur_per_year)) > 0.01 + 1e-6 * energy:
        return f"energy cost {float(hub.energy_cost_eur_per_year):,.2f} ≠ {energy:,.2f} EUR/year from the dispatch"
    charge = conn * hc.capacity_charge_eur_per_kw_year
    if abs(charge - float(hub.capacity_charge_eur_per_year)) > 0.01 + 1e-6 * charge:
        return "capacity charge ≠ connection × capacity_charge_eur_per_kw_year"
    return None


def balance_check(hubs: pd.DataFrame, table: pd.DataFrame, sc: Scenario, energy_sd: dict[str, float]) -> Check:
    """Every hub-hour balances; connection, battery and power cover within their limits."""
    parts = {sid: p.sort_values("hour") for sid, p in table.groupby("site_id", sort=False)}
    bad = []
    for hub in hubs.itertuples(index=False):
        part = parts.get(hub.site_id)
        if part is None or len(part) != 24 or list(part["hour"]) != list(range(24)):
            bad.append(f"{hub.site_id} (hours 0–23 missing)")
            continue
        why = _hub_limits(hub, sc) or _hour_rows(part, hub, sc, energy_sd[hub.site_id])
        if why:
            bad.append(f"{hub.site_id} ({why})")
    return Check(
        "hourly_balance",
        not bad,
        f"{len(table):,} hub-hours balance (load = grid + discharge − charge), grid ≤ connection, battery within "
        "0 … capacity and its power, cyclic state of charge, discharge covering the load above the connection, "
        "connection steps, site limits, a busy day's energy and power cover, energy cost and capacity charge "
        "recomputed"
        if not bad
        else f"{len(bad)} hub(s) fail: {listing(bad, 3)}",
    )


def queueing_check(hubs: pd.DataFrame, table: pd.DataFrame, sc: Scenario) -> Check:
    """Every hour's arrivals are split over the types and every type's M/M/c wait meets the target."""
    target = sc.capacity.max_wait_min
    session = {t.name: t.session_h for t in offered_types(sc)}
    points = hubs.set_index("site_id")[[f"chargers_{t}" for t in TYPES]]
    bad, worst = [], (0.0, "", 0)
    for row in table.itertuples(index=False):
        split = {t: float(getattr(row, f"arrivals_{t}")) for t in TYPES}
        if abs(sum(split.values()) - float(row.arrivals)) > _TOL * max(1.0, float(row.arrivals)):
            bad.append(f"{row.site_id} hour {row.hour} (split ≠ arrivals)")
            continue
        wait = 0.0
        for t, lam in split.items():
            if lam <= 1e-9:
                continue
            n = int(points.at[row.site_id, f"chargers_{t}"])
            w = expected_wait_h(n, lam, session[t]) * 60 if t in session else math.inf
            wait = max(wait, w)
        if wait > worst[0]:
            worst = (wait, row.site_id, int(row.hour))
        if wait > target * (1 + 1e-6) + 1e-6:
            bad.append(f"{row.site_id} hour {row.hour} ({wait:.1f} min)")
    return Check(
        "hourly_queueing",
        not bad,
        f"every hub meets the {target:g}-min mean wait in every hour, each type an M/M/c queue (worst "
        f"{worst[0]:.1f} min: {worst[1]} at {worst[2]} h)"
        if not bad
        else f"{len(bad)} hub-hour(s) over the wait target: {listing(bad, 3)}",
    )


def hourly_checks(plan: Plan, ctx: RunContext) -> list[Check]:
    """The hourly feature's checks (``hub_hourly.csv``, ``hubs.csv``, ``flows.csv`` and the scenario)."""
    sc = ctx.scenario
    table = plan.extras["tables"]["hub_hourly.csv"]
    demand = hub_demand(plan, ctx)
    return [
        balance_check(plan.hubs, table, sc, {sid: d.energy_sd_kwh for sid, d in demand.items()}),
        demand_check(plan.hubs, table, demand),
        queueing_check(plan.hubs, table, sc),
        simulation_check(plan, table, demand, sc),
    ]
