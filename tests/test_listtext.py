"""Flow-table text built in arrays (planner.listtext) and CSV written from columns
(planner.exports.tables): the same strings and bytes as the per-value and pandas writers."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.exports import tables
from planner.exports.tables import write_csv
from planner.listtext import join_lists, join_tenths, join_values, tenths_text
from planner.plan import flows_table
from tests.conftest import two_flows

TIES = [0.05, 0.15, 0.25, 0.35, 0.45, 0.95, 2.675, 1.005, 9.95, 288.75, 536.35, 1126.45, 199999.95]
ODD = [0.0, -0.0, 5e-324, 1e-300, 199999.99, 200000.0, 1e6, 1e300, np.nan, np.inf, -np.inf, -1.25, -0.04, -0.05]


def _one_by_one(values: np.ndarray) -> list[str]:
    return [f"{x:.1f}" for x in np.asarray(values, dtype=float).tolist()]  # the per-value formatter


def test_tenths_text_equals_one_by_one_formatting_on_ties_edges_and_sums() -> None:
    rng = np.random.default_rng(7)
    cases = [
        np.array(TIES + ODD),
        (np.arange(0, 200_000) + 0.5) / 10,  # every half-tenth up to 20,000 km, exactly tied or nearly
        np.arange(0, 100_000) * 0.05,
        rng.random(200_000) * 5000,
        np.round(rng.random(50_000) * 5000, 2) + np.round(rng.random(50_000) * 5000, 2),  # route km: sums
        np.cumsum(np.round(rng.random(50_000) * 80, 1)),
    ]
    for values in cases:
        assert tenths_text(values) == _one_by_one(values)
    assert tenths_text(np.array([])) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40))
def test_tenths_text_equals_one_by_one_formatting_on_any_float(values: list[float]) -> None:
    assert tenths_text(np.array(values, dtype=float)) == _one_by_one(np.array(values, dtype=float))


def test_joins_equal_the_per_value_joins() -> None:
    rng = np.random.default_rng(3)
    km = [list(np.round(rng.random(n) * 2000, 3)) for n in rng.integers(0, 9, 500)] + [[], [0.05, 0.15, 288.75]]
    assert join_tenths(km) == [";".join(map("{:.1f}".format, x)) for x in km]
    names = [[f"N{i}" for i in range(n)] for n in range(5)]
    assert join_lists(names) == ["", "N0", "N0;N1", "N0;N1;N2", "N0;N1;N2;N3"]
    fmt = "{:g}".format
    for shares in (
        [[1.0] * n for n in (3, 0, 1, 3, 7)],  # every share 1: one text per length
        [[0.5, 1.0], [], [0.333333, 1e-7]],
        [[0.0, -0.0], [-0.0]],  # zeros keep their sign, as "{:g}" writes them
        [[float("nan")] * 2, [float("nan")]],
    ):
        assert join_values(shares, fmt) == [";".join(map(fmt, x)) for x in shares]
    assert join_values([[], []], fmt) == ["", ""]


def test_flows_table_text_columns() -> None:
    flows = two_flows()
    table = flows_table(flows)
    assert table["route_nodes"].tolist() == ["A;B;C", "B;D"]
    assert table["stops"].tolist() == ["s1;s2", ""]
    assert table["stops_km"].tolist() == ["0.2;288.8", ""]  # half to even on the exact value
    assert table["stops_share"].tolist() == ["1;0.25", ""]


def _pandas_csv(frame: pd.DataFrame, float_format: str | None = tables.FLOAT_FORMAT) -> bytes:
    buf = io.BytesIO()
    tables.round_money(frame).to_csv(buf, index=False, float_format=float_format, lineterminator="\n", encoding="utf-8")
    return buf.getvalue()


def _written(frame: pd.DataFrame, tmp_path: Path, **kw: str | None) -> tuple[bytes, bool]:
    path = tmp_path / "t.csv"
    used = tables._write_columns(tables.round_money(frame), path, kw.get("float_format", tables.FLOAT_FORMAT))
    write_csv(frame, path, **kw)
    return path.read_bytes(), used


def _mixed(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    frame = pd.DataFrame(
        {
            "site_id": [f"S{i:04d}" for i in range(n)],
            "name": ["Stryków", "", "Łódź Węzeł", None, "a b"] * (n // 5) + ["x"] * (n % 5),
            "km": rng.random(n) * 1000,
            "count": rng.integers(-5, 5, n),
            "locked": rng.random(n) < 0.5,
            "capex_eur": rng.random(n) * 1e7,  # money: whole EUR as nullable integers
            "cost_per_truck_km_eur": rng.random(n),
        }
    )
    frame.loc[frame.index[::7], "km"] = np.nan
    frame.loc[frame.index[::11], "capex_eur"] = np.nan
    if n >= 2:
        frame.loc[frame.index[:2], "km"] = [np.inf, -0.0]
    return frame


def test_csv_from_columns_equals_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "CHUNK_ROWS", 7)
    for n in (0, 1, 7, 17, 2_003):  # one chunk, several, and not a whole number of chunks
        frame = _mixed(n)
        data, used = _written(frame, tmp_path)
        assert used, n
        assert data == _pandas_csv(frame)
    frame = _mixed(40)
    frame["name"] = frame["name"].astype("str")
    frame["float32"] = np.arange(40, dtype="float32") / 3
    data, used = _written(frame, tmp_path)
    assert used and data == _pandas_csv(frame)


@pytest.mark.parametrize(
    ("change", "float_format"),
    [
        ({"name": "Frankfurt, Main"}, tables.FLOAT_FORMAT),  # quoted
        ({"name": 'say "hi"'}, tables.FLOAT_FORMAT),
        ({"name": "two\nlines"}, tables.FLOAT_FORMAT),
        ({"name": "cr\r"}, tables.FLOAT_FORMAT),
        ({"name": 3.5}, tables.FLOAT_FORMAT),  # a number among text
        ({}, None),  # floats without a format: pandas' own
    ],
)
def test_csv_falls_back_to_pandas_and_writes_the_same(tmp_path: Path, change: dict, float_format: str | None) -> None:
    frame = _mixed(10)
    frame["name"] = frame["name"].astype(object)
    for col, value in change.items():
        frame.loc[3, col] = value
    data, used = _written(frame, tmp_path, float_format=float_format)
    assert not used
    assert data == _pandas_csv(frame, float_format)


def test_csv_one_column_and_odd_names_go_to_pandas(tmp_path: Path) -> None:
    for frame in (
        pd.DataFrame({"a": ["", "x"]}),  # a lone empty field is quoted
        pd.DataFrame({"a,b": ["x"], "c": ["y"]}),
    ):
        data, used = _written(frame, tmp_path)
        assert not used
        assert data == _pandas_csv(frame)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6) | st.none(),
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(min_value=-(2**62), max_value=2**62),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_csv_equals_pandas_on_any_fields(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["text", "x", "n", "flag"])
    if not len(frame):
        frame = frame.astype({"x": float, "n": "int64", "flag": bool})
    path = tmp_path_factory.getbasetemp() / "any-fields.csv"
    write_csv(frame, path)
    assert path.read_bytes() == _pandas_csv(frame)
