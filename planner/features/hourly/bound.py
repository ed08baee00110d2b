"""A proven lower bound on the energy-and-grid cost of every plan, flow by flow.

Each site ``k`` has hourly prices ``π_k`` with ``V_k(L) ≥ π_k · L`` for every load ``L`` (``V_k``: the
hub's energy, connection, battery and capacity-charge cost; :func:`~planner.features.hourly.hub_sizing.load_duals`),
so a hub's cost is at least ``Σ`` over the sessions charged there of energy × ``μ``, where
``μ = π_k · q`` prices one kWh a day of that flow at that stop (``q``: its energy's hour shares).
The energy a truck charges at a stop is the energy it used since its previous charge (it charges to
``soc_max``); summed over a trip it depends on the whole itinerary. The cheapest itinerary of a flow
under these prices is a shortest path over its candidate stops (legs within the range semantics):
:func:`flow_bounds` computes it for every flow. Summed over flows (× trucks/day) it bounds the
energy-and-grid cost of *every* plan — or, with ``last_km``, of every plan whose trucks make their last
charge no earlier on their route than in the reported plan (they buy at least as much energy on the
road: the energy a truck takes is demand, not a saving to be had by stopping early).
"""

from __future__ import annotations

import numpy as np

from planner.features.hourly.arrivals import StopHours
from planner.instance import PlanningInstance
from planner.ranges import Ranges
from planner.scenario import VehicleConfig

__all__ = ["flow_bounds"]

_EPS = 1e-6


def _first_leg_km(vehicle: VehicleConfig, ranges: Ranges) -> float:
    """Farthest first *charging* stop: the start range, or — when trucks start above ``soc_max`` and an
    earlier stop takes no energy (but resets the break clock) — the start's energy range."""
    per_km = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    zero_km = max(vehicle.soc_start - vehicle.soc_max, 0.0) / per_km
    if zero_km <= 0:
        return ranges.start_km
    energy_km = (vehicle.soc_start - vehicle.soc_min) / per_km
    return max(ranges.start_km, min(energy_km, zero_km + ranges.break_km))


def _cheapest(
    pos: np.ndarray,
    mu: np.ndarray,
    length: float,
    first_kwh: np.ndarray,
    per_km_kwh: float,
    first_km: float,
    between_km: float,
    last_km: float,
    from_km: float,
) -> float:
    """Cheapest itinerary over stops at ``pos`` (sorted) with prices ``mu`` per kWh."""
    n = len(pos)
    best = np.full(n, np.inf)
    for j in range(n):
        cost = first_kwh[j] * mu[j] if pos[j] <= first_km + _EPS else np.inf
        lo = int(np.searchsorted(pos, pos[j] - between_km - _EPS, side="left"))
        hi = int(np.searchsorted(pos, pos[j] - _EPS, side="left"))  # strictly before (co-located: no energy)
        if hi > lo:
            prev = best[lo:hi] + per_km_kwh * (pos[j] - pos[lo:hi]) * mu[j]
            cost = min(cost, float(prev.min()))
        best[j] = cost
    ends = (length - pos <= last_km + _EPS) & (pos >= from_km - _EPS)
    return float(best[ends].min()) if ends.any() else float("inf")


def flow_bounds(
    instance: PlanningInstance,
    hours: StopHours,
    prices: dict[int, np.ndarray],
    vehicle: VehicleConfig,
    flows: np.ndarray,
    *,
    last_km: dict[int, float] | None = None,
) -> np.ndarray:
    """Least energy-and-grid cost (EUR/year per truck/day) of each flow in ``flows``.

    Parameters
    ----------
    prices
        ``π_k`` per site (EUR/year per kW of load in each hour).
    flows
        Flow indices (served flows with at least one window).
    last_km
        Optional, per flow: its last charge lies at or beyond this driven km.
    """
    ranges = instance.ranges
    per_km_kwh = vehicle.consumption_kwh_per_km
    first_km = _first_leg_km(vehicle, ranges)
    out = np.zeros(len(flows))
    for i, q in enumerate(flows):
        q = int(q)
        allowed = {k for w in instance.windows[q] for k in w}
        rows = np.arange(hours.start[q], hours.start[q + 1])
        rows = rows[np.isin(hours.site[rows], list(allowed))]
        pos = hours.drive_km[rows]
        mu = np.array([float(prices[int(k)] @ hours.energy[r]) for k, r in zip(hours.site[rows], rows, strict=True)])
        first_kwh = np.maximum((vehicle.soc_max - vehicle.soc_start) * vehicle.battery_kwh + per_km_kwh * pos, 0.0)
        start = -np.inf if last_km is None else last_km.get(q, -np.inf)
        out[i] = _cheapest(
            pos,
            mu,
            float(instance.drive_km[q]),
            first_kwh,
            per_km_kwh,
            first_km,
            ranges.between_km,
            ranges.last_km,
            start,
        )
    return out
