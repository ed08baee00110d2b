"""The library API: run a scenario through the whole pipeline.

``planner.run(scenario)`` → :class:`~planner.plan.Plan`. Each stage is also usable on its own
(:func:`planner.network.load_network`, :func:`planner.candidates.build_candidates`, ...).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pulp

from planner.candidates import build_candidates
from planner.chargers import hub_power_kw, min_counts, min_pool_capex
from planner.compliance import (
    afir_requirement,
    rollout_final_afir,
    rollout_requirements,
)
from planner.demand import load_flows, route_flows
from planner.economics import add_economics, hub_energy_kwh_per_day
from planner.errors import InfeasibleError, ScenarioError, SolverError, VerificationError
from planner.export import write_plan
from planner.grid import site_grid_kw
from planner.instance import build_instance
from planner.model import ModelSpec, build_model
from planner.model.build import PlanningModel, flow_weight
from planner.model.capacity import CapacityVariables
from planner.model.grid import GridSpec, GridVariables
from planner.model.variables import Variables, served_mask
from planner.network import load_network
from planner.outdir import check_target
from planner.outputs import (
    afir_outputs,
    charger_totals,
    grid_outputs,
    hub_queueing,
    rollout_checks,
    rollout_outputs,
)
from planner.plan import Plan, decode_plan
from planner.ranges import vehicle_ranges
from planner.rollout import RolloutResult, solve_rollout, year_factors
from planner.scenario import Scenario, load_scenario
from planner.sizing import capacity_levels, session_hours, solve_two_stage
from planner.solve import solve_problem
from planner.verify import Check, Verification, check_hub_sets, served_by_simulation, verify_plan

__all__ = ["run", "solve_scenario", "default_out_dir"]

Log = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def default_out_dir(scenario: Scenario) -> Path:
    """``output.dir`` or ``results/<scenario name>`` in the working folder."""
    return scenario.output.dir if scenario.output.dir is not None else Path("results") / scenario.name


def solve_scenario(scenario: Scenario, *, log: Log = _noop) -> Plan:
    """Build, solve, decode and verify a scenario (no files written).

    Raises
    ------
    PlannerError
        Any input, infeasibility, solver or verification failure.
    """
    t0 = time.perf_counter()
    network = load_network(scenario.network)
    log(
        f"network: {network.graph.number_of_nodes()} nodes, {len(network.edges)} edges "
        f"({network.edges['length_km'].sum():,.0f} km)"
    )
    sites = build_candidates(network, scenario.candidates, scenario.network)
    log(f"candidates: {len(sites)} sites ({int(sites['locked'].sum())} existing, locked)")
    flows = load_flows(scenario.demand, network)
    source = str(scenario.demand.flows or scenario.demand.zones)
    flows = route_flows(flows, network, round_trip=scenario.demand.round_trip, source=source)
    log(f"demand: {len(flows)} flows, {flows['volume'].sum():,.1f} BEV trucks/day")
    ranges = vehicle_ranges(scenario.vehicle, scenario.breaks)
    costs = scenario.costs
    site_cost = np.where(
        sites["locked"].to_numpy(dtype=bool), 0.0, costs.site_fixed_eur + min_pool_capex(scenario.chargers)
    )
    capacity = scenario.capacity
    instance = build_instance(network, sites, flows, ranges, site_cost=site_cost, drop_locked=not capacity.enabled)
    n_unserv = int((~instance.servable).sum())
    if n_unserv:
        log(f"{n_unserv} flow(s) can never be served with this vehicle (listed in summary.json)")
    obj = scenario.objective
    afir_windows: tuple[tuple[int, ...], ...] = ()
    afir_share = None  # network-share milestone (2025/2027) instead of full spacing windows
    if scenario.afir.mode == "enforce" and not scenario.rollout.years:  # rollouts: per year, below
        afir_windows, afir_share = afir_requirement(
            scenario.afir, scenario.chargers, network, sites, where=scenario.name
        )
        if afir_share is None:
            log(f"AFIR {scenario.afir.year}: {len(afir_windows):,} spacing windows enforced")
        else:
            log(
                f"AFIR {scenario.afir.year}: {afir_share.share:.0%} of the network length enforced over "
                f"{len(afir_share.length_km):,} segments"
            )
    if (
        capacity.enabled
        and capacity.size_levels == "relaxed"
        and (obj.type != "min_cost" or obj.budget_eur is not None or obj.max_hubs is not None or scenario.grid.enabled)
    ):
        raise ScenarioError(
            f"{scenario.name}: capacity.size_levels = 'relaxed' sizes hubs exactly only on the sites its linear "
            "relaxation opens, which a budget, a hub limit, a coverage objective or a grid limit could make "
            "infeasible; use it with objective.type = 'min_cost', no budget_eur or max_hubs and grid.enabled = "
            "false, or set size_levels = 'integer'."
        )
    cap_spec = capacity_levels(scenario, float(instance.volume.sum())) if capacity.enabled else None
    if cap_spec is not None:
        for tl in cap_spec.types:
            log(
                f"capacity: {tl.name}: {len(tl.servers)} size levels, up to {tl.servers[-1]} points "
                f"({tl.capacity[-1]:,.0f} sessions/day) per hub"
            )
    grid_spec = grid_model_spec(scenario, sites) if scenario.grid.enabled else None
    spec = ModelSpec(
        obj.type, obj.metric, obj.max_hubs, obj.budget_eur, obj.coverage_target, afir_windows, cap_spec, grid_spec
    )
    spec = replace(spec, afir_share=afir_share)
    rollout = None
    two = None
    session_factor = 1.0  # rollouts: sessions of the last year (volume factor × base volume)
    if scenario.rollout.years:
        # Each year meets the AFIR milestone due by its end (15 % / 50 % share, then full spacing).
        required, shares = rollout_requirements(
            scenario.afir, scenario.chargers, network, sites, scenario.rollout.years, where=scenario.name
        )
        t_build = time.perf_counter() - t0
        if cap_spec is not None:  # sized for the busiest year
            peak = max(year_factors(scenario)[0])
            spec = replace(spec, capacity=capacity_levels(scenario, float(instance.volume.sum()) * peak))
        rollout = solve_rollout(
            scenario, instance, required, grid=grid_spec, shares_by_year=shares, capacity=spec.capacity, log=log
        )
        model = _final_year_model(rollout, instance, spec)
        session_factor = rollout.volume_factor[-1]
        result = rollout.results[-1]
    elif cap_spec is not None and not cap_spec.integer_levels:
        t_build = time.perf_counter() - t0
        two = solve_two_stage(
            instance, replace(spec, capacity=replace(cap_spec, integer_levels=True)), scenario.solver, log=log
        )
        model, result = two.model, two.result
    else:
        model = build_model(instance, spec)
        size = model.size()
        t_build = time.perf_counter() - t0
        log(
            f"model: {size['rows']:,} rows, {size['columns']:,} columns, {size['nonzeros']:,} nonzeros "
            f"({size['binaries']:,} binaries), built in {t_build:.1f} s"
        )
        result = solve_problem(model.problem, scenario.solver)
    if not scenario.rollout.years:
        log(result.describe())
        if result.status == "infeasible":
            cap_txt = (
                f", chargers.mcs.max_per_hub={scenario.chargers.mcs.max_per_hub}, "
                f"chargers.ccs.max_per_hub={scenario.chargers.ccs.max_per_hub}"
                if capacity.enabled
                else ""
            )
            raise InfeasibleError(
                f"{scenario.name}: no plan meets the limits{cap_txt} (objective.max_hubs={obj.max_hubs}, "
                f"budget_eur={obj.budget_eur}, coverage_target={obj.coverage_target}); relax one of them."
            )
        if not result.has_solution:
            raise SolverError(
                f"{scenario.name}: {result.solver} found no solution ({result.message}); "
                "raise solver.time_limit_s or simplify the scenario."
            )
    plan = decode_plan(
        scenario=scenario,
        network=network,
        sites=sites,
        flows=flows,
        instance=instance,
        model=model,
        result=result,
        ranges=ranges,
        session_factor=session_factor,
    )
    plan.summary["build_seconds"] = round(t_build, 3)
    if two is not None:
        plan.summary["two_stage"] = {
            "stage1_relaxation": two.stage1.to_dict(),
            "stage1_hubs": two.hubs_stage1,
            "stage2_exact_levels": two.stage2.to_dict(),
        }
    if grid_spec is not None:
        grid_outputs(plan, scenario, sites, model, grid_spec)
    charger_totals(plan, scenario)
    energy = hub_energy_kwh_per_day(network, sites, plan.hubs, plan.flows, scenario.vehicle, scenario.breaks)
    # Rollouts: the energy of the last planning year (its volume factor × the base volumes).
    energy = {sid: kwh * session_factor for sid, kwh in energy.items()}
    plan.summary["economics"] = add_economics(plan.hubs, energy, scenario.costs)
    if capacity.enabled:
        hub_queueing(plan, scenario, session_factor)
    # Plans solved on the side (AFIR reference, trade-off points) are re-simulated too.
    side_checks: list[Check] = []

    def simulate(open_ids: set[str]) -> np.ndarray:
        return served_by_simulation(network, sites, flows, open_ids, scenario.vehicle, scenario.breaks)

    if scenario.afir.mode != "off":
        afir_outputs(plan, scenario, network, sites)
        if scenario.afir.mode == "enforce" and "milestone" in plan.summary["afir"] and rollout is None:
            reference, ref_sets = _reference(instance, spec, scenario, log, simulate)
            side_checks.append(check_hub_sets("afir_reference_simulated", "reference plan(s)", ref_sets))
            plan.summary["afir"]["reference_without_afir"] = reference
            ref_cost = reference.get("total_cost_eur")
            plan.summary["afir"]["cost_of_compliance_eur"] = (
                None if ref_cost is None else plan.summary["total_cost_eur"] - ref_cost
            )
    if rollout is not None:
        rollout_outputs(plan, rollout, scenario, network, sites, flows, instance)
    if scenario.output.tradeoff_points and rollout is None:
        plan.summary["tradeoff"], curve_sets = _tradeoff(
            instance, scenario, plan.summary["new_hub_count"], log, simulate
        )
        side_checks.append(check_hub_sets("tradeoff_simulated", "trade-off point(s)", curve_sets))
    verification = verify_plan(
        network=network,
        sites=sites,
        hubs=plan.hubs,
        flows=plan.flows,
        vehicle=scenario.vehicle,
        breaks=scenario.breaks,
        objective=obj,
        site_cost=dict(zip(sites["site_id"], site_cost.tolist(), strict=True)),
        afir=scenario.afir if rollout is None else rollout_final_afir(scenario.afir, scenario.rollout.years),
        costs=scenario.costs,
        capacity=scenario.capacity if capacity.enabled else None,
        grid=scenario.grid if scenario.grid.enabled else None,
        session_time_h=session_hours(scenario) if capacity.enabled else None,
        session_factor=session_factor,
        chargers=scenario.chargers,
    )
    verification = Verification(verification.checks + side_checks)
    if rollout is not None:
        verification = Verification(
            verification.checks
            + rollout_checks(
                plan.summary["years"], scenario.rollout.budget_total_eur, afir_enforced=scenario.afir.mode == "enforce"
            )
        )
    plan.verification = verification
    plan.summary["verification"] = verification.to_dict()
    log(f"verification: {'passed' if verification.passed else 'FAILED'} ({len(verification.checks)} checks)")
    if not verification.passed:
        fail = verification.failures()[0]
        raise VerificationError(f"{scenario.name}: plan failed verification: {fail.name}: {fail.detail}")
    return plan


def _final_year_model(rollout: RolloutResult, instance, spec: ModelSpec) -> PlanningModel:
    """The last planning year's variables, in the shape the plan decoder reads."""
    fm = rollout.final_model
    # The model's last year (a myopic model holds one year); none when no site is ever needed.
    last = max((t for _, t in [*fm.open, *fm.served]), default=0)
    variables = Variables(
        open={k: fm.open[k, last] for k in fm.sites},
        served={g: fm.served[g, last] for g in range(len(fm.groups))},
        window={},
        groups=fm.groups,
        group_windows=fm.group_windows,
    )
    weight = flow_weight(instance, spec.metric)
    free = np.array([w is not None and len(w) == 0 for w in instance.windows], dtype=bool)
    upgrade = {k: fm.upgrade[k, last] for k in fm.sites if (k, last) in fm.upgrade}
    grid = GridVariables(upgrade=upgrade, battery={}, cost=pulp.LpAffineExpression())
    cap = None
    if fm.level:
        cap = CapacityVariables(
            assign={(g, k): v for (g, k, t), v in fm.assign.items() if t == last},
            level={(k, ti, li): v for (k, t, ti, li), v in fm.level.items() if t == last},
            split={(k, ti): v for (k, t, ti), v in fm.split.items() if t == last},
            sessions=pulp.LpAffineExpression(),
            hub_sessions={},
        )
    return PlanningModel(fm.problem, variables, weight, free, float(weight[free].sum()), spec, cap, grid)


def grid_model_spec(scenario: Scenario, sites) -> GridSpec:
    """Grid capacity per site, upgrade and buffer options for the model."""
    g = scenario.grid
    return GridSpec(
        available_kw=site_grid_kw(sites, g),
        simultaneity=g.simultaneity,
        fixed_power_kw=hub_power_kw(min_counts(scenario.chargers), scenario.chargers),
        step_kw=g.upgrade_step_kw,
        step_eur=g.upgrade_eur_per_mw * g.upgrade_step_kw / 1000.0,
        max_steps=g.max_upgrade_steps if g.upgrades_available else 0,
        battery_kw=g.battery_unit_kw,
        battery_eur=g.battery_eur,
        max_batteries=g.max_batteries_per_hub if g.battery_unit_kw > 0 else 0,
        session_kwh=(scenario.vehicle.soc_max - scenario.vehicle.soc_min) * scenario.vehicle.battery_kwh,
    )


def _open_ids(model: PlanningModel, instance) -> set[str]:
    is_open = instance.site_locked.copy()
    for k, x in model.variables.open.items():
        is_open[k] |= (x.value() or 0.0) > 0.5
    return {instance.site_ids[k] for k in np.flatnonzero(is_open)}


def _reference(instance, spec: ModelSpec, scenario: Scenario, log: Log, simulate) -> tuple[dict, list]:
    """The same model without AFIR windows: what compliance costs (and its hub set, re-simulated)."""
    model = build_model(instance, replace(spec, required_windows=(), afir_share=None))
    result = solve_problem(model.problem, scenario.solver)
    log(f"reference without AFIR: {result.describe()}")
    if not result.has_solution:
        return {"status": result.status}, []
    cost = sum(float(instance.site_cost[k]) for k, x in model.variables.open.items() if (x.value() or 0) > 0.5)
    hubs = sum(1 for x in model.variables.open.values() if (x.value() or 0) > 0.5) + int(instance.site_locked.sum())
    claimed = [
        (
            "reference",
            served_mask(model.free, model.variables.groups, model.variables.served),
            simulate(_open_ids(model, instance)),
        )
    ]
    return {"status": result.status, "mip_gap": result.mip_gap, "hub_count": hubs, "total_cost_eur": cost}, claimed


def _tradeoff(instance, scenario: Scenario, new_hubs: int, log: Log, simulate) -> tuple[list[dict], list]:
    """Served share of volume with the best 1…``new_hubs`` new hubs (max coverage, no AFIR).

    Each point's hub set is re-simulated: the share reported is the simulated one, and the flows
    the model claims are checked against it (:func:`planner.verify.check_hub_sets`).
    """
    n = scenario.output.tradeoff_points
    counts = sorted({max(1, round(new_hubs * i / n)) for i in range(1, n + 1)}) if new_hubs else []
    total = float(instance.volume.sum())
    points, claimed = [], []
    for p in counts:
        model = build_model(instance, ModelSpec("max_coverage", "volume", max_hubs=p))
        result = solve_problem(model.problem, scenario.solver)
        if not result.has_solution:
            points.append({"hubs": p + int(instance.site_locked.sum()), "new_hubs": p, "status": result.status})
            continue
        served = simulate(_open_ids(model, instance))
        claimed.append(
            (f"{p} new hubs", served_mask(model.free, model.variables.groups, model.variables.served), served)
        )
        points.append(
            {
                "hubs": p + int(instance.site_locked.sum()),
                "new_hubs": p,
                "covered_share": float(instance.volume[served].sum()) / total if total else 0.0,
                "status": result.status,
                "mip_gap": result.mip_gap,
            }
        )
    if points:
        log(f"trade-off curve: {len(points)} max-coverage solves")
    return points, claimed


def _render(scenario: Scenario) -> Callable[[Path], list[Path]] | None:
    if not scenario.output.maps:
        return None
    try:
        from planner.render import render_run
    except ImportError:
        return None

    def extra(folder: Path) -> list[Path]:
        return render_run(folder, title=scenario.name)

    return extra


def run(
    scenario: Scenario | str | Path,
    *,
    out_dir: str | Path | None = None,
    write: bool = True,
    log: Log = _noop,
    force: bool = False,
) -> Plan:
    """Run a scenario end to end and (by default) write its files.

    Parameters
    ----------
    scenario
        A :class:`~planner.scenario.Scenario` or the path of a scenario TOML file.
    out_dir
        Output folder (default: ``output.dir`` or ``results/<name>``).
    write
        Write the output files (atomically).
    log
        Callback receiving one progress line per stage.
    force
        Write into an existing folder the planner did not write (its own files only, nothing deleted).

    Returns
    -------
    Plan
        The verified plan (``plan.hubs_gdf`` and ``plan.flows_gdf`` give GeoDataFrames).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    target = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
    if write:
        check_target(target, force=force)  # refuse before solving, not after
    plan = solve_scenario(scenario, log=log)
    if write:
        files = write_plan(plan, target, extra=_render(scenario), force=force)
        plan.extras["out_dir"] = target
        plan.extras["files"] = files
        log(f"wrote {len(files)} files to {target}")
    return plan
