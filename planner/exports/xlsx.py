"""``plan.xlsx``: the plan for spreadsheet users (XlsxWriter).

Sheets ``summary`` (item, value, unit, meaning), ``hubs``, ``flows``, ``years`` (rollouts),
``afir`` (when measured) and ``hub_hourly`` / ``hub_simulation`` (hourly sizing). Numbers are
stored as numbers (money whole EUR with a thousands format, shares as percentages, years without
separators), text as text (UTF-8 names such as "Stryków" stay intact; text that looks like a
number, formula or URL is not converted); each header carries its unit (``volume [trucks/day]``)
and a cell note with its meaning. The header row is frozen and filterable. The file is
byte-reproducible: fixed document dates and fixed zip entry times.

Number formats are set per column (one format per column, chosen from its unit, its money
suffix or its values), so they cost nothing per cell and hold for every row, however many.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from planner.units import unit_from_key

from .columns import AFIR_UNITS, ALL_UNITS, FLOW_UNITS, HUB_UNITS, SUMMARY_UNITS, YEAR_UNITS, header, unit_of
from .tables import is_money

__all__ = ["summary_rows", "write_workbook"]

FIXED_TIME = datetime(2000, 1, 1)
#: constant_memory: rows go to disk as they are written (they are written in order); the
#: strings_to_* conversions are off so that ids such as "0012" or "=A1" stay text.
OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
HEAD_STYLE = {"bold": True, "pattern": 1, "bg_color": "#DDE6EE", "text_wrap": True, "valign": "top"}
NOTE_STYLE = {"author": "planner", "width": 260, "height": 80}
SKIP_SUMMARY = {"unservable_flows", "years", "tradeoff", "verification"}
FORMATS = {"EUR": "#,##0", "EUR/year": "#,##0", "share 0–1": "0.0%", "year": "0", "points": "#,##0"}


def _cell_value(value: Any) -> Any:
    """A cell value: numbers stay numbers, NaN/None empty, numpy scalars unwrapped."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_format(column: str, unit: str, value: Any) -> str | None:
    """The format of one number: money whole EUR, per unit (:data:`FORMATS`), else by type and size."""
    if not _is_number(value):
        return None
    if is_money(column):
        return "#,##0"
    if unit in FORMATS:
        return FORMATS[unit]
    return "#,##0" if isinstance(value, int) else "#,##0.00" if abs(value) >= 1 else "0.000"


def _kind(series: pd.Series) -> str:
    """``f``/``i``/``u``/``b`` for numpy float, integer and bool columns (read in one go), ``O``
    for everything else (text, nullable and mixed columns: read cell by cell)."""
    dtype = series.dtype
    return dtype.kind if isinstance(dtype, np.dtype) and dtype.kind in "fiub" else "O"


def _column_values(series: pd.Series, kind: str, money: bool) -> list[Any]:
    """The cells of one column as Python values (None for NaN/NA/±inf, money floats as whole EUR)."""
    if kind == "f":
        arr = series.to_numpy()
        ok = np.isfinite(arr)
        if money:
            arr = np.round(arr)  # half to even, as round()
        out = arr.astype(object)
        out[~ok] = None
        return out.tolist()
    if kind in "iub":
        return series.tolist()
    values = [_cell_value(v) for v in series.tolist()]
    if money:
        values = [round(v) if isinstance(v, float) else v for v in values]
    return [None if isinstance(v, str) and not v else v for v in values]


def _column_format(column: str, unit: str, kind: str, values: list[Any]) -> str | None:
    """One number format for a column's cells (None for text and flags): as :func:`_number_format`,
    but floats ``#,##0.00`` if any has a magnitude of 1 or more, else ``0.000``."""
    if kind == "b":
        return None
    if kind in "iu":
        numbers = values[:1]
    elif kind == "f":
        numbers = [v for v in values if v is not None]
    else:
        numbers = [v for v in values if _is_number(v)]
    if not numbers:
        return None
    if is_money(column) or unit in FORMATS or all(isinstance(v, int) for v in numbers):
        return _number_format(column, unit, numbers[0])
    return "#,##0.00" if any(abs(v) >= 1 for v in numbers) else "0.000"


class _Styles:
    """The workbook's formats: the header style and one format per number format."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.head = wb.add_format(HEAD_STYLE)
        self.numbers: dict[str, Format] = {}

    def number(self, fmt: str | None) -> Format | None:
        if fmt is None:
            return None
        if fmt not in self.numbers:
            self.numbers[fmt] = self.wb.add_format({"num_format": fmt})
        return self.numbers[fmt]


def _write_value(ws: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
    """One cell by the type of ``value`` (already through :func:`_cell_value`); None and "" stay empty."""
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    elif value != "":
        ws.write_string(row, col, str(value), fmt)


def _head_row(ws: Worksheet, styles: _Styles, names: list[str], notes: list[str]) -> None:
    for j, (name, note) in enumerate(zip(names, notes, strict=True)):
        ws.write_string(0, j, name, styles.head)
        if note:
            ws.write_comment(0, j, note.replace("`", ""), NOTE_STYLE)


def _writer(ws: Worksheet, kind: str, values: list[Any]) -> Callable[[int, int, Any], Any]:
    """The write method for a column's cells: by dtype, text-only columns as strings, else per value."""
    if kind in "iuf":
        return ws.write_number
    if kind == "b":
        return ws.write_boolean
    if all(type(v) is str for v in values if v is not None):
        return ws.write_string

    def write(row: int, col: int, value: Any) -> None:
        _write_value(ws, row, col, value)

    return write


def _write_table(ws: Worksheet, styles: _Styles, frame: pd.DataFrame, units: dict[str, tuple[str, str]]) -> None:
    """Header (name [unit], note with the meaning) and rows, typed per column, one number format
    per column."""
    columns = list(frame.columns)
    names = [header(col, units) for col in columns]
    cells: list[list[Any]] = []
    writers: list[Callable[..., Any]] = []
    for j, col in enumerate(columns):
        kind = _kind(frame.iloc[:, j])
        values = _column_values(frame.iloc[:, j], kind, is_money(col))
        fmt = styles.number(_column_format(col, unit_of(col, units), kind, values))
        ws.set_column(j, j, min(max(len(names[j]) + 2, 10), 48), fmt)
        cells.append(values)
        writers.append(_writer(ws, kind, values))
    ws.freeze_panes(1, 0)
    if columns:
        ws.autofilter(0, 0, len(frame), len(columns) - 1)
    _head_row(ws, styles, names, [units.get(col, ("", ""))[1] for col in columns])
    typed = list(zip(range(len(columns)), writers, cells, strict=True))
    for i in range(len(frame)):
        row = i + 1
        for j, write, values in typed:
            value = values[i]
            if value is not None:
                write(row, j, value)


def _summary_unit(key: str) -> str:
    return SUMMARY_UNITS[key][0] if key in SUMMARY_UNITS else unit_from_key(key)


def _flat(obj: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flat(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list) and obj and all(isinstance(v, dict) for v in obj):
        for i, v in enumerate(obj):
            yield from _flat(v, f"{prefix}.{i}")
    else:
        yield prefix, obj


def summary_rows(summary: dict) -> pd.DataFrame:
    """``summary.json`` as rows ``item, value, unit, meaning`` (nested blocks as dotted items;
    the flow-id list as a count; verification checks one row each)."""
    rows: list[tuple[str, Any, str, str]] = []
    for key, value in summary.items():
        if key in SKIP_SUMMARY:
            continue
        for item, v in _flat(value, key):
            rows.append((item, _cell_value(v), _summary_unit(item), SUMMARY_UNITS.get(item, ("", ""))[1]))
    unservable = summary.get("unservable_flows")
    if isinstance(unservable, list):
        rows.append(("unservable_flows (count)", len(unservable), "flows", "flows no set of hubs can serve"))
    ver = summary.get("verification")
    if isinstance(ver, dict):
        rows.append(("verification.passed", _cell_value(ver.get("passed")), "true/false", "all checks passed"))
        for check in ver.get("checks") or []:
            if isinstance(check, dict):
                status = "pass" if check.get("passed") else "FAIL"
                rows.append((f"check: {check.get('name')}", status, "", str(check.get("detail", ""))))
    return pd.DataFrame(rows, columns=["item", "value", "unit", "meaning"])


def _summary_sheet(ws: Worksheet, styles: _Styles, summary: dict) -> None:
    """One row per item; the value column mixes units, so its numbers are formatted per cell."""
    frame = summary_rows(summary)
    for j, width in enumerate((46, 22, 14, 70)):
        ws.set_column(j, j, width)
    ws.freeze_panes(1, 0)
    _head_row(ws, styles, list(frame.columns), [""] * len(frame.columns))
    for i, (item, value, unit, meaning) in enumerate(frame.itertuples(index=False), start=1):
        value = _cell_value(value)  # numpy scalars from the value column's dtype
        _write_value(ws, i, 0, item)
        _write_value(ws, i, 1, value, styles.number(_number_format(item.rsplit(".", 1)[-1], unit, value)))
        _write_value(ws, i, 2, unit or None)
        _write_value(ws, i, 3, meaning or None)


def year_frame(summary: dict) -> pd.DataFrame:
    """``summary["years"]`` as a table, per-type dicts as ``<key>_<type>`` columns, plus the charging
    ``points`` open at the end of each year (the points added so far) and their ``power_mw`` (the points
    added by type times each type's power, ``summary["chargers"]["power_kw_by_type"]``), when known.

    The one year table of a rollout: ``years.csv``, the ``years`` sheet of ``plan.xlsx``, the report's
    year table and ``planner compare``'s ``kpis_by_year.csv``.
    """
    rows = summary.get("years")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return pd.DataFrame()
    power = (summary.get("chargers") or {}).get("power_kw_by_type") or {}
    flat = []
    points = mw = 0.0
    for r in rows:
        out: dict[str, Any] = {}
        for k, v in r.items():
            if isinstance(v, dict):
                out.update({f"{k}_{t}": n for t, n in v.items()})
            else:
                out[k] = v
        if "chargers_added" in r:
            points += float(r["chargers_added"] or 0)
            out["points"] = int(points)
        added = r.get("chargers_added_by_type")
        if isinstance(added, dict) and power:
            mw += sum(float(n) * float(power.get(t, 0.0)) for t, n in added.items()) / 1000.0
            out["power_mw"] = round(mw, 3)
        flat.append(out)
    return pd.DataFrame(flat)


def write_workbook(
    path: Path,
    summary: dict,
    hubs: pd.DataFrame,
    flows: pd.DataFrame,
    afir: pd.DataFrame | None = None,
    extra: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write ``plan.xlsx``.

    Parameters
    ----------
    path
        Output file.
    summary
        The content of summary.json.
    hubs, flows
        As in hubs.csv / flows.csv (list columns already joined).
    afir
        The per-direction table of afir.csv, if measured.
    extra
        Further tables by file name (``hub_hourly.csv``, ``hub_simulation.csv``); each becomes a sheet
        named after the file, with the units of :data:`planner.exports.columns.ALL_UNITS`.

    Returns
    -------
    Path
    """
    buf = io.BytesIO()
    # XlsxWriter dates every zip entry 1980-01-31 (1980-01-01 in memory); "created" also sets
    # the modified date of docProps/core.xml.
    wb = Workbook(buf, OPTIONS)
    wb.set_properties({"author": "planner", "created": FIXED_TIME})
    styles = _Styles(wb)
    _summary_sheet(wb.add_worksheet("summary"), styles, summary)
    _write_table(wb.add_worksheet("hubs"), styles, hubs, HUB_UNITS)
    _write_table(wb.add_worksheet("flows"), styles, flows, FLOW_UNITS)
    years = year_frame(summary)
    if len(years):
        _write_table(wb.add_worksheet("years"), styles, years, YEAR_UNITS)
    if afir is not None and len(afir):
        _write_table(wb.add_worksheet("afir"), styles, afir, AFIR_UNITS)
    for name, table in sorted((extra or {}).items()):
        if name in ALL_UNITS and len(table):
            _write_table(wb.add_worksheet(name.removesuffix(".csv")), styles, table, ALL_UNITS[name])
    wb.close()
    Path(path).write_bytes(buf.getvalue())
    return Path(path)
