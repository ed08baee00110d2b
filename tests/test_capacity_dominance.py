"""Dominated sites in the capacity model (:mod:`planner.features.capacity.dominance`).

By hand: which sites are dominated, and when a site may not dominate (its trucks would not fit in its
largest pool, it is an existing hub, it costs more, the levels do not pool). On random lines with a
candidate every 25 km the exact capacity model reaches the same optimum with the dominated sites
closed as with every site open.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.features.capacity.dominance import dominated, dominated_sites, superadditive
from planner.features.capacity.model import CapacitySpec, TypeLevels, capacity_part
from planner.features.capacity.queueing import size_levels
from planner.features.coverage.feature import core_spec
from planner.features.coverage.model import build_model
from planner.features.coverage.variables import group_weight
from planner.solve import solve_problem
from tests.conftest import base_scenario, line_network, prepared, write_scenario

# Pooling: 1, 2, 3 and 4 points take 5, 20, 37.2 and 55 sessions a day.
POOLED = TypeLevels("mcs", (1, 2, 3, 4), (5.0, 20.0, 37.2, 55.0), 100.0, 300.0)


def _spec(levels: TypeLevels = POOLED) -> CapacitySpec:
    return CapacitySpec((levels,), 1000.0)


def test_queueing_levels_pool_and_made_up_ones_may_not() -> None:
    for session_h, wait_h in ((0.5, 1 / 6), (0.75, 0.25), (1.2, 0.1)):
        table = size_levels(2000.0, session_h, 0.1, wait_h, max_servers=40)
        servers = tuple(lv.servers for lv in table)
        assert superadditive(TypeLevels("mcs", servers, tuple(lv.max_sessions_per_day for lv in table), 1.0, 1.0))
    assert superadditive(POOLED)
    assert not superadditive(TypeLevels("mcs", (1, 2, 3), (5.0, 8.0, 12.0), 1.0, 1.0))  # 2 points take less than 1 + 1
    # 2 + 2 points: no 4-point level
    assert not superadditive(TypeLevels("mcs", (1, 2, 3, 5, 6), (5, 20, 37, 80, 99), 1.0, 1.0))
    assert superadditive(TypeLevels("mcs", (0, 2, 3), (0.0, 20.0, 37.2), 1.0, 1.0))  # a zero level pools with anything
    assert superadditive(TypeLevels("mcs", (1, 2, 3), (5.0, 20.0, 22.0), 1.0, 1.0))  # the largest cut to the total


def test_a_site_in_every_window_of_another_dominates_it() -> None:
    # Group 0 can stop at site 1 or 2, group 1 at site 2 or 3: site 2 is in every window of 1 and of 3.
    windows = [[(1, 2)], [(2, 3)]]
    cost = np.full(4, 1000.0)
    free = np.zeros(4, dtype=bool)
    assert dominated_sites(windows, np.array([10.0, 10.0]), _spec(), cost, free) == [1, 3]
    # 60 trucks a day pass site 2, more than its largest pool (55): it cannot take everything.
    assert dominated_sites(windows, np.array([30.0, 30.0]), _spec(), cost, free) == []
    # An existing hub neither dominates nor is dominated.
    assert dominated_sites(windows, np.array([10.0, 10.0]), _spec(), cost, np.array([0, 0, 1, 0], dtype=bool)) == []
    assert dominated_sites(windows, np.array([10.0, 10.0]), _spec(), cost, np.array([0, 1, 0, 0], dtype=bool)) == [3]
    # A dearer site dominates nothing; levels that do not pool: nothing is dominated.
    assert dominated_sites(windows, np.array([10.0, 10.0]), _spec(), np.array([0, 1000, 1001, 1000.0]), free) == []
    flat = TypeLevels("mcs", (1, 2, 3), (5.0, 8.0, 12.0), 100.0, 300.0)
    assert dominated_sites(windows, np.array([1.0, 1.0]), _spec(flat), cost, free) == []
    # A largest level cut to the scenario's total (8 a day) takes every load: 1 + 1 points pool up to it.
    cut = TypeLevels("mcs", (1, 2), (5.0, 8.0), 100.0, 300.0)
    assert superadditive(cut) and dominated_sites(windows, np.array([3.0, 3.0]), _spec(cut), cost, free) == [1, 3]


def test_sites_with_the_same_windows_keep_the_lowest_index() -> None:
    windows = [[(1, 2, 3), (3, 4)], [(0, 5)]]
    cost = np.full(6, 1000.0)
    free = np.zeros(6, dtype=bool)
    # 1 and 2 share every window (2 goes), 3 holds both of group 0's windows (1 goes too), 4 is in
    # 3's; 0 and 5 are twins.
    assert dominated_sites(windows, np.array([5.0, 5.0]), _spec(), cost, free) == [1, 2, 4, 5]
    cheaper_twin = cost.copy()
    cheaper_twin[5] = 999.0
    assert dominated_sites(windows, np.array([5.0, 5.0]), _spec(), cheaper_twin, free) == [0, 1, 2, 4]


def test_the_order_keeps_one_of_equal_sites_and_prefers_more_rows_then_lower_cost() -> None:
    rows = {0: {"a"}, 1: {"a", "b"}, 2: {"a", "b"}, 3: {"b", "c"}, 4: set()}
    free = np.zeros(5, dtype=bool)
    assert dominated(rows, np.full(5, 1.0), free) == [0, 2]  # 0 ⊂ 1; 2 = 1, the lower index stays
    assert dominated(rows, np.array([1.0, 2.0, 1.0, 1.0, 1.0]), free) == [0, 1]  # 1 = 2 but dearer; 0 ⊂ 2 too
    # 1 may not stand in for another: 0 still goes for 2, and 2 stays (only 1, ahead of it, could take its place)
    assert dominated(rows, np.full(5, 1.0), free, can_dominate=np.array([1, 0, 1, 1, 1], dtype=bool)) == [0]
    # an existing hub (1) is neither closed nor a stand-in: 0 goes for 2, and 2 stays
    assert dominated(rows, np.full(5, 1.0), np.array([0, 1, 0, 0, 0], dtype=bool)) == [0]


def _model(folder: Path, seed: int):
    """The exact capacity model of random flows on a 5-node line, a candidate every 25 km."""
    rng = random.Random(seed)
    line_network(folder, 5)
    flows = []
    for i in range(6):
        a, b = sorted(rng.sample(range(5), 2))
        flows.append(f"T{i},N{a},N{b},{rng.choice([3, 6, 9, 14, 22])}")
    data = base_scenario(
        folder,
        flows=flows,
        candidates={"spacing_km": 25.0},
        objective={"type": "min_cost", "max_hubs": None},
        costs={"site_fixed_eur": 300.0},
        chargers={
            "mcs": {"capex_eur": 100.0, "min_per_hub": 1, "power_kw": 300.0, "max_per_hub": rng.choice([3, 5, 8])},
            "ccs": {"max_per_hub": 0},
        },
        capacity={"enabled": True, "peak_hour_share": 0.1, "max_wait_min": 10.0, "plug_overhead_min": 0.0},
        afir={"mode": "off"},
        output={"maps": False, "tradeoff_points": 0},
    )
    ctx = prepared(write_scenario(folder / "s.toml", data))
    spec = core_spec(ctx)
    exact = replace(spec.part("capacity").data, integer_levels=True)
    return ctx, build_model(ctx.instance, spec.with_part(capacity_part(exact))), exact


@pytest.mark.parametrize("seed", range(8))
def test_closing_dominated_sites_keeps_the_optimum(tmp_path: Path, seed: int) -> None:
    (tmp_path / "all").mkdir()
    (tmp_path / "closed").mkdir()
    ctx, every, exact = _model(tmp_path / "all", seed)
    config = ctx.scenario.solver
    best = solve_problem(every.problem, config)
    _, reduced, _ = _model(tmp_path / "closed", seed)
    v = reduced.variables
    inst = ctx.instance
    cost = np.where(inst.site_locked, 0.0, exact.site_fixed_eur)
    closed = dominated_sites(v.group_windows, group_weight(inst, v.groups, inst.volume), exact, cost, inst.site_locked)
    for k in closed:
        v.open[k].upBound = 0
    assert closed  # a candidate every 25 km: sites share windows
    fewer = solve_problem(reduced.problem, config)
    assert best.status == fewer.status == "optimal"
    assert fewer.objective == pytest.approx(best.objective, rel=1e-9, abs=1e-6)
