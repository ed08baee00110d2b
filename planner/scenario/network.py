"""Where the corridor graph comes from and which part of it is planned: ``[network]``.

The planning scope (``countries``, ``tiers``) chooses the roads that are planned; it is
independent of the AFIR measurement (``[afir]``), which only ever looks at EU TEN-T roads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from planner.scenario.base import Bool, Num, _Section, _unit

#: An ISO 3166-1 alpha-2 country code as the network's ``country`` columns use it (``GB``, ``XK``).
CountryCode = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{2}$")]


class NetworkConfig(_Section):
    """Where the corridor graph comes from and which part of it is planned."""

    nodes: Path | None = Field(
        None, description="CSV of nodes (id, name, lon, lat, ...). Relative to the scenario file."
    )
    edges: Path | None = Field(None, description="CSV of edges (u, v, length_km, ...). Relative to the scenario file.")
    gpkg: Path | None = Field(
        None,
        description="GeoPackage with layers 'nodes' and 'edges' (and optional 'sites'), instead of nodes/edges CSVs.",
    )
    tiers: list[Literal["core", "comprehensive", "non_ten_t"]] = Field(
        default_factory=lambda: ["core", "comprehensive", "non_ten_t"],
        min_length=1,
        description="TEN-T statuses of the edges that are planned: 'core', 'comprehensive' and 'non_ten_t' "
        "(an empty tier in the file: a road outside the TEN-T, e.g. in Great Britain or Switzerland). Edges of "
        "other statuses are dropped before demand is generated. Planning scope only: AFIR measures EU TEN-T "
        "roads whatever is planned.",
    )
    countries: list[CountryCode] | None = Field(
        None,
        min_length=1,
        description="ISO 3166-1 alpha-2 codes of the countries planned (absent: all). An edge is kept when "
        "every country in its 'country' column is listed (a ferry or shuttle link follows the countries it "
        "connects); the others are dropped before demand is generated, and only trips between zones on the "
        "kept network are planned.",
    )
    route_penalties: Bool = Field(
        True,
        description="Use the edges' route_penalty_km (a generalised cost in km-equivalent: tolls, heavy-vehicle "
        "fees, transit rules, rail competition) for route choice and for the gravity model's trip distribution; "
        "false: shortest paths by length. Never affects energy, driving time or distances.",
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
            raise ValueError(
                "give either 'gpkg' or 'nodes'/'edges', not both (set those a scenario this extends gives to "
                '"none" to remove them)'
            )
        for key, values in (("tiers", self.tiers), ("countries", self.countries or [])):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"'{key}' lists {', '.join(repeated)} more than once; list each once")
        return self
