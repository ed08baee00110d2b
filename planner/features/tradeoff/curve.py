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

import heapq
import math
import time
from dataclasses import dataclass

import numpy as np

from planner.arrays import equal_sets, row_entries, set_hashes, unique_ints
from planner.windows import CoverSet

from .pairs import FlowWindows, WindowSets, disjoint_windows, flow_windows

#: Above this many flows needing a hub, the relaxation tries only each flow's :data:`DISJOINT_TRIES`
#: smallest windows for its disjoint set (any subset of a flow's windows gives a valid bound). On
#: every European flow (227,000 needing a hub) trying them all took 12.8 M checks (9 s) and a
#: relaxation whose LP took 15 s per point; 16 tries: 2 s and 1 s, bounds ~1 point of share weaker.
TRY_ALL_UP_TO = 50_000
DISJOINT_TRIES = 16

__all__ = ["FlowWindows", "GreedyCurve", "CoverageModel", "choose_counts", "flow_windows", "greedy_drop"]


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


def _gather(ptr: np.ndarray, data: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR rows ``ids`` flattened: (the row id of each entry, the entry)."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) <= 1:  # most calls of the greedy pass: a slice, without the index arithmetic
        if not len(ids):
            return ids, data[:0]
        row = data[ptr[ids[0]] : ptr[ids[0] + 1]]
        return np.full(len(row), ids[0], dtype=np.int64), row
    counts, at = row_entries(ptr, ids)
    return np.repeat(ids, counts), data[at]


def greedy_drop(
    cover: CoverSet | WindowSets, fw: FlowWindows, is_open: np.ndarray, locked: np.ndarray, cost: np.ndarray
) -> GreedyCurve:
    """Drop the plan's new hubs one by one, each time the one losing the least served weight.

    A hub's loss is the weight of the served flows for which it is *critical*: the only open site
    of one of their windows. It is kept up to date incrementally — dropping a hub unserves the flows
    it was critical for (their other critical hubs lose that weight) and makes the windows left
    with one open site critical for their flows — so the whole pass costs about one sweep over the
    (flow, window) pairs, not one per drop. ``cover`` gives the windows ``fw`` pairs index: the
    cover set's own, or their open sets (:func:`planner.features.tradeoff.pairs.open_windows`)."""
    ptr, sites = cover.window_ptr, cover.window_sites
    n_sites, n_win = len(is_open), max(cover.n_windows, 1)
    pf, pw = fw.pair_flow.astype(np.int64), fw.pair_window.astype(np.int64)
    flow_ptr = np.searchsorted(pf, np.arange(len(fw.flows) + 1))
    by_w = np.argsort(pw, kind="stable")
    win_flows, win_ptr = pf[by_w], np.searchsorted(pw[by_w], np.arange(n_win + 1))
    wins = unique_ints(pw)
    w_owner, w_site = _gather(ptr, sites, wins)
    by_s = np.argsort(w_site, kind="stable")
    site_wins, site_ptr = w_owner[by_s], np.searchsorted(w_site[by_s], np.arange(n_sites + 1))
    is_open = is_open.copy()
    count = np.zeros(n_win, dtype=np.int64)
    np.add.at(count, w_owner, is_open[w_site].astype(np.int64))
    only = np.full(n_win, -1, dtype=np.int64)  # the open site of a window with exactly one
    hit = is_open[w_site] & (count[w_owner] == 1)
    only[w_owner[hit]] = w_site[hit]
    served = np.ones(len(fw.flows), dtype=bool)
    served[pf[count[pw] == 0]] = False
    weight = fw.weight
    single = served[pf] & (count[pw] == 1)
    key = unique_ints(pf[single] * n_sites + only[pw[single]])
    loss = np.bincount(key % n_sites, weights=weight[key // n_sites], minlength=n_sites)
    dropped, total = [], [float(weight[served].sum())]
    in_new = np.zeros(n_win, dtype=bool)
    cheapest = _Cheapest(loss, cost, is_open & ~locked)
    while (b := cheapest.pop()) is not None:
        is_open[b] = False
        dropped.append(b)
        wb = site_wins[site_ptr[b] : site_ptr[b + 1]]
        changed: list[np.ndarray] = []
        # flows for which b was critical are lost; their other critical hubs lose their weight
        _, f_lost = _gather(win_ptr, win_flows, wb[count[wb] == 1])
        lost = unique_ints(f_lost[served[f_lost]]) if len(f_lost) else f_lost
        if len(lost):
            f, w = _gather(flow_ptr, pw, lost)
            crit = unique_ints(f[count[w] == 1] * n_sites + only[w[count[w] == 1]])
            np.subtract.at(loss, crit % n_sites, weight[crit // n_sites])
            served[lost] = False
            changed.append(crit % n_sites)
        count[wb] -= 1
        # windows left with one open site: that site becomes critical for their served flows
        w2 = wb[count[wb] == 1]
        if len(w2):
            owner, member = _gather(ptr, sites, w2)
            keep = is_open[member]
            only[owner[keep]] = member[keep]
            _, f_aff = _gather(win_ptr, win_flows, w2)
            aff = unique_ints(f_aff[served[f_aff]])
            if len(aff):
                in_new[w2] = True
                f, w = _gather(flow_ptr, pw, aff)
                one = count[w] == 1
                f, w = f[one], w[one]
                k = f * n_sites + only[w]
                add = _new_only(k[in_new[w]], k[~in_new[w]])
                np.add.at(loss, add % n_sites, weight[add // n_sites])
                in_new[w2] = False
                changed.append(add % n_sites)
        cheapest.changed(changed)
        total.append(float(weight[served].sum()) if len(lost) else total[-1])
    return GreedyCurve(np.array(dropped, dtype=np.int64), np.array(total))


class _Cheapest:
    """The droppable site of least (loss, -cost, index), for :func:`greedy_drop`: a heap whose
    stale entries (the site's loss changed since, or the site was dropped) are skipped when
    popped, rather than a sort of every droppable site per drop. ``loss`` is the caller's array,
    updated in place; :meth:`changed` re-files the sites whose loss changed."""

    def __init__(self, loss: np.ndarray, cost: np.ndarray, droppable: np.ndarray) -> None:
        self.loss, self.cost, self.droppable = loss, cost, droppable
        self.heap = [(float(loss[k]), -float(cost[k]), k) for k in np.flatnonzero(droppable).tolist()]
        heapq.heapify(self.heap)

    def pop(self) -> int | None:
        """The next site to drop (no longer droppable after), or None when none is left."""
        while self.heap:
            key, _, b = heapq.heappop(self.heap)
            if self.droppable[b] and key == self.loss[b]:
                self.droppable[b] = False
                return b
        return None

    def changed(self, sites: list[np.ndarray]) -> None:
        """Re-file these sites at their current loss."""
        for k in unique_ints(np.concatenate(sites)).tolist() if sites else ():
            if self.droppable[k]:
                heapq.heappush(self.heap, (float(self.loss[k]), -float(self.cost[k]), k))


def _new_only(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Sorted distinct values of ``new`` not in ``old`` (Python sets below a few thousand values,
    where ``np.isin``'s sorting costs more than hashing)."""
    if len(new) + len(old) > 4096:
        new = unique_ints(new)
        return new[~np.isin(new, old)]
    return np.array(sorted(set(new.tolist()).difference(old.tolist())), dtype=np.int64)


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

    ``exact=False`` (the bound): each flow keeps only pairwise-disjoint windows, smallest first (of
    its :data:`DISJOINT_TRIES` smallest above :data:`TRY_ALL_UP_TO` flows), and
    ``x`` is continuous — dropping rows and integrality only relaxes, so the optimum bounds every
    plan, at a fraction of the full model's size. ``exact=True``: every window, ``x`` binary.
    """

    def __init__(self, cover: CoverSet, fw: FlowWindows, locked: np.ndarray, *, exact: bool = False) -> None:
        import highspy

        ptr, sites = cover.window_ptr, cover.window_sites
        first, weight = _same_windows(fw, cover.n_windows)  # flows with the same windows, once
        size = ptr[fw.pair_window + 1] - ptr[fw.pair_window]
        order = np.lexsort((fw.pair_window, size, fw.pair_flow))
        pf, pw = fw.pair_flow[order], fw.pair_window[order]
        start = np.searchsorted(pf, np.arange(len(fw.flows) + 1))
        groups: dict[tuple[int, ...], float] = {}
        tries = DISJOINT_TRIES if len(fw.flows) > TRY_ALL_UP_TO else len(pw)
        masks: dict[int, int] = {}  # window → its sites as the bits of one integer
        for f, wt in zip(first.tolist(), weight.tolist(), strict=True):
            if exact:
                key = tuple(pw[start[f] : start[f + 1]].tolist())
            else:
                key = disjoint_windows(pw[start[f] : min(start[f + 1], start[f] + tries)].tolist(), ptr, sites, masks)
            key = tuple(sorted(key))
            groups[key] = groups.get(key, 0.0) + wt
        keys = sorted(groups)
        g_weight = np.array([groups[k] for k in keys])
        g_of = np.repeat(np.arange(len(keys)), [len(k) for k in keys])
        g_win = np.array([w for k in keys for w in k], dtype=np.int64)
        wins = unique_ints(g_win)
        wsz, at = row_entries(ptr, wins)
        member = sites[at]
        owner = np.repeat(np.arange(len(wins)), wsz)
        usable = ~locked[member]
        self.sites = unique_ints(member[usable])
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


def _same_windows(fw: FlowWindows, n_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """Flows grouped by their window set (:func:`planner.arrays.set_hashes`): the first flow of each
    group and the group's weight."""
    hashes = set_hashes(fw.pair_flow, fw.pair_window, len(fw.flows), n_windows, seed=20260)
    order, new = equal_sets(hashes)
    weight = np.bincount(np.cumsum(new) - 1, weights=fw.weight[order])
    return np.sort(order[new]), weight[np.argsort(order[new], kind="stable")]
