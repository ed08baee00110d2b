"""Hour shares of every flow at every candidate stop, and each hub's 24 arrival rates and loads.

:func:`stop_hours` turns the instance's candidate stops (driven km, route km) into hours after
departure (:class:`~planner.features.hourly.timetable.Timetable`) and into the share of the flow's
arrivals and of its charging energy falling in each hour of the day. :func:`hub_hours` sums the
plan's actual charging stops (:class:`~planner.trips.StopTable`: trucks and energy per stop) into
each hub's arrivals per hour and load per hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.features.hourly.timetable import Timetable, hour_shares, route_crossings
from planner.instance import PlanningInstance
from planner.network import Network
from planner.trips import StopTable

__all__ = ["StopHours", "hub_hours", "stop_hours"]


@dataclass(frozen=True)
class StopHours:
    """Hour shares of each flow's candidate stops (rows in flow order, then along the route).

    Attributes
    ----------
    start
        First row of each flow (``n_flows + 1`` offsets).
    site, drive_km, elapsed_h
        Site index, driven km from the origin and hours after departure of each row.
    arrival, energy
        Share of the flow's arrivals at the stop / of a session's energy in each hour (``rows × 24``).
    """

    start: np.ndarray
    site: np.ndarray
    drive_km: np.ndarray
    elapsed_h: np.ndarray
    arrival: np.ndarray
    energy: np.ndarray

    def rows_of(self, q: int) -> slice:
        """Rows of flow ``q``."""
        return slice(int(self.start[q]), int(self.start[q + 1]))

    def row(self, q: int, k: int) -> int:
        """Row of site ``k`` on flow ``q`` (its first pass)."""
        rows = self.rows_of(q)
        return rows.start + int(np.flatnonzero(self.site[rows] == k)[0])


def stop_hours(
    instance: PlanningInstance,
    network: Network,
    flow_routes: list[list[str]],
    crossing: dict[str, float],
    timetable: Timetable,
    shapes: np.ndarray,
    shape_index: np.ndarray,
    spread_h: float,
) -> StopHours:
    """Hours after departure and hour shares of every candidate stop of every flow.

    ``flow_routes`` are the flows' node routes (instance order); ``crossing`` the crossing hours per
    ferry/shuttle edge; ``spread_h`` the hours over which a session's energy is drawn.
    """
    start = [0]
    sites, drive, elapsed, cls = [], [], [], []
    for q, fs in enumerate(instance.stops):
        ends, hours = route_crossings(flow_routes[q], network, crossing)
        before = (
            (ends[None, :] <= fs.route_km[:, None] + 1e-9).astype(float) @ hours
            if len(ends)
            else np.zeros(len(fs.site))
        )
        sites.append(fs.site)
        drive.append(fs.drive_km)
        elapsed.append(timetable.elapsed_h(fs.drive_km, before))
        cls.append(np.full(len(fs.site), shape_index[q], dtype=int))
        start.append(start[-1] + len(fs.site))
    elapsed_all = _concat(elapsed, float)
    index = _concat(cls, int)
    return StopHours(
        start=np.array(start, dtype=int),
        site=_concat(sites, int),
        drive_km=_concat(drive, float),
        elapsed_h=elapsed_all,
        arrival=hour_shares(elapsed_all, 0.0, shapes, index),
        energy=hour_shares(elapsed_all, spread_h, shapes, index),
    )


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def hub_hours(stops: StopTable, hours: StopHours, hub_sites: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrivals per hour (trucks/h), load per hour (kW, the hour's mean) and the variance of the daily
    energy (kWh², compound Poisson: ``Σ trucks × energy²``) of each hub.

    ``hub_sites`` are the hubs' site indices (rows of the result, in that order).
    """
    pos = {int(k): i for i, k in enumerate(hub_sites)}
    arrivals = np.zeros((len(hub_sites), 24))
    load = np.zeros((len(hub_sites), 24))
    variance = np.zeros(len(hub_sites))
    for q, k, trucks, kwh in zip(stops.flow, stops.site, stops.trucks, stops.energy_kwh, strict=True):
        r = hours.row(int(q), int(k))
        i = pos[int(k)]
        arrivals[i] += trucks * hours.arrival[r]
        load[i] += trucks * kwh * hours.energy[r]
        variance[i] += trucks * kwh * kwh
    return arrivals, load, variance
