"""Array helpers the standard library of numpy does slower than it should."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Sequence
from itertools import chain
from typing import ParamSpec, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "equal_sets",
    "largest",
    "list_codes",
    "offsets",
    "row_entries",
    "run_positions",
    "set_hashes",
    "unique_ints",
    "up_the_tree",
    "without_gc",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def without_gc(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` with Python's cyclic garbage collector paused (and restored after).

    For code that builds many small lists or tuples (none in a reference cycle) beside large
    containers: each automatic collection they trigger scans every live object of the run. Reading the
    open stops of every flow of ``europe-2030`` off the route tree with 40 % of the candidates open
    (235,182 flows, a tuple of three lists each) took 2.3 s with collections and 1.3 s without (the
    same process, 2026-12-06). Memory is still freed by reference counting.
    """

    @functools.wraps(func)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        was = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return run


def offsets(counts: np.ndarray | Sequence[int]) -> np.ndarray:
    """Start offsets of consecutive runs of the given lengths, and the end: ``[0, c0, c0 + c1, …]``
    (int64, one longer than ``counts``), the ``indptr`` of a CSR layout whose row ``i`` holds
    ``counts[i]`` entries."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def largest(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest ``values`` (ties in index order), sorted; every index when there are
    no more than ``count``."""
    values = np.asarray(values)
    if len(values) <= count:
        return np.arange(len(values))
    return np.sort(np.lexsort((np.arange(len(values)), -values))[:count])


def run_positions(counts: np.ndarray) -> np.ndarray:
    """Each entry's position within its run, for consecutive runs of the given lengths:
    ``[0, 1, …, c0 - 1, 0, 1, …, c1 - 1, …]`` (int64, ``sum(counts)`` long)."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(offsets(counts)[:-1], counts)


def row_entries(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries of some rows of a CSR layout (``data[ptr[r]:ptr[r + 1]]`` is row ``r``): each row's
    length (int64) and the position in ``data`` of every entry, row after row (rows may repeat)."""
    rows = np.asarray(rows, dtype=np.int64)
    start = ptr[rows].astype(np.int64)
    counts = ptr[rows + 1].astype(np.int64) - start
    ends = offsets(counts)
    return counts, np.repeat(start - ends[:-1], counts) + np.arange(ends[-1])


def unique_ints(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array.

    ``np.unique`` in numpy 2.3+ goes through a hash table that is two orders of magnitude slower
    than sorting on large int64 arrays (13 M keys: 16 s against 0.1 s, measured); this sorts.
    """
    s = np.sort(np.asarray(a), kind="stable")
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def set_hashes(row: np.ndarray, member: np.ndarray, n_rows: int, n_values: int, seed: int) -> list[np.ndarray]:
    """Two 64-bit hashes of each row's set of members: sums of random member weights (fixed seed).

    ``row`` (sorted) and ``member`` list the rows' members; an empty row hashes to 0. Two different
    sets share both hashes only if two independent 64-bit sums collide at once.
    """
    rng = np.random.default_rng(seed)
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]]) if len(row) else np.zeros(0, np.int64)
    hashes = []
    for _ in range(2):
        w = rng.integers(1, 2**63, size=max(n_values, 1), dtype=np.uint64)
        h = np.zeros(n_rows, dtype=np.uint64)
        if len(row):
            with np.errstate(over="ignore"):
                h[row[starts]] = np.add.reduceat(w[member], starts)
        hashes.append(h)
    return hashes


def equal_sets(hashes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by equal hashes (:func:`set_hashes`): the sort order (by hashes, then row) and,
    along it, whether each row starts a new group."""
    h0, h1 = hashes
    order = np.lexsort((np.arange(len(h0)), h1, h0))
    a, b = h0[order], h1[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return order, new


def up_the_tree(
    values: np.ndarray, parent: np.ndarray, combine: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """Per tree node, ``values`` of the node and all its ancestors combined (``np.add``,
    ``np.logical_and``, or any associative ``combine(own, ancestors')``): pointer doubling, each step
    combining over 2^t nodes and jumping 2^t up."""
    out, jump = values.copy(), np.array(parent, dtype=np.int64)
    up = np.flatnonzero(jump >= 0)
    while len(up):
        out[up] = combine(out[up], out[jump[up]])
        jump[up] = jump[jump[up]]
        up = up[jump[up] >= 0]
    return out


def list_codes(index: pd.Index, lists: Sequence[Sequence], *, as_text: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each list's length, and the position in ``index`` of every element, list after list (``-1``:
    not in ``index``); ``as_text``: elements compared as ``str``. For routes (node ids) and stop lists
    (site ids) turned into codes in one pass."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = pd.Index(list(chain.from_iterable(lists)), dtype=object)
    return lengths, index.get_indexer(flat.astype(str) if as_text else flat)
