"""The pipeline's core stages: inputs, instance, verification (features plug in between).

Each stage reads what the earlier ones left in the :class:`~planner.context.RunContext` and adds
its own result; :mod:`planner.pipeline` runs them in order.
"""

from __future__ import annotations

import time

import numpy as np

from planner.by_country import coverage_by_area
from planner.candidates import build_candidates
from planner.chargers import min_pool_capex
from planner.context import Log, RunContext
from planner.demand import describe_demand, load_flows, route_flows
from planner.demand_cut import served_on_every_flow
from planner.errors import InfeasibleError, ScenarioError, VerificationError
from planner.features import check_scenario, enabled_features
from planner.features.coverage.feature import core_spec
from planner.features.coverage.lazy import lazy_applies, refines_lazily
from planner.features.coverage.model import full_cover, target_shortfall
from planner.instance import build_instance
from planner.network import load_network
from planner.plan import Plan
from planner.ranges import vehicle_ranges
from planner.scenario import ObjectiveConfig, Scenario
from planner.solve import SolveLog
from planner.verify import Verification, verify_plan

__all__ = ["load_inputs", "make_instance", "record_verification", "summarise_areas", "verify"]


def load_inputs(ctx: RunContext) -> None:
    """Network, candidate sites, flows routed on the network, leg ranges."""
    sc, log = ctx.scenario, ctx.log
    for note in sc.inert_settings():
        log(f"note: {note}")
    ctx.network = network = load_network(sc.network)
    log(
        f"network: {network.graph.number_of_nodes()} nodes, {len(network.edges)} edges "
        f"({network.edges['length_km'].sum():,.0f} km)"
    )
    ctx.sites = build_candidates(network, sc.candidates, sc.network)
    log(f"candidates: {len(ctx.sites)} sites ({int(ctx.sites['locked'].sum())} existing, locked)")
    flows = load_flows(sc.demand, network)
    ctx.demand = dict(flows.attrs.get("demand", {}))
    if "trips" in ctx.demand:
        log(f"demand: {ctx.demand['trips']:,} trips aggregated into {ctx.demand['flows']:,} flows")
    if "flows_kept" in ctx.demand:
        log(f"demand: {describe_demand({k: v for k, v in ctx.demand.items() if k != 'trips'})}")
    source = str(sc.demand.source)
    ctx.flows = route_flows(flows, network, round_trip=sc.demand.round_trip, source=source)
    log(f"demand: {len(ctx.flows)} flows, {ctx.flows['volume'].sum():,.1f} BEV trucks/day")
    ctx.ranges = vehicle_ranges(sc.vehicle, sc.breaks)


def make_instance(ctx: RunContext) -> None:
    """The plain-array instance: each site's capex with its minimum pool, each flow's windows."""
    sc = ctx.scenario
    locked = ctx.sites["locked"].to_numpy(dtype=bool)
    new_hub = sc.costs.site_fixed_eur + min_pool_capex(sc.chargers)  # site and minimum pool
    ctx.site_cost = np.where(locked, 0.0, new_hub)
    check_budget(sc, locked, new_hub)
    assigns = any(f.assigns_stops for f in ctx.features)
    ctx.instance = build_instance(
        ctx.network,
        ctx.sites,
        ctx.flows,
        ctx.ranges,
        site_cost=ctx.site_cost,
        drop_locked=not assigns,
        refuel_at_origin=ctx.refuel_at_origin,
    )
    if not (full_cover(sc.objective.type, sc.objective.coverage_target, assigns) and not sc.rollout.years):
        _check_model_size(ctx, assigns)  # a model with served-variables (a rollout always has them)
    n_unserv = int((~ctx.instance.servable).sum())
    if n_unserv:
        ctx.log(f"{n_unserv} flow(s) can never be served with this vehicle (listed in summary.json)")


def prepare_run(scenario: Scenario, *, log: Log = lambda _m: None, solve_log: SolveLog | None = None) -> RunContext:
    """Everything before the solve: inputs, the instance, each feature's requirements and model part.

    ``planner validate`` stops here (:func:`planner.pipeline.run_pipeline` goes on to the solve), so it
    refuses what a run would refuse before solving (settings a feature cannot honour, a model over
    ``solver.max_model_pairs``, limits allowing no hub).

    Raises
    ------
    PlannerError
        Any input error, or settings the run would refuse.
    """
    check_scenario(scenario)  # settings a feature cannot honour, before any data is read
    ctx = RunContext(scenario, log, features=enabled_features(scenario), solve_log=solve_log)
    load_inputs(ctx)  # network, candidate sites, routed flows, ranges
    make_instance(ctx)  # the plain-array boundary: no geometry past here
    for feature in ctx.features:
        feature.prepare(ctx)  # requirements from data, model parts
    ctx.data["spec"] = core_spec(ctx)
    why = target_shortfall(ctx.instance, ctx.data["spec"])
    if why is not None:
        raise InfeasibleError(f"{scenario.where}: {why}")
    if not ctx.instance.servable.any():
        raise InfeasibleError(f"{scenario.where}: {_nothing_servable(ctx)}")
    ctx.build_seconds = time.perf_counter() - ctx.started  # the core solve adds its model build
    return ctx


def _nothing_servable(ctx: RunContext) -> str:
    """Why a plan would serve nothing: every flow is out of reach, even with every candidate site open."""
    r, veh = ctx.ranges, ctx.scenario.vehicle
    shortest = float(ctx.flows["length_km"].min()) if "length_km" in ctx.flows else float("nan")
    return (
        f"no flow can be served, even with every candidate site open: this vehicle drives {r.start_km:,.0f} km from "
        f"its origin and {r.between_km:,.0f} km between charges (vehicle.battery_kwh = {veh.battery_kwh:g} kWh, "
        f"consumption_kwh_per_km = {veh.consumption_kwh_per_km:g}), the shortest flow is {shortest:,.0f} km; check "
        "the vehicle's units or add candidate sites (candidates.spacing_km)"
    )


def check_budget(scenario: Scenario, locked: np.ndarray, new_hub_eur: float) -> None:
    """Refuse limits that allow no hub where there is no existing hub.

    ``objective.max_hubs = 0``, or a budget below ``new_hub_eur``, a new hub's price (site and minimum
    pool; most often a unit slip, ``150`` for 150 M EUR): ``objective.budget_eur``, a rollout's
    ``budget_total_eur``, or ``budget_per_year_eur`` when no year's budget buys a hub (a year spends only
    its own). Every plan would then be empty, reported as max coverage's optimum or found infeasible only
    after the solve. The same limits beside existing hubs stay valid (what the hubs already built serve).

    Raises
    ------
    InfeasibleError
        Naming the field, the price of the cheapest new hub and the fix.
    """
    if locked.any() or not len(locked):
        return
    ro, obj = scenario.rollout, scenario.objective
    if obj.max_hubs == 0:
        raise InfeasibleError(
            f"{scenario.where}: objective.max_hubs = 0 allows no hub and there is no existing hub; "
            "raise objective.max_hubs."
        )
    budgets = {"objective.budget_eur": obj.budget_eur}  # field → the largest budget one hub could come from
    if ro.years:
        budgets = {"rollout.budget_total_eur": ro.budget_total_eur}
        if ro.budget_per_year_eur:
            budgets["rollout.budget_per_year_eur"] = max(ro.budget_per_year_eur)
    for key, budget in budgets.items():
        if budget is None or budget >= new_hub_eur * (1 - 1e-9):
            continue
        said = (
            f"{key}: no year's budget buys a hub (the largest is {budget:,.0f} EUR)"
            if key.endswith("per_year_eur")
            else f"{key} = {budget:,.0f} EUR buys no hub"
        )
        raise InfeasibleError(
            f"{scenario.where}: {said}: a new hub costs at least {new_hub_eur:,.0f} EUR (costs.site_fixed_eur plus "
            f"its minimum pool of points) and there is no existing hub; raise {key} to at least {new_hub_eur:,.0f}."
        )


#: Memory per (flow group, window) pair, measured on europe-2030 variants with 50,000 flows: 1.06 M
#: pairs took 3.9 GB for max coverage; with [capacity] (stops assigned to hubs) 1.12 M pairs passed
#: 10 GB while the first linear relaxation was solving (2026-12-03). An assigning model's pair
#: counts three times against solver.max_model_pairs, and a foresight rollout's once per year (one
#: model holds every year's rows): europe-rollout-2026-2035 with 20,000 flows, 240,949 pairs × 5
#: years, peaked at 4.27 GB (2026-12-04).
_KB_PER_PAIR = 3.0
_ASSIGN_WEIGHT = 3


def _check_model_size(ctx: RunContext, assigns: bool) -> None:
    """Stop before building a served-variable model too large for ``solver.max_model_pairs``, unless max
    coverage refines its windows lazily (``ctx.data["lazy_windows"]``, :mod:`planner.features.coverage.lazy`).

    Its size grows with the flows: one row per (group of flows with the same windows, window), and
    with ``assigns`` one assignment per site of those windows; ``europe-2030-low-budget`` with every
    flow has about 13 M pairs and needs over 20 GB (README, *Performance*)."""
    sc = ctx.scenario
    pairs = ctx.instance.cover.group_window_pairs()
    lazy = lazy_applies(sc.objective.type, assigns, sc.solver.coverage_rows)
    ctx.data["lazy_windows"] = lazy and refines_lazily(sc.solver.coverage_rows, pairs)
    if ctx.data["lazy_windows"]:
        return
    if lazy and sc.solver.start_flows is not None:  # "auto" below LAZY_FROM_PAIRS: every window at once
        ctx.log(
            f"note: solver.start_flows = {sc.solver.start_flows:,} is unused: with {pairs:,} (flow group, window) "
            "pairs the model has every window at once (solver.coverage_rows = 'auto'; set it to 'lazy' to start)"
        )
    years = len(sc.rollout.years) if sc.rollout.years and sc.rollout.mode == "foresight" else 1
    weighted = pairs * (_ASSIGN_WEIGHT if assigns else 1) * years
    limit = sc.solver.max_model_pairs
    if weighted <= limit:
        return
    gb = weighted * _KB_PER_PAIR * 1e3 / 1e9
    kind = "a served-variable per group of flows" + (", stops assigned to hubs" if assigns else "")
    weights = ([f"counted {_ASSIGN_WEIGHT} times"] if assigns else []) + (
        [f"once for each of its {years} years"] if years > 1 else []
    )
    counted = f" {' and '.join(weights)}" if weights else ""
    raise ScenarioError(
        f"{sc.where}: with {len(ctx.instance.flow_ids):,} flows the model ({kind}) needs about {pairs / 1e6:.1f} M "
        f"(flow group, window) pairs{counted} (~{gb:.0f} GB), over solver.max_model_pairs = {limit:,}: set "
        "demand.max_flows lower (the shipped variants plan the 4000 largest flows), or raise "
        "solver.max_model_pairs on a machine with more memory."
    )


def _final_objective(scenario: Scenario) -> ObjectiveConfig:
    """The objective the plan (a rollout's: its last year) is verified against: a rollout's coverage
    targets are per year (``rollout.coverage_target``), so its last year's stands in for
    ``objective.coverage_target`` (a rollout refuses that key); without one a cost objective must serve
    every servable flow."""
    targets = scenario.rollout.coverage_target
    if not scenario.rollout.years or not targets or scenario.objective.type != "min_cost":
        return scenario.objective
    return scenario.objective.model_copy(update={"coverage_target": targets[-1]})


def verify(plan: Plan, ctx: RunContext | None = None) -> Verification:
    """All checks of a plan: the verifier's core checks, every enabled feature's checks, and the
    re-simulation checks of plans solved on the side. ``ctx`` defaults to the plan's own run."""
    ctx = ctx if ctx is not None else plan.context
    sc = ctx.scenario
    core = verify_plan(
        network=ctx.network,
        sites=ctx.sites,
        hubs=plan.hubs,
        flows=plan.flows,
        vehicle=sc.vehicle,
        breaks=sc.breaks,
        objective=_final_objective(sc),
        site_cost=dict(zip(ctx.sites["site_id"], ctx.site_cost.tolist(), strict=True)),
        costs=sc.costs,
        chargers=sc.chargers,
        assigned=any(f.assigns_stops for f in ctx.features),
        sized=any(f.assigns_stops for f in ctx.features),
        extra_capex=sum(f.recomputed_capex(plan, ctx) for f in ctx.features),
        refuel_at_origin=ctx.refuel_at_origin,
    )
    checks = list(core.checks)
    for feature in ctx.features:
        checks += feature.checks(plan, ctx)
    return Verification(checks + ctx.side_checks)


def summarise_areas(plan: Plan, ctx: RunContext) -> None:
    """``by_country`` (and ``by_region``) in the summary, from the final flows and hubs tables; after a
    ``demand.max_flows`` cut, the plan's hubs on every flow (:func:`planner.demand_cut.served_on_every_flow`)."""
    f = plan.flows
    volume = f["volume"].to_numpy(dtype=float) * ctx.session_factor  # a rollout's last year, as its headline
    by_country, by_region = coverage_by_area(ctx.network, f, volume, f["served"].to_numpy(dtype=bool), plan.hubs)
    plan.summary["by_country"] = by_country
    if by_region:
        plan.summary["by_region"] = by_region
    served_on_every_flow(plan, ctx)


def record_verification(plan: Plan, ctx: RunContext) -> None:
    """Verify the plan, record the result in it, and raise if any check failed.

    Raises
    ------
    VerificationError
        Naming the first failed check: a plan that fails its own verification is never returned.
    """
    verification = verify(plan, ctx)
    plan.verification = verification
    plan.summary["verification"] = verification.to_dict()
    ctx.log(f"verification: {'passed' if verification.passed else 'FAILED'} ({len(verification.checks)} checks)")
    if not verification.passed:
        fail = verification.failures()[0]
        raise VerificationError(f"{ctx.scenario.where}: plan failed verification: {fail.name}: {fail.detail}")
