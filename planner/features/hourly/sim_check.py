"""The ``queue_simulation`` check: every hub simulated (SimPy) from the plan's tables.

Each hub's points, connection and battery come from ``hubs.csv``; its hourly split over the types,
planned battery charging and midnight state of charge from ``hub_hourly.csv``; its arrival rates and
the energy and state of charge of its trucks from the stops recomputed from the flows
(:mod:`.demand_check`). The check passes when, for every hub, the measured mean wait is within
``(1 + hourly.wait_tolerance) × capacity.max_wait_min``, every truck that arrived in the measured days
got its energy, the grid draw never exceeded the connection and the battery never went below empty.
The figures go to ``summary.json`` (``hourly.simulation``) and ``hub_simulation.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chargers import TYPES
from planner.features.hourly.demand_check import HubDemand
from planner.features.hourly.simulate import SimHub, SimResult, simulate_hub
from planner.plan import Plan
from planner.scenario import Scenario
from planner.verify import Check, listing

__all__ = ["simulation_check"]


def _sim_hub(hub, part: pd.DataFrame, demand: HubDemand, sc: Scenario) -> SimHub:
    hc, types = sc.hourly, sc.chargers.types()
    rate = part["arrivals"].to_numpy(float)
    split = {t: np.divide(part[f"arrivals_{t}"].to_numpy(float), rate, out=np.zeros(24), where=rate > 0) for t in TYPES}
    return SimHub(
        site_id=hub.site_id,
        points={t: int(getattr(hub, f"chargers_{t}")) for t in TYPES},
        power_kw={t: types[t].power_kw for t in TYPES},
        taper={t: (types[t].taper_soc, types[t].taper_floor) for t in TYPES},
        rate=demand.arrivals,
        split=split,
        stop_kwh=demand.kwh,
        stop_soc=demand.soc,
        stop_weight=demand.trucks[:, None] * demand.arrival,
        connection_kw=float(hub.grid_connection_kw),
        battery_kwh=float(hub.battery_kwh),
        battery_kw=float(hub.battery_kw),
        eta_charge=hc.charge_efficiency,
        eta_discharge=hc.discharge_efficiency,
        charge_plan_kw=part["battery_charge_kw"].to_numpy(float),
        soc_plan_kwh=part["battery_soc_kwh"].to_numpy(float),
        truck_kwh=sc.vehicle.battery_kwh,
        overhead_h=sc.capacity.plug_overhead_min / 60.0,
    )


def _problem(r: SimResult, limit: float, hub) -> str | None:
    if r.unfinished:
        return f"{r.unfinished} truck(s) never finished"
    if r.mean_wait_min > limit:
        return f"mean wait {r.mean_wait_min:.1f} min > {limit:.1f}"
    if r.served_kwh < r.demanded_kwh * (1 - 1e-6) - 1e-6:
        return f"served {r.served_kwh:,.0f} of {r.demanded_kwh:,.0f} kWh"
    if r.max_grid_kw > float(hub.grid_connection_kw) + 1e-6:
        return f"grid {r.max_grid_kw:,.0f} kW > connection"
    if r.min_battery_kwh < -1e-6:
        return "battery below empty"
    return None


def simulation_check(plan: Plan, table: pd.DataFrame, demand: dict[str, HubDemand], sc: Scenario) -> Check:
    """Simulate every hub; record the figures; pass if waits, energy, grid and battery hold."""
    hc = sc.hourly
    limit = sc.capacity.max_wait_min * (1 + hc.wait_tolerance)
    parts = {sid: p.sort_values("hour") for sid, p in table.groupby("site_id", sort=False)}
    rows, bad, waits_all = [], [], []
    for hub in plan.hubs.itertuples(index=False):
        r = simulate_hub(
            _sim_hub(hub, parts[hub.site_id], demand[hub.site_id], sc),
            days=hc.simulation_days,
            warmup_days=hc.simulation_warmup_days,
            step_s=hc.simulation_step_s,
            seed=hc.simulation_seed,
        )
        rows.append({"site_id": hub.site_id, **{k: getattr(r, k) for k in SimResult.__dataclass_fields__}})
        waits_all.append((r.trucks, r.mean_wait_min))
        why = _problem(r, limit, hub)
        if why:
            bad.append(f"{hub.site_id} ({why})")
    table_sim = pd.DataFrame(rows)
    plan.extras.setdefault("tables", {})["hub_simulation.csv"] = table_sim
    trucks = int(table_sim["trucks"].sum()) if len(table_sim) else 0
    mean = float(sum(n * w for n, w in waits_all) / trucks) if trucks else 0.0
    figures = {
        "days": hc.simulation_days,
        "warmup_days": hc.simulation_warmup_days,
        "seed": hc.simulation_seed,
        "step_s": hc.simulation_step_s,
        "wait_limit_min": limit,
        "trucks": trucks,
        "mean_wait_min": mean,
        "worst_hub_mean_wait_min": float(table_sim["mean_wait_min"].max()) if trucks else 0.0,
        "worst_hub_p95_wait_min": float(table_sim["p95_wait_min"].max()) if trucks else 0.0,
        "energy_served_share": float(table_sim["served_kwh"].sum() / table_sim["demanded_kwh"].sum())
        if trucks
        else 1.0,
        "throttled_share": float(table_sim["throttled_share"].mean()) if trucks else 0.0,
        "hubs_failing": len(bad),
    }
    plan.summary.setdefault("hourly", {})["simulation"] = figures
    return Check(
        "queue_simulation",
        not bad,
        f"{len(plan.hubs)} hubs simulated for {hc.simulation_days} day(s) after {hc.simulation_warmup_days} warm-up "
        f"(seed {hc.simulation_seed}): {trucks:,} trucks, mean wait {mean:.1f} min (worst hub "
        f"{figures['worst_hub_mean_wait_min']:.1f} ≤ {limit:.1f}, worst p95 {figures['worst_hub_p95_wait_min']:.1f} "
        f"min), energy served {figures['energy_served_share']:.2%}, grid never above the connection, battery never "
        "below empty"
        if not bad
        else f"{len(bad)} hub(s) fail in simulation: {listing(bad, 3)}",
    )
