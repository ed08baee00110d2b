"""The backward start of a foresight rollout: its last year planned first, each earlier year within the next.

Every year of the plan it gives meets its budget and requirement, so the foresight model
(:func:`planner.features.rollout.solve.solve_rollout`) starts from it and can only improve on it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pulp

from planner.features.rollout.keep import keep_earlier_hubs
from planner.features.rollout.model import RolloutModel, RolloutSpec
from planner.features.rollout.year_start import backward_year_start
from planner.instance import PlanningInstance

if TYPE_CHECKING:
    from planner.features.rollout.solve import _Rollout

__all__ = ["START_SHARE", "START_SOFT_SHARE", "backward_start"]

#: Share of ``solver.time_limit_s`` for each year of the *start* of a foresight rollout (backward or
#: myopic years, :func:`~planner.features.rollout.solve.solve_rollout`): a year's search stops once it holds a plan and
#: :data:`START_SOFT_SHARE` of the limit has passed,
#: and runs on to :data:`START_SHARE` only while it has none. On europe-rollout-afir (2026-12-03)
#: the first year's only plan in 30 s came at 12.2–12.7 s of HiGHS time and its full 120 s (plus
#: 30 s for the second goal) proved nothing more: the bound stayed at 50.8 %. Stopping at 18 s
#: instead of 30 s gave the same files and ran 2 min 43 s instead of 3 min 02 s.
START_SHARE = 0.25
START_SOFT_SHARE = 0.15


def backward_start(ro: _Rollout) -> list[np.ndarray] | None:
    """Nested open sets planned from the last year back, or None if a year has no plan.

    Year ``t`` maximises its own objective within the sites open in ``t+1``, with the budget of
    years ``≤ t`` together, and spends at least ``capex(S_{t+1}) − budget_{t+1}`` so that what is
    left for ``t+1`` fits its budget. The result meets every year's budget and requirement,
    which makes it a MIP start for the foresight model.
    """
    instance, budgets = ro.instance, ro.budgets
    solver = ro.scenario.solver
    soft = solver.time_limit_s * START_SOFT_SHARE
    solver = solver.model_copy(update={"time_limit_s": solver.time_limit_s * START_SHARE})
    sets: list[np.ndarray] = [np.zeros(0, dtype=bool)] * len(ro.years)
    later: np.ndarray | None = None
    for i in reversed(range(len(ro.years))):
        base = ro.spec_for([i], frozenset())
        cum = None if any(b is None for b in budgets[: i + 1]) else float(sum(budgets[: i + 1]))
        floor = None
        if later is not None and budgets[i + 1] is not None:
            floor = float(instance.site_cost[later].sum()) - budgets[i + 1]
        adjust = None if later is None else partial(_within_later, instance, later, floor)
        # lazily refined, the last year (the whole network at once) runs to its hard limit: the years
        # within it then take seconds (europe-rollout-2026-2035, 20,000 flows: 2-3 s each)
        own_soft = None if ro.lazy is not None and later is None else soft
        spec = replace(base, budget_eur=(cum,))
        start, took = _year_start(ro, i, spec, later, floor)
        own = solver  # a start's time counts in the year's hard limit; the soft one is the search's
        if start is not None:
            own = solver.model_copy(update={"time_limit_s": max(solver.time_limit_s - took, 1.0)})
        model, result = ro.solve_model(spec, own, soft=own_soft, adjust=adjust, start=start)
        ro.log(f"rollout {ro.years[i]} (backward start): {result.describe()}")
        if not result.holds_a_plan:
            return None
        sets[i] = ro.opened(model, 0)
        later = sets[i]
    return _keep_earlier(ro, sets)


def _keep_earlier(ro: _Rollout, sets: list[np.ndarray]) -> list[np.ndarray]:
    """The backward plan with later years holding an earlier year's hubs where they serve no more
    (:mod:`planner.features.rollout.keep`), logged."""
    inst = ro.instance
    shares = list(ro.shares) if ro.shares else [None] * len(sets)
    out, kept = keep_earlier_hubs(inst.cover, sets, inst.site_cost, inst.site_locked, ro.budgets, ro.required, shares)
    if kept:
        new = ~inst.site_locked
        before, after = (float(inst.site_cost[p[-1] & new].sum()) for p in (sets, out))
        years = ", ".join(str(ro.years[t]) for t in kept)
        ro.log(
            f"rollout: in the backward plan {years} hold the hubs of the year before and only those of their own "
            f"that serve every flow theirs serve and meet their requirements: {int((sets[-1] & new).sum())} → "
            f"{int((out[-1] & new).sum())} hubs by {ro.years[-1]}, capex {before:,.0f} → {after:,.0f} EUR"
        )
    return out


def _year_start(
    ro: _Rollout, i: int, spec: RolloutSpec, later: np.ndarray | None, floor: float | None
) -> tuple[np.ndarray | None, float]:
    """For a backward year with an AFIR share milestone, a greedy plan to start it from
    (:mod:`planner.features.rollout.year_start`: HiGHS finds a first plan for such a year late),
    logged, and the seconds it took; None for other years and when the greedy plan misses a limit."""
    instance = ro.instance
    if later is None or not any(share is not None for share in spec.required_shares):
        return None, 0.0
    t0 = time.perf_counter()
    gap = float(ro.scenario.solver.mip_gap)
    start = backward_year_start(
        instance.cover, ro.weight, instance.site_cost, instance.site_locked, spec, later, floor, gap
    )
    took = time.perf_counter() - t0
    if start is not None:
        new = start & ~instance.site_locked
        spent = float(instance.site_cost[new].sum())
        ro.log(
            f"rollout {ro.years[i]} (backward start): from a greedy plan of {int(new.sum())} hubs, {spent:,.0f} EUR "
            f"({took:.1f} s)"
        )
    return start, took


def _within_later(instance: PlanningInstance, later: np.ndarray, floor: float | None, model: RolloutModel) -> None:
    """A backward start year: only the sites open the year after (``later``) may open, spending at least
    ``floor`` so that what is left for the year after fits its budget."""
    for k in model.sites:
        if not later[k]:
            model.open[k, 0].upBound = 0
    if floor is not None and floor > 0:
        cost = {k: 0.0 if instance.site_locked[k] else float(instance.site_cost[k]) for k in model.sites}
        model.problem += (pulp.lpSum(c * model.open[k, 0] for k, c in cost.items()) >= floor, "leave_budget")
