"""Max coverage within a budget at full demand, by lazily refined windows: bound and plan per round.

A measurement for issue 17, not a product path. Each flow that needs a hub starts with a few of its
windows (pairwise disjoint, smallest first, as the trade-off curve's bound does) and flows with the
same kept windows are merged. Keeping only some windows relaxes the model, so the MIP's dual bound
holds for every plan. Each round's plan is checked against every window of every flow
(:meth:`planner.windows.CoverSet.served`), which gives its true served weight. A flow the round
counted as served while the plan misses one of its windows gets those missed windows added. The
loop ends when the best true plan is within ``--gap`` of the bound (both counted on the weight of the
flows that need a hub, as the shipped model's gap is), or at ``--time``.

Usage::

    python benchmarks/coverage_lazy.py                      # europe-2030-low-budget, every flow
    python benchmarks/coverage_lazy.py --max-flows 4000     # the shipped cut (its optimum: 97.6 %)
    python benchmarks/coverage_lazy.py --schedule           # early rounds solved loosely
    python benchmarks/coverage_lazy.py --schedule --harvest # and refined with earlier plans (README's best)
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from pathlib import Path

import highspy
import numpy as np
from _common import Csr, max_lp, scenario_instance  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

from planner.features.tradeoff.pairs import disjoint_windows, smallest_windows

ROOT = Path(__file__).resolve().parents[1]


def initial_windows(instance, tries: int) -> tuple[np.ndarray, list[list[int]]]:
    """The flows needing a hub (in :func:`smallest_windows` order) and each one's kept windows."""
    cover = instance.cover
    fw = smallest_windows(cover, instance.volume.astype(float), tries)
    start = np.searchsorted(fw.pair_flow, np.arange(len(fw.flows) + 1))
    masks: dict[int, int] = {}
    pw = fw.pair_window.tolist()
    out = [
        disjoint_windows(pw[start[f] : start[f + 1]], cover.window_ptr, cover.window_sites, masks)
        for f in range(len(fw.flows))
    ]
    return fw.flows, out


def build(instance, kept: list[list[int]], weight: np.ndarray, budget: float):
    """The relaxed MIP: x binary (sites), z (kept windows), y (groups of flows with the same kept windows)."""
    groups: dict[tuple[int, ...], float] = {}
    for ws, wt in zip(kept, weight.tolist(), strict=True):
        key = tuple(sorted(set(ws)))
        groups[key] = groups.get(key, 0.0) + wt
    keys = sorted(groups)
    cover = instance.cover
    ptr, sites = cover.window_ptr, cover.window_sites
    wins = np.unique(np.array([w for k in keys for w in k], dtype=np.int64))
    sizes = ptr[wins + 1] - ptr[wins]
    member = np.concatenate([sites[ptr[w] : ptr[w + 1]] for w in wins])
    xs = np.unique(member)
    nx, nz, ny = len(xs), len(wins), len(keys)
    x_col = np.full(len(instance.site_cost), -1)
    x_col[xs] = np.arange(nx)
    g_of = np.repeat(np.arange(ny), [len(k) for k in keys])
    g_win = nx + np.searchsorted(wins, np.array([w for k in keys for w in k], dtype=np.int64))
    n_pair = len(g_of)
    rows = np.concatenate(
        [
            np.arange(nz),
            np.repeat(np.arange(nz), sizes),
            nz + np.arange(n_pair),
            nz + np.arange(n_pair),
            np.full(nx, nz + n_pair),
        ]
    )
    cols = np.concatenate([nx + np.arange(nz), x_col[member], nx + nz + g_of, g_win, np.arange(nx)])
    vals = np.concatenate(
        [np.ones(nz), -np.ones(len(member)), np.ones(n_pair), -np.ones(n_pair), instance.site_cost[xs] / 1e6]
    )
    n_row = nz + n_pair + 1
    cost = np.zeros(nx + nz + ny)
    cost[nx + nz :] = [groups[k] for k in keys]
    upper = np.zeros(n_row)
    upper[-1] = budget / 1e6
    lp = max_lp(Csr.from_triples(rows, cols, vals, n_row, nx + nz + ny), cost, upper, nx)
    return lp, xs, (n_row, nx + nz + ny, len(vals))


def run_round(lp, xs, start: np.ndarray | None, seconds: float, gap: float, harvest: bool = False):
    """Solve one relaxed MIP: (bound, the plan's open mask over its sites, HiGHS status, the improving
    plans HiGHS found on the way when ``harvest``)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(seconds, 1.0))
    h.setOptionValue("mip_rel_gap", gap)
    h.passModel(lp)
    plans: list[np.ndarray] = []
    if harvest:
        h.cbMipImprovingSolution.subscribe(
            lambda e: plans.append(np.array(e.data_out.mip_solution, dtype=float)[: len(xs)] > 0.5)
        )
    if start is not None:
        sol = highspy.HighsSolution()
        col = np.zeros(lp.num_col_)
        col[: len(xs)] = start[xs]
        sol.col_value, sol.value_valid = col, True
        h.setSolution(sol)
    h.run()
    info, sol = h.getInfo(), h.getSolution()
    x = np.array(sol.col_value)[: len(xs)] > 0.5 if sol.value_valid else None
    return float(info.mip_dual_bound), x, h.modelStatusToString(h.getModelStatus()), plans[-5:-1]


def refine(instance, flows, kept: list[list[int]], is_open: np.ndarray, add: int) -> tuple[np.ndarray, int]:
    """The plan's served flows; each flow whose kept windows it covers while missing another gets
    up to ``add`` missed windows (disjoint, smallest first). Returns (served, flows refined)."""
    cover = instance.cover
    served, covered = cover.served(is_open), cover.covered(is_open)
    wsize, masks = np.diff(cover.window_ptr), {}
    bad = 0
    for i, q in enumerate(flows.tolist()):
        if not served[q] and all(covered[w] for w in kept[i]):
            missed = sorted((w for w in cover.flow_window_ids(q) if not covered[w]), key=lambda w: (wsize[w], w))
            kept[i] = kept[i] + disjoint_windows(missed, cover.window_ptr, cover.window_sites, masks)[:add]
            bad += 1
    return served, bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "europe-2030-low-budget.toml"))
    ap.add_argument("--max-flows", default="all")
    ap.add_argument("--tries", type=int, default=16, help="smallest windows tried for each flow's first disjoint set")
    ap.add_argument(
        "--add", type=int, default=1, help="missed windows (disjoint, smallest first) added per refined flow"
    )
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--schedule", action="store_true", help="solve early rounds to a quarter of the last gap")
    ap.add_argument(
        "--harvest", action="store_true", help="also refine with up to 4 earlier improving plans of a round"
    )
    ap.add_argument("--time", type=float, default=300.0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sc, instance = scenario_instance(args.scenario, args.max_flows)
    weight = instance.volume.astype(float)
    free, total = float(weight[instance.free].sum()), float(weight.sum())
    t1 = time.perf_counter()
    flows, kept = initial_windows(instance, args.tries)
    print(
        f"flows {len(weight):,} ({len(flows):,} need a hub); instance {t1 - t0:.1f} s, "
        f"first windows {time.perf_counter() - t1:.1f} s"
    )
    best, best_open, bound, start = -math.inf, None, math.inf, None
    deadline = t1 + args.time
    for rnd in range(1, 1000):
        t = time.perf_counter()
        lp, xs, size = build(instance, kept, weight[flows], sc.objective.budget_eur)
        tb = time.perf_counter()
        # a round needs a plan to refine with and a bound; early rounds, far from the target, are
        # solved loosely (a quarter of the last gap; 5 % in the first), the last ones to half the target
        last = 0.2 if math.isinf(bound) else (bound - best) / (best - free)  # 0.2 before any plan
        loose = max(args.gap / 2, last / 4)
        gap_now = loose if args.schedule else args.gap / 2
        b, x, status, earlier = run_round(lp, xs, start, deadline - tb, gap_now, args.harvest)
        ts = time.perf_counter()
        bound = min(bound, b + free)
        if x is None:
            print(f"round {rnd}: no plan ({status})")
            break
        bad = 0
        values = []
        for mask in [x, *earlier]:  # the round's plan first, then earlier improving plans (--harvest)
            is_open = np.zeros(len(instance.site_cost), dtype=bool)
            is_open[xs[mask]] = True
            served, n_bad = refine(instance, flows, kept, is_open, args.add)
            bad += n_bad
            values.append(float(weight[served].sum()))
            if values[-1] > best:
                best, best_open = values[-1], is_open
        value, n_hubs = values[0], int(x.sum())
        start = best_open
        gap = (bound - best) / (best - free)  # on the weight that needs a hub, as the shipped model reports it
        print(
            f"round {rnd}: {size[0]:,} rows, {size[1]:,} cols, {size[2]:,} nnz, build {tb - t:.1f} s, "
            f"HiGHS {status} {ts - tb:.1f} s; plan {n_hubs} hubs serves {value / total:.2%}; "
            f"best {best / total:.2%}, bound {bound / total:.2%}, gap {gap:.2%}; {bad:,} flows refined"
        )
        if gap <= args.gap or bad == 0 or time.perf_counter() >= deadline:
            break
    print(
        f"total {time.perf_counter() - t0:.1f} s; best plan {int(best_open.sum())} hubs, "
        f"{instance.site_cost[best_open].sum():,.0f} EUR, {best / total:.2%} of {total:,.1f} trucks/day; "
        f"bound {bound / total:.2%}; peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )


if __name__ == "__main__":
    sys.exit(main())
