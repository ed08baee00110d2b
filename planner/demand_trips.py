"""Trip-level demand: one row per truck trip, aggregated into flows by origin and destination.

A trips file (``[demand] trips``, see ``docs/formats.md``) lists truck trips between network nodes,
each with an optional daily frequency ``trips_per_day`` (default 1). Trips with the same origin and
destination become one flow whose volume is the sum of their frequencies; flows are sorted by
``(origin, destination)`` and named ``T-<origin>-<destination>``. Everything past the CSV parser
is vectorised (the node names are factorised once, flows are one ``numpy.unique`` of pair codes),
so millions of trips aggregate in seconds.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from planner.arrays import largest
from planner.demand import MAX_FLOW_VOLUME, outside_scope
from planner.errors import DataError
from planner.tables import finite_column, read_csv_table

__all__ = ["read_trips_csv"]

#: Rows or names listed in an error message before ``...``.
_SHOWN = 5


def _shown(items: list[str], total: int) -> str:
    return ", ".join(items[:_SHOWN]) + (", ..." if total > _SHOWN else "")


def _trip_labels(frame: pd.DataFrame, path: Path) -> pd.Series | None:
    """The ``trip_id`` column when given (all or none, unique), else None: messages then name rows."""
    if "trip_id" not in frame.columns or (frame["trip_id"] == "").all():
        return None
    ids = frame["trip_id"]
    if (ids == "").any():
        raise DataError(f"{path}: some trips have a trip_id and some not; give all or none.")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(f"{path}: trip_id {dup.iloc[0]!r} appears more than once; trip ids must be unique.")
    return ids


def _label(rows: np.ndarray, ids: pd.Series | None) -> list[str]:
    """How a message names these trips: ``trip 'X'`` or ``row N`` (line N of the file)."""
    rows = rows[:_SHOWN]
    return [f"trip {ids.iloc[i]!r}" for i in rows] if ids is not None else [f"row {i + 2}" for i in rows]


def _per_day(frame: pd.DataFrame, path: Path, ids: pd.Series | None) -> np.ndarray:
    """``trips_per_day`` as floats in (0, MAX_FLOW_VOLUME] (1 without the column)."""
    if "trips_per_day" not in frame.columns:
        return np.ones(len(frame))
    values = pd.to_numeric(frame["trips_per_day"], errors="coerce").to_numpy(dtype=float)
    if (np.isfinite(values) & (values > 0) & (values <= MAX_FLOW_VOLUME)).all():
        return values
    return finite_column(  # raises, naming the first bad row
        frame, "trips_per_day", str(path), ids=ids, lo=0.0, lo_open=True, hi=MAX_FLOW_VOLUME, unit="trips/day"
    )


def _node_codes(
    frame: pd.DataFrame, path: Path, graph: nx.DiGraph, ids: pd.Series | None, outside: frozenset[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin and destination as codes into the sorted node names they use; unknown nodes and trips
    that start where they end are refused, naming a few of them."""
    n = len(frame)
    codes, names = pd.factorize(pd.concat([frame["origin"], frame["destination"]], ignore_index=True), sort=True)
    names = np.asarray(names, dtype=object)
    known = np.fromiter((name in graph for name in names), dtype=bool, count=len(names))
    origin, destination = codes[:n], codes[n:]
    bad = ~known[origin] | ~known[destination]
    if bad.any():
        rows = np.flatnonzero(bad)
        unknown = sorted(str(name) or "(empty)" for name in names[~known])
        cut = [name for name in unknown if name in outside]
        if cut:  # in the network file, cut by the planning scope
            which = f"{len(rows)} trip(s) ({_shown(_label(rows, ids), len(rows))})"
            raise outside_scope(path, which, _shown(cut, len(cut)), "trips")
        raise DataError(
            f"{path}: {len(rows)} trip(s) ({_shown(_label(rows, ids), len(rows))}) have an origin or destination "
            f"that is not a network node: {_shown(unknown, len(unknown))}; use node ids from the network."
        )
    same = np.flatnonzero(origin == destination)
    if len(same):
        raise DataError(
            f"{path}: {len(same)} trip(s) ({_shown(_label(same, ids), len(same))}) have origin = destination "
            f"({names[origin[same[0]]]}); remove them."
        )
    return origin, destination, names


def _flow_ids(origin: np.ndarray, destination: np.ndarray) -> np.ndarray:
    """``T-<origin>-<destination>``; numbered ``T000001``... in flow order if node ids with ``-`` make
    two of them equal."""
    ids = pd.Series(origin, dtype=object) + "-" + pd.Series(destination, dtype=object)
    ids = "T-" + ids
    if ids.duplicated().any():
        return np.array([f"T{i + 1:06d}" for i in range(len(ids))], dtype=object)
    return ids.to_numpy(dtype=object)


def _keep_largest(volume: np.ndarray, max_flows: int | None) -> np.ndarray:
    """Indices of the flows kept by ``max_flows`` (the largest volumes, ties in flow order), sorted."""
    return np.arange(len(volume)) if max_flows is None else largest(volume, max_flows)


def read_trips_csv(
    path: Path, graph: nx.DiGraph, *, max_flows: int | None = None, outside: frozenset[str] = frozenset()
) -> pd.DataFrame:
    """Read a trips CSV and aggregate its trips into flows.

    Parameters
    ----------
    path
        The trips file: ``origin, destination`` (node ids), optional ``trips_per_day`` (> 0,
        default 1) and ``trip_id`` (unique, used in messages).
    graph
        The planned network: every origin and destination must be one of its nodes.
    max_flows
        Keep only this many flows, the largest volumes (ties broken by origin, destination).
    outside
        Nodes of the network file the planning scope cut (named as such when a trip uses one).

    Returns
    -------
    pandas.DataFrame
        ``flow_id, origin, destination, volume`` (trucks/day, before the BEV share), one row per
        distinct (origin, destination), sorted by it. ``attrs["demand"]`` holds ``trips`` (rows
        read), ``flows`` (distinct pairs) and, when ``max_flows`` cut some, ``flows_kept`` and
        ``volume_kept_share`` (their share of the trips per day).

    Raises
    ------
    DataError
        One line naming the file, the column and the first offending trips.
    """
    frame = read_csv_table(path, "trips", setting="demand.trips")
    missing = [c for c in ("origin", "destination") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; trips need origin, destination "
            "(optional trips_per_day, trip_id)."
        )
    if frame.empty:
        raise DataError(f"{path}: no trips; add at least one row (origin, destination).")
    ids = _trip_labels(frame, path)
    per_day = _per_day(frame, path, ids)
    origin, destination, names = _node_codes(frame, path, graph, ids, outside)
    pairs, flow_of = np.unique(origin.astype(np.int64) * len(names) + destination, return_inverse=True)
    volume = np.bincount(flow_of, weights=per_day, minlength=len(pairs))
    flow_origin, flow_destination = names[pairs // len(names)], names[pairs % len(names)]
    too_big = np.flatnonzero(volume > MAX_FLOW_VOLUME)
    if len(too_big):
        q = too_big[0]
        raise DataError(
            f"{path}: the trips from {flow_origin[q]} to {flow_destination[q]} sum to {volume[q]:,.0f} trips_per_day; "
            f"at most {MAX_FLOW_VOLUME:,.0f} per origin and destination."
        )
    keep = _keep_largest(volume, max_flows)
    flows = pd.DataFrame(
        {
            "flow_id": _flow_ids(flow_origin[keep], flow_destination[keep]),
            "origin": flow_origin[keep],
            "destination": flow_destination[keep],
            "volume": volume[keep],
        }
    )
    flows.attrs["demand"] = {"trips": len(frame), "flows": len(pairs)}
    if len(keep) < len(pairs):
        flows.attrs["demand"]["flows_kept"] = len(keep)
        flows.attrs["demand"]["volume_kept_share"] = float(volume[keep].sum() / volume.sum())
    return flows
