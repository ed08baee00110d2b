"""Independent verification of a plan.

This module does not use the optimisation model, the cover windows or the instance: it
re-derives where each open hub lies along each route from the network and the site table,
and simulates every flow's state of charge and driving time kilometre by kilometre of its
legs. A flow the plan calls served must complete its trip; limits (hub count, budget,
coverage target) and the capex are recomputed from the plan's own tables.

Every route is walked at once in arrays (:mod:`planner.walk`); :class:`HubIndex` and
:func:`simulate_legs` walk one trip at a time: the reference the array walk is tested against
(``tests/test_walk.py``), and the walk of the hourly sizing's own check, which needs each stop's energy.

These are the core checks; every feature adds its own (:meth:`planner.features.base.Feature.checks`),
computed from the plan's tables and the scenario as well. The reports' simulation of the served
flows (:mod:`planner.trips`) is a different implementation on purpose: a verifier that shared the
code it checks could not catch its mistakes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from planner.arrays import list_codes
from planner.chargers import existing_by_type
from planner.network import Network
from planner.scenario import BreaksConfig, ChargersConfig, CostsConfig, ObjectiveConfig, VehicleConfig
from planner.walk import RouteWalker, Walk, simulate_walk

__all__ = [
    "Check",
    "HubIndex",
    "TripResult",
    "Verification",
    "check_hub_sets",
    "hub_sessions",
    "listing",
    "served_by_simulation",
    "served_by_simulation_sets",
    "simulate_legs",
    "simulate_trip",
    "verify_plan",
]

_TOL = 1e-7


@dataclass(frozen=True)
class Check:
    """One verification check."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    """All checks of one plan."""

    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True if every check passed."""
        return all(c.passed for c in self.checks)

    def failures(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        """JSON-friendly form for summary.json."""
        return {"passed": self.passed, "checks": [c.__dict__ for c in self.checks]}


class TripResult(NamedTuple):
    """Outcome of simulating one trip (a named tuple: built for every simulated trip)."""

    completed: bool
    reason: str
    min_soc: float
    arrival_soc: float
    stops: list[str]
    stops_km: list[float]
    charged_kwh: tuple[float, ...] = ()  # energy taken at each stop (completed trips)


class HubIndex:
    """Where a set of open hubs lies on the network, for walking routes.

    Parameters
    ----------
    network
        The network.
    sites
        The candidate site table.
    open_ids
        Ids of the open hubs.
    """

    def __init__(self, network: Network, sites: pd.DataFrame, open_ids: set[str]) -> None:
        g = network.graph
        self.network = network
        self._arcs: dict[tuple[str, str], tuple[float, float, list[tuple[float, float, str]], list[str]]] = {}
        self.at_node: dict[str, list[str]] = {}
        self.on_edge: dict[str, list[tuple[str, str, float]]] = {}
        for s in sites[sites["site_id"].isin(open_ids)].itertuples(index=False):
            if s.node:
                self.at_node.setdefault(s.node, []).append(s.site_id)
            else:
                self.on_edge.setdefault(g.edges[s.u, s.v]["edge_id"], []).append((s.u, s.site_id, float(s.offset_km)))

    def _arc(self, a: str, b: str) -> tuple[float, float, list[tuple[float, float, str]], list[str]]:
        """Arc (a, b): route and driven length, its open hubs as (route km, driven km from ``a``,
        site id), and the hubs at node ``a`` (sorted) — computed once per arc."""
        key = (a, b)
        hit = self._arcs.get(key)
        if hit is None:
            arc = self.network.graph.edges[a, b]
            length, drive = arc["length_km"], arc["drive_km"]
            on = []
            for u_end, sid, off in self.on_edge.get(arc["edge_id"], []):
                along = off if u_end == a else length - off
                on.append((along, along * drive / length, sid))
            hit = self._arcs[key] = (length, drive, on, sorted(self.at_node.get(a, [])))
        return hit

    def along(self, route: list[str]) -> tuple[list[tuple[float, float, str]], float]:
        """(route km, driven km, site id) of open hubs passed before the destination, and the
        route's driven length."""
        out: list[tuple[float, float, str]] = []
        route_km = drive_km = 0.0
        arcs = self._arcs
        for a, b in zip(route[:-1], route[1:], strict=True):
            length, drive, on, at_a = arcs.get((a, b)) or self._arc(a, b)
            if at_a:
                out += [(route_km, drive_km, sid) for sid in at_a]
            if on:
                out += [(route_km + r, drive_km + d, sid) for r, d, sid in on]
            route_km += length
            drive_km += drive
        return sorted(x for x in out if x[1] < drive_km - 1e-6), drive_km


def simulate_legs(
    hubs: list[tuple[float, float, str]],
    total_drive: float,
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
    *,
    refuel_at_origin: bool = False,
) -> TripResult:
    """Simulate a trip given the open hubs along it (see :meth:`HubIndex.along`).

    ``refuel_at_origin``: the trip is a round trip under the classic rule — with a hub at its origin
    (position 0) the truck refuels there on return, so it only has to arrive above ``soc_min``.
    """
    share_per_km = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    max_drive_km = breaks.max_driving_h * breaks.speed_kmh if breaks.enabled else float("inf")
    floor, top, battery = vehicle.soc_min - _TOL, vehicle.soc_max, vehicle.battery_kwh
    soc, last_pos, min_soc = vehicle.soc_start, 0.0, vehicle.soc_start
    stops, stops_km = [h[2] for h in hubs], [h[0] for h in hubs]
    charged: list[float] = []
    for _, pos, sid in [*hubs, (0.0, total_drive, "")]:
        leg = pos - last_pos
        soc -= leg * share_per_km
        if soc < min_soc:
            min_soc = soc
        if soc < floor:
            return TripResult(
                False, f"state of charge {soc:.3f} below soc_min at km {pos:.1f}", min_soc, soc, stops, stops_km
            )
        if leg > max_drive_km + 1e-6:
            return TripResult(
                False,
                f"{leg:.1f} km driven without a stop (limit {max_drive_km:.1f} km) before km {pos:.1f}",
                min_soc,
                soc,
                stops,
                stops_km,
            )
        if sid:
            gain = top - soc  # charge to soc_max (a truck above it keeps its charge)
            charged.append((gain if gain >= 0.0 else 0.0) * battery)
            if top > soc:
                soc = top
        last_pos = pos
    at_origin = refuel_at_origin and any(d <= 1e-9 for _, d, _ in hubs)
    need = vehicle.soc_min if at_origin else vehicle.soc_arrival_min
    ok = soc >= need - _TOL
    reason = "" if ok else f"arrives with {soc:.3f} < {'soc_min' if at_origin else 'soc_arrival_min'}"
    return TripResult(ok, reason, min_soc, soc, stops, stops_km, tuple(charged))


def simulate_trip(
    route: list[str],
    network: Network,
    sites: pd.DataFrame,
    open_ids: set[str],
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
    *,
    refuel_at_origin: bool = False,
) -> TripResult:
    """Simulate a truck along ``route`` charging to ``soc_max`` at every open hub it passes.

    Returns
    -------
    TripResult
        Whether the trip completes without crossing ``soc_min``, arriving with at least
        ``soc_arrival_min`` and (with breaks enabled) never driving more than
        ``max_driving_h`` between stops.
    """
    hubs, total = HubIndex(network, sites, open_ids).along(route)
    round_trip = refuel_at_origin and len(route) > 1 and route[0] == route[-1]
    return simulate_legs(hubs, total, vehicle, breaks, refuel_at_origin=round_trip)


def served_by_simulation(
    network: Network,
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    open_ids: Iterable[str],
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
    *,
    refuel_at_origin: bool = False,
) -> np.ndarray:
    """Flows whose trip completes when the truck charges at every open hub it passes
    (``refuel_at_origin``: round trips follow the classic rule, see :func:`simulate_legs`); the
    routes walked in arrays, chunk by chunk (:mod:`planner.walk`)."""
    return served_by_simulation_sets(
        network, sites, flows, [set(open_ids)], vehicle, breaks, refuel_at_origin=refuel_at_origin
    )[0]


def served_by_simulation_sets(
    network: Network,
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    open_sets: list[set[str]],
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
    *,
    refuel_at_origin: bool = False,
) -> list[np.ndarray]:
    """:func:`served_by_simulation` for several hub sets at once: the routes are walked once against
    the sets' union, and each set's trips are simulated on its own hubs along them."""
    walker = RouteWalker(network, sites, set().union(*open_sets))
    codes = [walker.codes(ids) for ids in open_sets]
    out = [np.zeros(len(flows), dtype=bool) for _ in open_sets]
    for first, walk in walker.chunks(list(flows["route_nodes"])):
        for done, own in zip(out, codes, strict=True):
            hubs = walk if len(own) == len(walker.site_ids) else walk.keep(np.isin(walk.site, own))  # all: as walked
            trips = simulate_walk(hubs, vehicle, breaks, refuel_at_origin=refuel_at_origin)
            done[first : first + len(trips.completed)] = trips.completed
    return out


def check_hub_sets(name: str, what: str, claimed: list[tuple[str, np.ndarray, np.ndarray]]) -> Check:
    """Every flow a solved side model claims to serve completes its trip by simulation.

    ``claimed``: per hub set, a label, the flows the model serves and the flows the simulation
    serves with that set.
    """
    bad = [f"{label} ({int((model & ~sim).sum())} flow(s))" for label, model, sim in claimed if (model & ~sim).any()]
    return Check(
        name,
        not bad,
        f"{len(claimed)} {what} re-simulated: every flow the model serves completes its trip"
        if not bad
        else f"{what} claim flows their hubs do not serve: {listing(bad, 3)}",
    )


def listing(items: Iterable[str], n: int = 5) -> str:
    """The first ``n`` items, comma-separated, with an ellipsis if there are more."""
    items = list(items)
    return ", ".join(items[:n]) + (", ..." if len(items) > n else "")


def hub_sessions(flows: pd.DataFrame) -> dict[str, float]:
    """Daily charging sessions per hub from the served flows' volumes and stop shares."""
    sessions: dict[str, float] = {}
    for f in flows[flows["served"]].itertuples(index=False):
        for sid, share in zip(f.stops, f.stops_share, strict=True):
            sessions[sid] = sessions.get(sid, 0.0) + float(f.volume) * float(share)
    return sessions


def _site_checks(sites: pd.DataFrame, hubs: pd.DataFrame) -> list[Check]:
    open_ids = set(hubs["site_id"])
    unknown = sorted(open_ids - set(sites["site_id"]))
    locked_ids = set(sites.loc[sites["locked"], "site_id"])
    missing_locked = sorted(locked_ids - open_ids)
    return [
        Check(
            "hubs_are_candidates",
            not unknown,
            "every open hub is a candidate site" if not unknown else f"unknown sites {listing(unknown)}",
        ),
        Check(
            "existing_hubs_open",
            not missing_locked,
            f"{len(locked_ids)} existing hub(s) kept open"
            if not missing_locked
            else f"existing hubs closed: {listing(missing_locked)}",
        ),
    ]


@dataclass
class _TripFindings:
    failed: list[str] = field(default_factory=list)
    wrong_stops: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    false_unservable: list[str] = field(default_factory=list)


def _stop_entries(walker: RouteWalker, stops: list) -> tuple[np.ndarray, np.ndarray]:
    """The plan's stops of each flow as (flow, site index of the walk; ``-1``: not an open hub), flow by flow."""
    counts, codes = list_codes(walker.site_index, stops)
    return np.repeat(np.arange(len(stops)), counts), codes


def _stops_differ(walk: Walk, flow: np.ndarray, code: np.ndarray, n: int) -> np.ndarray:
    """Per flow: its listed stops are not, in order, the open hubs its route passes."""
    listed = np.bincount(flow, minlength=n)
    passed = np.diff(walk.ptr)
    differ = listed != passed
    same = ~differ[flow]  # entries of flows with as many stops as hubs passed: aligned one to one
    differ[flow[same][code[same] != walk.site[~differ[walk.route_of]]]] = True
    return differ


def _simulate_flows(
    network: Network,
    sites: pd.DataFrame,
    hubs: pd.DataFrame,
    flows: pd.DataFrame,
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
    assigned: bool,
    refuel_at_origin: bool,
) -> _TripFindings:
    """Simulate every flow against the open hubs (only its assigned stops when stops are assigned),
    chunk by chunk of routes."""
    routes = list(flows["route_nodes"])
    ids = flows["flow_id"].astype(str).to_numpy()
    served = flows["served"].to_numpy(dtype=bool)
    unservable = flows["status"].to_numpy() == "unservable"
    stops = flows["stops"].tolist()
    walker, every = RouteWalker(network, sites, set(hubs["site_id"])), None
    found = _TripFindings()
    for first, walk in walker.chunks(routes):
        at = slice(first, first + len(walk.total_drive))
        trips = simulate_walk(walk, vehicle, breaks, refuel_at_origin=refuel_at_origin)
        flow, code = _stop_entries(walker, stops[at])
        if assigned:
            # Trucks charge only at their assigned stops, which must be open hubs on the route.
            width = len(walk.site_ids) + 1
            listed, passed = flow * width + code, walk.route_of * width + walk.site
            wrong = np.zeros(len(walk.total_drive), dtype=bool)
            wrong[flow[(code < 0) | ~np.isin(listed, passed)]] = True
            own = simulate_walk(walk.keep(np.isin(passed, listed)), vehicle, breaks, refuel_at_origin=refuel_at_origin)
        else:
            wrong, own = _stops_differ(walk, flow, code, len(walk.total_drive)), trips
        part, is_served = ids[at], served[at]
        found.failed += [f"{part[q]} ({own.reasons[q]})" for q in np.flatnonzero(is_served & ~own.completed)]
        found.wrong_stops += part[is_served & wrong].tolist()
        found.missed += part[~is_served & trips.completed].tolist()
        doubt = np.flatnonzero(unservable[at])
        if len(doubt):
            every = every or RouteWalker(network, sites, sites["site_id"])
            best = simulate_walk(
                every.walk([routes[first + q] for q in doubt]), vehicle, breaks, refuel_at_origin=refuel_at_origin
            )
            found.false_unservable += part[doubt[best.completed]].tolist()
    return found


def _trip_checks(found: _TripFindings, n_served: int, objective: ObjectiveConfig, assigned: bool) -> list[Check]:
    # Informational for max_coverage (an early stop may leave some out); required for min_cost-all.
    require_all = objective.type == "min_cost" and objective.coverage_target is None
    failed, wrong, missed, false_unservable = found.failed, found.wrong_stops, found.missed, found.false_unservable
    return [
        Check(
            "served_flows_complete_trip",
            not failed,
            f"{n_served} served flow(s) simulated: state of charge and driving time within limits"
            if not failed
            else f"{len(failed)} served flow(s) fail: {listing(failed, 3)}",
        ),
        Check(
            "stops_match_simulation",
            not wrong,
            f"stops differ for {listing(wrong)}"
            if wrong
            else "every assigned stop is an open hub on the flow's route"
            if assigned
            else "reported stops are the open hubs each served flow passes",
        ),
        Check(
            "unservable_flows_confirmed",
            not false_unservable,
            "flows reported unservable fail even with every candidate open"
            if not false_unservable
            else f"servable after all: {listing(false_unservable)}",
        ),
        Check(
            "no_servable_flow_left_out",
            not missed or not require_all,
            "every flow the open hubs can serve is counted as served"
            if not missed
            else f"{len(missed)} flow(s) completable with the open hubs but not counted served: {listing(missed)}",
        ),
    ]


def recomputed_capex(
    hubs: pd.DataFrame,
    site_cost: dict[str, float],
    *,
    sized: bool = False,
    costs: CostsConfig | None = None,
    chargers: ChargersConfig | None = None,
    sites: pd.DataFrame | None = None,
) -> float:
    """Capex of the hubs recomputed from the scenario: each new hub's site cost (with its minimum
    pool); with sized hubs, the site fixed cost of new hubs plus every hub's points at the
    catalogue price, less the points already standing at existing hubs (read from ``sites``)."""
    new = hubs[~hubs["locked"].astype(bool)]
    if sized and costs is not None and chargers is not None:
        capex = float(len(new) * costs.site_fixed_eur)
        stand = existing_by_type(sites, chargers) if sites is not None else {}
        row = hubs["site_id"].map(dict(zip(sites["site_id"], range(len(sites)), strict=True))) if stand else None
        for t, spec in chargers.types().items():
            before = stand[t][row.to_numpy(dtype=int)] if stand else 0
            capex += float(np.maximum(hubs[f"chargers_{t}"].to_numpy(dtype=int) - before, 0).sum()) * spec.capex_eur
        return capex
    return float(sum(site_cost[s] for s in new["site_id"] if s in site_cost))


def _limit_checks(hubs: pd.DataFrame, flows: pd.DataFrame, objective: ObjectiveConfig, capex: float) -> list[Check]:
    checks = []
    new = hubs[~hubs["locked"].astype(bool)]
    if objective.max_hubs is not None:
        ok = len(new) <= objective.max_hubs
        checks.append(
            Check(
                "max_hubs",
                ok,
                f"{len(new)} new hub(s) {'≤' if ok else '> max_hubs'} {objective.max_hubs}",
            )
        )
    reported = float(hubs["cost_eur"].sum())
    checks.append(
        Check(
            "cost_recomputed",
            abs(capex - reported) <= 1e-6 * max(1.0, capex),
            f"capex {capex:,.0f} EUR recomputed from the scenario (reported {reported:,.0f})",
        )
    )
    if objective.budget_eur is not None:
        ok = capex <= objective.budget_eur * (1 + 1e-9)
        checks.append(
            Check("budget", ok, f"capex {capex:,.0f} EUR {'≤' if ok else '>'} budget {objective.budget_eur:,.0f} EUR")
        )
    if objective.coverage_target is not None:
        weight = flows["volume"].to_numpy(dtype=float)
        if objective.metric == "truck_km":
            weight = weight * flows["length_km"].to_numpy(dtype=float)
        share = float(weight[flows["served"].to_numpy(dtype=bool)].sum() / weight.sum())
        ok = share >= objective.coverage_target - 1e-6
        checks.append(
            Check(
                "coverage_target",
                ok,
                f"served share {share:.4f} {'≥' if ok else '<'} target {objective.coverage_target}",
            )
        )
    elif objective.type == "min_cost":  # the cheapest plan serving every servable flow
        served = flows["served"].to_numpy(dtype=bool)
        left = flows.loc[~served & (flows["status"] != "unservable").to_numpy(), "flow_id"].tolist()
        checks.append(
            Check(
                "every_servable_flow_served",
                not left,
                f"{len(left)} servable flow(s) not served: {listing(left)}" if left else "every servable flow served",
            )
        )
    return checks


def verify_plan(
    *,
    network: Network,
    sites: pd.DataFrame,
    hubs: pd.DataFrame,
    flows: pd.DataFrame,
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
    objective: ObjectiveConfig,
    site_cost: dict[str, float],
    costs: CostsConfig | None = None,
    chargers: ChargersConfig | None = None,
    assigned: bool = False,
    sized: bool = False,
    extra_capex: float = 0.0,
    refuel_at_origin: bool = False,
) -> Verification:
    """Check a plan independently of the model that produced it (the core checks).

    Parameters
    ----------
    network, sites
        The network and all candidate sites.
    hubs
        The plan's open hubs (``site_id``, ``locked``, ``cost_eur``; ``chargers_<type>`` when sized).
    flows
        The plan's flows (``flow_id, volume, length_km, served, status, route_nodes, stops, stops_share``).
    vehicle, breaks
        Range semantics.
    objective
        Limits and targets to recheck.
    site_cost
        Capex of each candidate site (EUR), recomputed by the caller from the scenario.
    costs, chargers
        The scenario's costs and charger catalogue (for sized hubs' capex).
    assigned
        Stops are assigned to hubs: served flows charge only at their assigned stops (a flow split
        over several itineraries is simulated on the union of its stops), which must be open hubs
        on the route. Otherwise a truck charges at every open hub it passes.
    sized
        Hubs are sized: capex is the site fixed cost of new hubs plus every hub's points.
    extra_capex
        Capex features add (e.g. grid upgrades), recomputed by them from the plan's tables.
    refuel_at_origin
        Round trips follow the classic rule: a hub at the origin refuels the returning truck.
    """
    found = _simulate_flows(network, sites, hubs, flows, vehicle, breaks, assigned, refuel_at_origin)
    checks = _site_checks(sites, hubs)
    checks += _trip_checks(found, int(flows["served"].sum()), objective, assigned)
    capex = recomputed_capex(hubs, site_cost, sized=sized, costs=costs, chargers=chargers, sites=sites) + extra_capex
    checks += _limit_checks(hubs, flows, objective, capex)
    return Verification(checks)
