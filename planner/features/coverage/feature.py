"""The core feature: coverage under range, always on.

Its model (open sites, served groups, window cover, limits, objective) is
:func:`planner.features.coverage.model.build_model`; its solve is the default one
(:func:`solve_core`); its decode gives the plan's core columns
(:func:`planner.features.coverage.decode.decode_plan`); here it adds the charger totals.
"""

from __future__ import annotations

import time

from planner.chargers import TYPES
from planner.context import RunContext
from planner.errors import InfeasibleError, SolverError
from planner.features.base import Feature
from planner.features.coverage.model import ModelSpec, Solution, build_model
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import solve_problem

__all__ = ["CoverageFeature", "core_spec", "ensure_solution", "solve_core"]


def core_spec(ctx: RunContext) -> ModelSpec:
    """The scenario's objective and limits with every enabled feature's model part."""
    obj = ctx.scenario.objective
    return ModelSpec(obj.type, obj.metric, obj.max_hubs, obj.budget_eur, obj.coverage_target, tuple(ctx.parts.values()))


def solve_core(ctx: RunContext) -> Solution:
    """Build the single-year model and solve it."""
    model = build_model(ctx.instance, ctx.data["spec"])
    size = model.size()
    ctx.build_seconds = time.perf_counter() - ctx.started
    ctx.log(
        f"model: {size['rows']:,} rows, {size['columns']:,} columns, {size['nonzeros']:,} nonzeros "
        f"({size['binaries']:,} binaries), built in {ctx.build_seconds:.1f} s"
    )
    return Solution(model, solve_problem(model.problem, ctx.scenario.solver))


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
        obj = sc.objective
        limits = "".join(f", {hint}" for hint in ctx.data.get("limits", []))
        raise InfeasibleError(
            f"{sc.name}: no plan meets the limits{limits} (objective.max_hubs={obj.max_hubs}, "
            f"budget_eur={obj.budget_eur}, coverage_target={obj.coverage_target}); relax one of them."
        )
    if not result.has_solution:
        raise SolverError(
            f"{sc.name}: {result.solver} found no solution ({result.message}); "
            "raise solver.time_limit_s or simplify the scenario."
        )


class CoverageFeature(Feature):
    """Always on: hubs, served flows, where trucks charge; points by type and installed power."""

    name = "coverage"

    def enabled(self, scenario: Scenario) -> bool:
        return True

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        hubs, types = plan.hubs, ctx.scenario.chargers.types()
        hubs["power_kw"] = sum(hubs[f"chargers_{t}"].to_numpy(dtype=float) * types[t].power_kw for t in TYPES)
        plan.summary["total_chargers"] = int(hubs["chargers"].sum())
        plan.summary["chargers"] = {
            "points_by_type": {t: int(hubs[f"chargers_{t}"].sum()) for t in TYPES},
            "power_kw_by_type": {t: types[t].power_kw for t in TYPES},
            "total_power_mw": float(hubs["power_kw"].sum() / 1000),
            "capex_points_eur": float(sum(hubs[f"chargers_{t}"].sum() * types[t].capex_eur for t in TYPES)),
        }
