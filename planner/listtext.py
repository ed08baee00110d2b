"""Lists per row joined to text (``a;b;c``), each value formatted from one flat array.

The flow tables (``flows.csv``, the flows layer of ``plan.gpkg``, the flows sheet of ``plan.xlsx``)
hold one list per flow (the route's nodes, the charging stops, their route km and shares). With every
flow of a European plan these are millions of values: formatting each in Python was most of
:func:`planner.plan.flows_table`'s time (``europe-2030-afir``: 7.44 M stops, 2.1 s for the route km
alone). Here route km are rounded in arrays and their texts looked up in a table, and a list of equal
shares is formatted once per length; the strings are the same as ``f"{x:.1f}"`` and ``"{:g}".format(x)``
give, value by value (the rounding of a tie is decided on the exact value, as the formatting does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain, islice

import numpy as np

__all__ = ["join_lists", "join_tenths", "join_values", "tenths_text"]

#: Route km up to this many tenths go through the lookup table (200,000 km, longer than any route).
MAX_TENTHS = 2_000_000


def _flat(lists: Sequence[Sequence[float]]) -> tuple[np.ndarray, list[int]]:
    counts = [len(x) for x in lists]
    flat = np.fromiter(chain.from_iterable(lists), dtype=float, count=sum(counts))
    return flat, counts


def _join(tokens: Sequence[str], counts: list[int], sep: str) -> list[str]:
    it = iter(tokens)
    return [sep.join(islice(it, n)) for n in counts]


def join_lists(lists: Sequence[Sequence[str]], sep: str = ";") -> list[str]:
    """Each list of text joined by ``sep``."""
    return [sep.join(x) for x in lists]


def _rounded_tenths(values: np.ndarray) -> np.ndarray:
    """Each value's tenfold rounded half to even as an exact number would be (values finite,
    non-negative and below :data:`MAX_TENTHS` tenths).

    ``10 x`` is taken exactly as ``p + err`` (``8 x`` and ``2 x`` are exact; ``p`` is their rounded
    sum and ``err`` what the rounding lost, by Knuth's two-sum), so a value whose product falls on
    or near a half rounds as the decimal formatting of ``x`` itself does.
    """
    eight, two = values * 8.0, values * 2.0
    product = eight + two
    back = product - eight
    err = (eight - (product - back)) + (two - back)
    whole = np.floor(product)
    beyond_half = (product - whole - 0.5) + err  # the sign is exact: Sterbenz near the half
    tenths = whole.astype(np.int64)
    return tenths + ((beyond_half > 0) | ((beyond_half == 0) & ((tenths & 1) == 1)))


def tenths_text(values: np.ndarray) -> list[str]:
    """``f"{x:.1f}"`` for each value.

    A non-negative finite value below :data:`MAX_TENTHS` tenths is its tenths rounded exactly
    (:func:`_rounded_tenths`) looked up in a table of texts; every other value (negatives, -0.0,
    NaN, inf) is formatted one by one.
    """
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        fast = np.isfinite(values) & ~np.signbit(values) & (values < MAX_TENTHS / 10)
    tenths = _rounded_tenths(np.where(fast, values, 0.0))
    top = int(tenths.max()) if len(tenths) else 0
    table = np.array([f"{t // 10}.{t % 10}" for t in range(top + 1)], dtype=object)
    out = table[tenths]
    slow = np.flatnonzero(~fast)
    if len(slow):
        out[slow] = [f"{x:.1f}" for x in values[slow].tolist()]
    return out.tolist()


def join_tenths(lists: Sequence[Sequence[float]], sep: str = ";") -> list[str]:
    """Each list of numbers as ``f"{x:.1f}"`` texts joined by ``sep``."""
    flat, counts = _flat(lists)
    return _join(tenths_text(flat), counts, sep)


def join_values(lists: Sequence[Sequence[float]], fmt: Callable[[float], str], sep: str = ";") -> list[str]:
    """Each list of numbers as ``fmt(x)`` texts joined by ``sep``.

    When every value is the same non-zero number (every share of trucks 1.0, as in every plan whose
    trucks charge at each hub they pass) ``fmt`` is called once and each list's text depends only on
    its length; otherwise once per value.
    """
    flat, counts = _flat(lists)
    if len(flat) and flat.min() == flat.max() != 0.0:  # NaN and zeros (0.0 / -0.0) go the long way
        text = fmt(float(flat[0]))
        by_length: dict[int, str] = {}
        return [by_length.get(n) or by_length.setdefault(n, sep.join([text] * n)) for n in counts]
    return [sep.join(map(fmt, x)) for x in lists]
