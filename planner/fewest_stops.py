"""Where a truck charges when it stops as rarely as its range allows, along walked routes.

A truck that charges to ``soc_max`` at each stop needs the fewest stops when it drives past every open
hub it can still pass: from its origin (at ``soc_start``), and then from each stop, it stops next at
the farthest open hub it reaches above ``soc_min`` (and, with breaks enabled, within
``max_driving_h``), until it reaches its destination with ``soc_arrival_min``. As every stop charges
to the same level, no choice of stops is shorter (the gas-station exchange argument: a later stop
leaves at least as much charge for the rest of the trip), and the trip completes exactly when it
completes charging at every hub it passes (:func:`planner.walk.simulate_walk`).

The run uses it to count the sessions a ``demand.max_flows`` cut leaves out of sized hubs
(:mod:`planner.demand_cut`): a lower bound, since a truck may charge more often than it must.
"""

from __future__ import annotations

import numpy as np

from planner.scenario import BreaksConfig, VehicleConfig
from planner.walk import Walk

__all__ = ["fewest_stops"]

_TOL = 1e-7  # as planner.walk and planner.verify: state of charge compared with this tolerance


def fewest_stops(walk: Walk, vehicle: VehicleConfig, breaks: BreaksConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fewest-stop trip of every walked route.

    Parameters
    ----------
    walk
        Open hubs along the routes (:class:`~planner.walk.Walk`).
    vehicle, breaks
        The truck and the driving-time rule.

    Returns
    -------
    tuple
        The hub entries the trucks of the completed trips stop at (indices into the walk's entries,
        route by route in driving order), the energy each truck charges there (kWh, to ``soc_max``) and
        per route whether its trip completes.
    """
    n = len(walk.total_drive)
    share = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    max_drive = breaks.max_driving_h * breaks.speed_kmh + 1e-6 if breaks.enabled else np.inf
    span = float(walk.total_drive.max(initial=0.0)) + 1.0  # routes laid end to end: one sorted key
    key = walk.drive_km + walk.route_of * span
    pos = np.zeros(n)
    soc = np.full(n, float(vehicle.soc_start))
    last = walk.ptr[:-1] - 1  # the entry of the last stop (before the route's first: none yet)
    completed = np.zeros(n, dtype=bool)
    stops: list[np.ndarray] = []
    charged: list[np.ndarray] = []
    active = np.arange(n)
    while len(active):
        to_end = np.minimum((soc[active] - vehicle.soc_arrival_min + _TOL) / share, max_drive)
        arrives = walk.total_drive[active] - pos[active] <= to_end
        completed[active[arrives]] = True
        r = active[~arrives]
        reach = np.minimum((soc[r] - vehicle.soc_min + _TOL) / share, max_drive)
        far = np.minimum(pos[r] + reach, walk.total_drive[r])  # within the route: the next one's keys follow
        j = np.searchsorted(key, far + r * span, side="right") - 1
        mine = (j > last[r]) & (j < walk.ptr[r + 1])  # an entry of the route beyond its last stop
        r, j = r[mine], j[mine]
        # that moves the truck on, or (a hub where it stands) charges it up
        moves = (walk.drive_km[j] > pos[r]) | (soc[r] < vehicle.soc_max - _TOL)
        r, j = r[moves], j[moves]
        arrival = soc[r] - (walk.drive_km[j] - pos[r]) * share
        charged.append(np.maximum(vehicle.soc_max - arrival, 0.0) * vehicle.battery_kwh)
        soc[r] = np.maximum(arrival, vehicle.soc_max)
        pos[r], last[r] = walk.drive_km[j], j
        stops.append(j)
        active = r
    if not stops:
        return np.zeros(0, dtype=np.int64), np.zeros(0), completed
    entries, kwh = np.concatenate(stops), np.concatenate(charged)
    order = np.argsort(entries, kind="stable")
    entries, kwh = entries[order], kwh[order]
    done = completed[walk.route_of[entries]]
    return entries[done], kwh[done], completed
