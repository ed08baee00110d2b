"""``solver.start_flows`` on a foresight rollout (:func:`planner.features.rollout.solve._from_largest`).

The rollout is first planned for the ``start_flows`` largest flows alone (backward start and foresight model,
within half the time limit, no capex goal); every flow's foresight model then starts from that plan, which
it keeps unless a round truly serves more, bounded by its years' relaxations with every window. Checked on a
line with a candidate every 10 km against the foresight model with every window of every flow.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

import planner.features.rollout.lazy as rl
import planner.features.rollout.solve as rs
from planner.api import solve_scenario
from planner.errors import SolverError
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, random_line_flows, write_scenario

ROLLOUT = {"years": [2026, 2027, 2028], "budget_per_year_eur": [1000.0, 1000.0, 1000.0], "bev_share": [0.5, 0.75, 1.0]}
KEY = "discounted_covered_truck_km"
_SAID = re.compile(r"rollout: started from the plan of the 6 largest flows \(.*\); on every flow it serves ([\d,.]+)$")


def _scenario(folder: Path, seed: int, *, rows: str = "lazy", start: int | None = 6, limit: float = 60.0) -> Path:
    line_network(folder, 13, step_km=50.0)
    solver = {"coverage_rows": rows, "mip_gap": 0.0, "time_limit_s": limit}
    if start is not None:
        solver["start_flows"] = start
    data = base_scenario(
        folder,
        flows=random_line_flows(seed, 13, 16, 20),
        candidates={"include_nodes": True, "spacing_km": 10.0},
        objective={"type": "max_coverage", "max_hubs": 3},
        rollout=ROLLOUT,
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.05},
        solver=solver,
        output={"maps": False, "tradeoff_points": 0},
    )
    return write_scenario(folder / f"{rows}-{start}.toml", data)


def _run(folder: Path, seed: int, messages: list[str] | None = None, **kw):
    log = messages.append if messages is not None else (lambda _m: None)
    return solve_scenario(load_scenario(_scenario(folder, seed, **kw)), log=log)


def _start_value(messages: list[str]) -> float:
    said = [m for m in messages if _SAID.match(m)]
    assert len(said) == 1, messages
    return float(_SAID.match(said[0]).group(1).replace(",", ""))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_started_rollout_reaches_the_optimum_of_every_window_of_every_flow(tmp_path: Path, seed: int) -> None:
    messages: list[str] = []
    started = _run(tmp_path, seed, messages)
    every = _run(tmp_path, seed, rows="all", start=None)
    assert started.verification.passed and started.summary["status"] == "optimal"
    assert started.summary["rollout"][KEY] == pytest.approx(every.summary["rollout"][KEY], rel=1e-9)
    solve = started.summary["rollout"]["solves"][-1]
    assert solve["message"].startswith("started from the plan of the 6 largest flows (optimal at 0.00% on them,")
    optimum = every.summary["rollout"]["solves"][-1]["objective"]
    assert solve["objective"] == pytest.approx(optimum, rel=1e-6)
    assert solve["best_bound"] >= optimum * (1 - 1e-6)  # every flow's bound, not the start's
    assert _start_value(messages) <= optimum + 0.05  # logged to one decimal
    assert any("bound by one-year linear relaxations with every window" in m for m in messages)


def test_the_start_counts_only_the_largest_flows_within_half_the_limit_without_a_capex_goal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans: list[tuple[float, bool, np.ndarray | None, np.ndarray, np.ndarray]] = []
    real_plan = rs._plan

    def spy_plan(ro, started):
        among = None if ro.lazy.among is None else ro.lazy.among.copy()
        plans.append(
            (
                ro.scenario.solver.time_limit_s,
                ro.scenario.objective.second_stage,
                among,
                ro.instance.volume,
                ro.lazy.need,
            )
        )
        return real_plan(ro, started)

    grouped: list[tuple[bool, set[int]]] = []  # per round model: built for the start, its flows
    real_build = rl.LazyRollout._build

    def spy_build(self, spec, *args, **kwargs):
        groups = self.kept.grouping(self.among)[0]
        grouped.append((self.among is not None, {q for group in groups for q in group}))
        return real_build(self, spec, *args, **kwargs)

    monkeypatch.setattr(rs, "_plan", spy_plan)
    monkeypatch.setattr(rl.LazyRollout, "_build", spy_build)
    plan = _run(tmp_path, 1, limit=40.0)
    assert plan.verification.passed
    assert len(plans) == 1  # only the start is planned by _plan; every flow's model starts from it
    limit, second_stage, among, volume, need = plans[0]
    assert limit == pytest.approx(20.0) and second_stage is False
    assert among is not None and int(among.sum()) == 6
    largest = set(np.flatnonzero(among).tolist())
    assert not (among & ~need).any() and volume[among].min() >= volume[need & ~among].max()  # the 6 heaviest
    start_rounds = [flows for counted, flows in grouped if counted]
    every_rounds = [flows for counted, flows in grouped if not counted]
    assert start_rounds and all(flows <= largest for flows in start_rounds)
    assert every_rounds and any(flows - largest for flows in every_rounds)


def test_every_flow_keeps_the_start_unless_a_round_truly_serves_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every flow's rounds are made to return plans serving nothing: the plan reported is the start's.
    real_round = rl.LazyRollout._round

    def worse(self, spec, *args, **kwargs):
        r = real_round(self, spec, *args, **kwargs)
        if self.among is None and r.plan is not None:  # every flow's round, not the start's
            r.plan = rl._Plan([self.instance.site_locked.copy() for _ in spec.years], 0.0, r.plan.model)
        return r

    monkeypatch.setattr(rl.LazyRollout, "_round", worse)
    messages: list[str] = []
    plan = _run(tmp_path, 2, messages)
    assert plan.verification.passed and plan.summary["hub_count"] >= 1
    assert plan.summary["rollout"]["solves"][-1]["objective"] == pytest.approx(_start_value(messages), abs=0.05)
    assert "the start plan kept (no round found a better one)" in plan.summary["rollout"]["solves"][-1]["message"]


def test_a_start_of_as_many_flows_as_need_a_hub_is_no_start(tmp_path: Path) -> None:
    messages: list[str] = []
    plan = _run(tmp_path, 1, messages, start=16)
    every = _run(tmp_path, 1, rows="all", start=None)
    assert plan.verification.passed
    assert plan.summary["rollout"][KEY] == pytest.approx(every.summary["rollout"][KEY], rel=1e-9)
    said = [m for m in messages if m.startswith("rollout: no start: solver.start_flows = 16 is not below the")]
    assert len(said) == 1 and not any("started from the plan of the" in m for m in messages)


def test_without_a_start_plan_every_flow_is_planned_from_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_plan = rs._plan
    limits: list[float] = []

    def no_start(ro, started):
        if ro.lazy is not None and ro.lazy.among is not None:
            time.sleep(1.5)  # the start's time is spent
            raise SolverError("the start found no solution")
        limits.append(ro.scenario.solver.time_limit_s)
        return real_plan(ro, started)

    monkeypatch.setattr(rs, "_plan", no_start)
    messages: list[str] = []
    plan = _run(tmp_path, 3, messages)
    every = _run(tmp_path, 3, rows="all", start=None)
    assert plan.verification.passed and plan.summary["status"] == "optimal"
    assert plan.summary["rollout"][KEY] == pytest.approx(every.summary["rollout"][KEY], rel=1e-9)
    # every flow gets what the start left of the 60 s limit, not the whole limit again
    assert 57.0 < limits[0] <= 60.0 - 1.5  # (limits[1]: the run with every window below)
    said = "rollout: no start plan on the 6 largest flows (the start found no solution); every flow from none in the "
    assert any(m.startswith(said) and m.endswith(" s left of solver.time_limit_s = 60 s") for m in messages)
    assert any("foresight, started from the backward plan" in m for m in messages)


def test_the_start_s_years_are_bounded_by_its_own_flows_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bool, int]] = []  # (at most the start's 6 flows, how many)
    real = rl.years_bound

    def spy(cover, costs, locked, weight, flows, windows, **kw):
        seen.append((len(flows) <= 6, len(flows)))
        return real(cover, costs, locked, weight, flows, windows, **kw)

    monkeypatch.setattr(rl, "years_bound", spy)
    plan = _run(tmp_path, 1)
    assert plan.verification.passed
    assert seen[0][0] and not seen[-1][0]  # the start's own flows, then every flow's
