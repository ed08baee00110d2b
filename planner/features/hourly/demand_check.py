"""Each hub's hourly demand recomputed from the plan's tables, independently of the model.

The verifier's own walk along every served flow's route (:class:`planner.verify.HubIndex`) places the
flow's assigned stops, its own trip simulation (:func:`planner.verify.simulate_legs`) gives the energy
each stop charges, and the timetable rule (:mod:`planner.features.hourly.timetable`) the hours. Summed
per hub this must reproduce ``hub_hourly.csv``'s arrivals and loads, and ``hubs.csv``'s energy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.chargers import offered_types
from planner.context import RunContext
from planner.features.hourly.itineraries import split_itineraries
from planner.features.hourly.profiles import flow_profiles
from planner.features.hourly.timetable import Timetable, crossing_hours, hour_shares, route_crossings
from planner.plan import Plan
from planner.verify import Check, HubIndex, listing, simulate_legs

__all__ = ["HubDemand", "demand_check", "hub_demand"]


@dataclass(frozen=True)
class HubDemand:
    """One hub's stops (energy, arrival state of charge, trucks/day, hour shares) and their sums."""

    kwh: np.ndarray
    soc: np.ndarray
    trucks: np.ndarray
    arrival: np.ndarray
    energy: np.ndarray

    @property
    def arrivals(self) -> np.ndarray:
        """Trucks arriving per hour."""
        return self.trucks @ self.arrival if len(self.trucks) else np.zeros(24)

    @property
    def energy_sd_kwh(self) -> float:
        """Standard deviation of the daily energy (compound Poisson: √Σ trucks × energy²)."""
        return float(np.sqrt(self.trucks @ (self.kwh * self.kwh))) if len(self.trucks) else 0.0

    @property
    def load_kw(self) -> np.ndarray:
        """Mean load per hour (kW)."""
        return (self.trucks * self.kwh) @ self.energy if len(self.trucks) else np.zeros(24)


def _spread_h(ctx: RunContext) -> float:
    sc = ctx.scenario
    return max(min(t.session_h for t in offered_types(sc)) - sc.capacity.plug_overhead_min / 60.0, 0.0)


def _itinerary_energy(used: list, shares: list[float], total: float, sc) -> np.ndarray:
    """Mean energy per truck at each stop over the flow's itineraries, each simulated on its own."""
    kwh = np.zeros(len(used))
    for weight, idx in split_itineraries(shares):
        trip = simulate_legs([used[j] for j in idx], total, sc.vehicle, sc.breaks)
        kwh[idx] += weight * np.array(trip.charged_kwh)
    return kwh / np.maximum(np.array(shares), 1e-12)


def hub_demand(plan: Plan, ctx: RunContext) -> dict[str, HubDemand]:
    """Every hub's stops, recomputed from ``flows.csv`` (stops, shares), the network and the scenario."""
    sc, network = ctx.scenario, ctx.network
    vehicle = sc.vehicle
    index = HubIndex(network, ctx.sites, set(plan.hubs["site_id"]))
    crossing = crossing_hours(network, sc)
    shapes, _, cls = flow_profiles(sc.hourly, list(plan.flows["flow_id"]))
    timetable = Timetable.of(sc)
    rows: dict[str, list] = {k: [] for k in ("site", "kwh", "soc", "trucks", "drive", "crossed", "cls")}
    for q, f in enumerate(plan.flows.itertuples(index=False)):
        if not f.served or not len(f.stops):
            continue
        share = dict(zip(f.stops, f.stops_share, strict=True))
        along, total = index.along(list(f.route_nodes))
        used = [h for h in along if h[2] in share]
        kwh = _itinerary_energy(used, [float(share[h[2]]) for h in used], total, sc)
        ends, hours = route_crossings(list(f.route_nodes), network, crossing)
        for (route_km, drive_km, sid), e in zip(used, kwh, strict=True):
            rows["site"].append(sid)
            rows["kwh"].append(e)
            rows["soc"].append(vehicle.soc_max - e / vehicle.battery_kwh)
            rows["trucks"].append(float(f.volume) * float(share[sid]))
            rows["drive"].append(drive_km)
            rows["crossed"].append(float(hours[ends <= route_km + 1e-9].sum()))
            rows["cls"].append(int(cls[q]))
    elapsed = timetable.elapsed_h(np.array(rows["drive"], dtype=float), np.array(rows["crossed"], dtype=float))
    kinds = np.array(rows["cls"], dtype=int)
    arrival = hour_shares(elapsed, 0.0, shapes, kinds)
    energy = hour_shares(elapsed, _spread_h(ctx), shapes, kinds)
    sites = np.array(rows["site"], dtype=object)
    out = {}
    for sid in plan.hubs["site_id"]:
        m = sites == sid
        out[sid] = HubDemand(
            np.array(rows["kwh"])[m], np.array(rows["soc"])[m], np.array(rows["trucks"])[m], arrival[m], energy[m]
        )
    return out


def _close(a: np.ndarray, b: np.ndarray, rel: float = 1e-5, absolute: float = 1e-5) -> bool:
    return bool(np.all(np.abs(np.asarray(a, float) - np.asarray(b, float)) <= absolute + rel * np.abs(b)))


def demand_check(hubs: pd.DataFrame, table: pd.DataFrame, demand: dict[str, HubDemand]) -> Check:
    """``hub_hourly.csv`` arrivals and loads, and ``hubs.csv`` energy, equal the recomputed ones."""
    bad = []
    by_site = {sid: part.sort_values("hour") for sid, part in table.groupby("site_id", sort=False)}
    for sid, energy_mwh in zip(hubs["site_id"], hubs["energy_mwh_per_year"], strict=True):
        part, d = by_site.get(sid), demand[sid]
        if part is None or len(part) != 24:
            bad.append(f"{sid} (not 24 hours in hub_hourly.csv)")
        elif not _close(part["arrivals"], d.arrivals):
            bad.append(f"{sid} (arrivals differ from the flows' stops)")
        elif not _close(part["load_kw"], d.load_kw):
            bad.append(f"{sid} (load differs from the flows' stops)")
        elif abs(d.load_kw.sum() * 365 / 1000 - float(energy_mwh)) > 1e-3 + 1e-6 * float(energy_mwh):
            bad.append(f"{sid} (24 h of load ≠ energy_mwh_per_year {float(energy_mwh):,.3f})")
    return Check(
        "hourly_demand",
        not bad,
        f"every hub's 24 arrival rates and loads recomputed from the served flows' stops and the timetable "
        f"({len(hubs)} hubs)"
        if not bad
        else f"{len(bad)} hub(s) differ: {listing(bad, 3)}",
    )
