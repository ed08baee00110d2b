"""``solver.start_flows``: lazily refined max coverage started from the plan of the largest flows.

The start solves the ``start_flows`` largest flows alone, then every flow's rounds begin from that plan
(kept unless a round truly serves more) with the windows the first rounds added. Checked here against
brute force on a line of 13 nodes (every pair of hubs), against the model with every window, and on
the scenario errors where the start cannot apply.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.context import RunContext
from planner.errors import ScenarioError
from planner.features import check_scenario, enabled_features
from planner.features.coverage import lazy as lz
from planner.features.coverage.feature import core_spec
from planner.scenario import load_scenario
from planner.stages import load_inputs, make_instance
from tests.conftest import base_scenario, best_sites, line_network, random_line_flows, write_scenario

_START = re.compile(r"started from the plan of the ([\d,]+) largest flows")


def _scenario(folder: Path, seed: int, *, rows: str = "lazy", start: int | None = 5, **sections: dict) -> Path:
    line_network(folder, 13, step_km=50.0)
    solver = {"coverage_rows": rows, "mip_gap": 0.0, **({} if start is None else {"start_flows": start})}
    parts = {
        "candidates": {"include_nodes": True, "spacing_km": 25.0},
        "objective": {"type": "max_coverage", "max_hubs": 2},
        "output": {"maps": False, "tradeoff_points": 0},
        "solver": solver,
        **sections,  # a whole section replaced
    }
    data = base_scenario(folder, flows=random_line_flows(seed, 13, 16, 40), **parts)
    data.update(sections)
    return write_scenario(folder / f"{rows}-{start}.toml", data)


def test_largest_flows_takes_the_heaviest_needing_a_hub_ties_in_flow_order() -> None:
    volume = np.array([5.0, 9.0, 5.0, 9.0, 1.0, 5.0])
    need = np.array([True, True, True, False, True, True])
    assert np.flatnonzero(lz.largest_flows(volume, need, 3)).tolist() == [0, 1, 2]  # 9, then the first two 5s
    assert np.flatnonzero(lz.largest_flows(volume, need, 10)).tolist() == [0, 1, 2, 4, 5]  # every flow needing one


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_start_is_the_best_plan_for_the_largest_flows_and_every_flow_keeps_at_least_its_value(
    tmp_path: Path, seed: int
) -> None:
    sc = load_scenario(_scenario(tmp_path, seed))
    ctx = RunContext(sc, lambda _m: None, features=enabled_features(sc))
    load_inputs(ctx)
    make_instance(ctx)
    instance = ctx.instance
    lines: list[str] = []
    lazy = lz._Lazy(instance, core_spec(ctx), sc.solver, lines.append, None)
    start, said, spent = lz._start(lazy, sc.solver)
    assert start is not None and spent > 0 and said.startswith("started from the plan of the 5 largest flows")
    need = instance.servable & ~instance.free
    top = lz.largest_flows(instance.volume, need, 5)
    assert int(top.sum()) == 5
    assert int(start.is_open.sum()) <= 2
    on_top = float(instance.volume[instance.cover.served(start.is_open) & top].sum())
    assert on_top == pytest.approx(best_sites(instance, np.where(top, instance.volume, 0.0), 2))  # optimal on them
    # valued again on every flow, the rounds restarted and the shared windows kept
    assert start.value == pytest.approx(float(instance.volume[instance.cover.served(start.is_open) & need].sum()))
    assert lazy.rounds == 0 and lazy.among is None
    best, result = lazy.served_goal(30.0, start)
    assert best is not None and best.value >= start.value - 1e-9
    assert best.value == pytest.approx(best_sites(instance, np.where(need, instance.volume, 0.0), 2))
    assert result.status == "optimal"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_started_solve_finds_the_optimum_of_the_model_with_every_window(tmp_path: Path, seed: int) -> None:
    started = solve_scenario(load_scenario(_scenario(tmp_path, seed)))
    full = solve_scenario(load_scenario(_scenario(tmp_path, seed, rows="all", start=None)))
    assert started.verification.passed and full.verification.passed
    assert started.summary["status"] == full.summary["status"] == "optimal"
    assert started.summary["covered_volume"] == pytest.approx(full.summary["covered_volume"])
    assert started.summary["total_cost_eur"] == pytest.approx(full.summary["total_cost_eur"])  # the second goal ran
    assert _START.search(started.summary["solver_message"]).group(1) == "5"
    first = started.summary["lexicographic"]["first"]
    assert first["best_bound"] >= started.summary["objective_value"] - 1e-6  # every flow's bound, not the start's


def test_a_start_of_as_many_flows_as_need_a_hub_is_no_start(tmp_path: Path) -> None:
    lines: list[str] = []
    plan = solve_scenario(load_scenario(_scenario(tmp_path, 1, start=16)), log=lines.append)
    assert plan.verification.passed and "started from" not in plan.summary["solver_message"]
    said = [line for line in lines if line.startswith("lazy windows: no start: solver.start_flows = 16")]
    assert len(said) == 1 and re.search(r"is not below the (\d+) flows that need a hub", said[0])


@pytest.mark.parametrize(
    ("sections", "said"),
    [
        ({"objective": {"type": "min_cost"}}, "starts max coverage only"),
        ({"solver": {"coverage_rows": "all", "start_flows": 5}}, "not solver.coverage_rows = 'all'"),
        ({"capacity": {"enabled": True}}, "not one with [capacity] or [hourly]"),
        ({"rollout": {"years": [2030, 2035], "mode": "myopic"}}, "or a foresight [rollout], not a myopic one"),
    ],
    ids=["min_cost", "all_rows", "capacity", "myopic_rollout"],
)
def test_start_flows_is_refused_where_it_cannot_apply(tmp_path: Path, sections: dict, said: str) -> None:
    path = _scenario(tmp_path, 1, **sections)
    with pytest.raises(ScenarioError, match=re.escape(said)) as err:
        check_scenario(load_scenario(path))
    assert "solver.start_flows = 5" in str(err.value) and "unset solver.start_flows" in str(err.value)


def test_start_flows_not_below_the_demand_cut_is_refused_in_one_line(tmp_path: Path) -> None:
    line_network(tmp_path, 13, step_km=50.0)
    data = base_scenario(tmp_path, flows=random_line_flows(1, 13, 16, 40), solver={"start_flows": 5})
    data["demand"] = {"zones": "nodes.csv", "max_flows": 5}
    path = write_scenario(tmp_path / "cut.toml", data)
    sc = load_scenario(path)
    with pytest.raises(ScenarioError, match=r"is not below demand.max_flows = 5"):
        check_scenario(sc)
    out = subprocess.run(
        [sys.executable, "-m", "planner", "run", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "demand.max_flows = 5" in out.stderr
    assert not (tmp_path / "out").exists()


def test_a_start_is_noted_as_unused_where_auto_builds_every_window(tmp_path: Path) -> None:
    lines: list[str] = []
    plan = solve_scenario(load_scenario(_scenario(tmp_path, 1, rows="auto")), log=lines.append)
    assert plan.verification.passed and "lazy windows" not in plan.summary["solver_message"]  # a small model
    notes = [line for line in lines if line.startswith("note: solver.start_flows = 5 is unused")]
    assert len(notes) == 1 and "set it to 'lazy' to start" in notes[0]


def test_without_a_start_plan_every_flow_is_solved_from_none(tmp_path: Path, monkeypatch) -> None:
    from dataclasses import replace

    served_goal = lz._Lazy.served_goal

    def no_start_plan(self, limit_s: float, start=None, bound: float = float("inf")):
        best, result = served_goal(self, limit_s, start, bound)
        if self.among is not None:  # the start's goal: as if its rounds had found nothing in time
            return None, replace(result, status="no_solution", objective=None)
        return best, result

    monkeypatch.setattr(lz._Lazy, "served_goal", no_start_plan)
    lines: list[str] = []
    plan = solve_scenario(load_scenario(_scenario(tmp_path, 1)), log=lines.append)
    full = solve_scenario(load_scenario(_scenario(tmp_path, 1, rows="all", start=None)))
    assert plan.verification.passed and plan.summary["status"] == "optimal"
    assert plan.summary["covered_volume"] == pytest.approx(full.summary["covered_volume"])
    assert "(no start plan from the 5 largest flows; lazy windows:" in plan.summary["solver_message"]
    assert "lazy windows: no start plan on the 5 largest flows (no_solution); every flow from none" in lines


def test_every_flow_keeps_the_start_unless_a_round_truly_serves_more(tmp_path: Path, monkeypatch) -> None:
    # Every flow's rounds are made to return plans serving nothing: the plan reported is the start's.
    solve_round = lz._Lazy.solve_round

    def worse(self, *args, **kwargs):
        r = solve_round(self, *args, **kwargs)
        if self.among is None and r.plan is not None:  # every flow's round, not the start's
            r.plan = lz._Plan(self.instance.site_locked.copy(), 0.0, r.plan.model)
        return r

    monkeypatch.setattr(lz._Lazy, "solve_round", worse)
    lines: list[str] = []
    plan = solve_scenario(load_scenario(_scenario(tmp_path, 2)), log=lines.append)
    said = next(line for line in lines if "on every flow it serves" in line)
    start_value = float(said.rsplit(" ", 1)[1].replace(",", ""))
    assert start_value > 0 and plan.verification.passed
    assert plan.summary["objective_value"] == pytest.approx(start_value)
    assert plan.summary["hub_count"] >= 1
