"""The trade-off feature: served share with the best 1…N new hubs (the curve in the report).

One greedy pass drops the plan's hubs one at a time and gives a plan for every smaller hub count;
the points shown are where that curve bends (:mod:`.curve`). Each point gets an upper bound from a
relaxation solved once per point by changing the hub limit; where plan and bound are further apart
than ``solver.mip_gap``, exact max-coverage solves (warm-started from the greedy plan) improve both,
within half the main solve's time. The bounds and exact solves share a budget,
``output.tradeoff_time_share`` of ``solver.time_limit_s``; a point without a bound of its own keeps
the next larger point's (fewer hubs never serve more), or the servable share.

Every point's hub set is re-simulated by the verifier's simulation: the share reported is the
simulated one, and the flows the windows claim are checked against it (``tradeoff_simulated``).
"""

from __future__ import annotations

import math
import time

import numpy as np

from planner.context import RunContext
from planner.features.base import Feature
from planner.features.coverage.model import open_sites
from planner.features.tradeoff.curve import (
    DISJOINT_TRIES,
    TRY_ALL_UP_TO,
    CoverageModel,
    choose_counts,
    flow_windows,
    greedy_drop,
)
from planner.features.tradeoff.pairs import open_windows, pair_count, smallest_windows
from planner.plan import Plan
from planner.scenario import Scenario
from planner.verify import check_hub_sets, served_by_simulation_sets

__all__ = ["EXACT_MAX_PAIRS", "TradeoffFeature"]

#: Largest (flow, window) incidence given to exact solves: at 240,000 pairs (20,000 European flows)
#: the root LP alone took 20–85 s (benchmarks/scale.py), far beyond the curve's share of a run.
EXACT_MAX_PAIRS = 100_000
#: exact solves need at least this long a window: HiGHS overshoots short limits on European models
#: (europe-2030-high-ambition, 22,674 pairs: a 0.98 s limit took 3.1 s), gaining nothing
EXACT_MIN_WINDOW_S = 2.0
#: models up to this many pairs start exact solves in milliseconds: they use their window however short
#: (the example corridors; never a European model)
EXACT_SMALL_PAIRS = 2_000


class TradeoffFeature(Feature):
    """``output.tradeoff_points`` > 0 (single-year plans): the served-share-vs-hubs curve."""

    name = "tradeoff"

    def enabled(self, scenario: Scenario) -> bool:
        return scenario.output.tradeoff_points > 0 and not scenario.rollout.years

    def outputs(self, plan: Plan, ctx: RunContext) -> None:
        t0 = time.perf_counter()
        sc, instance = ctx.scenario, ctx.instance
        cover, locked = instance.cover, instance.site_locked
        budget = sc.output.tradeoff_time_share * sc.solver.time_limit_s
        is_open = open_sites(ctx.solution.model)
        pairs = pair_count(cover)
        fw, sets = open_windows(cover, instance.volume, is_open)  # the greedy only looks at open sites
        greedy = greedy_drop(sets, fw, is_open, locked, instance.site_cost)
        top = len(greedy.dropped)
        value = greedy.served_weight[::-1].copy()  # value[p]: weight served with p new hubs
        counts = choose_counts(value, sc.output.tradeoff_points)
        opened = {p: greedy.open_after(is_open, top - p) for p in counts}
        bound = {p: math.inf for p in counts}
        relaxed = None
        if counts:
            tries = DISJOINT_TRIES if len(fw.flows) > TRY_ALL_UP_TO else None
            relaxed = CoverageModel(cover, smallest_windows(cover, instance.volume, tries), locked)
        solved = 0
        for p in sorted(counts, reverse=True):
            left = budget - (time.perf_counter() - t0)
            b = relaxed.solve(p, left)[0] if left > 0 else None
            if b is not None:
                solved += 1
                bound[p] = b
        exact = self._refine(ctx, pairs, counts, opened, value, bound, t0 + budget)
        _carry_forward(ctx, counts, opened, value)
        self._report(plan, ctx, counts, opened, value, bound, seconds=time.perf_counter() - t0)
        plan.summary["tradeoff_curve"] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "budget_s": round(budget, 3),
            "relaxation": relaxed.size if relaxed is not None else None,
            "bounds_solved": solved,
            "exact_solves": exact,
        }

    @staticmethod
    def _refine(
        ctx: RunContext,
        pairs: int,
        counts: list[int],
        opened: dict[int, np.ndarray],
        value: np.ndarray,
        bound: dict[int, float],
        deadline: float,
    ) -> int:
        """Exact max-coverage solves for the points whose gap exceeds the tolerance, widest gap
        first, started from their greedy plan, within half the main solve's time (and the curve's
        budget); only for models up to :data:`EXACT_MAX_PAIRS` and windows of at least
        :data:`EXACT_MIN_WINDOW_S` (any window for models up to :data:`EXACT_SMALL_PAIRS` pairs).
        Returns the number of solves."""
        instance, tol = ctx.instance, float(ctx.scenario.solver.mip_gap)
        cover, locked = instance.cover, instance.site_locked
        need = cover.servable & ~cover.free
        small = pairs <= EXACT_SMALL_PAIRS
        deadline = min(deadline, time.perf_counter() + 0.5 * ctx.solution.result.seconds)

        def gap(p: int) -> float:
            return (bound[p] - value[p]) / bound[p] if math.isfinite(bound[p]) and bound[p] > 0 else math.inf

        todo = sorted((p for p in counts if gap(p) > tol), key=lambda p: (-gap(p), p))
        too_short = deadline - time.perf_counter() < (0.0 if small else EXACT_MIN_WINDOW_S)
        if not todo or pairs > EXACT_MAX_PAIRS or too_short:
            return 0
        model = CoverageModel(cover, flow_windows(cover, instance.volume), locked, exact=True)
        done = 0
        for p in todo:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            b, _, sites = model.solve(p, left, mip_gap=tol, start=(cover, opened[p]))
            done += 1
            if sites is not None:
                trial = sites | locked
                got = float(instance.volume[cover.served(trial) & need].sum())
                if got > value[p] + 1e-9:
                    opened[p], value[p] = trial, got
            if b is not None:
                bound[p] = min(bound[p], b)
        return done

    @staticmethod
    def _report(
        plan: Plan,
        ctx: RunContext,
        counts: list[int],
        opened: dict[int, np.ndarray],
        value: np.ndarray,
        bound: dict[int, float],
        *,
        seconds: float,
    ) -> None:
        """Each point re-simulated; its bound: the least of its own and those of larger counts."""
        sc, instance = ctx.scenario, ctx.instance
        cover, locked = instance.cover, instance.site_locked
        total = float(instance.volume.sum())
        free = float(instance.volume[cover.free].sum())
        servable = float(instance.volume[cover.servable].sum())
        points, claimed = [], []
        open_sets = [{instance.site_ids[k] for k in np.flatnonzero(opened[p])} for p in counts]
        model = [cover.served(opened[p]) for p in counts]
        simulated = served_by_simulation_sets(
            ctx.network,
            ctx.sites,
            ctx.flows,
            open_sets,
            sc.vehicle,
            sc.breaks,
            refuel_at_origin=ctx.refuel_at_origin,
        )
        for p, served, claims in zip(counts, simulated, model, strict=True):
            claimed.append((f"{p} new hubs", claims, served))
            upper = min([servable - free] + [b for q, b in bound.items() if q >= p])
            model_share = (float(value[p]) + free) / total if total else 0.0
            bound_share = max((upper + free) / total if total else 0.0, model_share)
            gap = (bound_share - model_share) / bound_share if bound_share > 0 else 0.0
            points.append(
                {
                    "hubs": p + int(locked.sum()),
                    "new_hubs": p,
                    "covered_share": float(instance.volume[served].sum()) / total if total else 0.0,
                    "model_share": model_share,
                    "bound_share": bound_share,
                    "capex_eur": float(instance.site_cost[opened[p] & ~locked].sum()),
                    "status": "optimal" if gap <= float(sc.solver.mip_gap) + 1e-12 else "feasible",
                    "mip_gap": gap,
                }
            )
        if points:
            ctx.log(f"trade-off curve: {len(points)} points in {seconds:.1f} s")
        plan.summary["tradeoff"] = points
        ctx.side_checks.append(check_hub_sets("tradeoff_simulated", "trade-off point(s)", claimed))


def _carry_forward(ctx: RunContext, counts: list[int], opened: dict[int, np.ndarray], value: np.ndarray) -> None:
    """Keep the curve rising: where an exact solve found a plan with fewer hubs serving more than
    a larger point's plan, that point takes the smaller plan plus hubs of its own plan."""
    instance = ctx.instance
    cover, locked = instance.cover, instance.site_locked
    need = cover.servable & ~cover.free
    for a, b in zip(counts[:-1], counts[1:], strict=True):
        if value[a] <= value[b] + 1e-9:
            continue
        extra = np.flatnonzero(opened[b] & ~opened[a] & ~locked)[: b - a]
        trial = opened[a].copy()
        trial[extra] = True
        opened[b], value[b] = trial, float(instance.volume[cover.served(trial) & need].sum())
