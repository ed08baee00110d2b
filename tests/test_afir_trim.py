"""Fewer hubs for a solved share plan (planner/features/afir/trim.py): hand examples and invariants."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pulp
import pytest

from planner.features.afir.model import AfirShare
from planner.features.afir.trim import finish_share_model, trim_share_plan
from planner.features.coverage.feature import core_spec, solve_core
from planner.features.coverage.model import build_model, open_sites
from planner.solve import SolveResult, solve_problem
from tests.conftest import base_scenario, line_network, prepared, write_scenario
from tests.test_afir_milestones import POOL, random_share

# Cover windows of the flows: (0, 1), (1, 2), (3, 4). Segments A (100 dkm, needs site 3) and
# B (100 dkm, needs site 0).
WINDOWS = [(0, 1), (1, 2), (3, 4)]


def _share(share: float) -> AfirShare:
    return AfirShare(2025, share, (100.0, 100.0), ("network",) * 2, (((3,),), ((0,),)), (True, True),
                     {"network": 200.0})  # fmt: skip


def _mask(sites: set[int], n: int = 5) -> np.ndarray:
    return np.isin(np.arange(n), sorted(sites))


def test_closes_the_redundant_site_then_exchanges_two_for_one():
    # From {0, 2, 3, 4}: 4 is redundant (3 holds (3, 4)); then 2 -> 1 makes 0 redundant: {1, 3}, which
    # certifies A = 100 dkm = 50 %.
    out = trim_share_plan(_share(0.5), WINDOWS, _mask({0, 2, 3, 4}), np.ones(5), np.zeros(5, dtype=bool))
    assert set(np.flatnonzero(out.is_open).tolist()) == {1, 3}
    assert (out.closed, out.exchanges) == (2, 1)


def test_the_share_keeps_the_sites_it_needs():
    # Both segments needed (100 %): 0 and 3 stay, so the exchange 2 -> 1 closes nothing and is undone.
    out = trim_share_plan(_share(1.0), WINDOWS, _mask({0, 2, 3, 4}), np.ones(5), np.zeros(5, dtype=bool))
    assert set(np.flatnonzero(out.is_open).tolist()) == {0, 2, 3}
    assert (out.closed, out.exchanges) == (1, 0)


def test_exchanges_open_only_sites_they_may():
    # Site 1 may not open (no variable in the model): the exchange 2 -> 1 is not tried.
    can_open = ~_mask({1})
    out = trim_share_plan(_share(0.5), WINDOWS, _mask({0, 2, 3, 4}), np.ones(5), np.zeros(5, dtype=bool),
                          can_open=can_open)  # fmt: skip
    assert set(np.flatnonzero(out.is_open).tolist()) == {0, 2, 3}
    assert (out.closed, out.exchanges) == (1, 0)


def test_locked_sites_stay_open():
    # Site 4 existing: 3 closes first (4 holds (3, 4), segment B certifies 50 % through 0), and then 0
    # must stay for B, so the exchange 2 -> 1 closes nothing.
    locked = _mask({4})
    out = trim_share_plan(_share(0.5), WINDOWS, _mask({0, 2, 3, 4}), np.ones(5), locked)
    assert set(np.flatnonzero(out.is_open).tolist()) == {0, 2, 4}


def test_dearer_sites_close_first():
    # 3 and 4 both hold (3, 4) and no segment needs either (share 0): the dearer one closes.
    share = _share(0.0)
    cost = np.array([1.0, 1.0, 1.0, 5.0, 2.0])
    out = trim_share_plan(share, WINDOWS, _mask({1, 3, 4}), cost, np.zeros(5, dtype=bool))
    assert set(np.flatnonzero(out.is_open).tolist()) == {1, 4}


@pytest.mark.parametrize("seed", range(12))
def test_random_plans_stay_feasible_and_get_no_dearer(seed: int):
    rng = np.random.default_rng(seed)
    n_sites, n_win, n_seg = 14, 10, 12
    windows = [tuple(sorted(rng.choice(n_sites, size=int(rng.integers(1, 4)), replace=False).tolist()))
               for _ in range(n_win)]  # fmt: skip
    share = random_share(rng, n_sites, n_seg, 0.3, max_windows=2)
    seg_windows, lengths, groups, totals = share.windows, share.length_km, share.group, share.total_km
    cost = rng.integers(1, 5, size=n_sites).astype(float)
    locked = rng.random(n_sites) < 0.1
    start = np.ones(n_sites, dtype=bool)  # every site open: feasible

    def feasible(op: np.ndarray) -> bool:
        done = dict.fromkeys(totals, 0.0)
        for e, ws in enumerate(seg_windows):
            if all(op[list(w)].any() for w in ws):
                done[groups[e]] += lengths[e]
        return all(op[list(w)].any() for w in windows) and all(done[g] >= 0.3 * totals[g] - 1e-9 for g in totals)

    out = trim_share_plan(share, windows, start, cost, locked)
    assert feasible(out.is_open)
    assert out.is_open[locked].all()
    assert cost[out.is_open].sum() <= cost[start].sum()
    assert out.closed == int(start.sum() - out.is_open.sum())
    for k in np.flatnonzero(out.is_open & ~locked):  # no open site can be closed alone
        trial = out.is_open.copy()
        trial[k] = False
        assert not feasible(trial)


def _share_context(tmp_path):
    """A 2027 share milestone on a 400 km line, prepared up to the model (every feature's part)."""
    line_network(tmp_path, 5)
    data = base_scenario(
        tmp_path, flows=["D,N0,N4,5"], objective={"type": "min_cost", "max_hubs": None}, chargers=POOL,
        candidates={"spacing_km": 50.0}, afir={"mode": "enforce", "year": 2027, "tiers": ["core"]},
    )  # fmt: skip
    ctx = prepared(write_scenario(tmp_path / "s.toml", data))
    return ctx.scenario, ctx


def test_finish_writes_the_cheaper_plan_into_the_model(tmp_path):
    """The hook after a single-year share solve: from every site open, a plan of fewer hubs, written into
    the model's variables (open sites, certified segments) and the result's objective and gap."""
    sc, ctx = _share_context(tmp_path)
    assert ctx.parts["afir"].finish is finish_share_model
    model = build_model(ctx.instance, core_spec(ctx))
    req = ctx.parts["afir"].data
    for x in model.variables.open.values():
        x.varValue = 1.0
    for y in model.variables.served.values():
        y.varValue = 1.0
    everything = float(pulp.value(model.capex()))
    cost = float(ctx.instance.site_cost.max())
    given = SolveResult("feasible", "highs", everything, 2 * cost, None, 1.0, True, "Time limit reached")
    out = finish_share_model(model, req, given, sc.solver)
    is_open = open_sites(model)
    assert out.objective == pytest.approx(float(pulp.value(model.capex())))
    assert out.objective < everything
    assert out.mip_gap == pytest.approx((out.objective - 2 * cost) / out.objective)
    assert "fewer by closing" in out.message and out.time_limit_hit
    assert ctx.instance.cover.served(is_open)[ctx.instance.cover.servable].all()
    share = req.share
    done = sum(
        share.length_km[e] for e in range(len(share.windows))
        if share.coverable[e] and all(is_open[list(w)].any() for w in share.windows[e])
    )  # fmt: skip
    assert done >= share.share * sum(share.total_km.values()) - 1e-6
    for e, c in model.parts["afir"].items():  # certified segments as the plan certifies them
        assert c.varValue == float(all(is_open[list(w)].any() for w in share.windows[e]))
    # A bound proven on the side (the model without AFIR relaxes this one) counts if it is tighter.
    model.side_bounds.append(out.objective)
    again = finish_share_model(model, req, out, sc.solver)
    assert again.best_bound == out.objective and again.mip_gap == 0.0 and again.status == "optimal"
    assert "from the model without AFIR" in again.message
    model.side_bounds[:] = [cost]  # a weaker one does not
    assert finish_share_model(model, req, out, sc.solver) == out


def test_the_single_year_solve_calls_the_finish_hook(tmp_path):
    """solve_core hands each part's finish its data, the solver settings and the result, and reports
    what the hook returns."""
    sc, ctx = _share_context(tmp_path)
    seen = []

    def finish(model, data, result, solver):
        seen.append((data, solver))
        return replace(result, message=result.message + "; finished")

    ctx.parts["afir"] = replace(ctx.parts["afir"], finish=finish)
    ctx.data["spec"] = core_spec(ctx)
    solution = solve_core(ctx)
    assert solution.result.message.endswith("; finished")
    assert seen == [(ctx.parts["afir"].data, sc.solver)]


def test_the_start_keeps_the_bound_of_the_plan_without_afir(tmp_path):
    """start_share_model solves the model without AFIR for its start: that bound (a relaxation's) goes to
    side_bounds, and it is no higher than the share model's optimum."""
    from planner.features.afir.start import start_share_model

    sc, ctx = _share_context(tmp_path)
    model = build_model(ctx.instance, core_spec(ctx))
    start_share_model(model, ctx.parts["afir"].data, sc.solver)
    assert len(model.side_bounds) == 1
    result = solve_problem(model.problem, sc.solver)  # every cover row, as the product solves it
    assert result.status == "optimal"
    assert 0 < model.side_bounds[0] <= result.objective + 1e-6


def test_the_start_takes_the_exact_share_sites_when_cheaper(tmp_path, monkeypatch):
    """start_share_model adds to the plan without AFIR the sites :func:`share_extras` solves for, when they
    cost less than the greedy's; without an exact answer the greedy's plan is the start."""
    import planner.features.afir.start as start
    from planner.features.afir.shares import Shares

    sc, ctx = _share_context(tmp_path)
    req = ctx.parts["afir"].data
    every = np.zeros(len(ctx.instance.site_ids), dtype=bool)
    every[sorted(req.share.sites())] = True

    def wasteful(share, is_open, cost):  # a feasible but dear greedy: every share site open
        out = is_open | every
        return out, Shares(share, set(np.flatnonzero(out).tolist())).certified.copy()

    def start_mask(model):
        return {k for k, x in model.variables.open.items() if (x.varValue or 0.0) > 0.5}

    monkeypatch.setattr(start, "share_start", wasteful)
    model = build_model(ctx.instance, core_spec(ctx))
    start.start_share_model(model, req, sc.solver)
    opened = start_mask(model)
    assert not Shares(req.share, set(opened)).short()
    assert len(opened) < int(every.sum())  # the exact sites, not every share site
    monkeypatch.setattr(start, "share_extras", lambda *args: None)
    model = build_model(ctx.instance, core_spec(ctx))
    start.start_share_model(model, req, sc.solver)
    assert start_mask(model) >= set(np.flatnonzero(every).tolist()) & set(model.variables.open)
