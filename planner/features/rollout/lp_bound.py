"""A bound on a rollout's discounted served weight from one-year linear relaxations with every window.

Year ``t`` of a foresight rollout opens a set of sites whose capex, summed over the years until ``t``, is
within those years' budgets (hubs stay open, so what ``t`` holds was paid for by then), within the total
budget, and within the hub limit (set on the last year, which holds every earlier year's hubs). So each
year's plan is a plan of the one-year max coverage with that cumulative budget, and its served weight is
at most that model's linear relaxation with every window
(:class:`~planner.features.coverage.lp_bound.RowGeneration`). Summed with the years' discount and volume
factors, these bound every rollout plan; the link between the years (hubs stay open) and the AFIR and grid
rows are left out, which only loosens the bound. A myopic year is the one-year case: its earlier years'
hubs open at no cost, its own budget (:meth:`~planner.features.rollout.lazy.LazyRollout.years_bound`).

One relaxation serves its years: the budget row is changed between solves and every window a year added stays
(it holds in every year's relaxation). With ``workers`` (two on two cores) as many relaxations run side by
side in threads, each for every other budget from the largest. The years take one round each in turn, the
largest budget first in each pass (the last years weigh most), until each converged or the time is up: each
round's value bounds its year, converged or not, so every year gets a value early. The relaxation's value is
concave in its budget, so every solved round bounds every year, also those left unsolved when time runs out,
by its tangent (its value plus the budget row's dual times the difference in budget: :meth:`RowGeneration.tangent`).
``europe-rollout-2026-2035``, every flow started from its 20,000 largest, 150 s (2026-12-07, stop 63): each
year to convergence in turn, largest first, bounded it by 107.86 M (only the 320 M EUR relaxation solved,
6 rounds); a round each in turn by 104.26 M (104.06 M smallest budget first); since stop 64, from the first
windows and with empty groups fixed at 0 (:meth:`LazyRollout.years_bound
<planner.features.rollout.lazy.LazyRollout.years_bound>`), by 102.79 M (9 rounds). With the 20,000 largest flows
every year converges either way (30 s; 37 s in stop 63, 44 s before).
With two cores two relaxations run side by side in threads, each for every other budget from the largest
(HiGHS releases the GIL while it solves; each holds its own rows): every flow from the first windows, 150 s
(``benchmarks/rollout_lp_bound.py --workers``): 19 rounds instead of 9, 102.33 M instead of 102.79 M, 0.88 GB
instead of 0.64 GB.
``europe-rollout-2026-2035``, every flow (2026-12-07, 2 cores, a script, each budget from the first
windows): 10.20, 17.85, 26.84 and 34.58 M truck-km·day for 40, 100, 200 and 320 M EUR (the 100 and 320 M
relaxations in 119 s and 157 s by interior point).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from planner.features.coverage.lp_bound import RowGeneration
from planner.windows import CoverSet

__all__ = ["MAX_WORKERS", "YearsBound", "cumulative_budgets", "relaxation_workers", "years_bound"]

#: At most this many relaxations side by side (:func:`years_bound`): measured on 2 cores only.
MAX_WORKERS = 2


def relaxation_workers(threads: int | None) -> int:
    """The relaxations :func:`years_bound` solves side by side for ``solver.threads`` (None: the machine's
    cores), at most :data:`MAX_WORKERS`."""
    return max(1, min(threads or os.cpu_count() or 1, MAX_WORKERS))


@dataclass(frozen=True)
class YearsBound:
    """The bound (the discounted sum), each year's value and whether its relaxation converged (False for a
    year left unsolved), the solves' rounds, the relaxation's final rows and the seconds taken."""

    value: float
    per_year: tuple[float, ...]
    converged: tuple[bool, ...]
    rounds: int
    rows: int
    seconds: float

    def describe(self) -> str:
        """One line for the log and the solver message."""
        done = sum(self.converged)
        return (
            f"one-year linear relaxations with every window: {self.value:,.1f} ({done} of {len(self.converged)} "
            f"year(s) converged, {self.rounds} round(s), {self.rows:,} rows, {self.seconds:.0f} s)"
        )


def cumulative_budgets(per_year: Sequence[float | None], total: float | None, spent: float = 0.0) -> tuple[float, ...]:
    """Per year, what the hubs open in it may have cost: the years' budgets until then (``inf`` once one
    is None) and the total budget, less ``spent`` (hubs fixed open before the first year)."""
    out, running = [], 0.0
    for b in per_year:
        running = math.inf if b is None else running + b
        out.append(min(running, math.inf if total is None else total - spent))
    return tuple(out)


def years_bound(
    cover: CoverSet,
    site_cost: np.ndarray,
    locked: np.ndarray,
    weight: np.ndarray,
    flows: np.ndarray,
    windows: list[list[int]],
    *,
    budgets: Sequence[float],
    factors: Sequence[float],
    max_hubs: int | None,
    seconds: float,
    workers: int = 1,
    log: Callable[[str], None] = lambda _m: None,
) -> YearsBound:
    """Bound a rollout by each year's relaxation (see the module docstring).

    Parameters
    ----------
    cover, site_cost, locked, weight, flows, windows
        As :class:`~planner.features.coverage.lp_bound.RowGeneration` (``locked``: open in every year,
        at no cost to any budget).
    budgets
        Per year, the cumulative budget (:func:`cumulative_budgets`; ``inf``: none).
    factors
        Per year, the discount times the volume factor.
    max_hubs
        New hubs the last year may hold (None: no limit).
    seconds
        Time for every solve together.
    workers
        Relaxations solved side by side, each for every ``workers``-th budget from the largest, in threads
        (HiGHS releases the GIL while it solves): each holds its own rows, and every year is bounded by the
        least tangent of all.

    Returns
    -------
    YearsBound
    """
    t0 = time.perf_counter()
    ceiling = float(weight[flows].sum())
    budgeted = any(math.isfinite(b) for b in budgets)  # a budget row to change between years
    order = sorted(set(budgets), reverse=True)
    n = max(1, min(workers, len(order)))
    parts = [order[i::n] for i in range(n)]
    limits = {"budget_eur": math.inf if budgeted else None, "max_hubs": max_hubs}
    relaxations = [RowGeneration(cover, site_cost, locked, weight, flows, windows, **limits) for _ in parts]
    left = seconds - (time.perf_counter() - t0)

    def run(i: int) -> tuple[set[float], int]:
        return _round_robin(relaxations[i], parts[i], budgeted, left, log)

    if len(parts) == 1:
        outs = [run(0)]
    else:
        with ThreadPoolExecutor(len(parts)) as pool:
            outs = list(pool.map(run, range(len(parts))))
    converged = set().union(*(done for done, _ in outs))
    per_year = [min(min(r.tangent(b) for r in relaxations), ceiling) for b in budgets]
    value = float(sum(f * v for f, v in zip(factors, per_year, strict=True)))
    return YearsBound(
        value,
        tuple(per_year),
        tuple(b in converged for b in budgets),
        sum(n for _, n in outs),
        sum(int(r.lp.h.getNumRow()) for r in relaxations),
        time.perf_counter() - t0,
    )


def _round_robin(
    rows: RowGeneration, order: list[float], budgeted: bool, seconds: float, log: Callable[[str], None]
) -> tuple[set[float], int]:
    """One round of each budget's relaxation in turn (``order``), in passes until each converged or failed to
    solve, or ``seconds`` pass; a line per pass. Returns the budgets whose relaxation converged and the rounds
    solved."""
    t0 = time.perf_counter()
    converged: set[float] = set()
    failed: set[float] = set()
    rounds, passes = 0, 0
    while len(converged | failed) < len(order) and seconds - (time.perf_counter() - t0) >= 1.0:
        passes, said, start = passes + 1, [], time.perf_counter()
        for b in order:
            left = seconds - (time.perf_counter() - t0)
            if b in converged or b in failed or left < 1.0:
                continue
            if budgeted:
                rows.set_budget(b)
            out = rows.solve(left, max_rounds=1)
            rounds += out.rounds
            if out.converged:
                converged.add(b)
            elif out.rounds == 0:
                failed.add(b)
            value = "not solved" if out.value is None else f"{out.value:,.1f}{' (converged)' * out.converged}"
            said.append(f"{f'{b / 1e6:,.6g} M EUR' if math.isfinite(b) else 'no budget'} {value}")
        log(
            f"relaxation pass {passes}: {', '.join(said)}; {rows.lp.h.getNumRow():,} rows, "
            f"{time.perf_counter() - start:.0f} s"
        )
    return converged, rounds
