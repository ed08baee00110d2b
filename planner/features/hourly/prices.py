"""Valid hourly prices per site for the bound: energy prices ``π_k`` and a power price ``ψ_k``.

For every site that can become a hub, the linear relaxation of its energy-and-grid cost is solved at
one point ``(L̄_k, P̄_k)`` (:func:`~planner.features.hourly.hub_sizing.load_duals`); its duals bound that
cost at every load and charger power, ``V_k(L, P) ≥ π_k · L + ψ_k P``, and are tight near the point.
Before the first round the point is the site's *potential*: every flow that may charge there, with the
energy it would take if it were the flow's first charge and a pool sized to its busiest hour; later
rounds price the plan's hubs at their actual load and chargers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.features.hourly.arrivals import StopHours
from planner.features.hourly.costs import HubCosts
from planner.features.hourly.hub_sizing import load_duals
from planner.features.hourly.lp import Solver
from planner.instance import PlanningInstance
from planner.scenario import VehicleConfig

__all__ = ["SitePrices", "potential_points", "site_prices"]


@dataclass(frozen=True)
class SitePrices:
    """Per site: ``π_k`` (EUR/year per kW of load in each hour) and ``ψ_k`` (EUR/year per kW of chargers)."""

    energy: dict[int, np.ndarray]
    power: dict[int, float]


def potential_points(
    instance: PlanningInstance, hours: StopHours, costs: HubCosts, vehicle: VehicleConfig
) -> dict[int, tuple[np.ndarray, float]]:
    """Each window site's potential load (kW per hour) and charger power (kW)."""
    full = (vehicle.soc_max - vehicle.soc_min) * vehicle.battery_kwh
    load: dict[int, np.ndarray] = {}
    rate: dict[int, np.ndarray] = {}
    for q, wins in enumerate(instance.windows):
        if not wins:
            continue
        sites = {k for w in wins for k in w}
        for r in range(hours.start[q], hours.start[q + 1]):
            k = int(hours.site[r])
            if k not in sites:
                continue
            first = (vehicle.soc_max - vehicle.soc_start) * vehicle.battery_kwh
            kwh = min(max(first + vehicle.consumption_kwh_per_km * hours.drive_km[r], 0.0), full)
            load[k] = load.get(k, 0.0) + instance.volume[q] * kwh * hours.energy[r]
            rate[k] = rate.get(k, 0.0) + instance.volume[q] * hours.arrival[r]
    fast = min(range(len(costs.types)), key=lambda ti: costs.session_h[costs.types[ti].name])
    erlang_kw = costs.session_h[costs.types[fast].name] * costs.types[fast].power_kw
    return {k: (load[k], float(rate[k].max()) * erlang_kw) for k in sorted(load)}


def site_prices(points: dict[int, tuple[np.ndarray, float]], costs: HubCosts, solver: Solver) -> SitePrices:
    """The duals of each site's relaxation at its point."""
    energy, power = {}, {}
    for k, (load, kw) in points.items():
        energy[k], power[k] = load_duals(load, kw, costs, solver)
    return SitePrices(energy, power)
