"""The pipeline: scenario → network → candidates → demand → instance → model → solve → plan → verify.

It reads top to bottom and never branches on a feature: at each stage it asks every enabled
feature (:data:`planner.features.FEATURES`) for its part (see :class:`planner.features.base.Feature`).
"""

from __future__ import annotations

import time

from planner.context import Log, RunContext
from planner.features import enabled_features
from planner.features.coverage.decode import decode_plan
from planner.features.coverage.feature import core_spec, ensure_solution, solve_core
from planner.plan import Plan
from planner.provenance import provenance
from planner.scenario import Scenario
from planner.solve import SolveLog
from planner.stages import load_inputs, make_instance, record_verification, summarise_areas

__all__ = ["prepare_run", "run_pipeline"]


def _quiet(_: str) -> None:
    return None


def prepare_run(scenario: Scenario, *, log: Log = _quiet, solve_log: SolveLog | None = None) -> RunContext:
    """Everything before the solve: inputs, the instance, each feature's requirements and model part.

    ``planner validate`` stops here, so it refuses what a run would refuse before solving (settings
    a feature cannot honour, a model over ``solver.max_model_pairs``, limits allowing no hub).

    Raises
    ------
    PlannerError
        Any input error, or settings the run would refuse.
    """
    ctx = RunContext(scenario, log, features=enabled_features(scenario), solve_log=solve_log)
    load_inputs(ctx)  # network, candidate sites, routed flows, ranges
    make_instance(ctx)  # the plain-array boundary: no geometry past here
    for feature in ctx.features:
        feature.prepare(ctx)  # requirements from data, model parts
    ctx.data["spec"] = core_spec(ctx)
    ctx.build_seconds = time.perf_counter() - ctx.started  # the core solve adds its model build
    return ctx


def run_pipeline(scenario: Scenario, *, log: Log = _quiet, solve_log: SolveLog | None = None) -> Plan:
    """Build, solve, decode and verify a scenario (no files written).

    Raises
    ------
    PlannerError
        Any input, infeasibility, solver or verification failure.
    """
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
