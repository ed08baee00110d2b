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
    share: Sequence[dict[int, float]],
    vehicle: VehicleConfig,
    *,
    every: Sequence[tuple[list[int], list[float], list[float]]] | None = None,
) -> StopTable:
    """Simulate every served flow along the stops it charges at (``share[q]``: site → share of its
    trucks). A flow split over several itineraries is simulated on the union of its stops, which
    slightly understates the energy per stop of each itinerary. ``every``: the open stops of every
    flow (:meth:`planner.instance.PlanningInstance.open_stop_lists`) when already walked."""
    per_km = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    cols: dict[str, list] = {k: [] for k in ("flow", "site", "drive_km", "soc_in", "energy_kwh", "trucks")}
    used = np.zeros(len(instance.site_ids), dtype=bool)
    for s in share:
        used[list(s)] = True
    if every is None:
        every = instance.open_stop_lists(used)
    for q in np.flatnonzero(served).tolist():
        if not share[q]:
            continue
        sites, drive, _ = every[q]
        soc, last = vehicle.soc_start, 0.0
        for k, pos in zip(sites, drive, strict=True):
            if k not in share[q]:
                continue
            soc -= (pos - last) * per_km
            last = pos
            cols["flow"].append(int(q))
            cols["site"].append(int(k))
            cols["drive_km"].append(pos)
            cols["soc_in"].append(soc)
            cols["energy_kwh"].append(max(vehicle.soc_max - soc, 0.0) * vehicle.battery_kwh)
            cols["trucks"].append(float(instance.volume[q]) * round(share[q][k], 6))  # as flows.csv states it
            soc = max(soc, vehicle.soc_max)
    ints = {"flow", "site"}
    return StopTable(**{k: np.array(v, dtype=int if k in ints else float) for k, v in cols.items()})
