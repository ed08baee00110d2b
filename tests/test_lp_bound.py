"""The linear relaxation of max coverage with every window, by row generation
(:mod:`planner.features.coverage.lp_bound`), and how a started lazy solve uses it as its bound.

Row generation must end at the relaxation of the model holding every window (built by
:func:`~planner.features.coverage.model.build_model` and solved with its integrality relaxed), with
existing hubs, a budget and a hub limit; its value bounds the brute-force optimum; and a started solve
reports a bound no looser than it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import highspy
import numpy as np
import pytest

from planner.api import solve_scenario
from planner.context import RunContext
from planner.features.coverage.feature import core_spec
from planner.features.coverage.lazy import KeptWindows
from planner.features.coverage.lp_bound import RowGeneration, every_window_bound, least_covered
from planner.features.coverage.model import build_model, flow_weight
from planner.features.coverage.rounds import served_rounds
from planner.scenario import load_scenario
from tests.conftest import (
    base_scenario,
    best_sites,
    first_goal_value,
    line_network,
    prepared,
    random_line_flows,
    write_scenario,
)


def _scenario(folder: Path, seed: int, objective: dict, solver: dict | None = None, **sections: dict) -> Path:
    line_network(folder, 13, step_km=50.0)
    data = base_scenario(
        folder,
        flows=random_line_flows(seed, 13, 16, 40),
        candidates={"include_nodes": True, "spacing_km": 25.0},
        objective={"type": "max_coverage", **objective},
        solver={"coverage_rows": "lazy", "mip_gap": 0.0, **(solver or {})},
        output={"maps": False, "tradeoff_points": 0},
        **sections,
    )
    return write_scenario(folder / f"s{seed}.toml", data)


def _relaxed_full_model(ctx: RunContext) -> float:
    """The model with every window (every group linked to each of its windows), integrality relaxed."""
    return first_goal_value(build_model(ctx.instance, core_spec(ctx)), relaxed=True)


def _bound(ctx: RunContext, seconds: float = 60.0):
    instance, spec = ctx.instance, core_spec(ctx)
    weight = flow_weight(instance, spec.metric).astype(float)
    kept = KeptWindows.first(instance.cover, weight)
    before = [list(ws) for ws in kept.kept]
    out = every_window_bound(
        instance.cover, instance.site_cost, instance.site_locked, weight, kept.flows, kept.kept,
        budget_eur=spec.budget_eur, max_hubs=spec.max_hubs, seconds=seconds,
    )  # fmt: skip
    assert kept.kept == before  # the lazy rounds' windows are not changed
    return out, weight


def _best(ctx: RunContext, weight: np.ndarray, hubs: int) -> float:
    """The most weight of the flows needing a hub that any ``hubs`` sites serve (every set tried)."""
    instance = ctx.instance
    return best_sites(instance, np.where(instance.servable & ~instance.free, weight, 0.0), hubs)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("objective", [{"max_hubs": 2}, {"budget_eur": 2000.0, "max_hubs": 50}], ids=["hubs", "budget"])
def test_row_generation_ends_at_the_relaxation_with_every_window_and_bounds_the_optimum(
    tmp_path: Path, seed: int, objective: dict
) -> None:
    ctx = prepared(_scenario(tmp_path, seed, objective))
    out, weight = _bound(ctx)
    assert out.converged and out.rounds >= 1 and out.value is not None
    full = _relaxed_full_model(ctx)
    assert out.value == pytest.approx(full, rel=1e-5)
    assert out.value >= full - 1e-9  # raised for the solver's tolerance, never below
    assert float(ctx.instance.site_cost.min()) == 1000.0  # so 2,000 EUR buys two hubs, as does max_hubs = 2
    assert out.value >= _best(ctx, weight, 2) - 1e-9


@pytest.mark.parametrize("seed", [1, 2])
def test_round_trips_outside_the_window_tree_gain_their_own_windows(tmp_path: Path, seed: int) -> None:
    # every route passes its nodes twice, so every flow keeps its own window list (CoverSet.extra)
    ctx = prepared(_scenario(tmp_path, seed, {"max_hubs": 2}, demand={"round_trip": True}))
    assert ctx.instance.cover.extra
    out, weight = _bound(ctx)
    assert out.converged and out.value == pytest.approx(_relaxed_full_model(ctx), rel=1e-5)
    assert out.value >= _best(ctx, weight, 2) - 1e-9


def test_existing_hubs_stay_open_and_only_new_ones_count_against_the_limit(tmp_path: Path) -> None:
    ctx = prepared(_scenario(tmp_path, 5, {"max_hubs": 1}))
    instance = ctx.instance
    before = _bound(ctx)[0].value
    # an existing hub in the middle of the line (its site in some windows): open at no limit's expense
    sites = np.unique(instance.cover.window_sites)
    locked = instance.site_locked.copy()
    locked[sites[len(sites) // 2]] = True
    ctx.instance = replace(instance, site_locked=locked)
    out, _weight = _bound(ctx)
    assert out.value == pytest.approx(_relaxed_full_model(ctx), rel=1e-5)
    assert out.value >= before - 1e-9  # one hub more, never less served


def test_an_existing_hub_in_no_window_costs_the_budget_nothing(tmp_path: Path) -> None:
    # as in the model, a site in no window has no variable: an existing hub there takes none of the budget
    ctx = prepared(_scenario(tmp_path, 2, {"budget_eur": 2000.0, "max_hubs": 50}))
    instance = ctx.instance
    nowhere = np.setdiff1d(np.arange(len(instance.site_cost)), instance.cover.window_sites)
    assert len(nowhere) and float(instance.site_cost[nowhere[0]]) == 1000.0
    before = _bound(ctx)[0].value
    locked = instance.site_locked.copy()
    locked[nowhere[0]] = True
    ctx.instance = replace(instance, site_locked=locked)
    out, _weight = _bound(ctx)
    assert out.value == pytest.approx(before, rel=1e-9)
    assert out.value == pytest.approx(_relaxed_full_model(ctx), rel=1e-5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_budget_between_whole_hubs_is_rounded_down_to_them(tmp_path: Path, seed: int) -> None:
    # every hub costs 1,000 EUR: 2,500 EUR buys two, and the relaxation says so (the plain one buys 2.5)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    half = prepared(_scenario(tmp_path / "a", seed, {"budget_eur": 2500.0, "max_hubs": 50}))
    two = prepared(_scenario(tmp_path / "b", seed, {"budget_eur": 2000.0, "max_hubs": 50}))
    out, weight = _bound(half)
    assert out.converged and out.value == pytest.approx(_relaxed_full_model(two), rel=1e-5)
    assert out.value < _relaxed_full_model(half) - 1e-6  # tighter than the plain relaxation here
    assert out.value >= _best(half, weight, 2) - 1e-9


def test_an_existing_hub_s_price_leaves_the_rest_of_the_budget_in_whole_hubs(tmp_path: Path) -> None:
    # an existing hub in some window (1,000 EUR of the 3,500): two new hubs more, not two and a half
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    three = prepared(_scenario(tmp_path / "a", 4, {"budget_eur": 3500.0, "max_hubs": 50}))
    sites = np.unique(three.instance.cover.window_sites)
    locked = three.instance.site_locked.copy()
    locked[sites[len(sites) // 2]] = True
    three.instance = replace(three.instance, site_locked=locked)
    exact = prepared(_scenario(tmp_path / "b", 4, {"budget_eur": 3000.0, "max_hubs": 50}))
    exact.instance = replace(exact.instance, site_locked=locked)
    out, _weight = _bound(three)
    assert out.value == pytest.approx(_relaxed_full_model(exact), rel=1e-5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_only_groups_holding_a_flow_are_free_and_the_value_stays_the_full_model_s(tmp_path: Path, seed: int) -> None:
    ctx = prepared(_scenario(tmp_path, seed, {"max_hubs": 2}))
    instance, spec = ctx.instance, core_spec(ctx)
    weight = flow_weight(instance, spec.metric).astype(float)
    kept = KeptWindows.first(instance.cover, weight)
    rows = RowGeneration(
        instance.cover, instance.site_cost, instance.site_locked, weight, kept.flows, kept.kept,
        budget_eur=None, max_hubs=spec.max_hubs,
    )  # fmt: skip
    out = rows.solve(60.0)
    assert out.converged and out.rounds >= 2  # flows moved between groups
    upper = np.asarray(rows.lp.h.getLp().col_upper_)[np.asarray(rows.lp.col)]
    held = np.isin(np.arange(len(rows.lp.col)), rows.of)
    assert not held.all()  # some groups were left empty
    assert np.array_equal(upper, held.astype(float))
    assert out.value == pytest.approx(_relaxed_full_model(ctx), rel=1e-5)


def test_least_covered_is_each_flow_s_least_window_by_brute_force(tmp_path: Path) -> None:
    ctx = prepared(_scenario(tmp_path, 6, {"max_hubs": 2}))
    cover = ctx.instance.cover
    flows = np.flatnonzero(ctx.instance.servable & ~ctx.instance.free)
    rng = np.random.default_rng(6)
    x = rng.random(len(ctx.instance.site_cost)) * 0.6
    least, window = least_covered(cover, x, flows)
    for i, q in enumerate(flows.tolist()):
        sums = {w: min(1.0, float(x[list(cover.window(w))].sum())) for w in cover.flow_window_ids(q)}
        assert least[i] == pytest.approx(min(sums.values()))
        assert sums[int(window[i])] == pytest.approx(least[i])


def test_a_round_stopped_by_the_time_limit_gives_no_value(tmp_path: Path) -> None:
    ctx = prepared(_scenario(tmp_path, 1, {"max_hubs": 2}))
    out, _weight = _bound(ctx, seconds=0.5)  # under a second: no round starts
    assert out.value is None and not out.converged and out.rounds == 0
    assert out.describe().startswith("no linear relaxation with every window solved")


class _Stalled:
    """A HiGHS whose first run ends ``Unknown`` (an interior point stalled short of its tolerances); it records
    the crossover setting of every run."""

    def __init__(self, h) -> None:
        self.h, self.crossover = h, []

    def run(self):
        self.crossover.append(self.h.getOptionValue("run_crossover")[1])  # (status, value)
        return self.h.run()

    def getModelStatus(self):  # noqa: N802 (highspy's name)
        if len(self.crossover) == 1:
            return highspy.HighsModelStatus.kUnknown
        return self.h.getModelStatus()

    def __getattr__(self, name: str):
        return getattr(self.h, name)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_round_the_interior_point_leaves_unknown_is_solved_again_with_crossover(tmp_path: Path, seed: int) -> None:
    ctx = prepared(_scenario(tmp_path, seed, {"max_hubs": 2}))
    exact, weight = _bound(ctx)
    instance = ctx.instance
    kept = KeptWindows.first(instance.cover, weight)
    rows = RowGeneration(
        instance.cover, instance.site_cost, instance.site_locked, weight, kept.flows, kept.kept,
        budget_eur=None, max_hubs=2,
    )  # fmt: skip
    real = rows.lp.h
    rows.lp.h = stalled = _Stalled(real)
    out = rows.solve(60.0)
    assert out.converged and out.value == pytest.approx(exact.value, rel=1e-6)
    assert stalled.crossover[:2] == ["off", "on"]  # the stalled run solved again with crossover, then back off
    assert all(c == "off" for c in stalled.crossover[2:]) and real.getOptionValue("run_crossover")[1] == "off"


def test_a_start_within_the_target_of_the_bound_needs_no_round() -> None:
    class _Plan:
        value = 99.5

    def never(*_args):
        raise AssertionError("no round should run")

    out = served_rounds(never, limit_s=60.0, share=1.0, target=0.01, solver="highs", start=_Plan(), bound=100.0)
    assert out.status == "optimal" and out.best.value == 99.5 and out.bound == 100.0
    assert out.gap == pytest.approx(0.5 / 99.5) and out.model is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_started_solve_reports_the_relaxation_s_bound_at_least(tmp_path: Path, seed: int) -> None:
    path = _scenario(tmp_path, seed, {"max_hubs": 2}, {"start_flows": 5, "mip_gap": 0.0})
    lines: list[str] = []
    plan = solve_scenario(load_scenario(path), log=lines.append)
    said = [line for line in lines if line.startswith("lazy windows: linear relaxation with every window: ")]
    assert len(said) == 1
    lp = float(said[0].split(": ")[2].split(" after")[0].replace(",", ""))
    first = plan.summary["lexicographic"]["first"]
    assert first["best_bound"] <= lp + 1e-9  # the rounds can only tighten it
    assert "linear relaxation with every window" in plan.summary["solver_message"]
    assert plan.summary["status"] == "optimal" and plan.verification.passed
    assert lp >= plan.summary["objective_value"] - 1e-9
