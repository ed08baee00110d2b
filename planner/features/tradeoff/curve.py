"""The served-share-vs-hubs curve: greedy plans for every hub count, bounds from a relaxation.

For a hub count ``p`` below the plan's, the question is the max-coverage one: which ``p`` new hubs
serve the most volume. Rather than one MIP per point, the curve is built in two cheap passes over
the same window incidence the plan was solved on (:class:`planner.windows.CoverSet`):

* **Plans (lower bounds).** Starting from the plan's own hubs, drop the hub whose loss of served
  volume is smallest, again and again (ties: the dearer hub, then the lower index) — one pass
  gives a nested plan for every count from the plan's down to none. A hub's loss is the volume of
  the served flows for which it is the only open site of some window, counted with an array pass
  over the (flow, window) pairs that still matter.
* **Bounds (upper bounds).** A linear relaxation of max coverage in which each flow keeps only a
  set of pairwise-disjoint windows (smallest first) and flows with the same kept windows are merged:
  dropping rows and integrality only relaxes, so its optimum bounds every plan with ``p`` hubs,
  and it is a fraction of the full model's size. One model, one row for the hub limit; each point
  changes that right-hand side and HiGHS re-optimises from the previous basis.
* **Exact solves** (small models): the same model with every window and binary hubs
  (:class:`CoverageModel` with ``exact=True``), started from the greedy plan.

The points shown are chosen where the greedy curve bends (largest distance from the chord
between chosen neighbours), not evenly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from planner.windows import CoverSet

__all__ = ["FlowWindows", "GreedyCurve", "CoverageModel", "choose_counts", "flow_windows", "greedy_drop"]


@dataclass(frozen=True)
class FlowWindows:
    """The (flow, window) pairs of the flows that need a new hub and some plan can serve.

    Attributes
    ----------
    flows
        Instance indices of those flows.
    weight
        Their objective weight.
    pair_flow, pair_window
        Pairs, sorted by flow then window: ``pair_flow`` indexes ``flows``.
    """

    flows: np.ndarray
    weight: np.ndarray
    pair_flow: np.ndarray
    pair_window: np.ndarray


def flow_windows(cover: CoverSet, weight: np.ndarray) -> FlowWindows:
    """Every window of every flow needing a hub: its tree nodes' windows (walked from the leaf to
    the origin for all flows at once), its final window, or its own list when evaluated alone."""
    need = np.flatnonzero(cover.servable & ~cover.free)
    extra = cover.extra or {}
    flow_parts, window_parts = [], []
    cur, idx = cover.flow_leaf[need].astype(np.int64), np.arange(len(need))
    keep = cur >= 0
    cur, idx = cur[keep], idx[keep]
    ptr = cover.node_windows_ptr
    while len(cur):
        counts = (ptr[cur + 1] - ptr[cur]).astype(np.int64)
        first = np.repeat(ptr[cur] - (np.cumsum(counts) - counts), counts)
        flow_parts.append(np.repeat(idx, counts))
        window_parts.append(cover.node_windows[first + np.arange(counts.sum())])
        cur = cover.node_parent[cur].astype(np.int64)
        keep = cur >= 0
        cur, idx = cur[keep], idx[keep]
    final = cover.flow_final[need]
    has = final >= 0
    flow_parts.append(np.flatnonzero(has))
    window_parts.append(final[has])
    position = {int(q): i for i, q in enumerate(need.tolist())}
    for q, ws in sorted(extra.items()):
        if ws and q in position:
            flow_parts.append(np.full(len(ws), position[q]))
            window_parts.append(np.asarray(ws, dtype=np.int64))
    n_win = max(cover.n_windows, 1)
    key = np.unique(
        np.concatenate([*flow_parts, np.zeros(0, np.int64)]).astype(np.int64) * n_win
        + np.concatenate([*window_parts, np.zeros(0, np.int64)]).astype(np.int64)
    )
    return FlowWindows(need, np.asarray(weight, dtype=float)[need], key // n_win, key % n_win)


@dataclass(frozen=True)
class GreedyCurve:
    """Nested plans from dropping hubs one at a time.

    Attributes
    ----------
    dropped
        Site indices in the order they were dropped (the plan's new hubs, all of them).
    served_weight
        ``served_weight[k]``: weight served by the flows needing a hub after ``k`` drops.
    """

    dropped: np.ndarray
    served_weight: np.ndarray

    def open_after(self, is_open: np.ndarray, drops: int) -> np.ndarray:
        """The plan's open sites with the first ``drops`` dropped."""
        out = is_open.copy()
        out[self.dropped[:drops]] = False
        return out


def greedy_drop(
    cover: CoverSet, fw: FlowWindows, is_open: np.ndarray, locked: np.ndarray, cost: np.ndarray
) -> GreedyCurve:
    """Drop the plan's new hubs one by one, each time the one losing the least served weight."""
    ptr, sites = cover.window_ptr, cover.window_sites
    n_sites = len(is_open)
    wins = np.unique(fw.pair_window)
    sizes = ptr[wins + 1] - ptr[wins]
    member = np.repeat(ptr[wins] - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())
    w_site = sites[member]  # the windows' sites, window by window
    w_owner = np.repeat(wins, sizes)
    is_open = is_open.copy()
    count = np.zeros(max(cover.n_windows, 1), dtype=np.int64)
    np.add.at(count, w_owner, is_open[w_site].astype(np.int64))
    served = np.ones(len(fw.flows), dtype=bool)
    served[fw.pair_flow[count[fw.pair_window] == 0]] = False
    order = np.argsort(w_site, kind="stable")  # site → its windows
    by_site, site_ptr = w_owner[order], np.searchsorted(w_site[order], np.arange(n_sites + 1))
    live = served[fw.pair_flow]
    pf, pw = fw.pair_flow[live], fw.pair_window[live]
    droppable = is_open & ~locked
    dropped, weight = [], [float(fw.weight[served].sum())]
    while droppable.any():
        single = count[pw] == 1
        f1, w1 = pf[single], pw[single]
        loss = np.zeros(n_sites)
        if len(w1):
            uw = np.unique(w1)
            usz = ptr[uw + 1] - ptr[uw]
            at = np.repeat(ptr[uw] - (np.cumsum(usz) - usz), usz) + np.arange(usz.sum())
            hit = is_open[sites[at]]
            only = np.full(max(cover.n_windows, 1), -1, dtype=np.int64)
            only[np.repeat(uw, usz)[hit]] = sites[at][hit]
            key = np.unique(f1.astype(np.int64) * n_sites + only[w1])
            loss = np.bincount(key % n_sites, weights=fw.weight[key // n_sites], minlength=n_sites)
        cand = np.flatnonzero(droppable)
        best = int(cand[np.lexsort((cand, -cost[cand], loss[cand]))[0]])
        is_open[best] = droppable[best] = False
        dropped.append(best)
        ws = by_site[site_ptr[best] : site_ptr[best + 1]]
        count[ws] -= 1
        dead = ws[count[ws] == 0]
        if len(dead):
            gone = np.zeros(len(count), dtype=bool)
            gone[dead] = True
            served[np.unique(pf[gone[pw]])] = False
            keep = served[pf]
            pf, pw = pf[keep], pw[keep]
        weight.append(float(fw.weight[served].sum()))
    return GreedyCurve(np.array(dropped, dtype=np.int64), np.array(weight))


def choose_counts(value: np.ndarray, n: int) -> list[int]:
    """``n`` hub counts (of ``1 … len(value) - 1``; ``value[p]``: the curve at ``p``) where the curve
    bends: always the largest, then repeatedly the count farthest from the chord between its chosen
    neighbours (count 0 anchors the left end; ties: the smaller count)."""
    top = len(value) - 1
    if top <= 0 or n <= 0:
        return []
    if n >= top:
        return list(range(1, top + 1))
    chosen = [0, top]
    for _ in range(n - 1):
        best, best_d = None, -1.0
        for a, b in zip(chosen[:-1], chosen[1:], strict=True):
            if b - a < 2:
                continue
            p = np.arange(a + 1, b)
            chord = value[a] + (value[b] - value[a]) * (p - a) / (b - a)
            d = np.abs(value[p] - chord)
            k = int(np.argmax(d))
            if d[k] > best_d + 1e-12:
                best, best_d = int(p[k]), float(d[k])
        if best is None:
            break
        chosen = sorted([*chosen, best])
    return chosen[1:]


class CoverageModel:
    """Max coverage with at most ``p`` new hubs, built once; ``p`` is a right-hand side.

    Maximise ``Σ_g w_g y_g`` subject to ``y_g ≤ z_w`` for each window ``w`` of group ``g``,
    ``z_w ≤ Σ_{k∈w} x_k`` and ``Σ_k x_k ≤ p``, all in ``[0, 1]``, ``x`` only for sites that are not
    existing hubs (windows holding one are never listed: those flows are free). Flows with the same
    windows form one group.

    ``exact=False`` (the bound): each flow keeps only pairwise-disjoint windows, smallest first, and
    ``x`` is continuous — dropping rows and integrality only relaxes, so the optimum bounds every
    plan, at a fraction of the full model's size. ``exact=True``: every window, ``x`` binary.
    """

    def __init__(self, cover: CoverSet, fw: FlowWindows, locked: np.ndarray, *, exact: bool = False) -> None:
        import highspy

        ptr, sites = cover.window_ptr, cover.window_sites
        size = ptr[fw.pair_window + 1] - ptr[fw.pair_window]
        order = np.lexsort((fw.pair_window, size, fw.pair_flow))
        pf, pw = fw.pair_flow[order], fw.pair_window[order]
        start = np.searchsorted(pf, np.arange(len(fw.flows) + 1))
        groups: dict[tuple[int, ...], float] = {}
        keys_of: list[tuple[int, ...]] = []
        for f in range(len(fw.flows)):
            windows = pw[start[f] : start[f + 1]].tolist()
            kept = windows if exact else _disjoint(windows, ptr, sites)
            key = tuple(sorted(kept))
            groups[key] = groups.get(key, 0.0) + float(fw.weight[f])
            keys_of.append(key)
        keys = sorted(groups)
        index = {k: i for i, k in enumerate(keys)}
        self.flow_group = np.array([index[k] for k in keys_of], dtype=np.int64)
        g_weight = np.array([groups[k] for k in keys])
        g_of = np.repeat(np.arange(len(keys)), [len(k) for k in keys])
        g_win = np.array([w for k in keys for w in k], dtype=np.int64)
        wins = np.unique(g_win)
        wsz = ptr[wins + 1] - ptr[wins]
        member = sites[np.repeat(ptr[wins] - (np.cumsum(wsz) - wsz), wsz) + np.arange(wsz.sum())]
        owner = np.repeat(np.arange(len(wins)), wsz)
        usable = ~locked[member]
        self.sites = np.unique(member[usable])
        nx, nz, ny = len(self.sites), len(wins), len(keys)
        x_col = np.full(len(locked), -1, dtype=np.int64)
        x_col[self.sites] = np.arange(nx)
        z_col = nx + np.searchsorted(wins, g_win)
        y0 = nx + nz
        n_pair = len(g_of)
        self.limit_row = nz + n_pair
        rows = np.concatenate(
            [np.arange(nz), owner[usable], nz + np.arange(n_pair), nz + np.arange(n_pair), np.full(nx, self.limit_row)]
        )
        cols = np.concatenate([nx + np.arange(nz), x_col[member[usable]], y0 + g_of, z_col, np.arange(nx)])
        vals = np.concatenate(
            [np.ones(nz), -np.ones(int(usable.sum())), np.ones(n_pair), -np.ones(n_pair), np.ones(nx)]
        )
        o = np.lexsort((cols, rows))
        n_row = self.limit_row + 1
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = y0 + ny, n_row
        cost = np.zeros(y0 + ny)
        cost[y0:] = g_weight
        lp.col_cost_ = cost
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_lower_, lp.col_upper_ = np.zeros(y0 + ny), np.ones(y0 + ny)
        lp.row_lower_, lp.row_upper_ = np.full(n_row, -highspy.kHighsInf), np.zeros(n_row)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.searchsorted(rows[o], np.arange(n_row + 1)).astype(np.int32)
        lp.a_matrix_.index_ = cols[o].astype(np.int32)
        lp.a_matrix_.value_ = vals[o]
        if exact:
            kinds = highspy.HighsVarType
            lp.integrality_ = [kinds.kInteger] * nx + [kinds.kContinuous] * (nz + ny)
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.passModel(lp)
        self.exact = exact
        self._n_sites = len(locked)
        self._windows, self._g_of, self._g_win, self._n = wins, g_of, g_win, (nx, nz, ny)
        self.size = {"rows": n_row, "columns": y0 + ny, "nonzeros": len(vals), "groups": ny}
        self.seconds = 0.0

    def _start(self, cover: CoverSet, is_open: np.ndarray) -> None:
        """A MIP start: the plan ``is_open`` with its covered windows and served groups."""
        import highspy

        nx, nz, ny = self._n
        z = cover.covered(is_open)[self._windows].astype(float)
        y = np.ones(ny)
        np.minimum.at(y, self._g_of, z[np.searchsorted(self._windows, self._g_win)])
        sol = highspy.HighsSolution()
        sol.col_value = np.concatenate([is_open[self.sites].astype(float), z, y])
        sol.value_valid = True
        self.highs.setSolution(sol)

    def solve(
        self, p: int, seconds: float, *, mip_gap: float = 0.0, start: tuple[CoverSet, np.ndarray] | None = None
    ) -> tuple[float | None, float | None, np.ndarray | None]:
        """Solve with at most ``p`` new hubs: (bound, incumbent value, open sites) — ``None`` when
        not reached in ``seconds``; the relaxation's incumbent and sites are always ``None``."""
        import highspy

        h = self.highs
        h.changeRowBounds(self.limit_row, -highspy.kHighsInf, float(p))
        h.setOptionValue("time_limit", max(float(seconds), 1e-3))
        if self.exact:
            h.setOptionValue("mip_rel_gap", float(mip_gap))
            if start is not None:
                self._start(*start)
        t0 = time.perf_counter()
        h.run()
        self.seconds = time.perf_counter() - t0
        info = h.getInfo()
        status = h.getModelStatus()
        if not self.exact:
            ok = status == highspy.HighsModelStatus.kOptimal
            value = float(info.objective_function_value)
            return (value if ok and math.isfinite(value) else None), None, None
        bound = float(info.mip_dual_bound)
        bound = bound if math.isfinite(bound) else None
        if info.primal_solution_status != 2:  # no feasible solution
            return bound, None, None
        values = np.array(h.getSolution().col_value)
        opened = np.zeros(self._n_sites, dtype=bool)
        opened[self.sites] = values[: self._n[0]] > 0.5
        return bound, float(info.objective_function_value), opened


def _disjoint(windows: list[int], ptr: np.ndarray, sites: np.ndarray) -> list[int]:
    """Of a flow's windows (smallest first), those sharing no site with a window kept before."""
    used: set[int] = set()
    kept = []
    for w in windows:
        members = sites[ptr[w] : ptr[w + 1]].tolist()
        if used.isdisjoint(members):
            used.update(members)
            kept.append(w)
    return kept
