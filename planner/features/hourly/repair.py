"""Designs tried in simulation before they are kept: more connection where the hourly model is not enough.

The hub subproblem works on hourly means and the expected load above the connection within each hour;
it cannot see a battery drained by a run of busy hours, which then slows every session (load management)
and lengthens the queue. Each sized hub is therefore simulated (:func:`~planner.features.hourly.simulate.simulate_hub`,
the verifier's simulation with its own seed: ``simulation_seed + 1``); a hub whose measured mean wait
exceeds ``capacity.max_wait_min`` is sized again with a connection at least one step larger, until it
passes or its grid limit is reached. Each repair is still an exact design for its connection floor; the
annual cost carries it (the global bound does not change).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.chargers import TYPES
from planner.features.hourly.arrivals import StopHours
from planner.features.hourly.costs import HubCosts, hourly_split
from planner.features.hourly.hub_sizing import HubDesign, size_hub
from planner.features.hourly.lp import Solver
from planner.features.hourly.simulate import SimHub, simulate_hub
from planner.scenario import Scenario
from planner.trips import StopTable

__all__ = ["HubCase", "design_sim_hub", "size_in_simulation"]

_MAX_STEPS = 40  # connection steps added to one hub at most


@dataclass(frozen=True)
class HubCase:
    """One hub to size: where it is, its hours, its grid limit and its trucks."""

    site_id: str
    site: int
    arrivals: np.ndarray
    load: np.ndarray
    available_kw: float | None
    energy_sd: float
    stops: StopTable
    hours: StopHours


def design_sim_hub(case: HubCase, design: HubDesign, costs: HubCosts, sc: Scenario) -> SimHub:
    """A sized hub as the simulation sees it."""
    counts = {t: 0 for t in TYPES}
    counts.update({tl.name: n for tl, n in zip(costs.types, design.chargers, strict=True)})
    arrivals, stops, k = case.arrivals, case.stops, case.site
    split = hourly_split(arrivals, counts, costs)
    share = {t: np.divide(split[t], arrivals, out=np.zeros(24), where=arrivals > 0) for t in TYPES}
    rows = np.flatnonzero(stops.site == k)
    weight = np.array([stops.trucks[r] * case.hours.arrival[case.hours.row(int(stops.flow[r]), k)] for r in rows])
    types = sc.chargers.types()
    return SimHub(
        site_id=case.site_id,
        points=counts,
        power_kw={t: types[t].power_kw for t in TYPES},
        taper={t: (types[t].taper_soc, types[t].taper_floor) for t in TYPES},
        rate=arrivals,
        split=share,
        stop_kwh=stops.energy_kwh[rows],
        stop_soc=stops.soc_in[rows],
        stop_weight=weight.reshape(len(rows), 24),
        connection_kw=design.connection_kw,
        battery_kwh=design.battery_units * costs.battery_kwh,
        battery_kw=design.battery_units * costs.battery_kw,
        eta_charge=costs.eta_charge,
        eta_discharge=costs.eta_discharge,
        charge_plan_kw=design.charge_kw,
        soc_plan_kwh=design.soc_kwh,
        truck_kwh=sc.vehicle.battery_kwh,
        overhead_h=sc.capacity.plug_overhead_min / 60.0,
    )


def _waits_ok(hub: SimHub, sc: Scenario) -> bool:
    hc = sc.hourly
    r = simulate_hub(
        hub,
        days=hc.simulation_days,
        warmup_days=hc.simulation_warmup_days,
        step_s=hc.simulation_step_s,
        seed=hc.simulation_seed + 1,
    )
    return r.unfinished == 0 and r.mean_wait_min <= sc.capacity.max_wait_min


def size_in_simulation(case: HubCase, costs: HubCosts, sc: Scenario, solver: Solver) -> tuple[HubDesign | None, int]:
    """The hub's exact design, with as many more connection steps as the simulation needed (and how many;
    ``None`` if no design fits its grid)."""
    stand = costs.standing(case.site)
    design = size_hub(
        case.arrivals, case.load, case.available_kw, costs, solver, energy_sd_kwh=case.energy_sd, existing=stand
    )
    if design is None:
        return None, 0
    for added in range(_MAX_STEPS + 1):
        if _waits_ok(design_sim_hub(case, design, costs, sc), sc):
            return design, added
        bigger = size_hub(
            case.arrivals,
            case.load,
            case.available_kw,
            costs,
            solver,
            energy_sd_kwh=case.energy_sd,
            min_connection_kw=design.connection_kw + costs.step_kw,
            existing=stand,
        )
        if bigger is None:  # the grid allows no more: keep it (the verifier reports the wait)
            return design, added
        design = bigger
    return design, _MAX_STEPS
