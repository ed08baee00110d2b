"""What a ``demand.max_flows`` cut leaves out: the plan's hubs simulated on every flow.

A scenario that plans only the largest flows (``demand.max_flows``) reports its served share of those
flows. This stage reads the demand again without the cut, routes every flow and simulates each trip
against the plan's hubs (the verifier's :func:`~planner.verify.served_by_simulation`: a truck charges
at every open hub it passes), so the summary also says how much of the whole demand the plan serves.
It is by range alone: where hubs are sized for their sessions (``[capacity]``, ``[hourly]``), only the
kept flows' trucks are counted in their points. So those runs also count the sessions the cut flows
would bring to the hubs, each truck stopping as rarely as its range allows (:mod:`planner.fewest_stops`;
a lower bound; ``hubs.csv`` ``cut_sessions_per_day`` and the energy they charge,
``cut_energy_mwh_per_year``), and ask each feature what that means for its
sizing (``Feature.cut_flows_load``: the capacity family gives the points the hubs would lack).

Measured on ``europe-2030-low-budget`` (its 20,000 largest flows as it shipped until 2026-12-07, 37 hubs;
2 cores, 2026-12-05): every one of the 235,182 flows read and routed in 3.6 s and simulated in 1.6 s. On
``europe-2030-capacity`` (2026-12-07) the fewest-stop sessions of the 70,116 cut flows its 105 hubs serve took 0.13 s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.context import RunContext
from planner.demand import describe_cut_load, load_flows, route_flows
from planner.fewest_stops import fewest_stops
from planner.plan import Plan
from planner.verify import served_by_simulation
from planner.walk import RouteWalker

__all__ = ["cut_sessions", "served_on_every_flow"]


def served_on_every_flow(plan: Plan, ctx: RunContext) -> None:
    """With a ``max_flows`` cut, add ``all_flows_served_share`` (the share of every flow's trucks/day whose
    trip completes with the plan's hubs) to ``summary["demand"]`` and log it; without a cut, do nothing."""
    demand = plan.summary.get("demand")
    if not demand or "flows_kept" not in demand:
        return
    sc = ctx.scenario
    every = load_flows(sc.demand.model_copy(update={"max_flows": None}), ctx.network)
    routed = route_flows(every, ctx.network, round_trip=sc.demand.round_trip, source=str(sc.demand.source))
    served = served_by_simulation(
        ctx.network,
        ctx.sites,
        routed,
        set(plan.hubs["site_id"].astype(str)),
        sc.vehicle,
        sc.breaks,
        refuel_at_origin=ctx.refuel_at_origin,
    )
    volume = routed["volume"].to_numpy(dtype=float)
    total = float(volume.sum())
    share = float(volume[served].sum()) / total if total > 0 else 0.0
    demand["all_flows_served_share"] = share
    assigns = any(f.assigns_stops for f in ctx.features)
    note = " (by range; points are sized for the kept flows only)" if assigns else ""
    ctx.log(f"demand: on all {len(routed):,} flows this plan's hubs complete {share:.1%} of the trucks/day{note}")
    if assigns:
        outside = ~routed["flow_id"].isin(plan.flows["flow_id"]).to_numpy()
        cut = routed[outside]
        extra, kwh = cut_sessions(plan, ctx, cut[served[outside]])
        plan.hubs["cut_sessions_per_day"] = extra.round(3)
        plan.hubs["cut_energy_mwh_per_year"] = (kwh * 365.0 / 1000.0).round(3)
        demand["cut_flows_sessions"] = load = _load(plan, extra)
        for feature in ctx.features:
            load.update(feature.cut_flows_load(plan, ctx, extra, cut))
        ctx.log(f"demand: {describe_cut_load(load)}")


def cut_sessions(plan: Plan, ctx: RunContext, flows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Daily sessions and energy (kWh/day) ``flows`` (routed, each served by range) bring to each of
    ``plan.hubs``' rows, every truck stopping as rarely as its range allows and charging to ``soc_max``
    (:func:`~planner.fewest_stops.fewest_stops`)."""
    sc = ctx.scenario
    walker = RouteWalker(ctx.network, ctx.sites, set(plan.hubs["site_id"].astype(str)))
    volume = flows["volume"].to_numpy(dtype=float) * ctx.session_factor
    sessions, energy = np.zeros(len(walker.site_ids)), np.zeros(len(walker.site_ids))
    for first, walk in walker.chunks(list(flows["route_nodes"])):
        entries, kwh, _ = fewest_stops(walk, sc.vehicle, sc.breaks)
        trucks = volume[first + walk.route_of[entries]]
        sessions += np.bincount(walk.site[entries], weights=trucks, minlength=len(sessions))
        energy += np.bincount(walk.site[entries], weights=trucks * kwh, minlength=len(energy))
    at = walker.codes(plan.hubs["site_id"].astype(str))
    return sessions[at], energy[at]


def _load(plan: Plan, extra: np.ndarray) -> dict:
    planned = plan.hubs["volume_charging"].to_numpy(dtype=float)
    sized = planned > 0  # the rise is of hubs with sessions of their own
    total = float(extra.sum())
    return {
        "rule": "each truck stops as rarely as its range allows (a lower bound)",
        "sessions_per_day": round(total, 3),
        "planned_sessions_per_day": round(float(planned.sum()), 3),
        "hubs_with_sessions": int((extra > 1e-9).sum()),
        "max_hub_increase": round(float(np.max(extra[sized] / planned[sized], initial=0.0)), 4),
        "energy_mwh_per_year": round(float(plan.hubs["cut_energy_mwh_per_year"].sum()), 3),
        "planned_energy_mwh_per_year": round(float(plan.hubs.get("energy_mwh_per_year", pd.Series(0.0)).sum()), 3),
    }
