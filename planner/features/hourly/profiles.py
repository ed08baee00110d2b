"""Departure-time profiles per flow: the scenario's shape, or a class shape from a CSV.

``[hourly] departure_profile`` (24 shares) applies to every flow; ``profiles_file`` (``class, h0 …
h23``) and ``flow_classes_file`` (``flow_id, class``) give some flows their class's shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import DataError
from planner.scenario import HourlyConfig
from planner.tables import read_csv_table

__all__ = ["HOURS", "flow_profiles", "normalised"]

HOURS = 24
_HOUR_COLUMNS = [f"h{h}" for h in range(HOURS)]


def normalised(values) -> np.ndarray:
    """A 24-value shape scaled to sum to 1."""
    arr = np.asarray(values, dtype=float)
    return arr / arr.sum()


def _class_shapes(path: Path) -> dict[str, np.ndarray]:
    frame = read_csv_table(path, "hourly profiles", setting="hourly.profiles_file")
    missing = [c for c in ["class", *_HOUR_COLUMNS] if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; give class, h0 … h23.")
    shapes: dict[str, np.ndarray] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        name = row[frame.columns.get_loc("class")]
        if not name:
            raise DataError(f"{path}: row {i} has an empty class; name every class.")
        if name in shapes:
            raise DataError(f"{path}: class {name!r} appears twice (row {i}); keep one row per class.")
        values = pd.to_numeric(pd.Series([row[frame.columns.get_loc(c)] for c in _HOUR_COLUMNS]), errors="coerce")
        bad = values.isna() | ~np.isfinite(values) | (values < 0)
        if bad.any():
            col = _HOUR_COLUMNS[int(np.flatnonzero(bad.to_numpy())[0])]
            raise DataError(f"{path}: class {name!r} column {col} is not a share ≥ 0 (row {i}); give a number.")
        if values.sum() <= 0:
            raise DataError(f"{path}: class {name!r} has no departures (row {i}); give at least one positive share.")
        shapes[name] = normalised(values.to_numpy(dtype=float))
    return shapes


def flow_profiles(config: HourlyConfig, flow_ids: list[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Each flow's departure shape.

    Returns
    -------
    shapes, names, index
        The distinct shapes (``n_classes × 24``, each summing to 1; row 0 the scenario's default), their
        names (``"default"`` first) and each flow's row in ``shapes``.

    Raises
    ------
    DataError
        Unreadable files, missing columns, bad shares, unknown flows or classes, duplicates.
    """
    shapes = [normalised(config.departure_profile)]
    names = ["default"]
    index = np.zeros(len(flow_ids), dtype=int)
    if config.profiles_file is None:
        return np.array(shapes), names, index
    by_class = _class_shapes(config.profiles_file)
    for name in sorted(by_class):
        names.append(name)
        shapes.append(by_class[name])
    if config.flow_classes_file is None:
        return np.array(shapes), names, index
    path = config.flow_classes_file
    frame = read_csv_table(path, "flow classes", setting="hourly.flow_classes_file")
    missing = [c for c in ("flow_id", "class") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; give flow_id, class.")
    row_of = {fid: q for q, fid in enumerate(flow_ids)}
    seen: set[str] = set()
    for i, (fid, name) in enumerate(zip(frame["flow_id"], frame["class"], strict=True), start=2):
        if fid in seen:
            raise DataError(f"{path}: flow {fid!r} appears twice (row {i}); give each flow one class.")
        seen.add(fid)
        if fid not in row_of:
            raise DataError(f"{path}: flow {fid!r} (row {i}) is not a flow of the scenario; use the demand's flow ids.")
        if name not in by_class:
            raise DataError(
                f"{path}: class {name!r} of flow {fid!r} (row {i}) is not in {config.profiles_file.name}; "
                "add it there or fix the name."
            )
        index[row_of[fid]] = names.index(name)
    return np.array(shapes), names, index
