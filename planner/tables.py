"""Reading the user's CSV tables: one clear line for every way a file can be wrong.

Every CSV input (nodes, edges, flows, trips, zones, sites, grid capacity points) goes through
:func:`read_csv_table`: a missing path, a folder, an unreadable file, bytes that are not UTF-8, an
empty file, a row with too many fields (the first one too, which pandas would read as an index) or
an unbalanced quote all end in a :class:`~planner.errors.DataError` naming the file, the line and
the fix. Values come back as stripped strings; :func:`finite_column` turns a column into finite
numbers within bounds, naming the first bad row.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError

__all__ = ["decimal_comma_hint", "finite_column", "read_csv_table"]

_LINE = re.compile(r"line (\d+)|row (\d+)")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def decimal_comma_hint(value: object) -> str:
    """``" (use '.' as the decimal point)"`` for a value like ``1,5``, else ``""`` (for number errors)."""
    return " (use '.' as the decimal point)" if _DECIMAL_COMMA.fullmatch(str(value).strip()) else ""


def _decode(path: Path, data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}: {what} file is not UTF-8 text (line {line}, byte {exc.start}); save it as UTF-8 (CSV UTF-8)."
        ) from None


def read_csv_table(path: Path | str, what: str, *, setting: str = "") -> pd.DataFrame:
    """Read a CSV file as strings (header row required).

    Parameters
    ----------
    path
        The file.
    what
        What the file holds, for messages (``flows``, ``sites``, ...).
    setting
        The scenario field naming the file, for the "not found" message.

    Raises
    ------
    DataError
        If the file is missing, unreadable, not UTF-8, empty or malformed.
    """
    path = Path(path)
    where = f" (check {setting} in the scenario)" if setting else ""
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a {what} CSV file{where}.")
    if not path.is_file():
        raise DataError(f"{path}: {what} file not found; check the path{where}.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {what} file ({exc.strerror}); check its permissions.") from None
    text = _decode(path, data, what)
    if not text.strip():
        raise DataError(f"{path}: the {what} file is empty; it needs a header row and one row per entry.")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the {what} file has no header row; add one (see docs/formats.md).") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: cannot read the {what} CSV: {_parser_message(exc)}; fix that line.") from None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took the extra leading fields of the rows as an index
        raise DataError(
            f"{path}: cannot read the {what} CSV: its first row has more fields than the header (a trailing comma?); "
            "remove the extra fields or name every column."
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) == 1 and (sep := _other_separator(frame.columns[0])):
        raise DataError(
            f"{path}: the {what} file separates its columns with {sep}; save it as comma-separated CSV "
            "with '.' as the decimal point."
        )
    bad = [c for c in frame.columns if c.startswith("Unnamed:") or not c]
    if bad:
        raise DataError(f"{path}: the {what} file has an empty column name in its header; name every column.")
    return frame.apply(lambda col: col.str.strip())


def _other_separator(header: str) -> str | None:
    """The separator a one-column header suggests (``';'`` or a tab), or None."""
    for sep, name in ((";", "';' (as spreadsheets save CSV in many European locales)"), ("\t", "tabs")):
        if sep in header:
            return name
    return None


def _parser_message(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()[-1]
    msg = msg.replace("Error tokenizing data. C error: ", "")
    if "EOF inside string" in msg:
        found = _LINE.search(msg)
        # pandas counts "row"s of the file from 0 (the header is row 0): the line is one more
        row = (found.group(1) or str(int(found.group(2)) + 1)) if found else "?"
        return f"a quote opened on line {row} is never closed"
    if "Expected" in msg and "fields" in msg:
        return msg.rstrip(".") + " (a row has more fields than the header)"
    return msg.rstrip(".")


def finite_column(
    frame: pd.DataFrame,
    column: str,
    where: str,
    *,
    ids: pd.Series | None = None,
    lo: float = -math.inf,
    hi: float = math.inf,
    lo_open: bool = False,
    unit: str = "",
) -> np.ndarray:
    """A column as finite floats within ``[lo, hi]`` (``(lo, hi]`` if ``lo_open``).

    Raises
    ------
    DataError
        Naming the first row whose value is empty, not a number, infinite/NaN or out of range.
    """
    raw = frame[column].astype(str).str.strip()
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad_num = ~np.isfinite(values)
    below = values <= lo if lo_open else values < lo
    bad = bad_num | below | (values > hi)
    if not bad.any():
        return values
    i = int(np.flatnonzero(bad)[0])
    label = f"{ids.iloc[i]!r}" if ids is not None else f"row {i + 2}"
    got = raw.iloc[i] or "empty"
    suffix = f" {unit}" if unit else ""
    if bad_num[i]:
        need = "a finite number"
    elif below[i]:
        need = f"a value {'>' if lo_open else '≥'} {lo:g}{suffix}"
    else:
        need = f"at most {hi:g}{suffix}"
    raise DataError(f"{where}: {label}: {column} = {got} is not valid; give {need}{decimal_comma_hint(got)}.")
