"""Decoding the core of a solved model: open hubs, served flows, where they charge, the summary.

Features add their own columns afterwards (:meth:`planner.features.base.Feature.decode`); here
every hub has its minimum pool and costs its site's capex.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.arrays import without_gc
from planner.chargers import existing_by_type, min_counts, set_existing_columns
from planner.context import RunContext
from planner.features.coverage.model import PlanningModel, Solution, open_sites
from planner.instance import PlanningInstance
from planner.plan import HUB_COLUMNS, Plan
from planner.ranges import Ranges
from planner.scenario import Scenario
from planner.solve import SolveResult
from planner.trips import StopTable, stop_table

__all__ = ["decode_plan", "served_flows", "stop_shares"]


def served_flows(model: PlanningModel, is_open: np.ndarray) -> np.ndarray:
    """Flows the solved model serves.

    Without stop assignment a flow is served iff every window has an open hub (whatever the
    served-variables say within the solver's tolerance; the verifier checks the same by
    simulation); with it, iff its group's served-variable is set.
    """
    if model.assign is None:
        return model.instance.cover.served(is_open)
    v = model.variables
    served = model.free.copy()
    for g, y in v.served.items():
        if (y.value() or 0.0) > 0.5:
            served[v.groups[g]] = True
    return served


def stop_shares(model: PlanningModel, served: np.ndarray, is_open: np.ndarray) -> list[dict[int, float]]:
    """Share of each flow's trucks charging at each site: every open hub passed, or the model's
    assignment when stops are assigned."""
    return [dict(zip(s, sh, strict=True)) for s, _, sh in _charging_stops(model, served, is_open)]


@without_gc  # a tuple of lists per flow: collections would scan the whole run's objects each time
def _charging_stops(
    model: PlanningModel, served: np.ndarray, is_open: np.ndarray
) -> list[tuple[list[int], list[float], list[float]]]:
    """Per flow, in route order: the sites its trucks charge at, their route km and share of trucks."""
    instance, v = model.instance, model.variables
    out: list[tuple[list[int], list[float], list[float]]] = [([], [], []) for _ in range(len(instance.flow_ids))]
    assign = model.assign
    group_of = {q: g for g, members in enumerate(v.groups) for q in members} if assign is not None else {}
    every = instance.open_stop_lists(is_open) if assign is None else None
    model.open_stop_lists = every  # kept for the stop simulation (the same walk, not done twice)
    for q in np.flatnonzero(served).tolist():
        if every is not None:
            sites, _, rkm = every[q]
            out[q] = (sites, rkm, [1.0] * len(sites))
        elif q in group_of:  # without assigned stops (needs none) it makes none
            out[q] = _assigned(instance, assign, group_of[q], q)
    return out


def _assigned(instance: PlanningInstance, assign: dict, g: int, q: int) -> tuple[list[int], list[float], list[float]]:
    fs = instance.stops[q]
    share = {
        int(k): float(assign[g, int(k)].value() or 0.0)
        for k in set(fs.site.tolist())
        if (g, int(k)) in assign and (assign[g, int(k)].value() or 0.0) > 1e-6
    }
    keep = [i for i, k in enumerate(fs.site.tolist()) if k in share]
    sites = [int(fs.site[i]) for i in keep]
    return sites, [float(fs.route_km[i]) for i in keep], [share[k] for k in sites]


@without_gc  # three lists per flow, as _charging_stops
def _flow_table(
    flows: pd.DataFrame, instance: PlanningInstance, served: np.ndarray, charging: list, rounded: bool = True
) -> pd.DataFrame:
    """The flows with their status and charging stops; ``rounded=False``: every share is 1.0 already."""
    status = np.where(served, "served", np.where(instance.servable, "not_selected", "unservable"))
    out = flows[["flow_id", "origin", "destination", "volume", "length_km", "drive_km", "route_nodes"]].copy()
    out["served"] = served
    out["status"] = status
    ids = instance.site_ids
    out["stops"] = [[ids[k] for k in sites] for sites, _, _ in charging]
    out["stops_km"] = [[float(x) for x in rkm] for _, rkm, _ in charging]
    out["stops_share"] = [[round(a, 6) for a in sh] if rounded else sh for _, _, sh in charging]
    return out


def _charging_by_shares(
    instance: PlanningInstance, served: np.ndarray, share: list[dict[int, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per site: the served flows charging there and their trucks/day (``share[q]``: site → share)."""
    count = np.zeros(len(instance.site_ids), dtype=np.int64)
    volume = [0.0] * len(instance.site_ids)
    for q in np.flatnonzero(served):
        for k, a in share[q].items():
            count[k] += 1
            volume[k] += float(instance.volume[q]) * a
    return count, np.array(volume, dtype=float)


def _charging_at_every_stop(instance: PlanningInstance, stops: StopTable) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_charging_by_shares` when every served flow charges at each open stop it passes with all
    its trucks (the rows of ``stops``, by flow then along the route): a flow passing a site twice counts
    once, and each site's trucks are summed in the same order (by flow), so the sums are the same floats."""
    n = len(instance.site_ids)
    first = np.sort(np.unique(stops.flow * n + stops.site, return_index=True)[1])
    site, flow = stops.site[first], stops.flow[first]
    weights = instance.volume[flow].astype(float)
    return np.bincount(site, minlength=n).astype(np.int64), np.bincount(site, weights=weights, minlength=n)


def _hub_table(ctx: RunContext, is_open: np.ndarray, charging: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """One row per open hub with its minimum pool (``charging``: per site, the flows charging there and
    their trucks/day); ``ctx.data["charging_volume"]`` keeps the unrounded trucks/day charging at each
    (the sessions sizing features work from)."""
    instance, sites = ctx.instance, ctx.sites
    open_idx = np.flatnonzero(is_open)
    flows_at, volume_at = charging[0][open_idx], charging[1][open_idx]
    hub_sites = sites.iloc[open_idx]
    ctx.data["charging_volume"] = volume_at.astype(float)
    counts = {t: np.full(len(open_idx), n, dtype=int) for t, n in min_counts(ctx.scenario.chargers).items()}
    standing = _standing(ctx, open_idx)
    for t, n in standing.items():  # an existing hub has its minimum pool at least (cost 0), and its points
        counts[t] = np.maximum(counts[t], n)
    frame = pd.DataFrame(
        {
            "site_id": hub_sites["site_id"].to_numpy(),
            "name": hub_sites["name"].to_numpy(),
            "lon": hub_sites["lon"].to_numpy(dtype=float),
            "lat": hub_sites["lat"].to_numpy(dtype=float),
            "node_or_edge": [
                f"node:{s.node}" if s.node else f"edge:{s.u}–{s.v}@{s.offset_km:.1f}km"
                for s in hub_sites.itertuples(index=False)
            ],
            "country": hub_sites["country"].to_numpy(),
            "tier": hub_sites["tier"].to_numpy(),
            "locked": hub_sites["locked"].to_numpy(dtype=bool),
            "chargers": sum(counts.values()),
            "chargers_mcs": counts["mcs"],
            "chargers_ccs": counts["ccs"],
            "cost_eur": instance.site_cost[open_idx],
            "flows_charging": flows_at,
            # trucks/day of the year the plan's KPIs are (a rollout's last year), as its sessions and energy
            "volume_charging": [round(v * ctx.session_factor, 6) for v in volume_at.tolist()],
        },
        columns=HUB_COLUMNS,
    )
    if standing:
        set_existing_columns(frame, standing)
    return frame


def _standing(ctx: RunContext, open_idx: np.ndarray) -> dict[str, np.ndarray]:
    """Points listed at the open existing hubs by type, for a plan that does not size its hubs (a sizing
    feature decides what stands there itself); empty when none are listed."""
    if any(f.assigns_stops for f in ctx.features):
        return {}
    stand = {t: n[open_idx] for t, n in existing_by_type(ctx.sites, ctx.scenario.chargers).items()}
    return stand if any(n.any() for n in stand.values()) else {}


def _vehicle_block(scenario: Scenario, ranges: Ranges) -> dict[str, Any]:
    veh = scenario.vehicle.model_dump()
    veh.update(
        {
            "range_start_km": ranges.start_km,
            "range_between_hubs_km": ranges.between_km,
            "arrival_reserve_km": (scenario.vehicle.soc_arrival_min - scenario.vehicle.soc_min)
            * scenario.vehicle.battery_kwh
            / scenario.vehicle.consumption_kwh_per_km,
            "range_last_leg_km": ranges.last_km,
            "range_direct_km": ranges.direct_km,
            "break_limit_km": None if not np.isfinite(ranges.break_km) else ranges.break_km,
        }
    )
    return veh


def _summary(
    ctx: RunContext, model: PlanningModel, result: SolveResult, is_open: np.ndarray, served: np.ndarray, hubs
) -> dict[str, Any]:
    scenario, instance = ctx.scenario, ctx.instance
    total = float(instance.volume.sum())
    covered = float(instance.volume[served].sum())
    weight = model.weight
    demand = {"demand": dict(ctx.demand)} if ctx.demand else {}  # trips aggregated, a max_flows cut
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "objective": scenario.objective.type,
        "metric": scenario.objective.metric,
        "status": result.status,
        "objective_value": result.objective,
        "objective_offset": model.objective_offset,
        "best_bound": result.best_bound,
        "mip_gap": result.mip_gap,
        "solver": result.solver,
        "solver_message": result.message,
        "time_limit_hit": result.time_limit_hit,
        "solve_seconds": round(result.seconds, 3),
        "hub_count": int(is_open.sum()),
        "new_hub_count": int((is_open & ~instance.site_locked).sum()),
        "existing_hub_count": int(instance.site_locked.sum()),
        "total_volume": total,
        "covered_volume": covered,
        "covered_share": covered / total if total else 0.0,
        "total_truck_km": float((instance.volume * instance.length_km).sum()),
        "covered_truck_km": float((instance.volume * instance.length_km)[served].sum()),
        "covered_weight_share": float(weight[served].sum() / weight.sum()) if weight.sum() else 0.0,
        "total_cost_eur": float(hubs["cost_eur"].sum()),
        "total_chargers": int(hubs["chargers"].sum()),
        "vehicle": _vehicle_block(scenario, ctx.ranges),
        "breaks": scenario.breaks.model_dump(),
        "candidates": len(ctx.sites),
        "flows": len(ctx.flows),
        "flows_served": int(served.sum()),
        **demand,
        "unservable_flows": [instance.flow_ids[q] for q in np.flatnonzero(~instance.servable)],
        "model": model.size(),
        "build_seconds": round(ctx.build_seconds, 3),
    }


def decode_plan(ctx: RunContext, solution: Solution) -> Plan:
    """Read the solution off the model into hub and flow tables and a summary (core columns)."""
    model = solution.model
    is_open = open_sites(model)
    served = served_flows(model, is_open)
    charging = _charging_stops(model, served, is_open)
    flows = _flow_table(ctx.flows, ctx.instance, served, charging, rounded=model.assign is not None)
    every = getattr(model, "open_stop_lists", None)  # without assigned stops: all trucks at every open stop
    share = None if every is not None else [dict(zip(s, sh, strict=True)) for s, _, sh in charging]
    ctx.data["stops"] = stop_table(ctx.instance, served, share, ctx.scenario.vehicle, every=every)
    at = (
        _charging_at_every_stop(ctx.instance, ctx.data["stops"])
        if share is None
        else _charging_by_shares(ctx.instance, served, share)
    )
    hubs = _hub_table(ctx, is_open, at)
    summary = _summary(ctx, model, solution.result, is_open, served, hubs)
    return Plan(scenario=ctx.scenario, hubs=hubs, flows=flows, summary=summary, network=ctx.network)
