"""Candidate hub sites: ``[candidates]``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from planner.scenario.base import Bool, Num, _Section, _unit


class CandidatesConfig(_Section):
    """Which places may host a charging hub."""

    include_nodes: Bool = Field(True, description="Every network node is a candidate site.")
    spacing_km: Num | None = Field(
        None,
        gt=0,
        le=1000,
        json_schema_extra=_unit("km"),
        description="If set, add candidate points along every road edge so that no gap between "
        "consecutive candidates exceeds this spacing.",
    )
    sites: Path | None = Field(
        None,
        description="CSV of user-listed sites (site_id, and node | u,v,offset_km | lon,lat; "
        "locked=true marks existing hubs that stay open).",
    )
    use_gpkg_sites: Bool = Field(True, description="Use the 'sites' layer of the network GeoPackage if it has one.")
    snap_radius_km: Num = Field(
        5.0,
        gt=0,
        le=100,
        json_schema_extra=_unit("km"),
        description="Sites given by lon/lat are snapped to the nearest network edge within "
        "this radius; farther ones are an error.",
    )
