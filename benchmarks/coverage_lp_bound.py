"""The linear relaxation of max coverage with every window, by row generation: a bound for every flow.

A measurement for issue 17, not a product path. Max coverage links each flow that needs a hub to every
one of its windows (``y_q <= z_w``, ``z_w <= sum of the window's sites``); with every European flow that
is 13.5 M (flow, window) pairs. Its linear relaxation needs only the pairs that bind: start from a few
windows per flow (:meth:`planner.features.coverage.lazy.KeptWindows.first`), solve, and for each flow
whose served value exceeds its least covered window (computed for every flow at once up the instance's
window tree) add that window; repeat until none does. Flows keeping the same windows share one column,
and a flow that gains a window moves to the group of its new set, so HiGHS re-solves from its last basis.
The result is the relaxation of the model with every window: a bound every plan obeys.

Usage::

    python benchmarks/coverage_lp_bound.py                    # europe-2030-low-budget, every flow
    python benchmarks/coverage_lp_bound.py --max-flows 20000  # the shipped cut
    python benchmarks/coverage_lp_bound.py --plan results/europe-2030-low-budget   # and a plan's gap to it
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
from _common import scenario_instance  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

from planner.features.coverage.lazy import KeptWindows

ROOT = Path(__file__).resolve().parents[1]
_NONE = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))


class _Relaxation:
    """The growing LP: site columns, one column per window in use, one per group of flows."""

    def __init__(self, instance, budget_meur: float) -> None:
        self.cover, n = instance.cover, len(instance.site_cost)
        self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addCols(n, np.zeros(n), np.zeros(n), np.ones(n), 0, *_NONE)
        cost = (instance.site_cost / 1e6).astype(float)
        h.addRows(
            1,
            np.array([-highspy.kHighsInf]),
            np.array([budget_meur]),
            n,
            np.array([0], np.int32),
            np.arange(n, dtype=np.int32),
            cost,
        )
        self.n_col, self.z, self.group, self.col, self.weight = n, {}, {}, [], []

    def _rows(self, starts: list[int], idx: list[int], val: list[float]) -> None:
        m = len(starts)
        self.h.addRows(
            m,
            np.full(m, -highspy.kHighsInf),
            np.zeros(m),
            len(idx),
            np.array(starts, np.int32),
            np.array(idx, np.int32),
            np.array(val),
        )

    def _columns(self, m: int, cost: np.ndarray) -> int:
        self.h.addCols(m, cost, np.zeros(m), np.ones(m), 0, *_NONE)
        first, self.n_col = self.n_col, self.n_col + m
        return first

    def _windows(self, windows: set[int]) -> None:
        new = sorted(w for w in windows if w not in self.z)
        if not new:
            return
        first = self._columns(len(new), np.zeros(len(new)))
        ptr, sites = self.cover.window_ptr, self.cover.window_sites
        starts, idx, val = [], [], []
        for j, w in enumerate(new):
            self.z[w] = first + j
            s = sites[ptr[w] : ptr[w + 1]].tolist()
            starts.append(len(idx))
            idx += [first + j, *s]
            val += [1.0] + [-1.0] * len(s)
        self._rows(starts, idx, val)

    def add_groups(self, keys: list[tuple[int, ...]]) -> None:
        """Columns (weight 0 until :meth:`reweigh`) with their ``y_g <= z_w`` rows for new window sets."""
        keys = [k for k in keys if k not in self.group]
        if not keys:
            return
        self._windows({w for k in keys for w in k})
        first = self._columns(len(keys), np.zeros(len(keys)))
        starts, idx, val = [], [], []
        for j, k in enumerate(keys):
            self.group[k] = len(self.col)
            self.col.append(first + j)
            self.weight.append(0.0)
            for w in k:
                starts.append(len(idx))
                idx += [first + j, self.z[w]]
                val += [1.0, -1.0]
        self._rows(starts, idx, val)

    def reweigh(self, delta: dict[int, float]) -> None:
        for g, d in delta.items():
            self.weight[g] += d
        gs = sorted(delta)
        self.h.changeColsCost(
            len(gs), np.array([self.col[g] for g in gs], np.int32), np.array([max(self.weight[g], 0.0) for g in gs])
        )


def least_covered(cover, x: np.ndarray, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per flow of ``flows``: the least ``min(1, sum of x)`` over its windows and that window's id."""
    ptr, nw, wp = cover.window_ptr, cover.node_windows, cover.node_windows_ptr
    cw = np.minimum(np.add.reduceat(x[cover.window_sites], ptr[:-1]), 1.0)
    counts = np.diff(wp)
    owner = np.repeat(np.arange(len(counts)), counts)
    val, wid = np.full(len(counts), np.inf), np.full(len(counts), -1)
    if len(nw):
        order = np.lexsort((cw[nw], owner))
        firsts = wp[:-1][counts > 0]
        val[counts > 0], wid[counts > 0] = cw[nw[order[firsts]]], nw[order[firsts]]
    jump = cover.node_parent.astype(np.int64).copy()
    up = np.flatnonzero(jump >= 0)
    while len(up):  # pointer doubling: each node's least window on its path to the root
        better = val[jump[up]] < val[up]
        val[up] = np.where(better, val[jump[up]], val[up])
        wid[up] = np.where(better, wid[jump[up]], wid[up])
        jump[up] = jump[jump[up]]
        up = up[jump[up] >= 0]
    leaf, final = cover.flow_leaf[flows], cover.flow_final[flows]
    fv = np.where(leaf >= 0, np.concatenate([val, [np.inf]])[leaf], np.inf)
    fw = np.where(leaf >= 0, np.concatenate([wid, [-1]])[leaf], -1)
    fin = np.where(final >= 0, cw[np.maximum(final, 0)], np.inf)
    use = fin < fv
    return np.where(use, fin, fv), np.where(use, final, fw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "europe-2030-low-budget.toml"))
    ap.add_argument("--max-flows", default="all")
    ap.add_argument("--plan", help="a run folder of the scenario: its served weight and gap to the bound")
    args = ap.parse_args()
    t0 = time.perf_counter()
    sc, instance = scenario_instance(args.scenario, args.max_flows)
    cover, weight = instance.cover, instance.volume.astype(float)
    if cover.extra or sc.objective.budget_eur is None:
        sys.exit("needs a max-coverage scenario with objective.budget_eur and every flow in the window tree")
    kept = KeptWindows.first(cover, weight)
    flows, n = kept.flows, len(instance.site_cost)
    keys = [tuple(sorted(k)) for k in kept.kept]
    print(f"{len(flows):,} flows need a hub; {cover.n_windows:,} windows; instance {time.perf_counter() - t0:.1f} s")
    lp = _Relaxation(instance, float(sc.objective.budget_eur) / 1e6)
    lp.add_groups(sorted(set(keys)))
    of = np.array([lp.group[k] for k in keys])
    lp.reweigh(pd.Series(weight[flows]).groupby(of).sum().to_dict())
    for it in range(500):
        t = time.perf_counter()
        lp.h.run()
        col = np.array(lp.h.getSolution().col_value)
        least, window = least_covered(cover, col[:n], flows)
        bad = np.flatnonzero(col[np.array(lp.col)][of] > least + 1e-6)
        value = lp.h.getInfo().objective_function_value
        print(
            f"round {it}: LP {value:,.1f}, {lp.h.getNumRow():,} rows, {len(lp.col):,} groups, "
            f"{time.perf_counter() - t:.1f} s, {len(bad):,} flows gain a window",
            flush=True,
        )
        if not len(bad):
            break
        delta: dict[int, float] = {}
        for q in bad.tolist():
            keys[q] = tuple(sorted({*keys[q], int(window[q])}))
        lp.add_groups(sorted({keys[q] for q in bad.tolist()}))
        for q in bad.tolist():
            g = lp.group[keys[q]]
            delta[int(of[q])] = delta.get(int(of[q]), 0.0) - weight[flows[q]]
            delta[g] = delta.get(g, 0.0) + weight[flows[q]]
            of[q] = g
        lp.reweigh(delta)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(
        f"bound {value:,.1f} (weight of the flows that need a hub: {weight[flows].sum():,.1f}); "
        f"{time.perf_counter() - t0:.0f} s, {rss:.2f} GB"
    )
    if args.plan:
        hubs = pd.read_csv(Path(args.plan) / "hubs.csv", dtype={"site_id": str})
        where = {s: i for i, s in enumerate(instance.site_ids)}
        is_open = np.zeros(n, dtype=bool)
        is_open[[where[s] for s in hubs["site_id"]]] = True
        served = float(weight[flows][cover.served(is_open)[flows]].sum())
        gap = (value - served) / served
        print(f"plan {args.plan}: {len(hubs)} hubs serve {served:,.1f}; gap to the bound {gap:.2%}")


if __name__ == "__main__":
    main()
