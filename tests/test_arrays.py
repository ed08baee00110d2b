"""planner.arrays: ``list_codes`` (lengths and index codes of lists of ids, in one pass), ``offsets``
(the CSR start offsets of runs of given lengths), ``run_positions`` (each entry's place in its run) and
``row_entries`` (the entries of some CSR rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.arrays import largest, list_codes, offsets, row_entries, run_positions


def test_lengths_and_codes_list_after_list() -> None:
    index = pd.Index(["A", "B", "C"], dtype=object)
    lengths, codes = list_codes(index, [["C", "A"], [], ["B", "X", "A"]])
    assert lengths.tolist() == [2, 0, 3]
    assert codes.tolist() == [2, 0, 1, -1, 0]  # X is not in the index
    lengths, codes = list_codes(index, [])
    assert lengths.tolist() == [] and codes.tolist() == []


def test_as_text_compares_ids_as_strings() -> None:
    index = pd.Index(["1", "2"], dtype=object)
    assert list_codes(index, [[1, 2]])[1].tolist() == [-1, -1]
    assert list_codes(index, [[1, 2], ["2"]], as_text=True)[1].tolist() == [0, 1, 1]
    assert list_codes(index, [np.array(["2", "1"], dtype=object)])[1].tolist() == [1, 0]


def test_offsets_are_run_starts_then_the_end() -> None:
    out = offsets(np.array([3, 0, 2], dtype=np.int32))
    assert out.tolist() == [0, 3, 3, 5] and out.dtype == np.int64
    assert offsets([]).tolist() == [0] and offsets([]).dtype == np.int64
    assert offsets(np.array([True, False, True])).tolist() == [0, 1, 1, 2]
    lists = [[4, 1], [], [7], [2, 2, 9]]
    ptr = offsets([len(x) for x in lists])
    flat = [v for x in lists for v in x]
    assert [flat[ptr[i] : ptr[i + 1]] for i in range(len(lists))] == lists
    big = offsets(np.full(3, 2**40, dtype=np.int64))  # no overflow through a narrower type
    assert big[-1] == 3 * 2**40


def test_largest_keeps_the_greatest_ties_in_index_order() -> None:
    values = np.array([5.0, 9.0, 5.0, 1.0, 9.0, 5.0])
    assert largest(values, 3).tolist() == [0, 1, 4]  # both 9s, then the first 5
    assert largest(values, 4).tolist() == [0, 1, 2, 4]
    assert largest(values, 6).tolist() == largest(values, 10).tolist() == [0, 1, 2, 3, 4, 5]
    assert largest(np.zeros(0), 2).tolist() == []


def test_run_positions_count_up_within_each_run() -> None:
    out = run_positions(np.array([3, 0, 2, 1], dtype=np.int32))
    assert out.tolist() == [0, 1, 2, 0, 1, 0] and out.dtype == np.int64
    assert run_positions(np.zeros(0, dtype=np.int64)).tolist() == []
    counts = np.array([2, 5, 0, 4])  # the same as counting by hand, run after run
    assert run_positions(counts).tolist() == [i for c in counts for i in range(c)]


def test_row_entries_lists_each_rows_entries_in_order() -> None:
    ptr = np.array([0, 2, 2, 5, 6], dtype=np.int32)  # rows [0, 1], [], [2, 3, 4], [5]
    data = np.array([10, 11, 20, 21, 22, 30])
    counts, at = row_entries(ptr, np.array([2, 0, 1, 2, 3]))  # a row twice, an empty row
    assert counts.tolist() == [3, 2, 0, 3, 1] and counts.dtype == np.int64
    assert data[at].tolist() == [20, 21, 22, 10, 11, 20, 21, 22, 30]
    counts, at = row_entries(ptr, np.array([], dtype=np.int64))
    assert counts.tolist() == [] and at.tolist() == []
    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 6, 200)
    big = offsets(sizes)
    rows = rng.integers(0, 200, 500)
    expected = [v for r in rows for v in range(big[r], big[r + 1])]
    assert row_entries(big, rows)[1].tolist() == expected
