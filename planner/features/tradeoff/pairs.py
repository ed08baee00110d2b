"""The (flow, window) pairs the curve works on, enumerated a block of flows at a time.

A flow's windows are those of its tree nodes, walked from its leaf to the origin, plus its final
window (or its own list when it was evaluated alone, :class:`planner.windows.CoverSet`). On every
European flow with a candidate every 2.5 km that is tens of millions of pairs — more than the
curve needs and, materialised at once, several GB. So the pairs are walked in blocks of flows and
each block is reduced before the next:

* :func:`flow_windows`: every pair (the exact model of small instances, and tests).
* :func:`open_windows`: for the greedy pass, each window cut down to the plan's open sites and
  windows with the same open sites merged (the greedy only ever closes hubs, so the open sites of
  a window are all it looks at); a flow keeps one pair per distinct open set — a handful, not
  hundreds.
* :func:`smallest_windows`: for the relaxation, each flow's ``tries`` smallest windows.
* :func:`pair_count`: how many pairs there are, without enumerating them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from planner.arrays import equal_sets, offsets, row_entries, set_hashes, unique_ints
from planner.windows import CoverSet

__all__ = [
    "FlowWindows",
    "WindowSets",
    "disjoint_windows",
    "flow_windows",
    "open_windows",
    "pair_count",
    "smallest_windows",
]

#: Flows per block: a block of long European flows at 2.5 km spacing holds a few million pairs.
BLOCK_FLOWS = 16_384


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


@dataclass(frozen=True)
class WindowSets:
    """Windows as CSR (``window_sites[window_ptr[w]:window_ptr[w + 1]]``), as :class:`CoverSet` has them."""

    window_ptr: np.ndarray
    window_sites: np.ndarray

    @property
    def n_windows(self) -> int:
        return len(self.window_ptr) - 1


def _need(cover: CoverSet) -> np.ndarray:
    return np.flatnonzero(cover.servable & ~cover.free)


def _block(cover: CoverSet, need: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (index into ``need``, window) of the flows ``need[lo:hi]``, unsorted, with repeats."""
    flow_parts, window_parts = [], []
    idx = np.arange(lo, hi)
    cur = cover.flow_leaf[need[lo:hi]].astype(np.int64)
    keep = cur >= 0
    cur, idx = cur[keep], idx[keep]
    ptr = cover.node_windows_ptr
    while len(cur):
        counts, at = row_entries(ptr, cur)
        flow_parts.append(np.repeat(idx, counts))
        window_parts.append(cover.node_windows[at])
        cur = cover.node_parent[cur].astype(np.int64)
        keep = cur >= 0
        cur, idx = cur[keep], idx[keep]
    final = cover.flow_final[need[lo:hi]]
    has = final >= 0
    flow_parts.append(lo + np.flatnonzero(has))
    window_parts.append(final[has])
    for i in range(lo, hi):
        ws = (cover.extra or {}).get(int(need[i]))
        if ws:
            flow_parts.append(np.full(len(ws), i))
            window_parts.append(np.asarray(ws, dtype=np.int64))
    empty = np.zeros(0, np.int64)
    flows = np.concatenate([*flow_parts, empty]).astype(np.int64)
    return flows, np.concatenate([*window_parts, empty]).astype(np.int64)


def _blocks(cover: CoverSet, need: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for lo in range(0, len(need), BLOCK_FLOWS):
        yield _block(cover, need, lo, min(lo + BLOCK_FLOWS, len(need)))


def _distinct(flow: np.ndarray, window: np.ndarray, n_win: int) -> tuple[np.ndarray, np.ndarray]:
    key = unique_ints(flow * n_win + window)
    return key // n_win, key % n_win


def _result(need: np.ndarray, weight: np.ndarray, parts: list[tuple[np.ndarray, np.ndarray]]) -> FlowWindows:
    empty = np.zeros(0, np.int64)
    pf = np.concatenate([empty, *(p[0] for p in parts)])
    pw = np.concatenate([empty, *(p[1] for p in parts)])
    return FlowWindows(need, np.asarray(weight, dtype=float)[need], pf, pw)


def flow_windows(cover: CoverSet, weight: np.ndarray) -> FlowWindows:
    """Every window of every flow needing a hub (pairs sorted by flow, then window)."""
    need, n_win = _need(cover), max(cover.n_windows, 1)
    return _result(need, weight, [_distinct(f, w, n_win) for f, w in _blocks(cover, need)])


def pair_count(cover: CoverSet) -> int:
    """How many pairs :func:`flow_windows` would list (repeats along a flow's path included: an
    upper bound, exact when no window repeats), without listing them."""
    need = _need(cover)
    ptr = cover.node_windows_ptr
    cur = cover.flow_leaf[need].astype(np.int64)
    cur = cur[cur >= 0]
    total = int((cover.flow_final[need] >= 0).sum())
    total += sum(len(ws) for q, ws in (cover.extra or {}).items() if ws and cover.servable[q] and not cover.free[q])
    while len(cur):
        total += int((ptr[cur + 1] - ptr[cur]).sum())
        cur = cover.node_parent[cur].astype(np.int64)
        cur = cur[cur >= 0]
    return total


def _open_sets(cover: CoverSet, is_open: np.ndarray) -> tuple[np.ndarray, WindowSets]:
    """Each window's open sites as one of the distinct open sets: (set of each window, the sets).

    Sets are told apart by :func:`planner.arrays.set_hashes`. The empty set is kept: a window with no open
    site leaves its flows unserved."""
    ptr, sites = cover.window_ptr, cover.window_sites
    n_win = cover.n_windows
    owner = np.repeat(np.arange(n_win), np.diff(ptr))
    keep = is_open[sites]
    o, s = owner[keep], sites[keep]
    order, new = equal_sets(set_hashes(o, s, n_win, len(is_open), seed=20261))
    set_of = np.empty(n_win, dtype=np.int64)
    set_of[order] = np.cumsum(new) - 1
    rep = order[new]  # a window of each set, in set order
    count, at = row_entries(offsets(np.bincount(o, minlength=n_win)), rep)  # (o, s): CSR by window
    return set_of, WindowSets(offsets(count), s[at])


def open_windows(cover: CoverSet, weight: np.ndarray, is_open: np.ndarray) -> tuple[FlowWindows, WindowSets]:
    """The pairs the greedy pass needs: per flow, its windows' distinct open sets under ``is_open``
    (pairs index the returned :class:`WindowSets`)."""
    need = _need(cover)
    set_of, sets = _open_sets(cover, is_open)
    n_set = max(sets.n_windows, 1)
    parts = [_distinct(f, set_of[w], n_set) for f, w in _blocks(cover, need)]
    return _result(need, weight, parts), sets


def smallest_windows(cover: CoverSet, weight: np.ndarray, tries: int | None) -> FlowWindows:
    """Each flow's ``tries`` smallest windows (by site count, then id; ``None``: all of them)."""
    need, n_win = _need(cover), max(cover.n_windows, 1)
    size = np.diff(cover.window_ptr).astype(np.int64)
    span = (int(size.max()) + 1 if len(size) else 1) * n_win
    parts = []
    for f, w in _blocks(cover, need):
        if tries is None or not len(f):
            parts.append(_distinct(f, w, n_win))
            continue
        key = unique_ints(f * span + size[w] * n_win + w)  # by flow, then size, then id; repeats once
        f, w = key // span, key % n_win
        rank = np.arange(len(f)) - np.searchsorted(f, f)
        parts.append(_distinct(f[rank < tries], w[rank < tries], n_win))
    return _result(need, weight, parts)


def disjoint_windows(windows: list[int], ptr: np.ndarray, sites: np.ndarray, masks: dict[int, int]) -> list[int]:
    """Of a flow's windows (smallest first), those sharing no site with a window kept before."""
    used = 0
    kept = []
    for w in windows:
        m = masks.get(w)
        if m is None:
            m = masks[w] = sum(1 << k for k in sites[ptr[w] : ptr[w + 1]].tolist())
        if not used & m:
            used |= m
            kept.append(w)
    return kept
