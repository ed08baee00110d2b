"""Lexicographic objectives: coverage first, then the cheapest hubs giving it (and the reverse).

Every plan, side plans included, is solved in two stages; the second never trades away what the
first found. Hand-checkable on the 5-node line (100 km edges, 150 km range): N0→N4 needs hubs at
N1, N2 and N3; N1→N3 needs N2.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pulp
import pytest

from planner.api import solve_scenario
from planner.scenario import SolverConfig, load_scenario
from planner.solve import Goal, solve_lexicographic
from tests.conftest import base_scenario, write_scenario

FLOWS = ["A,N0,N4,10", "B,N1,N3,5"]


def solve(folder: Path, name: str = "s", **sections):
    data = base_scenario(folder, flows=FLOWS, **sections)
    return solve_scenario(load_scenario(write_scenario(folder / f"{name}.toml", data)))


def test_max_coverage_spends_no_more_than_min_cost_at_equal_coverage(line5: Path) -> None:
    # Budget for all five nodes: every served flow is served by 3 hubs; a plan with more would
    # serve no more and cost more.
    plan = solve(line5, objective={"type": "max_coverage", "max_hubs": None, "budget_eur": 5000.0})
    cheapest = solve(line5, "c", objective={"type": "min_cost", "max_hubs": None})
    assert plan.summary["covered_share"] == 1.0 == cheapest.summary["covered_share"]
    assert plan.summary["total_cost_eur"] == cheapest.summary["total_cost_eur"] == 3000.0
    assert set(plan.hubs["site_id"]) == {"N1", "N2", "N3"}
    lex = plan.summary["lexicographic"]
    assert lex["first"]["goal"] == "served_volume" and lex["first"]["objective"] == pytest.approx(15.0)
    assert lex["second"]["goal"] == "capex_eur" and lex["second"]["objective"] == pytest.approx(3000.0)
    checks = {c.name: c for c in plan.verification.checks}
    assert checks["cost_at_coverage_bounded"].passed and "3,000 EUR" in checks["cost_at_coverage_bounded"].detail


def test_second_stage_can_be_switched_off(line5: Path) -> None:
    objective = {"type": "max_coverage", "max_hubs": None, "budget_eur": 5000.0, "second_stage": False}
    plan = solve(line5, objective=objective)
    assert plan.summary["lexicographic"]["second"] is None
    assert plan.summary["covered_share"] == 1.0


def test_min_cost_with_target_then_serves_the_most_at_that_cost(line5: Path) -> None:
    # 10/15 of the volume needs all of N1..N3 (flow A); 5/15 needs only N2 (flow B). A target of
    # 1/3 is met by N2 alone (1000 EUR); at that cost nothing more can be served.
    plan = solve(line5, objective={"type": "min_cost", "max_hubs": None, "coverage_target": 0.3})
    assert plan.summary["total_cost_eur"] == 1000.0 and set(plan.hubs["site_id"]) == {"N2"}
    lex = plan.summary["lexicographic"]
    assert lex["first"]["goal"] == "capex_eur" and lex["second"]["goal"] == "served_volume"


def test_solve_lexicographic_keeps_the_first_goal_and_improves_the_second() -> None:
    problem = pulp.LpProblem("t", pulp.LpMaximize)
    x = [problem.add_variable(f"x{i}", 0, 1, cat=pulp.LpBinary) for i in range(3)]
    problem += (x[0] + x[1] + x[2] <= 2, "two")
    served = Goal(pulp.lpSum(x), pulp.LpMaximize, "served")
    cost = Goal(5 * x[0] + 1 * x[1] + 3 * x[2], pulp.LpMinimize, "cost")
    for v, start in zip(x, (1, 0, 1), strict=True):  # start from the dearest of the optima
        v.setInitialValue(start)
    lex = solve_lexicographic(problem, served, cost, SolverConfig(mip_gap=0.0), warm_start=True)
    assert [v.value() for v in x] == [0, 1, 1]
    assert lex.first.objective == pytest.approx(2.0) and lex.second.objective == pytest.approx(4.0)
    assert lex.combined.status == "optimal" and lex.combined.objective == pytest.approx(2.0)


def test_a_soft_limit_is_shared_by_both_goals_as_the_time_limit_is(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.solve as solve_module

    seen: list[tuple[float, float | None]] = []
    real = solve_module.solve_problem

    def spy(problem, config, **kw):
        result = real(problem, config, **kw)
        seen.append((config.time_limit_s, kw.get("soft_limit_s")))
        return replace(result, seconds=10.0)  # as if the first goal had taken 10 s

    monkeypatch.setattr(solve_module, "solve_problem", spy)

    def lex(limit: float, soft: float | None) -> list[tuple[float, float | None]]:
        seen.clear()
        problem = pulp.LpProblem("t", pulp.LpMaximize)
        x = [problem.add_variable(f"x{i}", 0, 1, cat=pulp.LpBinary) for i in range(3)]
        problem += (x[0] + x[1] + x[2] <= 2, "two")
        served = Goal(pulp.lpSum(x), pulp.LpMaximize, "served")
        cost = Goal(5 * x[0] + 1 * x[1] + 3 * x[2], pulp.LpMinimize, "cost")
        solve_lexicographic(problem, served, cost, SolverConfig(time_limit_s=limit), soft_limit_s=soft)
        return list(seen)

    # second goal: the time left (30 - 10 = 20 s), at least a quarter of it; started from the first
    # goal's plan, it stops at what the soft limit leaves (18 - 10 = 8 s, at least a quarter of it)
    assert lex(30.0, 18.0) == [(30.0, 18.0), (8.0, None)]
    assert lex(12.0, 8.0) == [(12.0, 8.0), (2.0, None)]
    assert lex(12.0, None) == [(12.0, None), (3.0, None)]


def test_cost_of_compliance_is_never_negative_with_a_budget(line5: Path) -> None:
    # Max coverage within a budget that allows far more hubs than needed; AFIR 2030 needs 7 pools
    # (every 50 km). The reference is the cheapest plan without AFIR serving as much: with candidates
    # every 50 km, hubs at km 150 and 300 serve A (150 + 150 + 100 km legs) and B (N1→N3: 50 + 150)
    # → 2 hubs (2,000 EUR) → compliance 7,000 − 2,000 = 5,000 EUR.
    plan = solve(
        line5,
        candidates={"spacing_km": 50.0},
        afir={"mode": "enforce", "tiers": ["core"]},
        chargers={"mcs": {"capex_eur": 0.0, "min_per_hub": 4, "power_kw": 1000.0}},
        objective={"type": "max_coverage", "max_hubs": None, "budget_eur": 20_000.0},
    )
    afir = plan.summary["afir"]
    assert plan.summary["covered_share"] == 1.0 and plan.summary["total_cost_eur"] == 7000.0
    assert afir["reference_without_afir"]["total_cost_eur"] == 2000.0
    assert afir["reference_without_afir"]["covered_weight_share"] == pytest.approx(1.0)
    assert afir["cost_of_compliance_eur"] == 5000.0
    assert "never negative" in afir["cost_of_compliance_note"]
