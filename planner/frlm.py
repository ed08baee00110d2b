"""Reader for the classic flow-refuelling benchmark format (Kuby & Lim 2005; Capar et al. 2013).

``NODES.txt`` holds ``id, weight, x, y`` and ``ARCS.txt`` holds ``id, length, from, to``
(whitespace-separated, abstract units). Flows follow the literature: one round trip per
unordered node pair with volume ``w_i w_j / d_ij^decay`` (``d`` the shortest-path length).
The matching vehicle semantics are ``soc_min = 0``, ``soc_max = 1``, ``soc_start =
soc_arrival_min = 0.5`` on a round trip with the classic rule (``demand.round_trip_rule =
"refuel_at_origin"``, ``build_instance(..., refuel_at_origin=True)``): a vehicle leaves an origin
without a station with half a tank and must come back with half; with a station at the origin it
leaves full and may come back empty, because it refuels there. On a symmetric route this is exactly
the cyclic-feasibility rule of Kuby & Lim (2005) and Capar et al. (2013).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd

from planner.errors import DataError
from planner.network import Network, network_from_frames
from planner.scenario import BreaksConfig, VehicleConfig

__all__ = ["read_frlm_network", "frlm_flows", "frlm_vehicle"]

_SCALE_DEG = 0.001  # abstract x/y → tiny lon/lat, only for maps


def read_frlm_network(folder: str | Path) -> tuple[Network, pd.DataFrame]:
    """Read ``NODES.txt`` and ``ARCS.txt``; return the network and the node weights."""
    folder = Path(folder)
    try:
        nodes = pd.read_csv(folder / "NODES.txt", sep=r"\s+", header=None, names=["id", "weight", "x", "y"])
        arcs = pd.read_csv(folder / "ARCS.txt", sep=r"\s+", header=None, names=["id", "length", "u", "v"])
    except FileNotFoundError as exc:
        raise DataError(f"{folder}: {exc.filename} not found; give a folder with NODES.txt and ARCS.txt.") from None
    node_df = pd.DataFrame(
        {
            "id": nodes["id"].astype(int).astype(str),
            "name": nodes["id"].astype(int).astype(str),
            "lon": (nodes["x"] * _SCALE_DEG).map(str),
            "lat": (nodes["y"] * _SCALE_DEG).map(str),
        }
    )
    pairs = arcs[["u", "v"]].astype(int).apply(lambda r: tuple(sorted(r)), axis=1)
    arcs = arcs.assign(key=pairs).drop_duplicates("key")  # one edge per node pair
    edge_df = pd.DataFrame(
        {
            "u": [str(a) for a, _ in arcs["key"]],
            "v": [str(b) for _, b in arcs["key"]],
            "length_km": arcs["length"].astype(float).map(str),
        }
    )
    net = network_from_frames(node_df, edge_df, source=str(folder), max_detour_ratio=1e9)
    weights = pd.Series(nodes["weight"].to_numpy(dtype=float), index=node_df["id"])
    return net, weights


def frlm_flows(network: Network, weights: pd.Series, *, decay: float = 1.5) -> pd.DataFrame:
    """One flow per unordered node pair, volume ``w_i w_j / d_ij^decay``."""
    dist = dict(nx.all_pairs_dijkstra_path_length(network.graph, weight="length_km"))
    ids = sorted(weights.index, key=int)
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            rows.append((f"{a}-{b}", a, b, weights[a] * weights[b] / dist[a][b] ** decay))
    return pd.DataFrame(rows, columns=["flow_id", "origin", "destination", "volume"])


def frlm_vehicle(range_units: float) -> tuple[VehicleConfig, BreaksConfig]:
    """Vehicle with ``range_units`` on a full tank and the classic half-tank rule."""
    return (
        VehicleConfig(
            battery_kwh=range_units,
            consumption_kwh_per_km=1.0,
            soc_min=0.0,
            soc_max=1.0,
            soc_start=0.5,
            soc_arrival_min=0.5,
        ),
        BreaksConfig(enabled=False),
    )
