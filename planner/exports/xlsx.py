"""``plan.xlsx``: the plan for spreadsheet users (openpyxl).

Sheets ``summary`` (item, value, unit, meaning), ``hubs``, ``flows``, ``years`` (rollouts) and
``afir`` (when measured). Numbers are stored as numbers (money whole EUR with a thousands
format, shares as percentages, years without separators), text as text (UTF-8 names such as
"Stryków" stay intact); each header carries its unit (``volume [trucks/day]``) and a cell note
with its meaning. The header row is frozen and filterable. The file is byte-reproducible: fixed
document dates and fixed zip entry times.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planner.units import unit_from_key

from .columns import AFIR_UNITS, FLOW_UNITS, HUB_UNITS, SUMMARY_UNITS, YEAR_UNITS, header, unit_of
from .tables import is_money

__all__ = ["summary_rows", "write_workbook"]

FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
HEAD_FONT = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDE6EE")
SKIP_SUMMARY = {"unservable_flows", "years", "tradeoff", "verification"}
FORMATS = {"EUR": "#,##0", "EUR/year": "#,##0", "share 0–1": "0.0%", "year": "0", "points": "#,##0"}


def _cell_value(value: Any) -> Any:
    """A cell value: numbers stay numbers, NaN/None empty, numpy scalars unwrapped."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return value


def _number_format(column: str, unit: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if is_money(column):
        return "#,##0"
    if unit in FORMATS:
        return FORMATS[unit]
    return "#,##0" if isinstance(value, int) else "#,##0.00" if abs(value) >= 1 else "0.000"


#: Tables longer than this are written as plain typed values (no per-cell number format): a
#: European run's 145,000 flows then take seconds instead of minutes.
FORMATTED_ROWS = 20_000


def _head_cell(ws: Worksheet, value: str, note: str = "") -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font, cell.fill = HEAD_FONT, HEAD_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if note:
        cell.comment = Comment(note.replace("`", ""), "planner", width=260, height=80)
    return cell


def _write_table(ws: Worksheet, frame: pd.DataFrame, units: dict[str, tuple[str, str]]) -> None:
    """Header (name [unit], note with the meaning) and rows, typed (and, up to
    :data:`FORMATTED_ROWS` rows, formatted) per column."""
    for j, col in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(len(header(col, units)) + 2, 10), 48)
    ws.freeze_panes = "A2"
    if len(frame.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{max(len(frame) + 1, 1)}"
    ws.append([_head_cell(ws, header(col, units), units.get(col, ("", ""))[1]) for col in frame.columns])
    money = [is_money(c) for c in frame.columns]
    unit = [unit_of(c, units) for c in frame.columns]
    formatted = len(frame) <= FORMATTED_ROWS
    for row in frame.itertuples(index=False):
        values = []
        for j, raw in enumerate(row):
            value = _cell_value(raw)
            if money[j] and isinstance(value, float):
                value = round(value)
            fmt = _number_format(frame.columns[j], unit[j], value) if formatted else None
            if fmt:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt
                value = cell
            values.append(value)
        ws.append(values)


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


def _summary_sheet(ws: Worksheet, summary: dict) -> None:
    frame = summary_rows(summary)
    for letter, width in zip("ABCD", (46, 22, 14, 70), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.append([_head_cell(ws, name) for name in frame.columns])
    for item, value, unit, meaning in frame.itertuples(index=False):
        fmt = _number_format(item.rsplit(".", 1)[-1], unit, value)
        cell: Any = value
        if fmt:
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = fmt
        ws.append([item, cell, unit or None, meaning or None])


def year_frame(summary: dict) -> pd.DataFrame:
    """``summary["years"]`` as a table, per-type dicts as ``<key>_by_type_<type>`` columns."""
    rows = summary.get("years")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return pd.DataFrame()
    flat = []
    for r in rows:
        out: dict[str, Any] = {}
        for k, v in r.items():
            if isinstance(v, dict):
                out.update({f"{k}_{t}": n for t, n in v.items()})
            else:
                out[k] = v
        flat.append(out)
    return pd.DataFrame(flat)


def _reproducible(data: bytes) -> bytes:
    """The xlsx bytes with fixed document dates and zip entry times."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms)", rf"\g<1>{stamp}\g<2>", text)
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def write_workbook(
    path: Path,
    summary: dict,
    hubs: pd.DataFrame,
    flows: pd.DataFrame,
    afir: pd.DataFrame | None = None,
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

    Returns
    -------
    Path
    """
    wb = Workbook(write_only=True)
    wb.properties.creator = "planner"
    wb.properties.created = FIXED_TIME
    _summary_sheet(wb.create_sheet("summary"), summary)
    _write_table(wb.create_sheet("hubs"), hubs, HUB_UNITS)
    _write_table(wb.create_sheet("flows"), flows, FLOW_UNITS)
    years = year_frame(summary)
    if len(years):
        _write_table(wb.create_sheet("years"), years, YEAR_UNITS)
    if afir is not None and len(afir):
        _write_table(wb.create_sheet("afir"), afir, AFIR_UNITS)
    buf = io.BytesIO()
    wb.save(buf)
    Path(path).write_bytes(_reproducible(buf.getvalue()))
    return Path(path)
