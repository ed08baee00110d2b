"""The pipeline: scenario → network → candidates → demand → instance → model → solve → plan → verify.

It reads top to bottom and never branches on a feature: at each stage it asks every enabled
feature (:data:`planner.features.FEATURES`) for its part (see :class:`planner.features.base.Feature`).
"""

from __future__ import annotations

from planner.context import Log
from planner.features.coverage.decode import decode_plan
from planner.features.coverage.feature import ensure_solution, solve_core
from planner.plan import Plan
from planner.provenance import provenance
from planner.scenario import Scenario
from planner.solve import SolveLog
from planner.stages import prepare_run, record_verification, summarise_areas

__all__ = ["run_pipeline"]


def _quiet(_: str) -> None:
    return None


def run_pipeline(scenario: Scenario, *, log: Log = _quiet, solve_log: SolveLog | None = None) -> Plan:
    """Build, solve, decode and verify a scenario (no files written).

    Raises
    ------
    PlannerError
        Any input, infeasibility, solver or verification failure.
    """
    # network, candidate sites, routed flows, the plain-array instance, each feature's model part
    # (:func:`planner.stages.prepare_run`, where ``planner validate`` stops)
    ctx = prepare_run(scenario, log=log, solve_log=solve_log)
    for feature in ctx.features:
        ctx.solution = feature.solve(ctx)  # a feature may take over (two-stage, rollout)
        if ctx.solution is not None:
            break
    else:
        ctx.solution = solve_core(ctx)
    ensure_solution(ctx)
    plan = decode_plan(ctx, ctx.solution)
    plan.context = ctx
    for feature in ctx.features:
        feature.decode(plan, ctx)
    for feature in ctx.features:
        feature.outputs(plan, ctx)
    summarise_areas(plan, ctx)  # coverage and hubs by country; after a max_flows cut, on every flow
    record_verification(plan, ctx)
    plan.summary["provenance"] = provenance(scenario, solver=plan.summary["solver"], started=ctx.started_at)
    return plan
