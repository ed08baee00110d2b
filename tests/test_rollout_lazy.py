"""Rollouts with lazily refined windows (:mod:`planner.features.rollout.lazy`).

On a line with a candidate every 10 km a flow has dozens of overlapping windows and keeps only a few
disjoint ones at first, so the rounds must refine. Foresight plans are compared with the model
holding every window (``solver.coverage_rows = "all"``); myopic years (whose ties decide the later
years) year by year; every plan with the verifier's simulation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.context import RunContext
from planner.features import enabled_features
from planner.features.rollout.lazy import LazyRollout, _Plan
from planner.features.rollout.solve import _Rollout
from planner.scenario import load_scenario
from planner.scenario.solver import SolverConfig
from planner.stages import load_inputs, make_instance
from tests.conftest import base_scenario, line_network, random_line_flows, write_scenario

ROLLOUT = {"years": [2026, 2027, 2028], "budget_per_year_eur": [1000.0, 1000.0, 1000.0], "bev_share": [0.5, 0.75, 1.0]}


def _scenario(folder: Path, seed: int, mode: str, rows: str) -> Path:
    line_network(folder, 13, step_km=50.0)
    data = base_scenario(
        folder,
        flows=random_line_flows(seed, 13, 16, 20),
        candidates={"include_nodes": True, "spacing_km": 10.0},
        objective={"type": "max_coverage", "max_hubs": 3},
        rollout={**ROLLOUT, "mode": mode},
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.05},
        solver={"coverage_rows": rows, "mip_gap": 0.0},
        output={"maps": False, "tradeoff_points": 0},
    )
    return write_scenario(folder / f"{mode}-{rows}.toml", data)


def _run(folder: Path, seed: int, mode: str, rows: str, messages: list[str] | None = None):
    log = messages.append if messages is not None else (lambda _m: None)
    return solve_scenario(load_scenario(_scenario(folder, seed, mode, rows)), log=log)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_lazy_foresight_rollout_finds_the_optimum_of_every_window(tmp_path: Path, seed: int) -> None:
    messages: list[str] = []
    lazy = _run(tmp_path, seed, "foresight", "lazy", messages)
    every = _run(tmp_path, seed, "foresight", "all")
    key = "discounted_covered_truck_km"
    assert lazy.summary["rollout"][key] == pytest.approx(every.summary["rollout"][key], rel=1e-9)
    assert [y["covered_volume"] for y in lazy.summary["years"]] == pytest.approx(
        [y["covered_volume"] for y in every.summary["years"]]
    )
    assert "lazy windows" in lazy.summary["rollout"]["solves"][-1]["message"]
    assert not any("lazy windows" in s["message"] for s in every.summary["rollout"]["solves"])
    refined = [m for m in messages if m.startswith("lazy round") and not m.endswith(" 0 flows refined")]
    assert refined  # some round's plan missed a window its flows had not kept
    assert lazy.summary["status"] == "optimal"
    assert lazy.verification.passed and every.verification.passed


@pytest.mark.parametrize("seed", [1, 2])
def test_each_lazy_myopic_year_is_optimal(tmp_path: Path, seed: int) -> None:
    plan = _run(tmp_path, seed, "myopic", "lazy")
    solves = plan.summary["rollout"]["solves"]
    assert [s["status"] for s in solves] == ["optimal"] * 3
    assert all(s["mip_gap"] == pytest.approx(0.0, abs=1e-9) for s in solves)
    # the first year has no earlier hubs: its optimum is the single-year model's with every window
    (tmp_path / "all").mkdir()
    every = _run(tmp_path / "all", seed, "myopic", "all")
    assert solves[0]["objective"] == pytest.approx(every.summary["rollout"]["solves"][0]["objective"], rel=1e-6)
    assert plan.verification.passed


def test_a_lazy_round_reports_what_its_plan_truly_serves(tmp_path: Path, monkeypatch) -> None:
    # The relaxed model counts a flow served once its kept windows are covered; what a round reports is
    # the plan's value checked against every window, never more than the round counted.
    import planner.features.rollout.lazy as rl

    seen: list[tuple[float, float]] = []
    real = rl.LazyRollout._round

    def spy(self, spec, config, start, adjust, soft, hold=None):
        r = real(self, spec, config, start, adjust, soft, hold)
        if r.plan is not None and hold is None:
            seen.append((r.plan.value, r.result.objective))
        return r

    monkeypatch.setattr(rl.LazyRollout, "_round", spy)
    plan = _run(tmp_path, 1, "foresight", "lazy")
    assert seen and all(true <= counted + 1e-6 for true, counted in seen)
    assert any(true < counted - 1e-6 for true, counted in seen)  # a round that counted too much
    assert plan.verification.passed


def test_the_start_plan_is_kept_when_no_round_beats_it(tmp_path: Path, monkeypatch) -> None:
    # The foresight model's rounds find nothing (HiGHS out of time without a plan): the backward plan it
    # was started from stays, feasible, with its true value; the verifier checks it.
    import planner.features.rollout.lazy as rl

    real = rl.solve_problem
    calls = {"n": 0}

    def nothing_in_foresight(problem, config, **kw):
        out = real(problem, config, **kw)
        years = {v.name.rsplit("_", 1)[-1] for v in problem.variables() if v.name.startswith("open_")}
        if len(years) > 1:  # the foresight model (the start years have one year each)
            calls["n"] += 1
            return replace(out, status="no_solution", objective=None, mip_gap=None, time_limit_hit=True)
        return out

    monkeypatch.setattr(rl, "solve_problem", nothing_in_foresight)
    messages: list[str] = []
    plan = _run(tmp_path, 1, "foresight", "lazy", messages)
    assert calls["n"] == 1
    final = plan.summary["rollout"]["solves"][-1]
    assert final["status"] == "feasible" and "the start plan kept" in final["message"]
    assert any("foresight, started from the backward plan" in m for m in messages)
    backward = [m for m in messages if "(backward start)" in m]
    assert len(backward) == 3
    assert final["objective"] > 0
    assert plan.verification.passed


def test_moving_hubs_raises_a_year_plan_within_its_budget(tmp_path: Path) -> None:
    # A one-year plan of three hubs bunched at the line's start serves little; moving them one at a time
    # (never to a dearer site, never more of them) raises what they truly serve and keeps the budget.
    sc = load_scenario(_scenario(tmp_path, 1, "myopic", "lazy"))
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    ro = _Rollout(sc, ctx.instance, [(), (), ()], None, None, None, lambda _m: None, lazy=True)
    assert ro.lazy is not None
    spec = ro.spec_for([2], frozenset())
    model, result = ro.lazy.solve(spec, SolverConfig(mip_gap=0.0, time_limit_s=30))
    best_value = result.objective
    bunched = ctx.instance.site_locked.copy()
    bunched[sorted(model.sites)[:3]] = True  # the first candidates along the line
    lazy: LazyRollout = ro.lazy
    plan = _Plan([bunched], lazy.value(spec, [bunched]), model)
    before = plan.value
    out = lazy._polish(spec, plan, model, replace(result, status="feasible"), float("inf"), 0.0)
    assert plan.value > before
    assert int(plan.open_sets[0].sum()) == 3
    assert out.objective == pytest.approx(plan.value)
    assert plan.value <= best_value + 1e-6  # never above the optimum
    assert lazy.value(spec, [np.asarray(plan.open_sets[0])]) == pytest.approx(plan.value)
    assert "hub(s) moved" in out.message


def test_moving_hubs_over_years_keeps_each_year_nested_and_within_its_spend(tmp_path: Path) -> None:
    # Three years, one hub opened in each: the best single site in 2026, then two bunched at the line's
    # start. Moves raise the discounted served weight; a hub moves with its opening year (earlier years
    # keep their sites), every year keeps as many hubs and new hubs, and each year stays within the next.
    from planner.features.coverage.polish import polish_years

    sc = load_scenario(_scenario(tmp_path, 2, "foresight", "lazy"))
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    instance = ctx.instance
    cover, n = instance.cover, len(instance.site_ids)
    weight = np.where(instance.servable & ~instance.free, instance.volume, 0.0).astype(float)
    needed = cover.needed_windows()
    in_windows = sorted({k for w in needed.tolist() for k in cover.window(w)})

    def alone(k: int) -> float:
        is_open = np.zeros(n, dtype=bool)
        is_open[k] = True
        return float(weight[cover.served(is_open)].sum())

    a = max(in_windows, key=lambda k: (alone(k), -k))  # 2026: the best single hub
    b, c = [k for k in in_windows if k != a][:2]  # 2027, 2028: the lowest site indices, bunched
    years = [np.zeros(n, dtype=bool) for _ in range(3)]
    years[0][a] = True
    years[1][[a, b]] = True
    years[2][[a, b, c]] = True
    factor = [0.5, 0.75, 1.0]

    def value(sets):
        return sum(f * weight[cover.served(s)].sum() for f, s in zip(factor, sets, strict=True))

    out = polish_years(cover, weight, years, factor, np.ones(n, dtype=bool), instance.site_cost, float("inf"))
    assert out.converged and out.moves > 0
    assert out.value == pytest.approx(value(out.open_sets)) and out.value > value(years)
    assert [int(s.sum()) for s in out.open_sets] == [1, 2, 3]
    assert all((out.open_sets[t] <= out.open_sets[t + 1]).all() for t in range(2))  # nested
    assert [int(s.sum()) for s in years] == [1, 2, 3] and years[0][a]  # the input is not modified
    assert not (out.open_sets[1] == years[1]).all() or not (out.open_sets[2] == years[2]).all()  # a later hub moved


def test_the_backward_start_s_last_year_runs_to_its_hard_limit_when_lazy(tmp_path: Path, monkeypatch) -> None:
    # The backward start's first solve (the last year, the whole network at once) is the hard one: lazily
    # refined it gets no soft limit; the years within it keep theirs (15 % of solver.time_limit_s).
    import planner.features.rollout.lazy as rl

    seen: list[tuple[tuple[int, ...], float, float | None]] = []
    real = rl.LazyRollout.solve

    def spy(self, spec, config, **kw):
        seen.append((spec.years, config.time_limit_s, kw.get("soft_limit_s")))
        return real(self, spec, config, **kw)

    monkeypatch.setattr(rl.LazyRollout, "solve", spy)
    plan = _run(tmp_path, 1, "foresight", "lazy")
    assert [s[0] for s in seen] == [(2028,), (2027,), (2026,), (2026, 2027, 2028)]
    limit = 60.0  # tests.conftest.base_scenario
    assert seen[0][1:] == (0.25 * limit, None)
    assert all(s[1:] == (0.25 * limit, pytest.approx(0.15 * limit)) for s in seen[1:3])
    assert seen[3][2] is None and seen[3][1] >= 0.5 * limit
    assert plan.verification.passed


def test_a_lazy_rollout_never_lists_every_flow_s_windows(tmp_path: Path, monkeypatch) -> None:
    # Listing every flow's windows (group_flows) took 8 GB with every European flow before the first round;
    # a lazily refined rollout without [capacity] needs only its kept windows.
    import planner.features.coverage.variables as cv
    import planner.features.rollout.model as rm
    import planner.features.rollout.solve as rs

    calls: list[int] = []

    def counted(instance):
        calls.append(1)
        return cv.group_flows(instance)

    monkeypatch.setattr(rs, "group_flows", counted)
    monkeypatch.setattr(rm, "group_flows", counted)
    plan = _run(tmp_path, 1, "foresight", "lazy")
    assert calls == []
    assert plan.verification.passed
    _run(tmp_path, 1, "foresight", "all")  # every window at once: the model lists them
    assert calls


def _all_served(tmp_path: Path) -> Path:
    """A rollout with hubs enough for every flow in every year."""
    line_network(tmp_path, 13, step_km=50.0)
    data = base_scenario(
        tmp_path,
        flows=random_line_flows(1, 13, 16, 20),
        candidates={"include_nodes": True, "spacing_km": 10.0},
        objective={"type": "max_coverage", "max_hubs": 40},
        rollout={**ROLLOUT, "budget_per_year_eur": [1e6, 1e6, 1e6], "mode": "foresight"},
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.05},
        solver={"coverage_rows": "lazy", "mip_gap": 0.0},
        output={"maps": False, "tradeoff_points": 0},
    )
    return write_scenario(tmp_path / "all-served.toml", data)


def test_a_start_serving_every_flow_within_the_gap_is_not_solved_again(tmp_path: Path, monkeypatch) -> None:
    # The backward plan serves every flow in every year: no foresight round can prove more than that
    # ceiling, so the foresight model's first goal is not solved (a root relaxation that cannot lower
    # the bound); it reports the start with the ceiling as its bound, and only the cheaper plan is sought.
    import planner.features.rollout.lazy as rl

    path = _all_served(tmp_path)
    solves: list[tuple[int, bool]] = []  # (years in the model, served weight held: the capex goal)
    real = rl.solve_problem

    def count(problem, config, **kw):
        n = len({v.name.rsplit("_", 1)[-1] for v in problem.variables() if v.name.startswith("open_")})
        solves.append((n, problem.get_constraint_by_name("lazy_keep_served") is not None))
        return real(problem, config, **kw)

    monkeypatch.setattr(rl, "solve_problem", count)
    messages: list[str] = []
    plan = solve_scenario(load_scenario(path), log=messages.append)
    foresight = [held for n, held in solves if n > 1]
    served = plan.summary["rollout"]["solves"][-1]
    assert any("of every flow needing a hub in every year" in m and "not solved" in m for m in messages)
    assert any("foresight model gets" in m and "only a cheaper plan is sought" in m for m in messages)
    assert "not solved" in served["message"] and served["mip_gap"] == pytest.approx(0.0, abs=1e-12)
    assert served["best_bound"] == pytest.approx(served["objective"], rel=1e-12)
    # the served goal was not solved; only the capex goal's rounds (served weight held) ran on it
    assert foresight and all(foresight)
    assert [y["covered_share"] for y in plan.summary["years"]] == pytest.approx([1.0, 1.0, 1.0])
    assert plan.verification.passed


def test_a_start_left_nothing_to_prove_is_kept_when_no_cheaper_plan_comes(tmp_path: Path, monkeypatch) -> None:
    # No round runs on the foresight model and the cheaper-plan goal finds nothing: a model is built to
    # hold the start, and the plan decoded from it is the backward plan, verified.
    import planner.features.rollout.lazy as rl
    from planner.solve import SolveResult

    def nothing(self, spec, config, first, adjust, limit_s):
        return None, SolveResult("no_solution", "highs", None, None, None, 0.0, True, "none within the time")

    monkeypatch.setattr(rl.LazyRollout, "_cost_goal", nothing)
    plan = solve_scenario(load_scenario(_all_served(tmp_path)))
    served = plan.summary["rollout"]["solves"][-1]
    assert "not solved" in served["message"] and served["status"] == "optimal"
    assert [y["covered_share"] for y in plan.summary["years"]] == pytest.approx([1.0, 1.0, 1.0])
    assert plan.verification.passed
