"""planner.arrays.list_codes: lengths and index codes of lists of ids, in one pass."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.arrays import list_codes


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
