"""Plan: the decoded solution — open hubs, served flows and where they charge, KPIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from planner.chargers import TYPES
from planner.instance import PlanningInstance
from planner.model import PlanningModel
from planner.network import Network
from planner.ranges import Ranges
from planner.scenario import Scenario
from planner.solve import SolveResult
from planner.verify import Verification

__all__ = ["Plan", "decode_plan", "HUB_COLUMNS", "FLOW_COLUMNS"]

HUB_COLUMNS = [
    "site_id",
    "name",
    "lon",
    "lat",
    "node_or_edge",
    "country",
    "tier",
    "locked",
    "chargers",
    "chargers_mcs",
    "chargers_ccs",
    "cost_eur",
    "flows_charging",
    "volume_charging",
]
FLOW_COLUMNS = [
    "flow_id",
    "origin",
    "destination",
    "volume",
    "length_km",
    "drive_km",
    "served",
    "status",
    "route_nodes",
    "stops",
    "stops_km",
    "stops_share",
]


@dataclass
class Plan:
    """A solved, verified plan.

    Attributes
    ----------
    scenario
        The scenario it answers.
    hubs
        Open hubs (columns :data:`HUB_COLUMNS`).
    flows
        Every flow (columns :data:`FLOW_COLUMNS`; ``route_nodes``, ``stops``, ``stops_km`` as lists).
    summary
        The content of summary.json.
    network
        The network used.
    verification
        The independent verification result.
    """

    scenario: Scenario
    hubs: pd.DataFrame
    flows: pd.DataFrame
    summary: dict[str, Any]
    network: Network
    verification: Verification | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def hubs_gdf(self) -> gpd.GeoDataFrame:
        """Open hubs as points (EPSG:4326)."""
        return gpd.GeoDataFrame(
            self.hubs.copy(),
            geometry=[Point(x, y) for x, y in zip(self.hubs["lon"], self.hubs["lat"], strict=True)],
            crs="EPSG:4326",
        )

    @property
    def flows_gdf(self) -> gpd.GeoDataFrame:
        """Flows as route lines (EPSG:4326), list columns joined with ``;``."""
        g = self.network.graph
        geoms = [LineString([(g.nodes[n]["lon"], g.nodes[n]["lat"]) for n in r]) for r in self.flows["route_nodes"]]
        return gpd.GeoDataFrame(flows_table(self.flows), geometry=geoms, crs="EPSG:4326")

    @property
    def network_gdf(self) -> gpd.GeoDataFrame:
        """Network edges as lines (EPSG:4326)."""
        e = self.network.edges
        n = self.network.nodes
        geoms = [
            LineString([(n.at[a, "lon"], n.at[a, "lat"]), (n.at[b, "lon"], n.at[b, "lat"])])
            for a, b in zip(e["u"], e["v"], strict=True)
        ]
        cols = ["edge_id", "u", "v", "length_km", "corridor", "tier", "country", "road", "mode", "oneway"]
        return gpd.GeoDataFrame(e[cols].copy(), geometry=geoms, crs="EPSG:4326")


def flows_table(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows with list columns joined by ``;`` (for CSV/GeoPackage)."""
    out = flows[FLOW_COLUMNS].copy()
    out["route_nodes"] = [";".join(r) for r in out["route_nodes"]]
    out["stops"] = [";".join(s) for s in out["stops"]]
    out["stops_km"] = [";".join(f"{k:.1f}" for k in s) for s in out["stops_km"]]
    out["stops_share"] = [";".join(f"{a:g}" for a in s) for s in out["stops_share"]]
    return out


def decode_plan(
    *,
    scenario: Scenario,
    network: Network,
    sites: pd.DataFrame,
    flows: pd.DataFrame,
    instance: PlanningInstance,
    model: PlanningModel,
    result: SolveResult,
    ranges: Ranges,
    session_factor: float = 1.0,
) -> Plan:
    """Read the solution off the model into hub and flow tables and a summary.

    ``session_factor`` scales the base-year volumes to the sessions the hubs were sized for (a
    rollout's last year).
    """
    v = model.variables
    is_open = instance.site_locked.copy()
    for k, x in v.open.items():
        if (x.value() or 0.0) > 0.5:
            is_open[k] = True
    served = model.free.copy()
    for g, y in v.served.items():
        if model.capacity is None:
            # Uncapacitated: a group is served iff every window has an open hub (whatever y says
            # within the solver's tolerance; the verifier checks the same by simulation).
            covered = all(any(is_open[k] for k in w) for w in v.group_windows[g])
        else:
            covered = (y.value() or 0.0) > 0.5
        if covered:
            served[v.groups[g]] = True
    status = np.where(served, "served", np.where(instance.servable, "not_selected", "unservable"))
    # Share of each flow's trucks charging at each site: every open hub passed (uncapacitated),
    # or the model's assignment (capacity mode).
    share: list[dict[int, float]] = [{} for _ in instance.stops]
    group_of = {q: g for g, members in enumerate(v.groups) for q in members}
    cap = model.capacity
    for q, fs in enumerate(instance.stops):
        if not served[q]:
            continue
        if cap is None:
            share[q] = {int(k): 1.0 for k in fs.site if is_open[k]}
        elif q not in group_of:  # needs no charging stop: with assigned stops it makes none
            share[q] = {}
        else:
            g = group_of[q]
            share[q] = {
                int(k): float(cap.assign[g, int(k)].value() or 0.0)
                for k in set(fs.site.tolist())
                if (g, int(k)) in cap.assign and (cap.assign[g, int(k)].value() or 0.0) > 1e-6
            }
    stops, stops_km, stops_share = [], [], []
    for q, fs in enumerate(instance.stops):
        mask = np.array([int(k) in share[q] for k in fs.site], dtype=bool)
        stops.append([instance.site_ids[k] for k in fs.site[mask]])
        stops_km.append([float(x) for x in fs.route_km[mask]])
        stops_share.append([round(share[q][int(k)], 6) for k in fs.site[mask]])
    out_flows = flows[["flow_id", "origin", "destination", "volume", "length_km", "drive_km", "route_nodes"]].copy()
    out_flows["served"] = served
    out_flows["status"] = status
    out_flows["stops"] = stops
    out_flows["stops_km"] = stops_km
    out_flows["stops_share"] = stops_share

    open_idx = np.flatnonzero(is_open)
    charging = {instance.site_ids[k]: [0, 0.0] for k in open_idx}
    for q in np.flatnonzero(served):
        for k, a in share[q].items():
            charging[instance.site_ids[k]][0] += 1
            charging[instance.site_ids[k]][1] += float(instance.volume[q]) * a
    hub_sites = sites.iloc[open_idx]
    counts, split = _hub_chargers(
        scenario, instance, model, open_idx, [charging[instance.site_ids[k]][1] * session_factor for k in open_idx]
    )
    chargers = sum(counts.values())
    if cap is None:
        cost = instance.site_cost[open_idx]
    else:
        types = scenario.chargers.types()
        cost = np.where(instance.site_locked[open_idx], 0.0, model.spec.capacity.site_fixed_eur) + sum(
            counts[t] * types[t].capex_eur for t in TYPES
        )
    hubs = pd.DataFrame(
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
            "chargers": chargers,
            "chargers_mcs": counts["mcs"],
            "chargers_ccs": counts["ccs"],
            "cost_eur": cost,
            "flows_charging": [charging[s][0] for s in hub_sites["site_id"]],
            "volume_charging": [round(charging[s][1], 6) for s in hub_sites["site_id"]],
        },
        columns=HUB_COLUMNS,
    )

    total = float(instance.volume.sum())
    covered = float(instance.volume[served].sum())
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
    weight = model.weight
    summary: dict[str, Any] = {
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
        "vehicle": veh,
        "breaks": scenario.breaks.model_dump(),
        "candidates": len(sites),
        "flows": len(flows),
        "flows_served": int(served.sum()),
        "unservable_flows": [instance.flow_ids[q] for q in np.flatnonzero(~instance.servable)],
        "model": model.size(),
    }
    if split is not None:
        for t in TYPES:
            hubs[f"sessions_{t}"] = split[t].round(6)
    return Plan(scenario=scenario, hubs=hubs, flows=out_flows, summary=summary, network=network)


def _hub_chargers(
    scenario: Scenario, instance: PlanningInstance, model: PlanningModel, open_idx: np.ndarray, sessions: list[float]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """Points per charger type at each open hub, and (with sizing) each type's daily sessions.

    Without sizing every hub has its minimum pool. With integer size levels the chosen level of
    each type; with relaxed levels the smallest level of each type taking its sessions. The
    model's session split (``Σ_t s[k,t] ≥ S_k``) is scaled to sum exactly to the hub's sessions.
    """
    n = len(open_idx)
    cap = model.capacity
    if cap is None:
        return {t: np.full(n, spec.min_per_hub, dtype=int) for t, spec in scenario.chargers.types().items()}, None
    spec = model.spec.capacity
    counts = {t: np.zeros(n, dtype=int) for t in TYPES}
    split = {t: np.zeros(n) for t in TYPES}
    for j, k in enumerate(open_idx):
        k = int(k)
        if len(spec.types) == 1:
            raw = [sessions[j]]
        else:
            raw = [
                float(cap.split[k, ti].value() or 0.0) if (k, ti) in cap.split else 0.0 for ti in range(len(spec.types))
            ]
        raw = [max(v, 0.0) for v in raw]
        scale = sessions[j] / sum(raw) if sum(raw) > 0 else 0.0
        for ti, tl in enumerate(spec.types):
            s_t = raw[ti] * scale
            if spec.integer_levels:
                c = sum(
                    tl.servers[li]
                    for li in range(len(tl.servers))
                    if (k, ti, li) in cap.level and (cap.level[k, ti, li].value() or 0) > 0.5
                )
            else:
                c = tl.servers[tl.level_for(s_t)]
            counts[tl.name][j] = c
            split[tl.name][j] = s_t
    return counts, split
