"""Gravity model of long-distance heavy-truck flows between network nodes.

The freight zones (``zones.csv``, see ``docs/formats.md``) carry a gravity mass ``weight``
(inhabitants for cities, inhabitant-equivalents for ports).  Zones are aggregated on the network
node they load at, and the one-direction daily truck volume between two distinct nodes ``i`` and
``j`` is

.. math::  T_{ij} = K \\, W_i \\, W_j \\, d_{ij}^{-\\beta}

with ``W`` the aggregated masses, ``d_ij`` the shortest-path network distance (``length_attr``,
ferries and shuttles included; with ``cost_attr``, the generalised cost of the cheapest path) and
``beta`` = ``distance_decay`` (power-law decay).

Normalisation (precise meaning of ``total_trucks_per_day``): ``K`` is chosen so that the volumes of
**all ordered node pairs with d_ij >= min_trip_km** sum to ``total_trucks_per_day``.  The
``min_volume`` and ``max_flows`` cuts are applied afterwards and rescale nothing; the volume they
remove is reported in ``DataFrame.attrs``.  Both directions are returned as separate rows with equal
volumes.

A power law is used because it is scale-free over the 200-2 500 km range that matters for
long-haul trucking and needs a single parameter; see ``data/README.md`` for its calibration.

Planning scope: ``scope`` marks the zones whose trips are returned.  The normalisation still runs
over every zone, so a scenario that plans part of the network (one country, the EU) gets the
same volumes between its zones as the whole-network model.

The module is pure and deterministic: no randomness, no I/O except :func:`load_zones`, and results
are sorted by ``(origin, destination)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["FLOW_COLUMNS", "ZONE_COLUMNS", "gravity_flows", "load_zones", "node_masses"]

ZONE_COLUMNS = [
    "zone_id",
    "name",
    "kind",
    "country",
    "lon",
    "lat",
    "node",
    "population",
    "port_mt",
    "weight",
]
FLOW_COLUMNS = ["id", "origin", "destination", "volume", "distance_km"]
_REQUIRED_ZONE_COLUMNS = ["zone_id", "node", "weight"]
_ZONE_KINDS = {"city", "port"}


def load_zones(path: str | PathLike[str]) -> pd.DataFrame:
    """Read and validate a ``zones.csv`` file.

    Parameters
    ----------
    path : str or path-like
        CSV file with the columns of ``docs/formats.md`` (``zone_id``, ``name``, ``kind``,
        ``country``, ``lon``, ``lat``, ``node``, ``population``, ``port_mt``, ``weight``); extra
        columns are kept.  ``zone_id``, ``node`` and ``weight`` are mandatory.

    Returns
    -------
    pandas.DataFrame
        One row per zone; ``zone_id``/``node`` as strings, numeric columns as floats.

    Raises
    ------
    ValueError
        If the file is missing, empty, lacks a required column, or has an invalid value; the
        message names the file and the column (and the first offending zone).
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{p}: zones file not found")
    try:
        df = pd.read_csv(
            p,
            dtype={"zone_id": str, "node": str, "name": str, "kind": str, "country": str},
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p}: cannot parse zones CSV ({exc})") from exc
    if df.empty:
        raise ValueError(f"{p}: no zones")
    for col in _REQUIRED_ZONE_COLUMNS:
        if col not in df.columns:
            raise ValueError(f"{p}: missing required column '{col}'")
    for col in ("zone_id", "node"):
        bad = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if bad.any():
            raise ValueError(f"{p}: column '{col}' is empty in row {int(np.flatnonzero(bad)[0]) + 2}")
        df[col] = df[col].astype(str).str.strip()
    dup = df["zone_id"].duplicated()
    if dup.any():
        raise ValueError(f"{p}: column 'zone_id' has duplicate value {df.loc[dup, 'zone_id'].iloc[0]!r}")
    for col in ("weight", "lon", "lat", "population", "port_mt"):
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        nonnum = values.isna() & df[col].notna()
        if nonnum.any():
            zid = df.loc[nonnum, "zone_id"].iloc[0]
            raise ValueError(f"{p}: column '{col}' is not numeric for zone {zid!r}")
        df[col] = values.astype(float)
    w = df["weight"]
    bad = w.isna() | ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ValueError(f"{p}: column 'weight' must be a finite number >= 0 (zone {df.loc[bad, 'zone_id'].iloc[0]!r})")
    if "lon" in df.columns:
        bad = df["lon"].notna() & ((df["lon"] < -180) | (df["lon"] > 180))
        if bad.any():
            raise ValueError(f"{p}: column 'lon' out of range for zone {df.loc[bad, 'zone_id'].iloc[0]!r}")
    if "lat" in df.columns:
        bad = df["lat"].notna() & ((df["lat"] < -90) | (df["lat"] > 90))
        if bad.any():
            raise ValueError(f"{p}: column 'lat' out of range for zone {df.loc[bad, 'zone_id'].iloc[0]!r}")
    if "kind" in df.columns:
        bad = df["kind"].notna() & ~df["kind"].isin(_ZONE_KINDS)
        if bad.any():
            raise ValueError(f"{p}: column 'kind' must be 'city' or 'port' (zone {df.loc[bad, 'zone_id'].iloc[0]!r})")
    return df.reset_index(drop=True)


def node_masses(zones: pd.DataFrame) -> pd.Series:
    """Aggregate zone weights on their network nodes.

    Parameters
    ----------
    zones : pandas.DataFrame
        Zones with at least the columns ``node`` and ``weight``.

    Returns
    -------
    pandas.Series
        Gravity mass per node id (index sorted, zero-mass nodes removed).
    """
    for col in ("node", "weight"):
        if col not in zones.columns:
            raise ValueError(f"zones: missing required column '{col}'")
    w = pd.to_numeric(zones["weight"], errors="coerce")
    if w.isna().any() or (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("zones: column 'weight' must be finite numbers >= 0")
    masses = w.groupby(zones["node"].astype(str)).sum().sort_index()
    return masses[masses > 0]


def _pair_distances(
    graph: nx.Graph, nodes: list[str], length_attr: str, cost_attr: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric matrices of path lengths and generalised costs between ``nodes`` (inf if unreachable).

    Paths minimise ``cost_attr`` (``length_attr`` if None); the length is that of the cheapest path
    (among equally cheap ones, the shortest).
    """
    index = {n: k for k, n in enumerate(nodes)}
    dist = np.full((len(nodes), len(nodes)), np.inf)
    cost = dist.copy() if cost_attr not in (None, length_attr) else dist
    for a, src in enumerate(nodes):
        if cost is dist:
            lengths = nx.single_source_dijkstra_path_length(graph, src, weight=length_attr)
            costs = lengths
        else:
            lengths, costs = _cheapest_path_lengths(graph, src, length_attr, cost_attr)
        for dst, d in lengths.items():
            b = index.get(dst)
            if b is not None and b > a:  # one Dijkstra value per pair -> exactly symmetric
                dist[a, b] = dist[b, a] = d
                cost[a, b] = cost[b, a] = costs[dst]
    np.fill_diagonal(dist, 0.0)
    np.fill_diagonal(cost, 0.0)
    return dist, cost


def _cheapest_path_lengths(
    graph: nx.Graph, src: str, length_attr: str, cost_attr: str
) -> tuple[dict[str, float], dict[str, float]]:
    """Length and cost of the cheapest paths from ``src`` (one Dijkstra, lengths along its tree)."""
    pred, costs = nx.dijkstra_predecessor_and_distance(graph, src, weight=cost_attr)
    lengths = {src: 0.0}
    for node in sorted(costs, key=lambda n: (costs[n], n)):
        if node != src:
            lengths[node] = min(lengths[p] + graph.edges[p, node][length_attr] for p in pred[node])
    return lengths, dict(costs)


def _check_parameters(
    total_trucks_per_day: float, distance_decay: float, min_trip_km: float, min_volume: float, max_flows: int | None
) -> None:
    if not (
        isinstance(total_trucks_per_day, numbers.Real)
        and math.isfinite(total_trucks_per_day)
        and total_trucks_per_day > 0
    ):
        raise ValueError("total_trucks_per_day must be a finite number > 0")
    if not (math.isfinite(distance_decay) and distance_decay >= 0):
        raise ValueError("distance_decay must be a finite number >= 0")
    if not (math.isfinite(min_trip_km) and min_trip_km >= 0):
        raise ValueError("min_trip_km must be a finite number >= 0")
    if not (math.isfinite(min_volume) and min_volume >= 0):
        raise ValueError("min_volume must be a finite number >= 0")
    if max_flows is not None and (not isinstance(max_flows, numbers.Integral) or max_flows < 0):
        raise ValueError("max_flows must be a non-negative integer or None")


def _check_edge_lengths(graph: nx.Graph, length_attr: str) -> None:
    for u, v, data in graph.edges(data=True):
        length = data.get(length_attr)
        if not isinstance(length, numbers.Real) or not math.isfinite(length) or length <= 0:
            raise ValueError(f"edge {u}-{v}: attribute '{length_attr}' must be a positive number")


def _scoped_masses(zones: pd.DataFrame, scope: Sequence[bool] | None) -> tuple[pd.Series, pd.Series]:
    """Masses per node of all zones and of the zones in ``scope`` (same index, zeros where none)."""
    masses = node_masses(zones)
    if scope is None:
        return masses, masses
    keep = np.asarray(scope, dtype=bool)
    if keep.shape != (len(zones),):
        raise ValueError(f"scope must have one value per zone ({len(zones)}), got {keep.shape}")
    inside = node_masses(zones[keep]) if keep.any() else pd.Series(dtype=float)
    return masses, inside.reindex(masses.index, fill_value=0.0)


def _scaled_volumes(
    dist: np.ndarray,
    cost: np.ndarray,
    masses: pd.Series,
    inside: pd.Series,
    total: float,
    decay: float,
    min_trip_km: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Eligible pairs (length ``>= min_trip_km``) and the in-scope volumes (deterrence ``cost ** -decay``),
    normalised over all masses."""
    eligible = np.isfinite(dist) & (dist >= max(min_trip_km, 1e-9))
    np.fill_diagonal(eligible, False)
    if not eligible.any():
        raise ValueError("no node pair with positive mass is at least min_trip_km apart")
    with np.errstate(divide="ignore", over="ignore"):
        deterrence = np.where(eligible, np.power(np.where(eligible, cost, 1.0), -decay), 0.0)
    w, w_in = masses.to_numpy(dtype=float), inside.to_numpy(dtype=float)
    total_raw = (np.outer(w, w) * deterrence).sum()
    if not total_raw > 0:
        raise ValueError("gravity volumes are all zero")
    return eligible, np.outer(w_in, w_in) * deterrence * (total / total_raw)


def _keep_largest(
    oi: np.ndarray, di: np.ndarray, vol: np.ndarray, shape: tuple[int, int], min_volume: float, max_flows: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply the ``min_volume`` and ``max_flows`` cuts to ordered pairs (index arrays, no rescaling)."""
    if min_volume > 0:
        keep = vol >= min_volume
        oi, di, vol = oi[keep], di[keep], vol[keep]
    if max_flows is not None and len(oi) > max_flows:
        # rank unordered pairs (both directions share one volume), largest first, ties by ids
        upper = oi < di
        a, b, v = oi[upper], di[upper], vol[upper]
        order = np.lexsort((b, a, -v))[: max_flows // 2]
        chosen = np.zeros(shape, dtype=bool)
        chosen[a[order], b[order]] = True
        chosen |= chosen.T
        keep = chosen[oi, di]
        oi, di, vol = oi[keep], di[keep], vol[keep]
    return oi, di, vol


def _flow_frame(nodes: list[str], oi: np.ndarray, di: np.ndarray, vol: np.ndarray, dist: np.ndarray) -> pd.DataFrame:
    """Rows ``id, origin, destination, volume, distance_km`` sorted by ``(origin, destination)``."""
    names = np.asarray(nodes, dtype=object)
    df = pd.DataFrame({"origin": names[oi], "destination": names[di], "volume": vol, "distance_km": dist[oi, di]})
    df = df.sort_values(["origin", "destination"], kind="mergesort").reset_index(drop=True)
    ids = "G-" + df["origin"] + "-" + df["destination"]
    if ids.duplicated().any():
        raise ValueError("flow ids 'G-<origin>-<destination>' are not unique for these node ids")
    df.insert(0, "id", ids)
    return df[FLOW_COLUMNS]


def _cut_summary(df: pd.DataFrame, total: float, scope_volume: float, pairs_total: int) -> dict[str, float]:
    """What the scope and the cuts kept: the ``attrs`` of :func:`gravity_flows` besides its parameters."""
    kept = float(df["volume"].sum())
    return {
        "total_volume": float(total),
        "scope_volume": scope_volume,
        "pairs_total": pairs_total,
        "dropped_volume": scope_volume - kept,
        "dropped_volume_share": 1.0 - kept / scope_volume if scope_volume > 0 else 0.0,
        "truck_km_per_day": float((df["volume"] * df["distance_km"]).sum()),
    }


def gravity_flows(
    graph: nx.Graph,
    zones: pd.DataFrame,
    *,
    total_trucks_per_day: float,
    distance_decay: float,
    min_trip_km: float = 200.0,
    min_volume: float = 0.0,
    max_flows: int | None = None,
    length_attr: str = "length_km",
    cost_attr: str | None = None,
    scope: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Daily heavy-truck OD flows between network nodes from a power-law gravity model.

    Parameters
    ----------
    graph : networkx.Graph
        Undirected network; every edge needs a positive numeric ``length_attr`` (km).
    zones : pandas.DataFrame
        Freight zones with columns ``node`` (a node of ``graph``) and ``weight`` (mass >= 0),
        e.g. from :func:`load_zones`.  Zones on the same node are aggregated.
    total_trucks_per_day : float
        Sum of ``volume`` (all heavy trucks per day, loaded and empty, one direction per row)
        over **all ordered node pairs whose network distance is >= min_trip_km**, before the
        ``scope`` and the ``min_volume`` / ``max_flows`` cuts.
    distance_decay : float
        Exponent ``beta`` of the deterrence function ``d ** -beta`` (``beta >= 0``).
    min_trip_km : float, default 200.0
        Pairs closer than this (network km) get no flow.
    min_volume : float, default 0.0
        Flows below this volume (trucks/day) are dropped after normalisation (no rescaling).
    max_flows : int or None, default None
        Keep at most this many rows: the largest node pairs, both directions together (an odd value
        keeps ``max_flows - 1`` rows); ties broken by ``(origin, destination)``; no rescaling.
    length_attr : str, default "length_km"
        Edge attribute holding the length in km.
    cost_attr : str or None, default None
        Edge attribute of a generalised cost (km-equivalent) that paths minimise and the deterrence
        uses (``min_trip_km`` and ``distance_km`` stay lengths); None: the length.
    scope : sequence of bool or None, default None
        One value per zone row: only trips between zones marked True are returned (volume
        ``K W'_i W'_j d_ij^-beta``, ``W'`` their masses); every zone counts in ``K``.  None: all.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (``G-<origin>-<destination>``), ``origin``, ``destination``, ``volume``
        (trucks/day), ``distance_km``; sorted by ``(origin, destination)``.  ``attrs`` holds
        ``total_volume`` (= ``total_trucks_per_day``), ``scope_volume`` (the in-scope part of it),
        ``pairs_total`` (in-scope rows before the cuts), ``dropped_volume`` and
        ``dropped_volume_share`` (in-scope volume removed by ``min_volume``/``max_flows``, share of
        ``scope_volume``), ``truck_km_per_day`` (of the returned rows) and the parameters.

    Raises
    ------
    ValueError
        On invalid parameters, a zone node missing from the graph, a missing/non-positive edge
        length or cost, or no pair of nodes with positive mass at least ``min_trip_km`` apart.
    """
    _check_parameters(total_trucks_per_day, distance_decay, min_trip_km, min_volume, max_flows)
    for attr in sorted({length_attr, cost_attr or length_attr}):
        _check_edge_lengths(graph, attr)
    masses, inside = _scoped_masses(zones, scope)
    missing = [n for n in masses.index if n not in graph]
    if missing:
        raise ValueError(f"zones: column 'node' refers to {len(missing)} node(s) not in the graph, e.g. {missing[0]!r}")
    nodes = list(masses.index)
    dist, cost = _pair_distances(graph, nodes, length_attr, cost_attr)
    eligible, volume = _scaled_volumes(dist, cost, masses, inside, total_trucks_per_day, distance_decay, min_trip_km)
    # Index arrays first, strings only for kept rows; ``nodes`` is sorted, so ties break by ids.
    oi, di = np.nonzero(eligible & (volume > 0))
    pairs_total, scope_volume = len(oi), float(volume[oi, di].sum())
    oi, di, vol = _keep_largest(oi, di, volume[oi, di], volume.shape, min_volume, max_flows)
    df = _flow_frame(nodes, oi, di, vol, dist)
    df.attrs.update(_cut_summary(df, total_trucks_per_day, scope_volume, pairs_total))
    df.attrs.update(distance_decay=float(distance_decay), min_trip_km=float(min_trip_km))
    df.attrs.update(min_volume=float(min_volume), max_flows=max_flows)
    return df
