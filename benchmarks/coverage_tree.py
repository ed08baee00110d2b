"""The tree-shaped max-coverage model at full demand: its size, build time and what HiGHS makes of it.

A measurement for issue 17, not a product path. The shipped max-coverage model gives every group of
flows a served variable and one row per (group, window): 12.6 M pairs on ``europe-2030-low-budget``
with every flow, which PuLP cannot build in memory. Here the routes from each origin form a tree
(the instance's :class:`planner.windows.CoverSet`): one variable ``u_n`` per tree node,

    z_w ≤ Σ_{k∈w} x_k,   u_n ≤ u_parent(n),   u_n ≤ z_w (w a window of node n),
    y_g ≤ u_leaf(g),     y_g ≤ z_final(g),    Σ_k c_k x_k ≤ budget,

maximising ``Σ_g w_g y_g`` (groups: flows with the same last tree node and final window). It is the
same linear relaxation as the per-group rows (every ``u`` can sit at the minimum over its path's
windows). The matrix is assembled with numpy and handed to HiGHS in one ``passModel``.

Usage::

    python benchmarks/coverage_tree.py                            # low-budget, every flow, MIP, 300 s
    python benchmarks/coverage_tree.py --time 300 --lp ipm        # its linear relaxation only (interior point)
    python benchmarks/coverage_tree.py --max-flows 4000           # the shipped cut (solves in seconds)
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import highspy
import numpy as np
from _common import Csr, max_lp, scenario_instance  # noqa: I001 (benchmarks/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]


def _pairs(rows: list, start: int, left: np.ndarray, right: np.ndarray) -> int:
    """Rows ``left − right ≤ 0`` (column indices), appended from row ``start``; returns the next row."""
    n = len(left)
    r = start + np.arange(n)
    rows.append((np.concatenate([r, r]), np.concatenate([left, right]), np.concatenate([np.ones(n), -np.ones(n)])))
    return start + n


def tree_model(instance, budget: float) -> tuple[Csr, np.ndarray, np.ndarray, np.ndarray]:
    """(A, objective, row upper bounds, site index of each x column); x columns come first."""
    c = instance.cover
    need = instance.servable & ~instance.free
    keys = np.stack([c.flow_leaf[need], c.flow_final[need]], 1)
    groups, inverse = np.unique(keys, axis=0, return_inverse=True)
    weight = np.bincount(inverse.ravel(), weights=instance.volume[need].astype(float))
    on_path = np.zeros(len(c.node_parent), dtype=bool)
    for n in c.flow_leaf[need].tolist():
        while n >= 0 and not on_path[n]:
            on_path[n] = True
            n = int(c.node_parent[n])
    wins = c.needed_windows()
    ptr = c.window_ptr
    members = [c.window_sites[ptr[w] : ptr[w + 1]] for w in wins]
    sites = np.unique(np.concatenate(members))
    nodes = np.flatnonzero(on_path)
    n_s, n_w, n_n = len(sites), len(wins), len(nodes)
    x = np.full(len(instance.site_cost), -1)
    x[sites] = np.arange(n_s)
    z = np.full(c.n_windows, -1)
    z[wins] = n_s + np.arange(n_w)
    u = np.full(len(c.node_parent), -1)
    u[nodes] = n_s + n_w + np.arange(n_n)
    y = n_s + n_w + n_n + np.arange(len(groups))
    rows: list = []
    sizes = np.array([len(m) for m in members])
    rows.append((np.repeat(np.arange(n_w), sizes), x[np.concatenate(members)], -np.ones(int(sizes.sum()))))
    rows.append((np.arange(n_w), z[wins], np.ones(n_w)))
    r = n_w
    parent = c.node_parent[nodes]
    r = _pairs(rows, r, u[nodes[parent >= 0]], u[parent[parent >= 0]])
    counts = np.diff(c.node_windows_ptr)[nodes]
    node_wins = np.concatenate([c.node_windows[c.node_windows_ptr[n] : c.node_windows_ptr[n + 1]] for n in nodes])
    r = _pairs(rows, r, u[np.repeat(nodes, counts)], z[node_wins])
    leaf, final = groups[:, 0], groups[:, 1]
    r = _pairs(rows, r, y[leaf >= 0], u[leaf[leaf >= 0]])
    r = _pairs(rows, r, y[final >= 0], z[final[final >= 0]])
    rows.append((np.full(n_s, r), np.arange(n_s), instance.site_cost[sites] / 1e6))  # M EUR: a well-scaled row
    i, j, v = (np.concatenate(parts) for parts in zip(*rows, strict=True))
    a = Csr.from_triples(i, j, v, r + 1, n_s + n_w + n_n + len(groups))
    cost = np.zeros(a.shape[1])
    cost[y] = weight
    upper = np.zeros(a.shape[0])
    upper[-1] = budget / 1e6
    return a, cost, upper, sites


def solve(a: Csr, cost: np.ndarray, upper: np.ndarray, n_sites: int, args: argparse.Namespace):
    """Run HiGHS (MIP, or the relaxation with ``args.lp``); return it."""
    lp = max_lp(a, cost, upper, 0 if args.lp else n_sites)
    h = highspy.Highs()
    h.setOptionValue("log_to_console", args.verbose)
    h.setOptionValue("output_flag", args.verbose)
    h.setOptionValue("time_limit", float(args.time))
    h.setOptionValue("mip_rel_gap", 0.01)
    if args.lp:
        h.setOptionValue("solver", args.lp)
        h.setOptionValue("run_crossover", "off")
    h.passModel(lp)
    h.run()
    return h


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "europe-2030-low-budget.toml"))
    ap.add_argument("--max-flows", default="all", help="demand.max_flows (all = every flow)")
    ap.add_argument("--budget", type=float, default=None, help="EUR (default: the scenario's objective.budget_eur)")
    ap.add_argument("--time", type=float, default=300.0, help="HiGHS time limit, s")
    ap.add_argument("--lp", choices=["ipm", "simplex", "pdlp"], default=None, help="solve the relaxation only")
    ap.add_argument("-v", "--verbose", action="store_true", help="HiGHS log")
    args = ap.parse_args()
    t0 = time.perf_counter()
    sc, instance = scenario_instance(args.scenario, args.max_flows)
    t1 = time.perf_counter()
    budget = args.budget if args.budget is not None else sc.objective.budget_eur
    a, cost, upper, sites = tree_model(instance, budget)
    t2 = time.perf_counter()
    h = solve(a, cost, upper, len(sites), args)
    t3 = time.perf_counter()
    info, weight = h.getInfo(), instance.volume.astype(float)
    need = int((instance.servable & ~instance.free).sum())
    print(f"flows {len(weight):,}, need a hub {need:,}, budget {budget:,.0f} EUR")
    print(
        f"instance {t1 - t0:.1f} s; tree model {a.shape[0]:,} rows, {a.shape[1]:,} columns, {a.nnz:,} nonzeros, "
        f"{len(sites):,} sites, built in {t2 - t1:.1f} s"
    )
    status = h.modelStatusToString(h.getModelStatus())
    bound, gap = getattr(info, "mip_dual_bound", float("nan")), getattr(info, "mip_gap", float("nan"))
    print(
        f"HiGHS {status} in {t3 - t2:.1f} s: objective {info.objective_function_value:,.1f}, bound {bound:,.1f}, "
        f"gap {gap:.2%}, {info.simplex_iteration_count:,} simplex iterations"
    )
    if not args.lp and h.getSolution().value_valid:
        is_open = np.zeros(len(instance.site_cost), dtype=bool)
        is_open[sites[np.array(h.getSolution().col_value)[: len(sites)] > 0.5]] = True
        served = instance.cover.served(is_open)
        got, total = weight[served].sum(), weight.sum()
        print(
            f"plan: {int(is_open.sum())} hubs, {instance.site_cost[is_open].sum():,.0f} EUR, serves {got:,.1f} of "
            f"{total:,.1f} trucks/day ({got / total:.1%}; every window re-checked on the plan)"
        )
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
