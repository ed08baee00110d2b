"""Swap local search on max-coverage plans (:mod:`planner.features.coverage.polish`).

On a line with a candidate every 10 km (the lazy-coverage tests' instance) every pair of hubs is
scored by brute force: the search's plan must be what it says it serves, keep its hub count and cost,
improve a poor start and end where no move it may try helps.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.context import RunContext
from planner.features import enabled_features
from planner.features.coverage import polish as pl
from planner.features.coverage.model import flow_weight
from planner.highs import site_incidence
from planner.scenario import load_scenario
from planner.stages import load_inputs, make_instance
from tests.test_lazy_coverage import _scenario


def _instance(folder: Path):
    sc = load_scenario(_scenario(folder, 1, "lazy", {"type": "max_coverage", "max_hubs": 2}))
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    inst = ctx.instance
    need = inst.servable & ~inst.free
    return inst, np.where(need, flow_weight(inst, "volume"), 0.0).astype(float)


def _value(inst, weight: np.ndarray, sites: tuple[int, ...]) -> float:
    is_open = inst.site_locked.copy()
    is_open[list(sites)] = True
    return float(weight[inst.cover.served(is_open)].sum())


def test_moves_raise_the_true_served_weight_to_a_local_optimum(tmp_path: Path) -> None:
    inst, weight = _instance(tmp_path)
    n = len(inst.site_ids)
    movable = ~inst.site_locked
    values = {pair: _value(inst, weight, pair) for pair in itertools.combinations(range(n), 2)}
    worst = min(values, key=lambda p: (values[p], p))
    start = inst.site_locked.copy()
    start[list(worst)] = True
    out = pl.polish(inst.cover, weight, start, movable, inst.site_cost, time.perf_counter() + 60)
    sites = tuple(np.flatnonzero(out.is_open).tolist())
    assert out.converged and out.moves >= 1 and out.evaluations > 0
    assert len(sites) == 2 and start.sum() == 2  # the start is not modified
    assert out.value == values[sites] > values[worst]  # what it says it serves, and better
    assert inst.site_cost[list(sites)].sum() <= inst.site_cost[list(worst)].sum()
    # no move it may try from its plan helps: every neighbour of each hub, scored by brute force
    needed = inst.cover.needed_windows()
    ptr, position = site_incidence(inst.cover, needed, n)
    index = (ptr, needed[position])
    for hub in sites:
        allowed = movable & ~out.is_open & (inst.site_cost <= inst.site_cost[hub])
        for site in pl._neighbours(inst.cover, index, hub, allowed, pl.NEIGHBOURS).tolist():
            moved = tuple(sorted({*sites} - {hub} | {site}))
            assert values[moved] <= out.value


def test_a_past_deadline_scores_nothing_and_says_so(tmp_path: Path) -> None:
    inst, weight = _instance(tmp_path)
    start = inst.site_locked.copy()
    start[[0, 1]] = True
    out = pl.polish(inst.cover, weight, start, ~inst.site_locked, inst.site_cost, time.perf_counter() - 1)
    assert not out.converged and out.evaluations == 0 and out.moves == 0
    assert (out.is_open == start).all() and out.value == _value(inst, weight, (0, 1))


def test_a_lazy_solve_ending_unproven_moves_hubs_and_reports_the_moved_plan(tmp_path: Path, monkeypatch) -> None:
    # The first round's plan is swapped for a poor one and its result marked as out of time: the rounds
    # stop there, the search moves hubs, and the plan decoded and verified is the moved one.
    from planner.features.coverage import lazy as lz

    solve_round = lz._Lazy.solve_round
    poor: dict[str, object] = {}

    def poor_round(self, goal, gap, seconds, start, hold=None):
        r = solve_round(self, goal, gap, seconds, start, hold)
        sites = sorted(r.model.variables.open)[:2]
        plan = r.plan
        plan.is_open = self.instance.site_locked.copy()
        plan.is_open[sites] = True
        for k, x in r.model.variables.open.items():
            x.varValue = float(plan.is_open[k])
        plan.value = float(self.weight[self.instance.cover.served(plan.is_open) & self.need].sum())
        r.result = replace(r.result, status="feasible", time_limit_hit=True)
        poor.update(sites=sites, value=plan.value)
        return r

    monkeypatch.setattr(lz._Lazy, "solve_round", poor_round)
    plan = solve_scenario(load_scenario(_scenario(tmp_path, 1, "lazy", {"type": "max_coverage", "max_hubs": 2})))
    assert plan.verification.passed
    assert plan.summary["status"] == "feasible"
    assert re.search(r"then [1-9]\d* hub\(s\) moved in \d+ scored plans", plan.summary["solver_message"])
    assert plan.summary["objective_value"] > poor["value"]
    assert len(plan.hubs) == 2 and set(plan.hubs["site_id"]) != set(poor["sites"])
    inst = plan.context.instance  # the objective is what the written plan serves of the flows needing a hub
    served = set(plan.flows.loc[plan.flows["served"].astype(bool), "flow_id"].astype(str))
    need = inst.servable & ~inst.free
    weight = sum(float(v) for q, v in enumerate(inst.volume) if need[q] and inst.flow_ids[q] in served)
    assert weight == pytest.approx(plan.summary["objective_value"])


def test_move_hubs_moves_only_listed_unlocked_sites_and_keeps_a_plan_it_cannot_beat(tmp_path: Path) -> None:
    # From the worst pair: hubs move only among the sites listed (as with a model's variables), the
    # value and gap are the moved plan's against the bound, and one log line says so. From the pair the
    # moves end on, nothing improves: no plan is returned and the value and gap are the plan's own.
    inst, weight = _instance(tmp_path)
    n = len(inst.site_ids)
    values = {pair: _value(inst, weight, pair) for pair in itertools.combinations(range(n), 2)}
    worst = min(values, key=lambda p: (values[p], p))
    listed = sorted({*worst, *range(0, n, 2)})  # every other site, and the start's
    start = inst.site_locked.copy()
    start[list(worst)] = True
    best = max(v for p, v in values.items() if set(p) <= set(listed))
    lines: list[str] = []

    def moves(starts: list[np.ndarray], value: float, bound: float, sites: list[int], locked: np.ndarray):
        deadline = time.perf_counter() + 60
        return pl.move_hubs(
            inst.cover, weight, starts, [1.0], value, bound, sites, locked, inst.site_cost, deadline, lines.append
        )

    out = moves([start], values[worst], best, listed, inst.site_locked)
    assert out.open_sets is not None and out.value > values[worst]
    sites = tuple(np.flatnonzero(out.open_sets[0] & ~inst.site_locked).tolist())
    assert set(sites) <= set(listed) and out.value == values[sites]
    assert out.gap == pytest.approx((best - out.value) / out.value)
    assert len(lines) == 1 and "hub(s) moved" in lines[0] and out.what in lines[0]
    again = moves(out.open_sets, out.value, float("inf"), listed, inst.site_locked)
    assert again.open_sets is None and again.value == out.value and again.what.startswith("0 hub(s) moved")
    # with only the start's own sites listed, or both of them locked, no hub may move
    for only, locked in ((list(worst), inst.site_locked), (listed, inst.site_locked | np.isin(np.arange(n), worst))):
        kept = moves([start], values[worst], best, only, locked)
        assert kept.open_sets is None and kept.value == values[worst] and kept.what.startswith("0 hub(s) moved")


def test_a_cap_on_scored_plans_stops_the_moves_like_a_deadline(tmp_path: Path) -> None:
    inst, weight = _instance(tmp_path)
    n = len(inst.site_ids)
    values = {pair: _value(inst, weight, pair) for pair in itertools.combinations(range(n), 2)}
    worst = min(values, key=lambda p: (values[p], p))
    start = inst.site_locked.copy()
    start[list(worst)] = True
    free = pl.polish(inst.cover, weight, start, ~inst.site_locked, inst.site_cost, time.perf_counter() + 60)
    assert free.converged and free.evaluations > 3
    capped = pl.polish(inst.cover, weight, start, ~inst.site_locked, inst.site_cost, math.inf, max_evaluations=3)
    assert capped.evaluations == 3 and not capped.converged
    assert capped.value == _value(inst, weight, tuple(np.flatnonzero(capped.is_open).tolist()))
