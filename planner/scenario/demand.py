"""Truck origin-destination demand: ``[demand]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from planner.scenario.base import Bool, Int, Num, _Section, _unit


class DemandConfig(_Section):
    """Truck origin-destination flows."""

    flows: Path | None = Field(
        None, description="CSV of flows (origin, destination, volume [trucks/day], optional id)."
    )
    trips: Path | None = Field(
        None,
        description="CSV of single truck trips (origin, destination, optional trips_per_day [default 1], optional "
        "trip_id; see docs/formats.md): the planner sums the trips of each origin-destination pair into one flow "
        "(id T-<origin>-<destination>). Not together with 'flows'; takes the place of 'zones' (e.g. one inherited "
        "through extends), and the gravity settings are then unused. max_flows keeps the largest of these flows.",
    )
    zones: Path | None = Field(
        None,
        description="CSV of freight zones for the gravity model (used when neither 'flows' nor 'trips' is set).",
    )
    total_trucks_per_day: Num = Field(
        985_900.0,
        gt=0,
        json_schema_extra=_unit("trucks/day"),
        description="Gravity model scale: heavy-truck trips per day summed over all ordered node pairs of the "
        "whole network file (before the [network] planning scope) at least min_trip_km apart, before the "
        "max_flows cut (default: calibrated to Eurostat and DfT road freight, see data/README.md).",
    )
    distance_decay: Num = Field(
        2.81,
        ge=0,
        le=5,
        json_schema_extra=_unit("1"),
        description="Gravity model power-law exponent β in T_ij ∝ W_i W_j d_ij^-β, d_ij the generalised "
        "cost of the cheapest path (length plus route penalties; default: calibrated to Eurostat tonne-km by "
        "distance class, see data/README.md).",
    )
    min_trip_km: Num = Field(
        200.0,
        ge=0,
        json_schema_extra=_unit("km"),
        description="Only gravity trips at least this long are kept (trips needing public charging).",
    )
    max_flows: Annotated[Int, Field(gt=0)] | Literal["all"] | None = Field(
        None,
        description="Keep only the largest gravity flows, or the largest flows aggregated from 'trips' (each "
        "direction on its own, ties by origin and destination; deterministic); not applied to 'flows'. \"all\" "
        "(the default) keeps every flow, e.g. to undo a cut in a scenario this one extends.",
    )
    bev_share: Num = Field(
        1.0,
        gt=0,
        le=1,
        json_schema_extra=_unit("share"),
        description="Share of the truck volume that is battery-electric; volumes are multiplied by it.",
    )
    round_trip: Bool = Field(
        False,
        description="Route each flow as a round trip origin→destination→origin (the classic "
        "flow-refuelling assumption); the truck must get back to the origin.",
    )
    round_trip_rule: Literal["refuel_at_origin", "reserve_on_return"] = Field(
        "refuel_at_origin",
        description="refuel_at_origin: the classic rule (Kuby & Lim 2005; Capar et al. 2013) — a hub at the origin "
        "refuels the returning truck, so it may come back with vehicle.soc_min; without one it must come back with "
        "soc_arrival_min. reserve_on_return: always come back with soc_arrival_min (stricter).",
    )

    @field_validator("max_flows", mode="after")
    @classmethod
    def _all_flows(cls, value: int | str | None) -> int | None:
        return None if value == "all" else value

    @model_validator(mode="after")
    def _one_source(self) -> DemandConfig:
        if self.flows is not None and self.trips is not None:
            raise ValueError(
                "give either 'flows' (a flows CSV) or 'trips' (a trips CSV), not both (set the one a scenario this "
                'extends gives to "none" to remove it)'
            )
        if self.flows is None and self.trips is None and self.zones is None:
            raise ValueError("give 'flows' (a flows CSV), 'trips' (a trips CSV) or 'zones' (gravity model)")
        return self

    @property
    def source(self) -> Path:
        """The file the demand is read from: the trips or flows CSV, else the zones of the gravity model."""
        source = self.trips or self.flows or self.zones
        assert source is not None
        return source
