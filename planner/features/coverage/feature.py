"""The core feature: coverage under range, always on.

Its model (open sites, served groups, window cover, limits, objective) is
:func:`planner.features.coverage.model.build_model`; its solve is the default one
(:func:`solve_core`); its decode gives the plan's core columns
(:func:`planner.features.coverage.decode.decode_plan`); here it adds the charger totals.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pulp

from planner.chargers import TYPES
from planner.context import RunContext
from planner.errors import InfeasibleError, ScenarioError, SolverError
from planner.features.base import Feature
from planner.features.coverage.lazy import solve_lazily
from planner.features.coverage.model import ModelSpec, Solution, build_model
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import solve_lexicographic
from planner.verify import Check

__all__ = ["CoverageFeature", "core_spec", "cost_bound_check", "ensure_solution", "solve_core"]


def cost_bound_check(plan: Plan, second: dict, priced: float | None, charge: float = 0.0) -> Check:
    """Max coverage, second stage: the plan's capex (as the hubs table states it) is what the cost
    stage priced, and its bound shows how much cheaper a plan serving as much could be at most.

    ``charge`` is the plan's value of the cost stage's tie-breaking charge (a model part's ``charge``:
    with ``[capacity]`` 10⁻⁶ of a point's price per assigned session), which the stage minimises with
    the capex, so its bound holds for capex plus charge (until 2026-12-06 this check compared it with
    the capex alone and failed every capacity plan with max coverage)."""
    capex = float(plan.hubs["cost_eur"].sum())
    bound, gap = second["best_bound"], second["mip_gap"]
    same = priced is None or abs(capex - priced) <= 1e-6 * max(1.0, capex)
    ok = same and (bound is None or bound <= (capex + charge) * (1 + 1e-9) + 1e-6)
    lower = "unknown" if bound is None else f"{bound:,.0f} EUR"
    gap_txt = "n/a" if gap is None else f"{gap:.2%}"
    cost = f"{capex:,.0f} EUR" + (f" + {charge:,.2f} EUR of tie-breaking charge" if charge else "")
    return Check(
        "cost_at_coverage_bounded",
        ok,
        f"no plan serving as much costs less than {lower}; this one costs {cost} (second-stage gap {gap_txt})"
        if ok
        else f"capex {cost} inconsistent with the cost stage (priced {priced}, bound {lower})",
    )


def core_spec(ctx: RunContext) -> ModelSpec:
    """The scenario's objective and limits with every enabled feature's model part."""
    obj = ctx.scenario.objective
    return ModelSpec(
        obj.type,
        obj.metric,
        obj.max_hubs,
        obj.budget_eur,
        obj.coverage_target,
        tuple(ctx.parts.values()),
        second_stage=obj.second_stage,
    )


def solve_core(ctx: RunContext) -> Solution:
    """Build the single-year model and solve its goals lexicographically (max coverage: by lazily refined
    windows where the instance stage chose them, :mod:`planner.features.coverage.lazy`)."""
    spec, solver = ctx.data["spec"], ctx.scenario.solver
    if ctx.data.get("lazy_windows"):
        t0 = time.perf_counter()
        solution, built = solve_lazily(ctx.instance, spec, solver, log=ctx.log, solve_log=ctx.solve_log)
        ctx.build_seconds = t0 - ctx.started + built
        size = solution.model.size()
        ctx.log(
            f"model (the round of the plan): {size['rows']:,} rows, {size['columns']:,} columns, {size['nonzeros']:,} "
            f"nonzeros; {time.perf_counter() - t0:.1f} s in rounds, {built:.1f} s of them building"
        )
        return solution
    model = build_model(ctx.instance, spec)
    size = model.size()
    ctx.build_seconds = time.perf_counter() - ctx.started
    ctx.log(
        f"model: {size['rows']:,} rows, {size['columns']:,} columns, {size['nonzeros']:,} nonzeros "
        f"({size['binaries']:,} binaries), built in {ctx.build_seconds:.1f} s"
    )
    starts = [p for p in spec.parts if p.start is not None]
    for part in starts:
        part.start(model, part.data, solver)
    lex = solve_lexicographic(model.problem, *model.goals(), solver, warm_start=bool(starts), log=ctx.solve_log)
    result = lex.combined
    for part in spec.parts:
        if part.finish is not None and result.has_solution:
            result = part.finish(model, part.data, result, solver)
    return Solution(model, result, extra={"lexicographic": lex})


def ensure_solution(ctx: RunContext) -> None:
    """Log the solver's outcome; raise if it has no plan (unless the solve reported it itself).

    Raises
    ------
    InfeasibleError
        No plan meets the limits.
    SolverError
        The solver stopped without a plan.
    """
    result, sc = ctx.solution.result, ctx.scenario
    if ctx.solution.reported:
        return
    ctx.log(result.describe())
    if result.status == "infeasible":
        raise InfeasibleError(f"{sc.where}: {_infeasible(sc, ctx.data.get('limits', []))}.")
    if not result.has_solution:
        raise SolverError(
            f"{sc.where}: {result.solver} found no solution ({result.message}); "
            "raise solver.time_limit_s or simplify the scenario."
        )
    result.refuse_empty_plan(sc.where)


def _start_refused(sc: Scenario) -> str:
    """Why ``solver.start_flows`` cannot apply (empty when it can): it starts one year's lazily refined max
    coverage (:func:`planner.features.coverage.lazy.solve_lazily`), or a foresight rollout's
    (:func:`planner.features.rollout.solve.solve_rollout`), from a plan of fewer flows than planned."""
    if sc.objective.type != "max_coverage":
        return "starts max coverage only (objective.type = 'max_coverage')"
    if sc.solver.coverage_rows == "all":
        return "starts lazily refined windows, not solver.coverage_rows = 'all'"
    if sc.capacity.enabled or sc.hourly.enabled:
        return "starts a model without stops assigned to hubs, not one with [capacity] or [hourly]"
    if sc.rollout.years and sc.rollout.mode != "foresight":
        return "starts one year's solve or a foresight [rollout], not a myopic one (rollout.mode = 'foresight')"
    cut = sc.demand.max_flows
    if cut is not None and sc.demand.flows is None and cut <= sc.solver.start_flows:
        return f"is not below demand.max_flows = {cut:,}, so the start would be the whole plan"
    return ""


def join_limits(limits: list[str]) -> str:
    """Limits as a message names them: "A", "A and B", "A, B and C"."""
    return limits[0] if len(limits) == 1 else f"{', '.join(limits[:-1])} and {limits[-1]}"


def _infeasible(sc: Scenario, features: list[str]) -> str:
    """Why no plan exists, as the message says it: the features' limits and the objective's that are set (in
    the scenario's units), what min_cost must serve, and what to relax."""
    obj = sc.objective
    limits = list(features)
    if obj.max_hubs is not None:
        limits.append(f"objective.max_hubs = {obj.max_hubs}")
    if obj.budget_eur is not None:
        limits.append(f"objective.budget_eur = {obj.budget_eur:,.0f} EUR")
    them = "it" if len(limits) == 1 else "one of them"
    if not limits:
        said = "no plan exists"
    else:
        said = f"no plan meets the limit{'s' if len(limits) > 1 else ''} {join_limits(limits)}"
    if obj.type == "min_cost" and obj.coverage_target is None:
        fix = f"relax {them} or set objective.coverage_target"
        return f"{said} while serving every servable flow (min_cost); {fix}"
    if obj.type == "min_cost":
        return f"{said} while serving {obj.coverage_target:.1%} of the {obj.metric}; relax {them} or the target"
    return f"{said}; relax {them}"


class CoverageFeature(Feature):
    """Always on: hubs, served flows, where trucks charge; points by type and installed power."""

    name = "coverage"

    def enabled(self, scenario: Scenario) -> bool:
        return True

    def check_scenario(self, scenario: Scenario) -> None:
        sc = scenario
        count = sc.solver.start_flows
        if count is None:
            return
        why = _start_refused(sc)
        if why:
            raise ScenarioError(f"{sc.where}: solver.start_flows = {count:,} {why}; unset solver.start_flows.")

    def decode(self, plan: Plan, ctx: RunContext) -> None:
        lex = ctx.solution.extra.get("lexicographic")
        if lex is not None:
            plan.summary["lexicographic"] = lex.to_dict()
            if lex.second is not None and lex.second_goal == "capex_eur" and lex.second.has_solution:
                model = ctx.solution.model
                plan.summary["lexicographic"]["capex_priced_eur"] = float(pulp.value(model.capex()))
                plan.summary["lexicographic"]["charge_priced_eur"] = float(pulp.value(model.charge) or 0.0)

    def checks(self, plan: Plan, ctx: RunContext) -> list[Check]:
        lex = plan.summary.get("lexicographic") or {}
        second = lex.get("second") or {}
        if second.get("goal") != "capex_eur" or second.get("objective") is None:
            return []
        return [cost_bound_check(plan, second, lex.get("capex_priced_eur"), float(lex.get("charge_priced_eur") or 0.0))]

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        hubs, types = plan.hubs, ctx.scenario.chargers.types()
        hubs["power_kw"] = sum(hubs[f"chargers_{t}"].to_numpy(dtype=float) * types[t].power_kw for t in TYPES)
        plan.summary["total_chargers"] = int(hubs["chargers"].sum())
        if "chargers_mcs_existing" in hubs:  # set by whichever feature decided the points (sized or not)
            plan.summary["existing_chargers"] = int(sum(hubs[f"chargers_{t}_existing"].sum() for t in TYPES))
        plan.summary["chargers"] = {
            "points_by_type": {t: int(hubs[f"chargers_{t}"].sum()) for t in TYPES},
            "power_kw_by_type": {t: types[t].power_kw for t in TYPES},
            "total_power_mw": float(hubs["power_kw"].sum() / 1000),
            "capex_points_eur": _points_bought(hubs, ctx, types),
        }


def _points_bought(hubs: pd.DataFrame, ctx: RunContext, types: dict) -> float:
    """Capex of the points the plan buys: not those standing at existing hubs (``chargers_<type>_existing`` of a
    sized plan; an existing hub of a plan without sizing is taken to have its pool already: none bought)."""
    sized = any(f.assigns_stops for f in ctx.features)
    total = 0.0
    for t in TYPES:
        points = hubs[f"chargers_{t}"].to_numpy(dtype=float)
        if not sized:
            points = np.where(hubs["locked"].to_numpy(dtype=bool), 0.0, points)
        elif f"chargers_{t}_existing" in hubs:
            points = points - hubs[f"chargers_{t}_existing"].to_numpy(dtype=float)
        total += float(points.sum()) * types[t].capex_eur
    return total
