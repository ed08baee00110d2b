"""planner.arrays: ``list_codes`` (lengths and index codes of lists of ids, in one pass) and ``offsets``
(the CSR start offsets of runs of given lengths)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.arrays import list_codes, offsets


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
