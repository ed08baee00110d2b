"""Max coverage with lazily refined windows (:mod:`planner.features.coverage.lazy`).

On a line with a candidate every 10 km a flow has dozens of overlapping windows and keeps only a few
disjoint ones at first, so the rounds must refine. Every plan is compared with the model holding
every window (``solver.coverage_rows = "all"``) and with the verifier's simulation.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.context import RunContext
from planner.features import enabled_features
from planner.features.coverage.lazy import LAZY_FROM_PAIRS, KeptWindows, lazy_applies, refines_lazily
from planner.scenario import load_scenario
from planner.stages import load_inputs, make_instance
from tests.conftest import base_scenario, line_network, random_line_flows, write_scenario


def _scenario(folder: Path, seed: int, rows: str, objective: dict) -> Path:
    line_network(folder, 13, step_km=50.0)
    data = base_scenario(
        folder,
        flows=random_line_flows(seed, 13, 16, 20),
        candidates={"include_nodes": True, "spacing_km": 10.0},
        objective=objective,
        solver={"coverage_rows": rows, "mip_gap": 0.0},
        output={"maps": False, "tradeoff_points": 0},
    )
    return write_scenario(folder / f"{rows}.toml", data)


def _rounds(plan) -> int:
    return int(re.search(r"lazy windows: (\d+) round", plan.summary["solver_message"]).group(1))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("objective", [{"max_hubs": 2}, {"budget_eur": 2500.0}], ids=["max_hubs", "budget"])
def test_lazy_windows_find_the_optimum_of_the_model_with_every_window(
    tmp_path: Path, seed: int, objective: dict
) -> None:
    objective = {"type": "max_coverage", **objective}
    lazy = solve_scenario(load_scenario(_scenario(tmp_path, seed, "lazy", objective)))
    full = solve_scenario(load_scenario(_scenario(tmp_path, seed, "all", objective)))
    assert lazy.verification.passed and full.verification.passed
    assert lazy.summary["status"] == full.summary["status"] == "optimal"
    assert lazy.summary["covered_volume"] == pytest.approx(full.summary["covered_volume"])
    assert 0 < lazy.summary["covered_volume"] < lazy.summary["total_volume"]  # the budget binds
    # the second goal: no cheaper plan serves as much, in either model
    assert lazy.summary["total_cost_eur"] == pytest.approx(full.summary["total_cost_eur"])
    assert "lazy windows" not in full.summary["solver_message"]
    assert lazy.summary["lexicographic"]["first"]["best_bound"] >= lazy.summary["objective_value"] - 1e-6


def test_the_rounds_refine_on_overlapping_windows(tmp_path: Path) -> None:
    # Over the seeds above at least one solve needs more than its first round: the first windows alone
    # let a plan look better than it is (else the tests above would not exercise the refinement).
    rounds = []
    for seed in (1, 2, 3, 4):
        folder = tmp_path / str(seed)
        folder.mkdir()
        plan = solve_scenario(load_scenario(_scenario(folder, seed, "lazy", {"type": "max_coverage", "max_hubs": 2})))
        rounds.append(_rounds(plan))
    assert max(rounds) > 1


def _instance(tmp_path: Path, seed: int):
    sc = load_scenario(_scenario(tmp_path, seed, "lazy", {"type": "max_coverage", "max_hubs": 2}))
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    return ctx.instance


@pytest.mark.parametrize("seed", [5, 6])
def test_kept_windows_relax_the_model_and_refine_what_a_plan_misses(tmp_path: Path, seed: int) -> None:
    instance = _instance(tmp_path, seed)
    cover = instance.cover
    kept = KeptWindows.first(cover, instance.volume.astype(float))
    need = np.flatnonzero(instance.servable & ~instance.free)
    assert kept.flows.tolist() == need.tolist()
    for q, ws in zip(kept.flows.tolist(), kept.kept, strict=True):
        windows = [set(cover.window(w)) for w in ws]
        assert set(ws) <= set(cover.flow_window_ids(q)) and ws
        assert all(not (a & b) for i, a in enumerate(windows) for b in windows[i + 1 :])  # pairwise disjoint
    assert kept.pairs < sum(len(cover.flow_window_ids(q)) for q in need)  # a real relaxation
    rng = np.random.default_rng(seed)
    for _ in range(20):
        is_open = rng.random(len(instance.site_cost)) < 0.15
        before = [list(ws) for ws in kept.kept]
        covered = cover.covered(is_open)
        claimed = np.array([all(covered[w] for w in ws) for ws in before])
        served, refined = kept.refine(is_open)
        assert (claimed | ~served[kept.flows]).all()  # a served flow's kept windows are covered
        wrong = claimed & ~served[kept.flows]
        assert refined == int(wrong.sum())
        for i in range(len(before)):
            added = kept.kept[i][len(before[i]) :]
            assert len(added) == int(wrong[i])
            assert all(not covered[w] and w in cover.flow_window_ids(int(kept.flows[i])) for w in added)


def test_auto_refines_lazily_only_for_large_max_coverage_models() -> None:
    assert lazy_applies("max_coverage", False, "auto") and lazy_applies("max_coverage", False, "lazy")
    assert not lazy_applies("max_coverage", False, "all")
    assert not lazy_applies("min_cost", False, "lazy")  # a coverage target or a full cover
    assert not lazy_applies("max_coverage", True, "lazy")  # [capacity], [hourly] assign stops
    assert not refines_lazily("auto", LAZY_FROM_PAIRS - 1) and refines_lazily("auto", LAZY_FROM_PAIRS)
    assert refines_lazily("lazy", 1) and not refines_lazily("all", 10**9)


def test_auto_solves_a_small_model_with_every_window(tmp_path: Path) -> None:
    path = _scenario(tmp_path, 1, "auto", {"type": "max_coverage", "max_hubs": 2})
    plan = solve_scenario(load_scenario(path))
    assert plan.verification.passed and "lazy windows" not in plan.summary["solver_message"]


@pytest.mark.parametrize(("rows", "lazy"), [("auto", True), ("lazy", True), ("all", False)])
def test_the_size_guard_lets_lazy_windows_through_and_records_the_choice(rows: str, lazy: bool) -> None:
    from types import SimpleNamespace

    from planner.errors import ScenarioError
    from planner.stages import _check_model_size

    pairs = max(LAZY_FROM_PAIRS, 10_000_000)  # far over solver.max_model_pairs
    ctx = SimpleNamespace(
        scenario=SimpleNamespace(
            name="s",
            where="s.toml",
            solver=SimpleNamespace(max_model_pairs=2_500_000, coverage_rows=rows),
            objective=SimpleNamespace(type="max_coverage"),
            rollout=SimpleNamespace(years=None),
        ),
        instance=SimpleNamespace(cover=SimpleNamespace(group_window_pairs=lambda: pairs), flow_ids=["F"]),
        data={},
    )
    if lazy:
        _check_model_size(ctx, assigns=False)
        assert ctx.data["lazy_windows"] is True
    else:
        with pytest.raises(ScenarioError, match="max_model_pairs"):
            _check_model_size(ctx, assigns=False)
    with pytest.raises(ScenarioError, match="max_model_pairs"):  # assigned stops: never lazy
        _check_model_size(ctx, assigns=True)


def test_a_rounds_earlier_improving_plans_refine_its_windows_too(tmp_path: Path, monkeypatch) -> None:
    # HiGHS's plans come as column vectors in problem.variables() order; the round maps each one's
    # open-variables back to sites and refines with every one before the last (the round's own plan).
    from planner.features.coverage import lazy as lz
    from planner.features.coverage.feature import core_spec

    sc = load_scenario(_scenario(tmp_path, 1, "lazy", {"type": "max_coverage", "max_hubs": 2}))
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    earlier: list[int] = []
    solve = lz.solve_problem

    def with_an_earlier_plan(problem, config, **kw):
        result = solve(problem, config, **kw)
        names = [v.name for v in problem.variables()]
        sites = sorted(int(n.split("_")[1]) for n in names if n.startswith("open_"))
        earlier[:] = sites[:2]
        plan = np.array([1.0 if n in {f"open_{k}" for k in earlier} else 0.0 for n in names])
        kw["plans"][:] = [plan, plan[:-1], np.zeros(len(names))]  # the last stands for the round's own
        return result

    seen: list[list[int]] = []
    refine = lz.KeptWindows.refine

    def spy(self, is_open: np.ndarray):
        seen.append(np.flatnonzero(is_open).tolist())
        return refine(self, is_open)

    monkeypatch.setattr(lz, "solve_problem", with_an_earlier_plan)
    monkeypatch.setattr(lz.KeptWindows, "refine", spy)
    lazy = lz._Lazy(ctx.instance, core_spec(ctx), sc.solver, lambda _m: None, None)
    lazy.solve_round(0, 0.0, 30.0, None)
    assert len(seen) == 2  # the round's plan, then the one earlier plan of the right length
    assert seen[1] == earlier and len(earlier) == 2


def test_the_second_goal_is_not_run_when_the_first_used_the_time_limit(tmp_path: Path, monkeypatch) -> None:
    from dataclasses import replace

    from planner.features.coverage import lazy as lz

    served_goal = lz._Lazy.served_goal

    def out_of_time(self, limit_s: float, start=None, bound: float = float("inf")):
        best, result = served_goal(self, limit_s, start, bound)
        return best, replace(result, status="feasible", time_limit_hit=True)

    def never(*_a, **_k):
        raise AssertionError("the second goal ran")

    monkeypatch.setattr(lz._Lazy, "served_goal", out_of_time)
    monkeypatch.setattr(lz._Lazy, "cost_goal", never)
    plan = solve_scenario(load_scenario(_scenario(tmp_path, 1, "lazy", {"type": "max_coverage", "max_hubs": 2})))
    assert plan.verification.passed
    assert plan.summary["lexicographic"]["second"] is None
    assert "the second goal (least capex serving as much) not run" in plan.summary["solver_message"]
