"""CSV files of a run: UTF-8 without byte-order mark, money in whole EUR.

Encoding decision: plain UTF-8 (no BOM), comma-separated, ``.`` as decimal point, ``\\n`` line
ends. A BOM would make Excel guess the encoding on a double click, but it still splits on the
locale's list separator (``;`` in much of Europe), and the BOM becomes part of the first header
for Python's ``csv`` module and shell tools. Spreadsheet users get ``plan.xlsx`` (numbers as
numbers, units in the headers); ``docs/formats.md`` says how to import the CSVs into Excel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["is_money", "round_money", "write_csv"]

FLOAT_FORMAT = "%.6f"


def is_money(column: str) -> bool:
    """A money column rounded to whole EUR: ``*_eur`` and ``*_eur_per_year`` (not per-unit costs
    such as ``cost_per_served_truck_km_day_eur``, kept to the cent)."""
    return (column.endswith("_eur") or column.endswith("_eur_per_year")) and not column.startswith("cost_per_")


def round_money(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with money columns as whole EUR (nullable integers, so an empty cell stays empty)
    and per-unit costs (``cost_per_*_eur``) rounded to cents."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            continue
        if is_money(col):
            out[col] = np.round(out[col].astype(float)).astype("Int64")
        elif col.startswith("cost_per_") and col.endswith("_eur"):
            out[col] = out[col].astype(float).round(2)
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, float_format: str | None = FLOAT_FORMAT) -> Path:
    """Write ``frame`` as UTF-8 CSV (no BOM, ``\\n``), money in whole EUR; return ``path``."""
    round_money(frame).to_csv(path, index=False, float_format=float_format, lineterminator="\n", encoding="utf-8")
    return Path(path)
