"""A rollout's bound from one-year linear relaxations with every window (:mod:`planner.features.rollout.lp_bound`).

On a 13-node line with a candidate every 25 km, three years with a hub's price as each year's budget: the
bound must hold the foresight optimum of the model with every window (solved exactly), equal each year's
own relaxation solved afresh (the shared relaxation only changes its budget row), hold the years' integer
optima summed, fall back to the ceiling for a year left unsolved, and a started lazy foresight solve must
report a bound at least as tight; each myopic year's rounds start from its own relaxation.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.context import RunContext
from planner.features import enabled_features
from planner.features.coverage.lazy import KeptWindows
from planner.features.coverage.lp_bound import RowGeneration, every_window_bound
from planner.features.rollout.lp_bound import MAX_WORKERS, cumulative_budgets, relaxation_workers, years_bound
from planner.features.rollout.model import build_rollout_model
from planner.features.rollout.solve import _Rollout
from planner.scenario import load_scenario
from planner.stages import load_inputs, make_instance
from tests.conftest import base_scenario, best_sites, first_goal_value, line_network, random_line_flows, write_scenario

HUB = 1000.0


def _scenario(folder: Path, seed: int, budgets: list[float], max_hubs: int = 50, **solver: object) -> Path:
    line_network(folder, 13, step_km=50.0)
    data = base_scenario(
        folder,
        flows=random_line_flows(seed, 13, 16, 30),
        candidates={"include_nodes": True, "spacing_km": 25.0},
        objective={"type": "max_coverage", "max_hubs": max_hubs},
        rollout={"years": [2026, 2027, 2028], "budget_per_year_eur": budgets, "bev_share": [0.5, 0.75, 1.0]},
        costs={"site_fixed_eur": HUB, "discount_rate": 0.05},
        solver={"coverage_rows": "lazy", "mip_gap": 0.0, **solver},
        output={"maps": False, "tradeoff_points": 0},
    )
    return write_scenario(folder / f"s{seed}.toml", data)


def _setup(folder: Path, seed: int, budgets: list[float], max_hubs: int = 50):
    sc = load_scenario(_scenario(folder, seed, budgets, max_hubs))
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    ro = _Rollout(sc, ctx.instance, [(), (), ()], None, None, None, lambda _m: None, lazy=True)
    assert ro.lazy is not None
    return ctx.instance, ro, ro.spec_for([0, 1, 2], frozenset())


def _bound(instance, ro, spec, seconds: float = 60.0):
    kept = KeptWindows.first(instance.cover, ro.weight)
    factors = [d * f for d, f in zip(spec.discount, spec.volume_factor, strict=True)]
    budgets = cumulative_budgets(spec.budget_eur, spec.budget_total_eur)
    out = years_bound(
        instance.cover, instance.site_cost, instance.site_locked, ro.weight, kept.flows, kept.kept,
        budgets=budgets, factors=factors, max_hubs=spec.max_hubs, seconds=seconds,
    )  # fmt: skip
    return out, kept, factors, budgets


def _bound_by(instance, ro, spec, workers: int):
    kept = KeptWindows.first(instance.cover, ro.weight)
    return years_bound(
        instance.cover, instance.site_cost, instance.site_locked, ro.weight, kept.flows, kept.kept,
        budgets=cumulative_budgets(spec.budget_eur, spec.budget_total_eur),
        factors=[d * f for d, f in zip(spec.discount, spec.volume_factor, strict=True)],
        max_hubs=spec.max_hubs, seconds=60.0, workers=workers,
    )  # fmt: skip


def _foresight_optimum(instance, spec) -> float:
    """The rollout model with every window, solved to optimality."""
    return first_goal_value(build_rollout_model(instance, spec))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("budgets", "max_hubs"),
    [([HUB, HUB, HUB], 50), ([HUB, 2 * HUB, 0.0], 50), ([1.5 * HUB, 1.5 * HUB, HUB], 50), ([HUB, 2 * HUB, HUB], 2)],
)
def test_the_bound_holds_the_foresight_optimum_and_equals_each_year_s_own_relaxation(
    tmp_path: Path, seed: int, budgets: list[float], max_hubs: int
) -> None:
    instance, ro, spec = _setup(tmp_path, seed, budgets, max_hubs)
    out, kept, factors, cumulative = _bound(instance, ro, spec)
    assert all(out.converged)
    assert out.value >= _foresight_optimum(instance, spec) - 1e-6
    for value, budget in zip(out.per_year, cumulative, strict=True):
        alone = every_window_bound(
            instance.cover, instance.site_cost, instance.site_locked, ro.weight, kept.flows, kept.kept,
            budget_eur=budget, max_hubs=max_hubs, seconds=60.0,
        )  # fmt: skip
        assert alone.converged and value == pytest.approx(alone.value, rel=1e-6)
    assert out.value == pytest.approx(sum(f * v for f, v in zip(factors, out.per_year, strict=True)))
    # each year's integer optimum with its budget in whole hubs (every site set tried) is within its value
    need = np.where(instance.servable & ~instance.free, ro.weight, 0.0)
    for value, budget in zip(out.per_year, cumulative, strict=True):
        assert best_sites(instance, need, min(int(budget // HUB), max_hubs)) <= value + 1e-6


def test_a_year_left_unsolved_takes_the_ceiling(tmp_path: Path) -> None:
    instance, ro, spec = _setup(tmp_path, 1, [HUB, HUB, HUB])
    out, kept, factors, _ = _bound(instance, ro, spec, seconds=0.0)
    ceiling = float(ro.weight[kept.flows].sum())
    assert out.per_year == (ceiling,) * 3 and out.converged == (False,) * 3
    assert out.value == pytest.approx(ceiling * sum(factors))


def test_a_year_left_unsolved_is_bounded_by_the_tangent_of_a_solved_one(tmp_path: Path, monkeypatch) -> None:
    instance, ro, spec = _setup(tmp_path, 2, [HUB, HUB, HUB])
    full, *_ = _bound(instance, ro, spec)
    solve = RowGeneration.solve
    largest = 3 * HUB  # the last year's budget: the only one given time

    def only_the_largest(self, seconds, log=lambda _m: None, max_rounds=None):
        own = self.lp.rhs == self.lp.units(largest)
        return solve(self, seconds if own else 0.0, log, max_rounds)

    monkeypatch.setattr(RowGeneration, "solve", only_the_largest)
    out, *_ = _bound(instance, ro, spec)
    # the earlier years get the last year's tangents
    assert out.converged == (False, False, True)
    assert out.per_year[2] == pytest.approx(full.per_year[2])
    assert out.per_year[0] < out.per_year[1] < out.per_year[2]
    assert all(a >= b - 1e-6 for a, b in zip(out.per_year, full.per_year, strict=True))


def test_the_years_take_a_round_each_in_turn_largest_budget_first(tmp_path: Path, monkeypatch) -> None:
    instance, ro, spec = _setup(tmp_path, 2, [HUB, HUB, HUB])
    solve = RowGeneration.solve
    calls: list[tuple[float, int | None, int]] = []  # (budget row's right-hand side, max rounds, rounds solved)

    def spy(self, seconds, log=lambda _m: None, max_rounds=None):
        out = solve(self, seconds, log, max_rounds)
        calls.append((self.lp.rhs, max_rounds, out.rounds))
        return out

    monkeypatch.setattr(RowGeneration, "solve", spy)
    out, *_ = _bound(instance, ro, spec)
    assert out.converged == (True, True, True)
    assert [rhs for rhs, _, _ in calls[:3]] == [3.0, 2.0, 1.0]  # whole hubs of budget, largest first
    assert all(m == 1 and n == 1 for _, m, n in calls)
    assert out.rounds == len(calls) > 3  # the first windows do not hold every flow: a second pass at least


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("workers", [2, 3])
def test_relaxations_side_by_side_give_each_year_its_own_relaxation(tmp_path: Path, seed: int, workers: int) -> None:
    instance, ro, spec = _setup(tmp_path, seed, [HUB, HUB, 1.5 * HUB])  # three budgets: 1, 2 and 3.5 hubs
    alone = _bound_by(instance, ro, spec, workers=1)
    side = _bound_by(instance, ro, spec, workers=workers)
    assert all(alone.converged) and all(side.converged)
    assert side.per_year == pytest.approx(alone.per_year, rel=1e-6)
    assert side.value == pytest.approx(alone.value, rel=1e-6)
    assert side.value >= _foresight_optimum(instance, spec) - 1e-6


def test_side_by_side_each_relaxation_takes_every_other_budget_from_the_largest(tmp_path: Path, monkeypatch) -> None:
    instance, ro, spec = _setup(tmp_path, 2, [HUB, HUB, HUB])
    set_budget = RowGeneration.set_budget
    seen: dict[int, list[float]] = {}  # per relaxation (its id), the budgets it was given in order

    def spy(self, budget_eur):
        seen.setdefault(id(self), []).append(budget_eur)
        return set_budget(self, budget_eur)

    monkeypatch.setattr(RowGeneration, "set_budget", spy)
    out = _bound_by(instance, ro, spec, workers=2)
    assert all(out.converged)
    firsts = sorted((b[0], sorted(set(b), reverse=True)) for b in seen.values())
    assert firsts == [(2 * HUB, [2 * HUB]), (3 * HUB, [3 * HUB, HUB])]


@pytest.mark.parametrize(("threads", "expected"), [(1, 1), (2, 2), (16, 2)])
def test_relaxations_side_by_side_follow_solver_threads(
    tmp_path: Path, threads: int, expected: int, monkeypatch
) -> None:
    given = _given(monkeypatch, "years_bound", "workers")
    path = _scenario(tmp_path, 1, [HUB, 2 * HUB, HUB], max_hubs=2, threads=threads)
    plan = solve_scenario(load_scenario(path))
    assert given == [expected] and plan.verification.passed
    assert relaxation_workers(None) == min(os.cpu_count() or 1, MAX_WORKERS)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_solved_round_s_tangent_bounds_the_relaxation_at_every_budget(tmp_path: Path, seed: int) -> None:
    instance, ro, spec = _setup(tmp_path, seed, [HUB, HUB, HUB])
    kept = KeptWindows.first(instance.cover, ro.weight)
    args = (instance.cover, instance.site_cost, instance.site_locked, ro.weight, kept.flows, kept.kept)
    rows = RowGeneration(*args, budget_eur=2 * HUB, max_hubs=None)
    rows.solve(60.0)
    assert len(rows.tangents) >= 2  # the first windows do not hold every flow here: rounds add some
    for hubs in range(0, 7):
        exact = every_window_bound(*args, budget_eur=hubs * HUB, max_hubs=None, seconds=60.0)
        assert exact.converged
        assert rows.tangent(hubs * HUB) >= exact.value - 1e-6 * max(exact.value, 1.0)
        if hubs == 2:
            assert rows.tangent(hubs * HUB) == pytest.approx(exact.value, rel=1e-6)
    assert rows.tangent(math.inf) == math.inf  # a budget no round had


@pytest.mark.parametrize(
    ("per_year", "total", "spent", "expected"),
    [
        ([1.0, 2.0, 3.0], None, 0.0, (1.0, 3.0, 6.0)),
        ([1.0, 2.0, 3.0], 4.0, 0.0, (1.0, 3.0, 4.0)),
        ([1.0, 2.0, 3.0], 4.0, 1.0, (1.0, 3.0, 3.0)),
        ([None, None], 5.0, 0.0, (5.0, 5.0)),
        ([None, None], None, 0.0, (math.inf, math.inf)),
        ([1.0, None, 2.0], None, 0.0, (1.0, math.inf, math.inf)),
    ],
)
def test_cumulative_budgets(per_year: list, total: float | None, spent: float, expected: tuple) -> None:
    assert cumulative_budgets(per_year, total, spent) == expected


@pytest.mark.parametrize("seed", [1, 2])
def test_a_started_foresight_solve_reports_a_bound_at_least_as_tight(tmp_path: Path, seed: int) -> None:
    path = _scenario(tmp_path, seed, [HUB, HUB, HUB], mip_gap=0.0)
    messages: list[str] = []
    plan = solve_scenario(load_scenario(path), log=messages.append)
    solve = plan.summary["rollout"]["solves"][-1]
    assert "bound by one-year linear relaxations with every window" in solve["message"]
    (tmp_path / "again").mkdir()
    instance, ro, spec = _setup(tmp_path / "again", seed, [HUB, HUB, HUB])
    out, *_ = _bound(instance, ro, spec)
    assert solve["best_bound"] <= out.value * (1 + 1e-9)
    assert solve["best_bound"] >= solve["objective"] - 1e-6
    assert plan.verification.passed


def _given(monkeypatch, function: str, key: str) -> list:
    """The keyword argument ``key`` of every call of ``function`` in :mod:`planner.features.rollout.lazy`, in
    order."""
    import planner.features.rollout.lazy as lazy_rollout

    given: list = []
    real = getattr(lazy_rollout, function)

    def spy(*args, **kwargs):
        given.append(kwargs[key])
        return real(*args, **kwargs)

    monkeypatch.setattr(lazy_rollout, function, spy)
    return given


def _bounds_given(monkeypatch) -> list[float]:
    """The ``bound`` each rollout solve hands its rounds (:func:`served_rounds`), in order."""
    return _given(monkeypatch, "served_rounds", "bound")


@pytest.mark.parametrize("seed", [1, 2])
def test_the_foresight_rounds_start_from_the_years_bound(tmp_path: Path, seed: int, monkeypatch) -> None:
    given = _bounds_given(monkeypatch)
    budgets = [HUB, 2 * HUB, HUB]
    plan = solve_scenario(load_scenario(_scenario(tmp_path, seed, budgets, max_hubs=2)))
    (tmp_path / "again").mkdir()
    instance, ro, spec = _setup(tmp_path / "again", seed, budgets, max_hubs=2)
    out, *_ = _bound(instance, ro, spec)
    # the backward start's one-year solves get none; the foresight model's rounds get the years' bound
    assert given[:-1] == [math.inf] * (len(given) - 1)
    assert given[-1] == pytest.approx(out.value, rel=1e-6)
    assert plan.summary["rollout"]["solves"][-1]["best_bound"] <= out.value * (1 + 1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_years_relaxations_start_from_the_first_windows_not_the_rounds_refined_ones(
    tmp_path: Path, seed: int, monkeypatch
) -> None:
    import planner.features.rollout.lazy as lazy_rollout

    seen: list[tuple[list[list[int]], list[list[int]]]] = []  # (windows given, the rounds' kept windows then)
    bound, method = lazy_rollout.years_bound, lazy_rollout.LazyRollout.years_bound

    def given(*args, **kwargs):
        seen.append(([list(ws) for ws in args[5]], []))
        return bound(*args, **kwargs)

    def spy(self, spec, seconds, workers=1):
        out = method(self, spec, seconds, workers)
        seen[-1] = (seen[-1][0], [list(ws) for ws in self.kept.kept])
        return out

    monkeypatch.setattr(lazy_rollout, "years_bound", given)
    monkeypatch.setattr(lazy_rollout.LazyRollout, "years_bound", spy)
    budgets = [HUB, 2 * HUB, HUB]
    plan = solve_scenario(load_scenario(_scenario(tmp_path, seed, budgets, max_hubs=2)))
    (tmp_path / "again").mkdir()
    instance, ro, _spec = _setup(tmp_path / "again", seed, budgets, max_hubs=2)
    first = KeptWindows.first(instance.cover, ro.weight).kept
    assert len(seen) == 1
    windows, kept = seen[0]
    assert windows == first
    assert kept != first  # the backward years' rounds refined some flows' windows before the bound
    assert plan.verification.passed


@pytest.mark.parametrize("seed", [1, 2])
def test_each_myopic_year_s_rounds_start_from_its_relaxation(tmp_path: Path, seed: int, monkeypatch) -> None:
    given = _bounds_given(monkeypatch)
    path = _scenario(tmp_path, seed, [HUB, HUB, HUB], max_hubs=50)
    text = path.read_text().replace("[rollout]", '[rollout]\nmode = "myopic"')
    path.write_text(text)
    plan = solve_scenario(load_scenario(path))
    solves = plan.summary["rollout"]["solves"]
    assert len(given) == 3 and all(math.isfinite(b) for b in given)
    assert all(s["best_bound"] <= b * (1 + 1e-9) for s, b in zip(solves, given, strict=True))
    # the first year has no earlier hubs: its bound is the one-year relaxation with its budget
    (tmp_path / "again").mkdir()
    instance, ro, spec = _setup(tmp_path / "again", seed, [HUB, HUB, HUB])
    kept = KeptWindows.first(instance.cover, ro.weight)
    first = every_window_bound(
        instance.cover, instance.site_cost, instance.site_locked, ro.weight, kept.flows, kept.kept,
        budget_eur=HUB, max_hubs=50, seconds=60.0,
    )  # fmt: skip
    assert given[0] == pytest.approx(spec.discount[0] * spec.volume_factor[0] * first.value, rel=1e-6)
    assert plan.verification.passed


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("max_hubs", [2, 50], ids=["hubs-bind", "budget-binds"])
def test_a_myopic_year_s_bound_is_the_relaxation_of_its_model_with_earlier_hubs_fixed(
    tmp_path: Path, seed: int, max_hubs: int
) -> None:
    instance, ro, _ = _setup(tmp_path, seed, [HUB, 2 * HUB, HUB], max_hubs)
    fixed = frozenset(
        {int(instance.cover.window_sites[0])}
    )  # an earlier year's hub: open, counted in the limit, paid for
    spec = ro.spec_for([1], fixed)
    relaxed = first_goal_value(build_rollout_model(instance, spec), relaxed=True)  # every window
    out = ro.lazy.years_bound(spec, 60.0)
    assert out.converged == (True,)
    assert out.value == pytest.approx(relaxed, rel=1e-6)
