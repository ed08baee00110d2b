"""The truck and the driving-time rules: ``[vehicle]`` and ``[breaks]``."""

from __future__ import annotations

from pydantic import Field, model_validator

from planner.scenario.base import Bool, Num, _Section, _unit


class VehicleConfig(_Section):
    """The battery-electric truck and the range semantics shared by model and verifier."""

    battery_kwh: Num = Field(
        600.0, gt=0, le=5000, json_schema_extra=_unit("kWh"), description="Usable battery capacity."
    )
    consumption_kwh_per_km: Num = Field(
        1.2,
        gt=0,
        le=10,
        json_schema_extra=_unit("kWh/km"),
        description="Average energy use while driving (40 t long-haul, motorway).",
    )
    soc_min: Num = Field(
        0.10,
        ge=0,
        lt=1,
        json_schema_extra=_unit("share of battery"),
        description="State of charge that is never crossed on the road.",
    )
    soc_max: Num = Field(
        0.80,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of battery"),
        description="State of charge a truck is charged to at every open hub it passes (a truck "
        "arriving above it does not charge).",
    )
    soc_start: Num = Field(
        0.80,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of battery"),
        description="State of charge at the origin (depot charging).",
    )
    soc_arrival_min: Num = Field(
        0.10,
        ge=0,
        lt=1,
        json_schema_extra=_unit("share of battery"),
        description="Minimum state of charge on arrival at the destination.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> VehicleConfig:
        if not self.soc_min < self.soc_max:
            raise ValueError("soc_min must be below soc_max")
        if not self.soc_min <= self.soc_start:
            raise ValueError("soc_start must not be below soc_min")
        if not self.soc_min <= self.soc_arrival_min < self.soc_max:
            raise ValueError("soc_arrival_min must lie in [soc_min, soc_max)")
        return self


class BreaksConfig(_Section):
    """Charging aligned with EU driving-time rules (Regulation (EC) No 561/2006, Art. 7)."""

    enabled: Bool = Field(
        True,
        description="Charging stops double as the driver's break: at most max_driving_h of "
        "driving between stops (origin, hubs, destination).",
    )
    max_driving_h: Num = Field(
        4.5,
        gt=0,
        le=24,
        json_schema_extra=_unit("h"),
        description="Driving time allowed between breaks (4.5 h under Reg. 561/2006).",
    )
    speed_kmh: Num = Field(
        80.0,
        gt=0,
        le=130,
        json_schema_extra=_unit("km/h"),
        description="Average driving speed used to turn driving time into distance "
        "(EU heavy trucks are limited to 90 km/h; 80 km/h allows for traffic).",
    )
