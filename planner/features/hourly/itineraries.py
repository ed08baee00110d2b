"""A flow split over several stops, as itineraries: who charges where, and how much.

With stop assignment a flow's trucks may split over stops (``stops_share``); the shares of one trip
form an interval system, so they are a mix of itineraries, each covering every window. The
cumulative-share decomposition finds one: with ``C_j`` the running sum of the shares along the route,
itinerary ``τ ∈ [0, 1)`` stops at ``j`` iff ``C_{j−1} ≤ τ + m < C_j`` for an integer ``m``; its weight
is the length of the ``τ``-interval. Each itinerary is then simulated on its own (it charges to
``soc_max`` at each of its stops), so a stop's energy is what its trucks really take — simulating the
union of the stops (:mod:`planner.trips`) understates it, and hour-by-hour costs must not gain from that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.instance import PlanningInstance
from planner.scenario import VehicleConfig
from planner.trips import StopTable

__all__ = ["itinerary_stops", "split_itineraries"]

_SNAP = 1e-5  # shares are stated to 6 decimals


def split_itineraries(shares: Sequence[float]) -> list[tuple[float, list[int]]]:
    """Itineraries (weight, stop indices) whose mix gives ``shares`` (stops in route order).

    Examples
    --------
    >>> split_itineraries([1.0])
    [(1.0, [0])]
    >>> split_itineraries([0.5, 0.5, 1.0])
    [(0.5, [0, 2]), (0.5, [1, 2])]
    """
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(shares, dtype=float))])
    frac = cum - np.floor(cum)
    frac[(frac < _SNAP) | (frac > 1 - _SNAP)] = 0.0
    cuts = np.unique(np.concatenate([[0.0, 1.0], frac]))
    out = []
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        if hi - lo < _SNAP:
            continue
        tau = 0.5 * (lo + hi)
        stops = [j for j in range(len(shares)) if np.floor(cum[j + 1] - tau + _SNAP) > np.floor(cum[j] - tau + _SNAP)]
        out.append((float(hi - lo), stops))
    return out


def charged_kwh(positions: Sequence[float], vehicle: VehicleConfig) -> tuple[list[float], list[float]]:
    """Energy charged (kWh) and arrival state of charge at each stop of one itinerary (driven km)."""
    per_km = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    soc, last, energy, arrive = vehicle.soc_start, 0.0, [], []
    for pos in positions:
        soc -= (pos - last) * per_km
        last = pos
        arrive.append(soc)
        energy.append(max(vehicle.soc_max - soc, 0.0) * vehicle.battery_kwh)
        soc = max(soc, vehicle.soc_max)
    return energy, arrive


def itinerary_stops(
    instance: PlanningInstance, served: np.ndarray, share: Sequence[dict[int, float]], vehicle: VehicleConfig
) -> StopTable:
    """One row per charging stop of a served flow: trucks (volume × share) and the energy and arrival
    state of charge its trucks take on average over the flow's itineraries through it."""
    cols: dict[str, list] = {k: [] for k in ("flow", "site", "drive_km", "soc_in", "energy_kwh", "trucks")}
    for q in np.flatnonzero(served):
        if not share[q]:
            continue
        fs = instance.stops[q]
        seen, stops = set(), []
        for k, pos in zip(fs.site.tolist(), fs.drive_km.tolist(), strict=True):
            if k in share[q] and k not in seen:  # a one-way route passes a site once
                seen.add(k)
                stops.append((k, pos, round(share[q][k], 6)))  # as flows.csv states it
        kwh, soc = np.zeros(len(stops)), np.zeros(len(stops))
        for weight, idx in split_itineraries([s for _, _, s in stops]):
            e, a = charged_kwh([stops[j][1] for j in idx], vehicle)
            kwh[idx] += weight * np.array(e)
            soc[idx] += weight * np.array(a)
        for j, (k, pos, s) in enumerate(stops):
            cols["flow"].append(int(q))
            cols["site"].append(int(k))
            cols["drive_km"].append(pos)
            cols["soc_in"].append(soc[j] / s if s > 0 else vehicle.soc_max)
            cols["energy_kwh"].append(kwh[j] / s if s > 0 else 0.0)
            cols["trucks"].append(float(instance.volume[q]) * s)
    ints = {"flow", "site"}
    return StopTable(**{k: np.array(v, dtype=int if k in ints else float) for k, v in cols.items()})
