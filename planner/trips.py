"""The served flows' charging stops, simulated once: where each truck charges, how much, when.

This is the simulation every report shares (hub energy and economics, and whatever needs per-stop
figures): each served flow's state of charge is followed along its candidate stops (the instance's
:class:`~planner.instance.FlowStops`, in driven km), charging to ``soc_max`` at each stop it uses.
The verifier (:mod:`planner.verify`) deliberately does *not* use it: it re-derives hub positions
from the network and simulates every flow on its own, so that a mistake here or in the model
cannot hide a wrong plan — independence is the point of a verifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from planner.instance import PlanningInstance
from planner.scenario import VehicleConfig

__all__ = ["StopTable", "stop_table"]


@dataclass(frozen=True)
class StopTable:
    """One row per charging stop of a served flow (arrays of equal length).

    Attributes
    ----------
    flow
        Flow index (instance order).
    site
        Site index of the stop.
    drive_km
        Driven km from the flow's origin to the stop.
    soc_in
        State of charge on arrival at the stop.
    energy_kwh
        Energy charged per truck at the stop (to ``soc_max``; 0 when arriving above it).
    trucks
        Trucks/day of the flow taking this stop (volume × the flow's share at the stop).
    """

    flow: np.ndarray
    site: np.ndarray
    drive_km: np.ndarray
    soc_in: np.ndarray
    energy_kwh: np.ndarray
    trucks: np.ndarray

    def energy_by_site(self, n_sites: int) -> np.ndarray:
        """Energy charged per day at each site (kWh/day), all flows together."""
        return np.bincount(self.site, weights=self.energy_kwh * self.trucks, minlength=n_sites)


def stop_table(
    instance: PlanningInstance,
    served: np.ndarray,
    share: Sequence[dict[int, float]] | None,
    vehicle: VehicleConfig,
    *,
    every: Sequence[tuple[list[int], list[float], list[float]]] | None = None,
) -> StopTable:
    """Simulate every served flow along the stops it charges at (``share[q]``: site → share of its
    trucks). A flow split over several itineraries is simulated on the union of its stops, which
    slightly understates the energy per stop of each itinerary. ``every``: the open stops of every
    flow (:meth:`planner.instance.PlanningInstance.open_stop_lists`) when already walked. ``share=None``
    (with ``every``): every served flow charges at each of those stops with all its trucks (no stops
    assigned), so they are taken as they are (the same table, without matching each stop).

    A truck charges to ``soc_max`` at each stop and keeps a charge above it, so it reaches a stop with
    ``soc_max`` less the leg since the last one, except while it is still above ``soc_max`` from
    the depot (:func:`_from_depot`). Computed for all stops at once, with the same arithmetic as
    walking each trip stop by stop.
    """
    if every is None:
        if share is None:
            raise ValueError("stop_table: share=None needs every (the open stops of every flow)")
        used = np.zeros(len(instance.site_ids), dtype=bool)
        for s in share:
            used[list(s)] = True
        every = instance.open_stop_lists(used)
    named = share if share is not None else [stops for stops, _, _ in every]
    flows = [q for q in np.flatnonzero(served).tolist() if named[q]]
    flow, site, drive, part = _charged_stops(flows, every, share, len(instance.site_ids))
    per_km = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    first = np.ones(len(flow), dtype=bool)
    first[1:] = flow[1:] != flow[:-1]
    last = np.zeros(len(flow))
    last[1:] = drive[:-1]
    last[first] = 0.0
    leg = (drive - last) * per_km
    soc = np.where(first, vehicle.soc_start, vehicle.soc_max) - leg
    _from_depot(soc, leg, first, vehicle.soc_max)
    energy = np.maximum(vehicle.soc_max - soc, 0.0) * vehicle.battery_kwh
    trucks = instance.volume[flow].astype(float) * part  # shares rounded as flows.csv states them
    return StopTable(flow=flow, site=site, drive_km=drive, soc_in=soc, energy_kwh=energy, trucks=trucks)


def _charged_stops(
    flows: list[int],
    every: Sequence[tuple[list[int], list[float], list[float]]],
    share: Sequence[dict[int, float]] | None,
    n_sites: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flow, site, driven km and share (rounded to 6 decimals) of each stop a flow charges at: its
    open stops (``every``, in route order) that ``share`` names (None: all of them, with all trucks)."""
    count = np.fromiter((len(every[q][0]) for q in flows), dtype=np.int64, count=len(flows))
    total = int(count.sum())
    site = np.fromiter(chain.from_iterable(every[q][0] for q in flows), dtype=np.int64, count=total)
    drive = np.fromiter(chain.from_iterable(every[q][1] for q in flows), dtype=float, count=total)
    flow = np.repeat(np.asarray(flows, dtype=np.int64), count)
    if share is None:
        return flow, site, drive, np.ones(total)
    named = np.fromiter((len(share[q]) for q in flows), dtype=np.int64, count=len(flows))
    keys = np.repeat(np.asarray(flows, dtype=np.int64), named) * n_sites
    keys += np.fromiter(chain.from_iterable(share[q] for q in flows), dtype=np.int64, count=int(named.sum()))
    parts = np.array([round(v, 6) for v in chain.from_iterable(share[q].values() for q in flows)], dtype=float)
    order = np.argsort(keys, kind="stable")
    keys, wanted = keys[order], flow * n_sites + site
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    keep = keys[at] == wanted if len(keys) else np.zeros(total, dtype=bool)
    return flow[keep], site[keep], drive[keep], parts[order][at[keep]]


def _from_depot(soc: np.ndarray, leg: np.ndarray, first: np.ndarray, soc_max: float) -> None:
    """Correct, in place, the stops a truck reaches still above ``soc_max`` from the depot: it kept
    that charge, so the next stop's arrival is counted from it (only a trip's first stops)."""
    for i in np.flatnonzero(first & (soc > soc_max)).tolist():
        while i + 1 < len(soc) and not first[i + 1] and soc[i] > soc_max:
            soc[i + 1] = soc[i] - leg[i + 1]
            i += 1
