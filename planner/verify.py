"""Independent verification of a plan.

This module does not use the optimisation model, the cover windows or the instance: it
re-derives where each open hub lies along each route from the network and the site table,
and simulates every flow's state of charge and driving time kilometre by kilometre of its
legs. A flow the plan calls served must complete its trip; limits (hub count, budget,
coverage target) are recomputed from the plan's own tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.network import Network
from planner.scenario import (
    AfirConfig,
    BreaksConfig,
    CapacityConfig,
    ChargersConfig,
    CostsConfig,
    GridConfig,
    ObjectiveConfig,
    VehicleConfig,
)

__all__ = [
    "Check",
    "HubIndex",
    "TripResult",
    "Verification",
    "check_hub_sets",
    "served_by_simulation",
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


@dataclass(frozen=True)
class TripResult:
    """Outcome of simulating one trip."""

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
        self.at_node: dict[str, list[str]] = {}
        self.on_edge: dict[str, list[tuple[str, str, float]]] = {}
        for s in sites[sites["site_id"].isin(open_ids)].itertuples(index=False):
            if s.node:
                self.at_node.setdefault(s.node, []).append(s.site_id)
            else:
                self.on_edge.setdefault(g.edges[s.u, s.v]["edge_id"], []).append((s.u, s.site_id, float(s.offset_km)))

    def along(self, route: list[str]) -> tuple[list[tuple[float, float, str]], float]:
        """(route km, driven km, site id) of open hubs passed before the destination, and the
        route's driven length."""
        g = self.network.graph
        out: list[tuple[float, float, str]] = []
        route_km = drive_km = 0.0
        for a, b in zip(route[:-1], route[1:], strict=True):
            out += [(route_km, drive_km, sid) for sid in sorted(self.at_node.get(a, []))]
            arc = g.edges[a, b]
            for u_end, sid, off in self.on_edge.get(arc["edge_id"], []):
                along = off if u_end == a else arc["length_km"] - off
                out.append((route_km + along, drive_km + along * arc["drive_km"] / arc["length_km"], sid))
            route_km += arc["length_km"]
            drive_km += arc["drive_km"]
        return sorted(x for x in out if x[1] < drive_km - 1e-6), drive_km


def simulate_legs(
    hubs: list[tuple[float, float, str]], total_drive: float, vehicle: VehicleConfig, breaks: BreaksConfig
) -> TripResult:
    """Simulate a trip given the open hubs along it (see :meth:`HubIndex.along`)."""
    share_per_km = vehicle.consumption_kwh_per_km / vehicle.battery_kwh
    max_drive_km = breaks.max_driving_h * breaks.speed_kmh if breaks.enabled else float("inf")
    soc, last_pos, min_soc = vehicle.soc_start, 0.0, vehicle.soc_start
    stops, stops_km = [h[2] for h in hubs], [h[0] for h in hubs]
    charged: list[float] = []
    for pos, sid in [(d, sid) for _, d, sid in hubs] + [(total_drive, "")]:
        leg = pos - last_pos
        soc -= leg * share_per_km
        min_soc = min(min_soc, soc)
        if soc < vehicle.soc_min - _TOL:
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
            charged.append(max(vehicle.soc_max - soc, 0.0) * vehicle.battery_kwh)
            soc = max(soc, vehicle.soc_max)
        last_pos = pos
    ok = soc >= vehicle.soc_arrival_min - _TOL
    reason = "" if ok else f"arrives with {soc:.3f} < soc_arrival_min"
    return TripResult(ok, reason, min_soc, soc, stops, stops_km, tuple(charged))


def simulate_trip(
    route: list[str],
    network: Network,
    sites: pd.DataFrame,
    open_ids: set[str],
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
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
    return simulate_legs(hubs, total, vehicle, breaks)


def served_by_simulation(
    network: Network,
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    open_ids: Iterable[str],
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
) -> np.ndarray:
    """Flows whose trip completes when the truck charges at every open hub it passes."""
    index = HubIndex(network, sites, set(open_ids))
    return np.array(
        [simulate_legs(*index.along(list(r)), vehicle, breaks).completed for r in flows["route_nodes"]], dtype=bool
    )


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
        else f"{what} claim flows their hubs do not serve: {_listing(bad, 3)}",
    )


def _listing(items: Iterable[str], n: int = 5) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (", ..." if len(items) > n else "")


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
    afir: AfirConfig | None = None,
    costs: CostsConfig | None = None,
    capacity: CapacityConfig | None = None,
    session_time_h: dict[str, float] | None = None,
    grid: GridConfig | None = None,
    chargers: ChargersConfig | None = None,
    session_factor: float = 1.0,
) -> Verification:
    """Check a plan independently of the model that produced it.

    Parameters
    ----------
    network, sites
        The network and all candidate sites.
    hubs
        The plan's open hubs (``site_id``, ``locked``, ``cost_eur``).
    flows
        The plan's flows (``flow_id, volume, length_km, served, status, route_nodes, stops``).
    vehicle, breaks
        Range semantics.
    objective
        Limits and targets to recheck.
    site_cost
        Capex of each candidate site (EUR), recomputed by the caller from the scenario.
    afir, costs, chargers
        With ``afir.mode == "enforce"``: AFIR spacing is re-measured from the open hubs'
        positions on the network and every hub's pool (points per type × power) is checked
        against its tier.
    grid
        With grid limits: every hub's simultaneous power fits its reported grid capacity plus
        upgrade plus battery buffers, upgrades and buffers only in whole units, within their
        maxima, upgrades only when the lead time allows, and (with sizing) the hub's daily
        energy fits 24 h of its grid connection (buffers only shift energy); upgrade and buffer
        costs are part of the recomputed capex.
    capacity, session_time_h
        With capacity sizing: served flows charge only at their assigned stops (a flow split
        over several itineraries is simulated on the union of its stops), and each hub's
        sessions, recomputed from the flows' volumes and stop shares, must equal the hub's
        sessions per charger type, each type keeping the M/M/c mean peak-hour wait within the
        target with the hub's points of that type (``session_time_h`` per type).
    session_factor
        Sessions per truck/day of flow volume the hubs must take (a rollout's last-year volume
        factor; 1 otherwise).
    """
    checks: list[Check] = []
    open_ids = set(hubs["site_id"])
    all_ids = set(sites["site_id"])
    unknown = sorted(open_ids - all_ids)
    checks.append(
        Check(
            "hubs_are_candidates",
            not unknown,
            "every open hub is a candidate site" if not unknown else f"unknown sites {_listing(unknown)}",
        )
    )
    locked_ids = set(sites.loc[sites["locked"], "site_id"])
    missing_locked = sorted(locked_ids - open_ids)
    checks.append(
        Check(
            "existing_hubs_open",
            not missing_locked,
            f"{len(locked_ids)} existing hub(s) kept open"
            if not missing_locked
            else f"existing hubs closed: {_listing(missing_locked)}",
        )
    )

    failed, wrong_stops, missed, false_unservable = [], [], [], []
    served_mask = flows["served"].to_numpy(dtype=bool)
    index_open = HubIndex(network, sites, open_ids)
    index_all = HubIndex(network, sites, all_ids)
    for f, served in zip(flows.itertuples(index=False), served_mask, strict=True):
        route = list(f.route_nodes)
        hubs_along, total = index_open.along(route)
        trip = simulate_legs(hubs_along, total, vehicle, breaks)
        if served and capacity is not None:
            # Trucks charge only at their assigned stops, which must be open hubs on the route.
            assigned = set(f.stops)
            if not assigned <= {h[2] for h in hubs_along}:
                wrong_stops.append(f.flow_id)
            trip = simulate_legs([h for h in hubs_along if h[2] in assigned], total, vehicle, breaks)
        if served:
            if not trip.completed:
                failed.append(f"{f.flow_id} ({trip.reason})")
            if capacity is None and list(f.stops) != trip.stops:
                wrong_stops.append(f.flow_id)
        elif trip.completed:
            missed.append(f.flow_id)
        if f.status == "unservable":
            best = simulate_legs(*index_all.along(route), vehicle, breaks)
            if best.completed:
                false_unservable.append(f.flow_id)
    n_served = int(served_mask.sum())
    checks.append(
        Check(
            "served_flows_complete_trip",
            not failed,
            f"{n_served} served flow(s) simulated: state of charge and driving time within limits"
            if not failed
            else f"{len(failed)} served flow(s) fail: {_listing(failed, 3)}",
        )
    )
    checks.append(
        Check(
            "stops_match_simulation",
            not wrong_stops,
            "reported stops are the open hubs each served flow passes"
            if capacity is None
            else "every assigned stop is an open hub on the flow's route"
            if not wrong_stops
            else f"stops differ for {_listing(wrong_stops)}",
        )
    )
    checks.append(
        Check(
            "unservable_flows_confirmed",
            not false_unservable,
            "flows reported unservable fail even with every candidate open"
            if not false_unservable
            else f"servable after all: {_listing(false_unservable)}",
        )
    )
    # Informational for max_coverage (an early stop may leave some out); required for min_cost-all.
    require_all = objective.type == "min_cost" and objective.coverage_target is None
    checks.append(
        Check(
            "no_servable_flow_left_out",
            not missed or not require_all,
            "every flow the open hubs can serve is counted as served"
            if not missed
            else f"{len(missed)} flow(s) completable with the open hubs but not counted served: {_listing(missed)}",
        )
    )

    new = hubs[~hubs["locked"].astype(bool)]
    if objective.max_hubs is not None:
        checks.append(
            Check(
                "max_hubs",
                len(new) <= objective.max_hubs,
                f"{len(new)} new hub(s) ≤ {objective.max_hubs}"
                if len(new) <= objective.max_hubs
                else f"{len(new)} new hubs > max_hubs {objective.max_hubs}",
            )
        )
    if capacity is not None and costs is not None and chargers is not None:
        # Sized hubs: site fixed cost for new hubs plus every hub's points at the catalogue price.
        capex = float(len(new) * costs.site_fixed_eur)
        capex += sum(float(hubs[f"chargers_{t}"].sum()) * spec.capex_eur for t, spec in chargers.types().items())
    else:
        capex = float(sum(site_cost[s] for s in new["site_id"] if s in site_cost))
    sessions = {sid: n * session_factor for sid, n in _hub_sessions(flows).items()}
    if grid is not None:
        capex += float(hubs["grid_upgrade_kw"].sum()) / 1000.0 * grid.upgrade_eur_per_mw
        if "battery_units" in hubs:
            capex += float(hubs["battery_units"].sum()) * grid.battery_eur
        if chargers is not None:
            session_kwh = (vehicle.soc_max - vehicle.soc_min) * vehicle.battery_kwh if capacity is not None else None
            checks.append(_grid_check(hubs, grid, chargers, sessions, session_kwh))
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
        share = float(weight[served_mask].sum() / weight.sum())
        ok = share >= objective.coverage_target - 1e-6
        checks.append(
            Check(
                "coverage_target",
                ok,
                f"served share {share:.4f} {'≥' if ok else '<'} target {objective.coverage_target}",
            )
        )
    if capacity is not None:
        checks.append(_capacity_check(hubs, sessions, capacity, session_time_h or {}))
    if afir is not None and chargers is not None and afir.mode == "enforce":
        checks += _afir_milestone_checks(network, sites, hubs, afir, chargers)
    return Verification(checks)


def _hub_sessions(flows: pd.DataFrame) -> dict[str, float]:
    """Daily charging sessions per hub from the served flows' volumes and stop shares."""
    sessions: dict[str, float] = {}
    for f in flows[flows["served"]].itertuples(index=False):
        for sid, share in zip(f.stops, f.stops_share, strict=True):
            sessions[sid] = sessions.get(sid, 0.0) + float(f.volume) * float(share)
    return sessions


def _grid_check(
    hubs: pd.DataFrame,
    grid: GridConfig,
    chargers: ChargersConfig,
    sessions: dict[str, float],
    session_kwh: float | None,
) -> Check:
    types = chargers.types()
    installed = sum(hubs[f"chargers_{t}"].to_numpy(dtype=float) * spec.power_kw for t, spec in types.items())
    power = installed * grid.simultaneity
    avail = hubs["grid_available_kw"].to_numpy(dtype=float)
    upg = hubs["grid_upgrade_kw"].to_numpy(dtype=float)
    units = hubs["battery_units"].to_numpy(dtype=float) if "battery_units" in hubs else np.zeros(len(hubs))
    steps = upg / grid.upgrade_step_kw
    max_steps = grid.max_upgrade_steps if grid.upgrades_available else 0
    buffer_kw = units * grid.battery_unit_kw
    bad = []
    for sid, p, a, u, s, b, n in zip(hubs["site_id"], power, avail, upg, steps, buffer_kw, units, strict=True):
        if p > a + u + b + 1e-6:
            bad.append(f"{sid} ({p:,.0f} kW > {a:,.0f} + {u:,.0f} + buffer {b:,.0f} kW)")
        elif abs(s - round(s)) > 1e-9 or s > max_steps + 1e-9:
            bad.append(f"{sid} (upgrade {u:,.0f} kW not allowed)")
        elif abs(n - round(n)) > 1e-9 or n > grid.max_batteries_per_hub + 1e-9:
            bad.append(f"{sid} ({n:g} buffer units not allowed)")
        elif session_kwh is not None and sessions.get(sid, 0.0) * session_kwh > 24 * (a + u) * (1 + 1e-6) + 1e-6:
            bad.append(f"{sid} (daily energy {sessions[sid] * session_kwh / 1000:,.1f} MWh > 24 h × {a + u:,.0f} kW)")
    return Check(
        "grid_capacity",
        not bad,
        f"every hub's power (points × power × {grid.simultaneity:g}) fits its grid capacity plus upgrades "
        f"({int(round(steps.sum()))} step(s)) and buffers ({int(round(units.sum()))} unit(s))"
        if not bad
        else f"{len(bad)} hub(s) over grid capacity: {_listing(bad, 3)}",
    )


def _capacity_check(
    hubs: pd.DataFrame, sessions: dict[str, float], capacity: CapacityConfig, service_h: dict[str, float]
) -> Check:
    from planner.queueing import expected_wait_h

    over = []
    worst = 0.0
    types = [t for t in ("mcs", "ccs") if f"sessions_{t}" in hubs]
    for row in hubs.itertuples(index=False):
        sid = row.site_id
        total = sum(float(getattr(row, f"sessions_{t}")) for t in types)
        if abs(total - sessions.get(sid, 0.0)) > 1e-4 * max(1.0, total):
            over.append(f"{sid} (sessions by type {total:.2f} ≠ {sessions.get(sid, 0.0):.2f} from flows)")
            continue
        for t in types:
            lam = float(getattr(row, f"sessions_{t}")) * capacity.peak_hour_share
            if lam <= 1e-9:
                continue
            n = int(getattr(row, f"chargers_{t}"))
            wait_min = expected_wait_h(n, lam, service_h[t]) * 60 if t in service_h else float("inf")
            worst = max(worst, wait_min)
            if wait_min > capacity.max_wait_min * (1 + 1e-6) + 1e-6:
                over.append(f"{sid} {t} ({wait_min:.1f} min)")
    return Check(
        "hub_queueing",
        not over,
        f"every hub's peak-hour mean wait ≤ {capacity.max_wait_min:g} min per charger type (worst {worst:.1f} min), "
        "sessions recomputed from flows"
        if not over
        else f"{len(over)} hub(s) over the wait target: {_listing(over, 3)}",
    )


def _afir_checks(
    network: Network, sites: pd.DataFrame, hubs: pd.DataFrame, afir: AfirConfig, chargers: ChargersConfig
) -> list[Check]:
    from planner.compliance import measure_plan, pool_ok

    checks = []
    ok = pool_ok(hubs, chargers, afir.year) if len(hubs) else []
    bad = [s for s, good in zip(hubs["site_id"], ok, strict=True) if not good]
    checks.append(
        Check(
            "afir_pools",
            not bad,
            f"all {len(hubs)} pools meet the {afir.year} AFIR pool requirement"
            if not bad
            else f"pools below requirement: {_listing(bad)}",
        )
    )
    report = measure_plan(afir, chargers, network, sites, hubs)
    if report is not None:
        gaps = [f"{g.tier} {g.edge_id} {g.direction} {g.gap_km:.0f} km" for g in report.gaps]
        checks.append(
            Check(
                "afir_spacing",
                not gaps,
                f"no AFIR gap on {', '.join(report.tiers)} ({report.overall.total_km:,.0f} direction-km, "
                f"re-measured from hub positions)"
                if not gaps
                else f"{len(gaps)} gap(s): {_listing(gaps, 3)}",
            )
        )
    return checks


def _afir_milestone_checks(
    network: Network, sites: pd.DataFrame, hubs: pd.DataFrame, afir: AfirConfig, chargers: ChargersConfig
) -> list[Check]:
    """AFIR checks for the milestone in force at the end of ``afir.year``.

    Whole-network milestones (2030): :func:`_afir_checks` (pools, no gap). Network-share milestones
    (2025: 15 %, 2027: 50 %): pools, and the compliant share of the length, re-measured from the hub
    positions, reaches the required share (``afir_share``); gaps elsewhere are allowed.
    """
    from planner.afir import milestone_for
    from planner.compliance import measure_plan

    if milestone_for(afir.year).network_share >= 1.0:
        return _afir_checks(network, sites, hubs, afir, chargers)
    checks = [c for c in _afir_checks(network, sites, hubs, afir, chargers) if c.name != "afir_spacing"]
    report = measure_plan(afir, chargers, network, sites, hubs)
    if report is not None:
        basis = report.by_tier if report.milestone.share_basis == "tier" else {"network": report.overall}
        short = [f"{k} {c.share:.4f}" for k, c in basis.items() if c.share < report.required_share - 1e-9]
        checks.append(
            Check(
                "afir_share",
                report.met and not short,
                f"{report.overall.compliant_km:,.0f} of {report.overall.total_km:,.0f} direction-km compliant "
                f"(share {report.overall.share:.4f} ≥ {report.required_share:g}, {report.milestone.year} milestone, "
                "re-measured from hub positions)"
                if report.met and not short
                else f"compliant share below the {report.milestone.year} milestone's {report.required_share:g}: "
                f"{', '.join(short) or f'network {report.overall.share:.4f}'}",
            )
        )
    return checks
