"""The build report (what a build read, kept and dropped) and stage progress."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BuildReport", "StageProgress"]

# overall progress fraction at the start of each stage
_STAGES = {
    "hash": 0.0,
    "read ways": 0.03,
    "read tagged nodes": 0.35,
    "read node locations": 0.40,
    "pieces": 0.55,
    "prune": 0.60,
    "simplify": 0.63,
    "consolidate": 0.72,
    "contract": 0.85,
    "assemble": 0.87,
    "sites": 0.93,
    "write": 0.96,
    "done": 1.0,
}
_STAGE_ORDER = list(_STAGES)


@dataclass
class BuildReport:
    """What a build read, kept and dropped.

    Attributes
    ----------
    source, out_path, input_format
        Input (path or online query), output GeoPackage and detected input format.
    cache_key, cache_hit
        Cache key (input file SHA-256 + parameters + builder version) and whether the
        network was copied from the cache.
    ways_read
        Ways in the input.
    ways_kept
        OSM ways that contribute to at least one output edge.
    ferries_kept
        Ferry ways among ``ways_kept``.
    ways_absorbed
        Selected ways that lie entirely inside consolidated junctions (ramps of an
        interchange) or only in dropped parallel edges.
    dropped
        Count by reason. Ways: ``non_highway_way`` (no ``highway`` tag: railways, buildings,
        ...), ``highway_not_selected`` (``highway`` type not in the selection: footways,
        residential, services areas, ...), ``hgv_forbidden``, ``dangling_link_spur``
        (ramps leading only to unselected roads or services), ``ferry_not_connected``,
        ``disconnected_fragment``. Sites: ``site_beyond_snap_radius``, ``site_not_public``,
        ``site_without_location``. Edges: ``self_loop_edge``, ``parallel_edge``.
    dropped_km
        Road km removed as ``dangling_link_spur``/``ferry_not_connected``/
        ``disconnected_fragment``.
    missing_node_refs
        Way node references whose node is not in the input (a clipped extract).
    missing_example
        ``[way id, node id]`` of one missing reference, or None.
    fragments_dropped, fragment_km
        Weakly connected components dropped (all but the largest, after any joining) and
        the km of each, largest first.
    join_ways, join_km
        ``join_via`` ways used to join components, and their km.
    raw_km
        Geodesic km of the selected ways (each way once, one-way or not; segments to nodes
        missing from the input are not measurable and not counted).
    absorbed_km
        km of selected ways that vanished inside consolidated junctions: ``main`` roads and
        ``ramps`` (``*_link``).
    connector_km
        km of the connectors from junction centroids that replace them.
    via_nodes
        Nodes added to split road edges the loader would find implausibly long for the
        distance between their ends (:mod:`planner.osm.detours`).
    drive_side
        The side of the road sites were snapped to (``auto`` resolved).
    cache_note
        Why the cache was not used, if it was given but refused.
    sites_read
        Candidate features found.
    sites_side_fallback
        Sites snapped to the nearest edge although it is on the wrong side of the road.
    dropped_site_ids
        Ids of the sites beyond the snap radius.
    node_count, edge_count, oneway_edge_count, site_count, total_km
        Output size; ``total_km`` sums ``length_km`` over edges (a two-way road counts once,
        each carriageway of a dual carriageway counts).
    seconds
        Wall time of this call.
    stage_seconds
        Wall time per stage (``hash``, ``read ways``, ..., ``write``).
    parameters
        The build parameters.
    """

    source: str
    out_path: str
    input_format: str = ""
    cache_key: str = ""
    cache_hit: bool = False
    ways_read: int = 0
    ways_kept: int = 0
    ferries_kept: int = 0
    ways_absorbed: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_km: dict[str, float] = field(default_factory=dict)
    missing_node_refs: int = 0
    missing_example: list[int] | None = None
    fragments_dropped: int = 0
    fragment_km: list[float] = field(default_factory=list)
    join_ways: int = 0
    join_km: float = 0.0
    drive_side: str = ""
    cache_note: str = ""
    raw_km: float = 0.0
    absorbed_km: dict[str, float] = field(default_factory=dict)
    connector_km: float = 0.0
    via_nodes: int = 0
    sites_read: int = 0
    sites_side_fallback: int = 0
    dropped_site_ids: list[str] = field(default_factory=list)
    node_count: int = 0
    edge_count: int = 0
    oneway_edge_count: int = 0
    site_count: int = 0
    total_km: float = 0.0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildReport:
        """Rebuild a report from :meth:`to_dict` output."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def summary(self) -> str:
        """Return a printable multi-line summary."""
        lines = [
            f"OSM network build: {self.source} -> {self.out_path}",
            f"  input format {self.input_format or '?'}"
            + (" (cache hit)" if self.cache_hit else "")
            + (f"; {self.cache_note}" if self.cache_note else ""),
            f"  ways: {self.ways_read:,} read, {self.ways_kept:,} kept "
            f"({self.ferries_kept:,} ferries), {self.ways_absorbed:,} absorbed in junctions",
        ]
        if self.dropped:
            lines.append("  dropped:")
            for reason in sorted(self.dropped):
                km = self.dropped_km.get(reason)
                extra = f" ({km:,.1f} km)" if km else ""
                lines.append(f"    {reason}: {self.dropped[reason]:,}{extra}")
        if self.missing_node_refs:
            example = ""
            if self.missing_example:
                way, node = self.missing_example
                example = f", e.g. way {way} -> node {node}"
            lines.append(
                f"  missing node references: {self.missing_node_refs:,}{example} "
                "(a clipped extract: roads end at the clip)"
            )
        lines.extend(self._component_lines())
        if self.via_nodes:
            lines.append(f"  long detour edges split at {self.via_nodes:,} via node(s)")
        lines.append(
            f"  network: {self.node_count:,} nodes, {self.edge_count:,} edges "
            f"({self.oneway_edge_count:,} one-way), {self.total_km:,.1f} km"
        )
        if self.absorbed_km:
            lines.append(
                f"  km: {self.raw_km:,.1f} selected, {math.fsum(self.dropped_km.values()):,.1f} "
                f"dropped, {self.join_km:,.1f} joined; junctions absorbed "
                f"{self.absorbed_km.get('main', 0.0):,.1f} main + "
                f"{self.absorbed_km.get('ramps', 0.0):,.1f} ramp km and added "
                f"{self.connector_km:,.1f} connector km"
            )
        lines.append(
            f"  sites: {self.site_count:,} of {self.sites_read:,} candidates, "
            f"{self.drive_side or '?'}-hand traffic "
            f"({self.sites_side_fallback:,} snapped against the side rule)"
        )
        timing = ", ".join(f"{k} {v:.1f}" for k, v in self.stage_seconds.items())
        lines.append(f"  {self.seconds:.2f} s" + (f" ({timing})" if timing else ""))
        return "\n".join(lines)

    def _component_lines(self) -> list[str]:
        lines = []
        if self.join_ways:
            lines.append(f"  joined components over {self.join_ways:,} ways ({self.join_km:,.1f} km)")
        if self.fragments_dropped:
            largest = ", ".join(f"{km:,.1f}" for km in self.fragment_km[:5])
            more = ", ..." if self.fragments_dropped > 5 else ""
            hint = (
                ""
                if self.parameters.get("join_via")
                else ("; --join-via CLASSES (e.g. primary,secondary) joins them over other roads")
            )
            lines.append(
                f"  components dropped: {self.fragments_dropped:,} "
                f"({math.fsum(self.fragment_km):,.1f} km: {largest}{more} km){hint}"
            )
        return lines

    def __str__(self) -> str:
        return self.summary()


class StageProgress:
    """Maps ``(stage, fraction of stage)`` to a monotone overall fraction."""

    def __init__(self, callback: Callable[[str, float], None] | None) -> None:
        self._callback = callback
        self._last = -1.0
        self._stage: str | None = None
        self._stage_started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str, fraction: float = 0.0) -> None:
        if stage != self._stage:
            now = time.perf_counter()
            if self._stage is not None:
                elapsed = now - self._stage_started
                self.seconds[self._stage] = round(self.seconds.get(self._stage, 0.0) + elapsed, 3)
            self._stage, self._stage_started = stage, now
        if self._callback is None:
            return
        start = _STAGES[stage]
        index = _STAGE_ORDER.index(stage)
        stop = _STAGES[_STAGE_ORDER[index + 1]] if index + 1 < len(_STAGE_ORDER) else 1.0
        overall = start + (stop - start) * min(max(fraction, 0.0), 1.0)
        if overall >= self._last:
            self._last = overall
            self._callback(stage, round(overall, 4))
