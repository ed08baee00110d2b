"""Truck flows: reading a flows CSV (or a trips CSV, or the gravity model), BEV share, shortest-path routing."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.network import Network
from planner.scenario import DemandConfig
from planner.tables import decimal_comma_hint, read_csv_table

__all__ = ["demand_shares", "describe_cut_load", "describe_demand", "load_flows", "route_flows"]


#: Largest volume one flow may carry (trucks/day): far above any road's traffic, it keeps sums finite.
MAX_FLOW_VOLUME = 1e7


def outside_scope(path: Path, which: str, nodes: str, noun: str) -> DataError:
    """The error for ``which`` flows or trips (``noun``) that start or end at ``nodes`` of the network file that
    the planning scope cut (``network.tiers`` / ``countries``), rather than at unknown nodes."""
    return DataError(
        f"{path}: {which} start or end at node(s) {nodes} outside the planning scope (network.tiers / "
        f"network.countries); widen the scope or remove those {noun}."
    )


def _read_flows_csv(config: DemandConfig, network: Network) -> pd.DataFrame:
    path = config.flows
    assert path is not None
    frame = read_csv_table(path, "flows", setting="demand.flows")
    missing = [c for c in ("origin", "destination", "volume") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; flows need origin, destination, volume.")
    if frame.empty:
        raise DataError(f"{path}: no flows; add at least one row.")
    frame = frame.apply(lambda c: c.str.strip())
    if "id" not in frame.columns or (frame["id"] == "").all():
        frame["id"] = [f"F{i + 1:05d}" for i in range(len(frame))]
    if (frame["id"] == "").any():
        raise DataError(f"{path}: some flows have an id and some not; give all or none.")
    dup = frame["id"][frame["id"].duplicated()]
    if len(dup):
        raise DataError(f"{path}: flow id {dup.iloc[0]!r} appears more than once; ids must be unique.")
    volume = pd.to_numeric(frame["volume"], errors="coerce")
    bad = ~np.isfinite(volume.to_numpy(dtype=float)) | (volume <= 0) | (volume > MAX_FLOW_VOLUME)
    if bad.any():
        row = frame[bad].iloc[0]
        raise DataError(
            f"{path}: flow {row['id']!r} has volume {row['volume']!r}; give a positive number of trucks/day "
            f"(at most {MAX_FLOW_VOLUME:,.0f}){decimal_comma_hint(row['volume'])}."
        )
    unknown = frame[~frame["origin"].isin(network.graph.nodes) | ~frame["destination"].isin(network.graph.nodes)]
    if len(unknown):
        names = sorted({n for n in pd.concat([unknown["origin"], unknown["destination"]]) if n not in network.graph})
        ids = ", ".join(unknown["id"].head(5))
        flows = f"{len(unknown)} flow(s) ({ids}{', ...' if len(unknown) > 5 else ''})"
        outside = [n for n in names if n in network.out_of_scope_nodes]
        if outside:  # in the network file, cut by the planning scope
            raise outside_scope(path, flows, ", ".join(outside[:5]), "flows")
        raise DataError(f"{path}: {flows} name unknown node(s) {', '.join(names[:5])}; use node ids from the network.")
    same = frame[frame["origin"] == frame["destination"]]
    if len(same):
        raise DataError(f"{path}: flow {same['id'].iloc[0]!r} starts and ends at the same node; remove it.")
    return pd.DataFrame(
        {
            "flow_id": frame["id"],
            "origin": frame["origin"],
            "destination": frame["destination"],
            "volume": volume.astype(float),
        }
    )


def describe_demand(demand: dict) -> str:
    """One phrase on how the flows were read (``attrs["demand"]`` of :func:`load_flows`), "" if one row per flow.

    Examples: "from 1,600,000 trips", "the 20,000 largest of 235,182 flows (92.0% of the trucks/day,
    demand.max_flows); the rest is outside the plan; on all flows this plan's hubs complete 87.1% of the
    trucks/day" (the last part once :func:`planner.demand_cut.served_on_every_flow` has run).
    """
    parts = []
    if "trips" in demand:
        parts.append(f"from {demand['trips']:,} trips")
    if "flows_kept" in demand:
        share = demand.get("volume_kept_share")
        what = "" if share is None else f"{share:.1%} of the trucks/day, "
        parts.append(
            f"the {demand['flows_kept']:,} largest of {demand['flows']:,} flows ({what}demand.max_flows); "
            "the rest is outside the plan"
        )
    if "all_flows_served_share" in demand:
        parts.append(f"on all flows this plan's hubs complete {demand['all_flows_served_share']:.1%} of the trucks/day")
    if "cut_flows_sessions" in demand:
        parts.append(describe_cut_load(demand["cut_flows_sessions"]))
    return "; ".join(parts)


def describe_cut_load(load: dict) -> str:
    """One sentence on the cut flows' sessions at the plan's hubs (``summary["demand"]["cut_flows_sessions"]``,
    :mod:`planner.demand_cut`) and what a feature made of them."""

    def hubs(n: int) -> str:
        return f"{n:,} hub{'' if n == 1 else 's'}"

    planned = load["planned_sessions_per_day"]
    more = f" (+{load['sessions_per_day'] / planned:.1%} on the {planned:,.1f} planned)" if planned > 0 else ""
    text = (
        f"the cut flows the hubs serve bring at least {load['sessions_per_day']:,.1f} more sessions/day{more} "
        f"to {hubs(load['hubs_with_sessions'])}, each truck stopping as rarely as its range allows"
    )
    if (energy := load.get("energy_mwh_per_year")) is not None:
        own = load.get("planned_energy_mwh_per_year") or 0.0
        rise = f" (+{energy / own:.1%})" if own > 0 else ""
        text += f", and at least {energy:,.0f} MWh/year more{rise}"
    if "points_short" in load:
        pieces = []
        if n := load["hubs_short"]:
            short = " + ".join(f"{k:,} {t.upper()}" for t, k in load["points_short"].items() if k)
            pieces.append(
                f"{hubs(n)} {'lacks' if n == 1 else 'lack'} at least {short} points "
                f"({load['points_short_capex_eur']:,.0f} EUR at the points' capex)"
            )
        if over := load.get("hubs_over_max_per_hub"):
            pieces.append(f"{hubs(over)} would need more than chargers.<type>.max_per_hub allows")
        rule = f" ({load['points_rule']})" if "points_rule" in load and pieces else ""
        text += f"; sized for the planned flows, {', and '.join(pieces) or 'no hub lacks points for them'}{rule}"
    if (grid := load.get("connection_short_mw")) is not None and not load["hubs_connection_short"]:
        text += "; no hub lacks grid connection for the day's energy over 24 hours"
    elif grid is not None:
        n = load["hubs_connection_short"]
        text += (
            f"; {hubs(n)} {'lacks' if n == 1 else 'lack'} at least {grid:,.1f} MW of grid connection for the day's "
            "energy over 24 hours"
        )
    if (bound := load.get("every_flow_bound")) is not None:
        text += f"; {_every_flow_bound(bound)}"
    return text


def _every_flow_bound(bound: dict) -> str:
    """The phrase on ``capacity.every_flow_bound`` (:func:`planner.features.capacity.every_flow.every_flow_bound`)."""
    value, capex = bound["every_flow_capex_bound_eur"], bound["plan_capex_eur"]
    if value is None:
        return (
            f"no bound on sizing hubs for every flow: its linear relaxation ended {bound['status']} after "
            f"{bound['seconds']:,.1f} s (capacity.every_flow_bound)"
        )
    ratio = f", {value / capex:.2f}× this plan's {capex:,.0f} EUR" if capex > 0 else ""
    return (
        f"sizing hubs for every flow costs at least {value:,.0f} EUR{ratio} (a linear relaxation with the "
        f"{bound['cut_flows']:,} cut flows served, each stopping once in each of its pairwise-disjoint windows)"
    )


def demand_shares(summary: dict) -> tuple[float, float | None]:
    """From a run's ``summary.json``: the planned flows' share of the demand's trucks/day (1.0 without a
    ``max_flows`` cut) and the share of every flow's trucks/day the plan serves (``covered_share`` without one)."""
    demand = summary.get("demand") or {}
    return demand.get("volume_kept_share", 1.0), demand.get("all_flows_served_share", summary.get("covered_share"))


def _route_weight(graph: nx.DiGraph) -> str:
    """``route_km`` (length plus route penalty) when every arc has it, else ``length_km``."""
    return "route_km" if all("route_km" in d for _, _, d in graph.edges(data=True)) else "length_km"


def _gravity(config: DemandConfig, network: Network) -> pd.DataFrame:
    """Gravity trips between the zones on the planned network, normalised over the whole network file."""
    from planner import gravity

    assert config.zones is not None
    read_csv_table(config.zones, "zones", setting="demand.zones")  # one clear line for a broken file
    try:
        zones = gravity.load_zones(config.zones)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    whole = network.whole_graph
    unknown = sorted(set(zones["node"]) - set(whole.nodes) - network.out_of_scope_nodes)
    if unknown:
        raise DataError(
            f"{config.zones}: zones load at unknown node(s) {', '.join(unknown[:5])}; use node ids from the network."
        )
    zones = zones[zones["node"].isin(whole.nodes)]  # zones on nodes without any edge: no trips
    flows = gravity.gravity_flows(
        nx.Graph(whole),
        zones,
        total_trucks_per_day=config.total_trucks_per_day,
        distance_decay=config.distance_decay,
        min_trip_km=config.min_trip_km,
        max_flows=config.max_flows,
        cost_attr=_route_weight(whole),
        scope=zones["node"].isin(network.graph.nodes).to_numpy(),
    )
    if flows.empty:
        raise DataError(
            f"{config.zones}: the gravity model gives no trips of at least {config.min_trip_km} km between zones "
            "of the planned network; lower demand.min_trip_km or widen network.countries/tiers."
        )
    out = pd.DataFrame(
        {
            "flow_id": flows["id"].astype(str),
            "origin": flows["origin"].astype(str),
            "destination": flows["destination"].astype(str),
            "volume": flows["volume"].astype(float),
        }
    )
    if len(out) < flows.attrs["pairs_total"]:  # demand.max_flows left flows out of the plan
        out.attrs["demand"] = {
            "flows": int(flows.attrs["pairs_total"]),
            "flows_kept": len(out),
            "volume_kept_share": 1.0 - float(flows.attrs["dropped_volume_share"]),
        }
    return out


def load_flows(config: DemandConfig, network: Network) -> pd.DataFrame:
    """Read the flows named by the scenario and apply the BEV share.

    Returns
    -------
    pandas.DataFrame
        ``flow_id, origin, destination, volume`` with volume in BEV trucks/day. From a trips file,
        ``attrs["demand"]`` says how many trips became how many flows
        (:func:`planner.demand_trips.read_trips_csv`); from the gravity model, when ``max_flows`` cut
        some, how many flows it gives, how many are kept and their share of its trucks/day (``flows``,
        ``flows_kept``, ``volume_kept_share``).
    """
    if config.trips is not None:
        from planner.demand_trips import read_trips_csv

        flows = read_trips_csv(
            config.trips, network.graph, max_flows=config.max_flows, outside=network.out_of_scope_nodes
        )
    elif config.flows is not None:
        flows = _read_flows_csv(config, network)
    else:
        flows = _gravity(config, network)
    flows["volume"] = flows["volume"] * config.bev_share
    out = flows.reset_index(drop=True)
    out.attrs = dict(flows.attrs)
    return out


def route_flows(
    flows: pd.DataFrame, network: Network, *, round_trip: bool = False, source: str = "flows"
) -> pd.DataFrame:
    """Route every flow on its cheapest path by ``route_km`` (``length_km`` plus any ``route_penalty_km``).

    The penalty steers route choice only: ``length_km`` and ``drive_km`` of a route are its real
    lengths.

    Parameters
    ----------
    flows
        ``flow_id, origin, destination, volume``.
    network
        The network.
    round_trip
        Route origin→destination→origin (the return leg routed on its own shortest path).
    source
        Name for error messages.

    Returns
    -------
    pandas.DataFrame
        The flows with ``route_nodes`` (list of node ids), ``length_km`` and ``drive_km``.

    Raises
    ------
    DataError
        Naming the flows whose destination cannot be reached from their origin.
    """
    graph = network.graph
    weight = _route_weight(graph)
    paths: dict[str, dict[str, list[str]]] = {}
    needed = set(flows["origin"]) | (set(flows["destination"]) if round_trip else set())
    for origin in sorted(needed):
        _, paths[origin] = nx.single_source_dijkstra(graph, origin, weight=weight)
    routes, unreachable = [], []
    for f in flows.itertuples(index=False):
        out = paths[f.origin].get(f.destination)
        back = paths[f.destination].get(f.origin) if round_trip else [f.destination]
        if out is None or back is None:
            unreachable.append(f.flow_id)
            routes.append(None)
            continue
        routes.append(out + back[1:])
    if unreachable:
        raise DataError(
            f"{source}: {len(unreachable)} flow(s) cannot reach their destination on the network "
            f"({', '.join(unreachable[:5])}{', ...' if len(unreachable) > 5 else ''}); "
            f"check oneway edges or remove them."
        )
    out = flows.copy()
    out["route_nodes"] = routes
    for column in ("length_km", "drive_km"):
        km = {(a, b): d[column] for a, b, d in graph.edges(data=True)}  # plain dict: graph.edges[a, b] is slow
        out[column] = [sum(km[a, b] for a, b in zip(r[:-1], r[1:], strict=True)) for r in routes]
    return out
