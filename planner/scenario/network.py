"""Where the corridor graph comes from: ``[network]``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from planner.scenario.base import Num, _Section, _unit


class NetworkConfig(_Section):
    """Where the corridor graph comes from."""

    nodes: Path | None = Field(
        None, description="CSV of nodes (id, name, lon, lat, ...). Relative to the scenario file."
    )
    edges: Path | None = Field(None, description="CSV of edges (u, v, length_km, ...). Relative to the scenario file.")
    gpkg: Path | None = Field(
        None,
        description="GeoPackage with layers 'nodes' and 'edges' (and optional 'sites'), instead of nodes/edges CSVs.",
    )
    tiers: list[Literal["core", "comprehensive"]] = Field(
        default_factory=lambda: ["core", "comprehensive"],
        description="Edge tiers kept from the network file; edges of other tiers are dropped.",
    )
    max_detour_ratio: Num = Field(
        3.0,
        gt=1.0,
        le=100.0,
        json_schema_extra=_unit("ratio"),
        description="Largest allowed ratio length_km / great-circle distance of a road edge "
        "before the coordinates or length are reported as implausible.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> NetworkConfig:
        if self.gpkg is None and (self.nodes is None or self.edges is None):
            raise ValueError("give either 'gpkg' or both 'nodes' and 'edges'")
        if self.gpkg is not None and (self.nodes is not None or self.edges is not None):
            raise ValueError("give either 'gpkg' or 'nodes'/'edges', not both")
        return self
