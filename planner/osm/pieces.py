"""Way pieces: kept ways split at the nodes they share, measured geodesically.

A *piece* is the stretch of one way between two graph nodes. Coordinates stay out of
the graph, in flat numpy arrays, so a country-sized network fits in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from planner.osm.extract import OSMExtract
from planner.osm.geo import GEOD

__all__ = ["PieceTable", "build_pieces"]


@dataclass
class PieceTable:
    """Way pieces between graph nodes (columnar).

    ``coord_start[i]:coord_start[i + 1]`` indexes piece ``i``'s vertices in ``lon``/``lat``
    and ``vertex`` (their OSM node ids).
    """

    way_index: np.ndarray
    start: np.ndarray
    end: np.ndarray
    length_m: np.ndarray
    coord_start: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    vertex: np.ndarray

    def __len__(self) -> int:
        return len(self.way_index)

    def coords(self, signed_id: int) -> np.ndarray:
        """Vertices ``(k, 2)`` of piece ``abs(signed_id) - 1``, reversed for a negative id."""
        i = abs(signed_id) - 1
        lo, hi = self.coord_start[i], self.coord_start[i + 1]
        xy = np.column_stack((self.lon[lo:hi], self.lat[lo:hi]))
        return xy[::-1] if signed_id < 0 else xy

    def vertices(self, signed_id: int) -> np.ndarray:
        """OSM node ids of piece ``abs(signed_id) - 1`` in travel order."""
        i = abs(signed_id) - 1
        ids = self.vertex[self.coord_start[i] : self.coord_start[i + 1]]
        return ids[::-1] if signed_id < 0 else ids


def _runs(extract: OSMExtract) -> list[tuple[int, list[int]]]:
    """Each way's maximal runs of located nodes (a missing node splits the way)."""
    coords = extract.coords
    runs: list[tuple[int, list[int]]] = []
    for wi, way in enumerate(extract.ways):
        run: list[int] = []
        for ref in way.refs:
            if ref in coords:
                if not run or run[-1] != ref:
                    run.append(ref)
            else:
                if len(run) >= 2:
                    runs.append((wi, run))
                run = []
        if len(run) >= 2:
            runs.append((wi, run))
    return runs


def _graph_nodes(runs: list[tuple[int, list[int]]]) -> set[int]:
    """Nodes that end a run or are referenced more than once (shared or revisited)."""
    counts: Counter[int] = Counter()
    for _, run in runs:
        counts.update(run)
        counts[run[0]] += 1
        counts[run[-1]] += 1
    return {n for n, c in counts.items() if c >= 2}


def build_pieces(extract: OSMExtract) -> PieceTable:
    """Split kept ways at shared nodes and measure each piece geodesically.

    A node becomes a graph node if it ends a way, or is referenced more than once by the
    kept ways (shared by two ways or revisited by one). Way node references missing from
    the input split the way (the gap is not bridged).
    """
    runs = _runs(extract)
    graph_nodes = _graph_nodes(runs)
    way_index: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    coord_start: list[int] = [0]
    node_seq: list[int] = []
    for wi, run in runs:
        piece = [run[0]]
        for ref in run[1:]:
            piece.append(ref)
            if ref in graph_nodes:
                way_index.append(wi)
                starts.append(piece[0])
                ends.append(ref)
                node_seq.extend(piece)
                coord_start.append(len(node_seq))
                piece = [ref]
    coords = extract.coords
    xy = np.array([coords[n] for n in node_seq], dtype=np.float64).reshape(-1, 2)
    lon, lat = xy[:, 0].copy(), xy[:, 1].copy()
    offsets = np.asarray(coord_start, dtype=np.int64)
    return PieceTable(
        way_index=np.asarray(way_index, dtype=np.int64),
        start=np.asarray(starts, dtype=np.int64),
        end=np.asarray(ends, dtype=np.int64),
        length_m=_piece_lengths(lon, lat, offsets),
        coord_start=offsets,
        lon=lon,
        lat=lat,
        vertex=np.asarray(node_seq, dtype=np.int64),
    )


def _piece_lengths(lon: np.ndarray, lat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Geodesic length (m) of each piece: the sum of its segments on the WGS84 ellipsoid."""
    if len(lon) < 2 or len(offsets) < 2:
        return np.zeros(max(len(offsets) - 1, 0), dtype=np.float64)
    _, _, seg = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    seg = np.asarray(seg, dtype=np.float64)
    seg[offsets[1:-1] - 1] = 0.0  # segments that straddle two pieces
    return np.asarray(np.add.reduceat(seg, offsets[:-1]), dtype=np.float64)
