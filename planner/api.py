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

from planner.afir import gaps_geodataframe
from planner.candidates import build_candidates
from planner.chargers import TYPES, hub_power_kw, min_counts, min_pool_capex, offered_types
from planner.compliance import (
    afir_requirement,
    afir_summary,
    directions_table,
    measure_plan,
    pool_ok,
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
from planner.model.capacity import CapacitySpec, CapacityVariables, TypeLevels
from planner.model.grid import GridSpec, GridVariables
from planner.model.variables import Variables
from planner.network import load_network
from planner.plan import Plan, decode_plan
from planner.queueing import expected_wait_h, size_levels
from planner.ranges import vehicle_ranges
from planner.rollout import RolloutResult, solve_rollout, year_factors, year_table
from planner.scenario import Scenario, load_scenario
from planner.sizing import solve_two_stage
from planner.solve import solve_problem
from planner.verify import Check, Verification, verify_plan

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
            if capacity.size_levels == "relaxed":
                raise ScenarioError(
                    f"{scenario.name}: capacity.size_levels = 'relaxed' is for single-year plans; use 'integer' "
                    "with rollout.years."
                )
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
            "stage1_relaxed_levels": two.stage1.to_dict(),
            "stage1_hubs": two.hubs_stage1,
            "stage2_exact_levels": two.stage2.to_dict(),
        }
    if grid_spec is not None:
        _grid_outputs(plan, scenario, sites, model, grid_spec)
    _charger_totals(plan, scenario)
    energy = hub_energy_kwh_per_day(network, sites, plan.hubs, plan.flows, scenario.vehicle, scenario.breaks)
    plan.summary["economics"] = add_economics(plan.hubs, energy, scenario.costs)
    if capacity.enabled:
        _hub_queueing(plan, scenario, session_factor)
    if scenario.afir.mode != "off":
        _afir_outputs(plan, scenario, network, sites)
        if scenario.afir.mode == "enforce" and "milestone" in plan.summary["afir"] and rollout is None:
            reference = _reference(instance, spec, scenario, log)
            plan.summary["afir"]["reference_without_afir"] = reference
            ref_cost = reference.get("total_cost_eur")
            plan.summary["afir"]["cost_of_compliance_eur"] = (
                None if ref_cost is None else plan.summary["total_cost_eur"] - ref_cost
            )
    if rollout is not None:
        _rollout_outputs(plan, rollout, scenario, network, sites, flows, instance)
    if scenario.output.tradeoff_points and rollout is None:
        plan.summary["tradeoff"] = _tradeoff(instance, scenario, plan.summary["new_hub_count"], log)
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
        session_time_h=_session_hours(scenario) if capacity.enabled else None,
        session_factor=session_factor,
        chargers=scenario.chargers,
    )
    if rollout is not None:
        verification = Verification(
            verification.checks
            + _rollout_checks(
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


def _rollout_outputs(plan: Plan, rollout: RolloutResult, scenario: Scenario, network, sites, flows, instance) -> None:
    """Opening year per hub and the per-year table (served flows re-simulated per year)."""
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    opened = rollout.opened_year
    plan.hubs["opened_year"] = [int(opened[index[s]]) for s in plan.hubs["site_id"]]
    plan.summary["years"] = year_table(rollout, scenario, network, sites, flows, instance)
    plan.summary["rollout"] = {
        "mode": scenario.rollout.mode,
        "years": list(rollout.years),
        "solves": [r.to_dict() for r in rollout.results],
        "discounted_capex_eur": plan.summary["years"][-1]["discounted_capex_cumulative_eur"],
        "discounted_covered_truck_km": float(
            sum(row["covered_truck_km"] * d for row, d in zip(plan.summary["years"], rollout.discount, strict=True))
        ),
    }


def _rollout_checks(
    years: list[dict], total_budget: float | None = None, *, afir_enforced: bool = False
) -> list[Check]:
    """Yearly budgets, hubs staying open and (AFIR enforced) each year's milestone, from the per-year table."""
    over = [
        f"{r['year']} ({r['capex_eur']:,.0f} > {r['budget_eur']:,.0f})"
        for r in years
        if r["budget_eur"] is not None and r["capex_eur"] > r["budget_eur"] * (1 + 1e-9)
    ]
    shrink = [str(b["year"]) for a, b in zip(years[:-1], years[1:], strict=True) if b["hubs"] < a["hubs"]]
    spent = sum(r["capex_eur"] for r in years)
    total_ok = total_budget is None or spent <= total_budget * (1 + 1e-9)
    return [
        Check(
            "rollout_budget_total",
            total_ok,
            f"capex over all years {spent:,.0f} EUR"
            + ("" if total_budget is None else f" {'≤' if total_ok else '>'} {total_budget:,.0f} EUR"),
        ),
        Check(
            "rollout_budget_per_year",
            not over,
            "every year's capex within its budget" if not over else f"over budget in {', '.join(over)}",
        ),
        Check(
            "rollout_hubs_stay_open",
            not shrink,
            "hub count never falls" if not shrink else f"hubs closed in {', '.join(shrink)}",
        ),
        *([_rollout_afir_check(years)] if afir_enforced else []),
    ]


def _rollout_afir_check(years: list[dict]) -> Check:
    """Each year's open hubs meet the AFIR milestone due by its end (re-measured in the year table)."""
    due = [r for r in years if r.get("afir_met") is not None]
    missed = [
        f"{r['year']} ({r['afir_milestone']}: share {r['afir_share']:.3f} < {r['afir_required_share']:g})"
        if r["afir_share"] < r["afir_required_share"] - 1e-9
        else f"{r['year']} ({r['afir_milestone']}: a tier below {r['afir_required_share']:g})"
        for r in due
        if not r["afir_met"]
    ]
    return Check(
        "rollout_afir_per_year",
        not missed,
        f"{len(due)} year(s) meet the AFIR milestone due by their end (re-measured from each year's hubs)"
        if not missed
        else f"AFIR milestone missed in {', '.join(missed)}",
    )


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


def _grid_outputs(plan: Plan, scenario: Scenario, sites, model, spec: GridSpec) -> None:
    """Grid capacity and upgrades per hub; upgrade cost added to the hub's capex."""
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    ks = [index[s] for s in plan.hubs["site_id"]]
    upgrade = model.grid.upgrade if model.grid is not None else {}
    battery = model.grid.battery if model.grid is not None else {}
    steps = np.array([round(upgrade[k].value() or 0.0) if k in upgrade else 0 for k in ks], dtype=int)
    units = np.array([round(battery[k].value() or 0.0) if k in battery else 0 for k in ks], dtype=int)
    g = scenario.grid
    plan.hubs["grid_available_kw"] = spec.available_kw[ks] if ks else []
    plan.hubs["grid_upgrade_kw"] = steps * spec.step_kw
    plan.hubs["battery_units"] = units
    plan.hubs["battery_kwh"] = units * g.battery_kwh
    plan.hubs["battery_kw"] = units * spec.battery_kw
    plan.hubs["cost_eur"] = plan.hubs["cost_eur"] + steps * spec.step_eur + units * spec.battery_eur
    plan.summary["total_cost_eur"] = float(plan.hubs["cost_eur"].sum())
    plan.summary["grid"] = {
        "upgrade_steps": int(steps.sum()),
        "upgrade_mw": float(steps.sum() * spec.step_kw / 1000),
        "upgrade_cost_eur": float(steps.sum() * spec.step_eur),
        "upgrades_available": spec.max_steps > 0,
    }


def _session_hours(scenario: Scenario) -> dict[str, float]:
    """Mean session time per offered charger type (hours)."""
    return {t.name: t.session_h for t in offered_types(scenario)}


def capacity_levels(scenario: Scenario, total_sessions: float) -> CapacitySpec:
    """Queueing size levels per offered charger type, from its ``min_per_hub`` to ``max_per_hub``."""
    cap = scenario.capacity
    types = []
    for t in offered_types(scenario):
        levels = size_levels(
            max(total_sessions * 1.01, 1e-9),  # headroom: the top level still takes all after the margin
            t.session_h,
            cap.peak_hour_share,
            cap.max_wait_min / 60.0,
            max_servers=t.spec.max_per_hub,
        )
        # 0.01 % below the exact Erlang-C capacity: near saturation the wait is steep in the arrival
        # rate, and the margin absorbs the solver's feasibility tolerance on the session sums.
        lo = t.spec.min_per_hub
        kept = [(lv.servers, lv.max_sessions_per_day * (1 - 1e-4)) for lv in levels if lv.servers >= lo]
        if lo == 0:
            kept.insert(0, (0, 0.0))
        elif not kept:  # the smallest allowed pool already takes every session
            kept = [(lo, total_sessions * 1.01)]
        servers, capacity = zip(*kept, strict=True)
        types.append(TypeLevels(t.name, tuple(servers), tuple(capacity), t.spec.capex_eur, t.spec.power_kw))
    return CapacitySpec(tuple(types), scenario.costs.site_fixed_eur, cap.size_levels == "integer")


def _hub_queueing(plan: Plan, scenario: Scenario, session_factor: float = 1.0) -> None:
    """Sessions, peak arrivals, utilisation and expected wait per hub and charger type."""
    hubs, cap = plan.hubs, scenario.capacity
    service = _session_hours(scenario)
    sessions = hubs["volume_charging"].to_numpy(dtype=float) * session_factor
    hubs["sessions_per_day"] = sessions.round(3)
    hubs["peak_arrivals_per_hour"] = (sessions * cap.peak_hour_share).round(3)
    busy = np.zeros(len(hubs))
    wait = np.zeros(len(hubs))
    for t in TYPES:
        if t not in service:
            continue
        lam = hubs[f"sessions_{t}"].to_numpy(dtype=float) * cap.peak_hour_share
        busy += lam * service[t]
        w = [
            expected_wait_h(int(c), float(x), service[t]) * 60 for c, x in zip(hubs[f"chargers_{t}"], lam, strict=True)
        ]
        wait = np.maximum(wait, np.array(w, dtype=float)) if len(hubs) else wait
    chargers = hubs["chargers"].to_numpy(dtype=int)
    hubs["utilisation"] = np.where(chargers > 0, busy / np.maximum(chargers, 1), 0.0).round(4)
    hubs["expected_wait_min"] = wait.round(3)
    plan.summary["capacity"] = {
        "session_time_h": service,
        "peak_hour_share": cap.peak_hour_share,
        "max_wait_min": cap.max_wait_min,
        "sessions_per_day": float(sessions.sum()),
        "sessions_by_type": {t: float(hubs[f"sessions_{t}"].sum()) for t in TYPES},
        "max_expected_wait_min": float(wait.max()) if len(hubs) else 0.0,
    }


def _charger_totals(plan: Plan, scenario: Scenario) -> None:
    """Points by type, installed power per hub, totals in the summary."""
    hubs, types = plan.hubs, scenario.chargers.types()
    hubs["power_kw"] = sum(hubs[f"chargers_{t}"].to_numpy(dtype=float) * types[t].power_kw for t in TYPES)
    plan.summary["total_chargers"] = int(hubs["chargers"].sum())
    plan.summary["chargers"] = {
        "points_by_type": {t: int(hubs[f"chargers_{t}"].sum()) for t in TYPES},
        "power_kw_by_type": {t: types[t].power_kw for t in TYPES},
        "total_power_mw": float(hubs["power_kw"].sum() / 1000),
        "capex_points_eur": float(sum(hubs[f"chargers_{t}"].sum() * types[t].capex_eur for t in TYPES)),
    }


def _afir_outputs(plan: Plan, scenario: Scenario, network, sites) -> None:
    """Pool power per hub, AFIR report in the summary, gap layer and per-direction table."""
    plan.hubs["afir_pool_ok"] = pool_ok(plan.hubs, scenario.chargers, scenario.afir.year) if len(plan.hubs) else []
    report = measure_plan(scenario.afir, scenario.chargers, network, sites, plan.hubs)
    if report is None:
        plan.summary["afir"] = {"mode": scenario.afir.mode, "note": "no configured AFIR tier in this network"}
        return
    plan.summary["afir"] = afir_summary(report, scenario.afir.mode)
    plan.extras.setdefault("layers", {})["afir_gaps"] = gaps_geodataframe(network, report)
    plan.extras.setdefault("tables", {})["afir.csv"] = directions_table(report)


def _reference(instance, spec: ModelSpec, scenario: Scenario, log: Log) -> dict:
    """The same model without AFIR windows: what compliance costs."""
    model = build_model(instance, replace(spec, required_windows=(), afir_share=None))
    result = solve_problem(model.problem, scenario.solver)
    log(f"reference without AFIR: {result.describe()}")
    if not result.has_solution:
        return {"status": result.status}
    cost = sum(float(instance.site_cost[k]) for k, x in model.variables.open.items() if (x.value() or 0) > 0.5)
    hubs = sum(1 for x in model.variables.open.values() if (x.value() or 0) > 0.5) + int(instance.site_locked.sum())
    return {"status": result.status, "mip_gap": result.mip_gap, "hub_count": hubs, "total_cost_eur": cost}


def _tradeoff(instance, scenario: Scenario, new_hubs: int, log: Log) -> list[dict]:
    """Served share of volume with the best 1…``new_hubs`` new hubs (max coverage, no AFIR)."""
    n = scenario.output.tradeoff_points
    counts = sorted({max(1, round(new_hubs * i / n)) for i in range(1, n + 1)}) if new_hubs else []
    total = float(instance.volume.sum())
    points = []
    for p in counts:
        model = build_model(instance, ModelSpec("max_coverage", "volume", max_hubs=p))
        result = solve_problem(model.problem, scenario.solver)
        if not result.has_solution:
            points.append({"hubs": p + int(instance.site_locked.sum()), "new_hubs": p, "status": result.status})
            continue
        served = model.objective_offset + sum(
            float(instance.volume[model.variables.groups[g]].sum())
            for g, y in model.variables.served.items()
            if (y.value() or 0.0) > 0.5
        )
        points.append(
            {
                "hubs": p + int(instance.site_locked.sum()),
                "new_hubs": p,
                "covered_share": served / total if total else 0.0,
                "status": result.status,
                "mip_gap": result.mip_gap,
            }
        )
    if points:
        log(f"trade-off curve: {len(points)} max-coverage solves")
    return points


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
    scenario: Scenario | str | Path, *, out_dir: str | Path | None = None, write: bool = True, log: Log = _noop
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

    Returns
    -------
    Plan
        The verified plan (``plan.hubs_gdf`` and ``plan.flows_gdf`` give GeoDataFrames).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    plan = solve_scenario(scenario, log=log)
    if write:
        target = Path(out_dir) if out_dir is not None else default_out_dir(scenario)
        files = write_plan(plan, target, extra=_render(scenario))
        plan.extras["out_dir"] = target
        plan.extras["files"] = files
        log(f"wrote {len(files)} files to {target}")
    return plan
