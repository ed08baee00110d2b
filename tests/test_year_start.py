"""The greedy plan a rollout's backward share year starts from (:mod:`planner.features.rollout.year_start`).

On random networks (every O-D flow, the windows of :mod:`planner.windows`) and random AFIR share
milestones, the plan must meet every limit of the year's model: only the sites allowed (open the year
after), the share, the spacing windows, the budget, the least spend and the hub limit; and serve at
least what its requirements alone serve. When a limit cannot be met it gives None, and the solver
starts without a plan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_scenario
from planner.features.afir.shares import Shares
from planner.features.rollout import year_start as ys
from planner.features.rollout.model import RolloutSpec
from planner.scenario import load_scenario
from tests.conftest import base_scenario, line_network, write_scenario
from tests.test_afir_milestones import POOL, random_share
from tests.test_windows import _random_cover


def _spec(
    share, budget, *, max_hubs=None, required=(), objective="max_coverage", target=None, total=None
) -> RolloutSpec:
    return RolloutSpec(
        years=(2026,),
        volume_factor=(1.0,),
        discount=(1.0,),
        budget_eur=(budget,),
        coverage_target=(target,),
        objective=objective,
        weight=np.ones(1),
        max_hubs=max_hubs,
        required_windows=(required,),
        required_shares=(share,),
        budget_total_eur=total,
    )


def _case(seed: int):
    *_, locked, cover, rng = _random_cover(seed)
    n = len(locked)
    weight = rng.uniform(0.5, 3.0, len(cover.servable))
    cost = rng.choice([1.0, 2.0, 3.0], size=n)
    allowed = rng.random(n) < 0.7
    share = random_share(rng, n, 10, 0.3)
    return locked, cover, rng, weight, cost, allowed, share


def _served(cover, weight, is_open) -> float:
    return float(weight[cover.served(is_open) & cover.servable & ~cover.free].sum())


@pytest.mark.parametrize("seed", range(10))
def test_the_greedy_year_meets_every_limit_within_the_allowed_sites(seed: int) -> None:
    locked, cover, rng, weight, cost, allowed, share = _case(seed)
    price = np.where(locked, 0.0, cost)
    required = tuple(tuple(sorted(rng.choice(len(locked), 2, replace=False).tolist())) for _ in range(2))
    needs = ys._requirements(_spec(share, None, required=required), allowed | locked, locked, price)
    if needs is None:  # the allowed sites cannot certify the share or meet a window: no start
        spec = _spec(share, 1e9, required=required)
        assert ys.backward_year_start(cover, weight, cost, locked, spec, allowed, None) is None
        return
    base = float(price[needs].sum())
    budget = base + 2 * float(rng.integers(1, 5))
    floor = base + 1.0
    hubs = int((needs & ~locked).sum()) + 2
    spec = _spec(share, budget, max_hubs=hubs, required=required)
    out = ys.backward_year_start(cover, weight, cost, locked, spec, allowed, floor)
    if out is None:  # only when the fill cannot reach the least spend within the budget and hub limit
        assert int((allowed & ~needs).sum()) < 1 or float(price[allowed & ~needs].max()) + base < floor
        return
    assert not (out & ~(allowed | locked)).any() and out[locked].all()
    assert not Shares(share, set(np.flatnonzero(out).tolist())).short()
    assert all(out[list(w)].any() for w in required)
    assert floor - 1e-9 <= float(price[out].sum()) <= budget + 1e-9
    assert int((out & ~locked).sum()) <= hubs
    assert _served(cover, weight, out) >= _served(cover, weight, needs) - 1e-9


def test_some_random_years_get_a_plan() -> None:
    # the property test above is not vacuous: most of its cases build a plan
    got = 0
    for seed in range(10):
        locked, cover, _, weight, cost, allowed, share = _case(seed)
        spec = _spec(share, float(cost.sum()), max_hubs=None)
        got += ys.backward_year_start(cover, weight, cost, locked, spec, allowed, None) is not None
    assert got >= 5


def test_without_budget_or_hub_limit_every_allowed_site_opens() -> None:
    locked, cover, _, weight, cost, allowed, share = _case(3)
    out = ys.backward_year_start(cover, weight, cost, locked, _spec(share, None), allowed, None)
    if out is None:
        pytest.skip("the share cannot be met on this case")
    assert out.tolist() == (allowed | locked).tolist()


def test_no_start_where_a_greedy_plan_promises_nothing() -> None:
    locked, cover, _, weight, cost, allowed, share = _case(1)
    everything = np.ones(len(locked), dtype=bool)
    assert ys.backward_year_start(cover, weight, cost, locked, _spec(share, 1e9), everything, None) is not None
    # a coverage target, or minimum cost (every flow must be served): no start
    assert ys.backward_year_start(cover, weight, cost, locked, _spec(share, 1e9, target=0.5), everything, None) is None
    spec = _spec(share, 1e9, objective="min_cost")
    assert ys.backward_year_start(cover, weight, cost, locked, spec, everything, None) is None
    # the share out of reach of the allowed sites (only the locked ones), or the budget below the share's cost
    assert ys.backward_year_start(cover, weight, cost, locked, _spec(share, 1e9), locked.copy(), None) is None
    assert ys.backward_year_start(cover, weight, cost, locked, _spec(share, 0.0), everything, None) is None
    # the least spend above the budget
    assert ys.backward_year_start(cover, weight, cost, locked, _spec(share, 1e3), everything, 2e3) is None


def test_the_fill_opens_the_site_whose_windows_carry_the_most_weight_per_euro() -> None:
    # No share and no windows to meet: one hub's budget goes to the site scoring most (its windows'
    # weight over its cost), checked against the scores computed here from the window weights.
    locked, cover, _, weight, cost, allowed, _ = _case(2)
    cost = np.ones(len(locked))
    need = cover.servable & ~cover.free
    w = np.where(need & cover.served(allowed | locked), weight, 0.0)
    windows = cover.window_weights(w)
    covered = cover.covered(locked)
    score = np.zeros(len(locked))
    for win in range(cover.n_windows):
        if not covered[win]:
            for k in cover.window(win):
                score[k] += windows[win] if allowed[k] and not locked[k] else 0.0
    best = int(np.argmax(np.where(allowed & ~locked, score, -1.0)))
    assert score[best] > 0
    out = ys._fill(cover, w, np.where(locked, 0.0, cost), locked.copy(), allowed | locked, (1.0, None, 0.0), locked)
    assert np.flatnonzero(out & ~locked).tolist() == [best]


def _afir_rollout(folder: Path, rows: str = "lazy") -> Path:
    # A 5-node core line, hubs for AFIR (15 % by 2025, 50 % by 2027) and for flows of 200–400 km, rows
    # refined lazily or all at once: the 2026 backward year carries the 2025 share milestone.
    line_network(folder, 5)
    data = base_scenario(
        folder,
        flows=["A,N0,N4,8", "B,N0,N3,5", "C,N1,N4,3", "D,N1,N3,2"],
        candidates={"spacing_km": 50.0},
        chargers=POOL,
        objective={"type": "max_coverage", "metric": "truck_km", "max_hubs": 50},
        afir={"mode": "enforce", "year": 2030, "tiers": ["core"]},
        rollout={"years": [2026, 2028, 2030], "budget_per_year_eur": [3000.0, 3000.0, 6000.0]},
        costs={"site_fixed_eur": 1000.0, "discount_rate": 0.05},
        solver={"coverage_rows": rows, "mip_gap": 0.0, "time_limit_s": 60.0},
        output={"maps": False, "tradeoff_points": 0},
    )
    return write_scenario(folder / "afir-rollout.toml", data)


@pytest.mark.parametrize("rows", ["lazy", "all"])
def test_a_share_year_starts_from_the_greedy_plan_and_reaches_the_same_optimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: str
) -> None:
    import planner.features.rollout.backward as rb
    import planner.features.rollout.solve as rs

    limits: list[tuple[bool, float, float | None]] = []
    real = rs._Rollout.solve_model

    def spy(self, spec, solver, **kw):
        limits.append((kw.get("start") is not None, solver.time_limit_s, kw.get("soft")))
        return real(self, spec, solver, **kw)

    monkeypatch.setattr(rs._Rollout, "solve_model", spy)
    messages: list[str] = []
    with_start = solve_scenario(load_scenario(_afir_rollout(tmp_path, rows)), log=messages.append)
    assert any("(backward start): from a greedy plan of" in m for m in messages)
    # the start's time counts in its year's hard limit (a quarter of the limit), not in its soft one
    quarter, soft = 0.25 * 60.0, 0.15 * 60.0
    assert any(started for started, _, _ in limits)
    assert all(hard < quarter and s == soft for started, hard, s in limits if started)
    assert all(hard == quarter for started, hard, _ in limits if not started)
    monkeypatch.setattr(rb, "backward_year_start", lambda *a, **k: None)
    without: list[str] = []
    plain = solve_scenario(load_scenario(_afir_rollout(tmp_path, rows)), log=without.append)
    assert not any("greedy plan" in m for m in without)
    key = "discounted_covered_truck_km"
    assert with_start.summary["rollout"][key] == pytest.approx(plain.summary["rollout"][key], rel=1e-9)
    assert with_start.summary["status"] == plain.summary["status"] == "optimal"
    assert with_start.verification.passed and plain.verification.passed


def test_the_rollout_s_total_budget_caps_the_fill_too() -> None:
    locked, cover, _, weight, cost, allowed, share = _case(1)
    everything = np.ones(len(locked), dtype=bool)
    price = np.where(locked, 0.0, cost)
    needs = ys._requirements(_spec(share, None), everything, locked, price)
    assert needs is not None
    total = float(price[needs].sum()) + 2.0
    roomy = ys.backward_year_start(cover, weight, cost, locked, _spec(share, 1e9), everything, None)
    assert roomy is not None and float(price[roomy].sum()) > total  # the year's own budget alone lets it spend more
    out = ys.backward_year_start(cover, weight, cost, locked, _spec(share, 1e9, total=total), everything, None)
    assert out is not None and float(price[needs].sum()) < float(price[out].sum()) <= total
