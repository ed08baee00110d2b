"""The charger catalogue: ``[chargers]``, ``[chargers.mcs]``, ``[chargers.ccs]``."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from planner.scenario.base import MAX_EUR, Int, Num, _Section, _unit


class ChargerType(_Section):
    """One charger type of the catalogue (a megawatt MCS point or a CCS point)."""

    power_kw: Num = Field(
        ..., gt=0, le=3750, json_schema_extra=_unit("kW"), description="Rated power of one charging point."
    )
    capex_eur: Num = Field(
        ...,
        ge=0,
        le=MAX_EUR,
        json_schema_extra=_unit("EUR"),
        description="Capex per charging point incl. installation.",
    )
    min_per_hub: Int = Field(
        0,
        ge=0,
        le=500,
        description="Points of this type every open hub gets; without capacity sizing a hub has exactly these.",
    )
    max_per_hub: Int = Field(
        40, ge=0, le=500, description="Most points of this type at one hub (site area, cabling); 0: type unused."
    )
    taper_soc: Num | None = Field(
        None,
        ge=0,
        lt=1,
        json_schema_extra=_unit("state of charge"),
        description="Above this state of charge the power falls linearly to taper_floor × power at 100 % "
        "(unset: constant power up to vehicle.soc_max).",
    )
    taper_floor: Num = Field(
        0.5, gt=0, le=1, json_schema_extra=_unit("share of power_kw"), description="Power at 100 % with a taper."
    )

    @model_validator(mode="after")
    def _bounds(self) -> ChargerType:
        if self.min_per_hub > self.max_per_hub:
            raise ValueError(f"min_per_hub={self.min_per_hub} exceeds max_per_hub={self.max_per_hub}")
        return self


def _mcs() -> ChargerType:
    return ChargerType(power_kw=1000.0, capex_eur=4.0e5, min_per_hub=4, max_per_hub=40)


def _ccs() -> ChargerType:
    return ChargerType(power_kw=400.0, capex_eur=1.6e5, min_per_hub=0, max_per_hub=40)


class ChargersConfig(_Section):
    """Charger catalogue: megawatt (MCS) and CCS points with power, taper, capex and per-hub limits."""

    mcs: ChargerType = Field(
        default_factory=_mcs,
        description="Megawatt Charging System points (default 1,000 kW, 0.4 M EUR; assumption within ICCT 2023 "
        "and Fraunhofer ISI 2024's 0.3–0.8 M EUR per MW).",
    )
    ccs: ChargerType = Field(
        default_factory=_ccs,
        description="CCS points for trucks (default 400 kW, 0.16 M EUR: the same cost per MW as MCS, assumption).",
    )
    max_session_min: Num | None = Field(
        None,
        gt=0,
        le=1440,
        json_schema_extra=_unit("min"),
        description="A type is offered only if its mean session (charging + capacity.plug_overhead_min) fits this "
        "time, e.g. 45 for charging within the driver's break (unset: no limit).",
    )

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: Any) -> Any:
        # A [chargers.<type>] table that sets only some keys keeps the type's defaults for the rest.
        if isinstance(data, dict):
            defaults = {"mcs": _mcs(), "ccs": _ccs()}
            data = {
                k: {**defaults[k].model_dump(), **v} if k in defaults and isinstance(v, dict) else v
                for k, v in data.items()
            }
        return data

    @model_validator(mode="after")
    def _some(self) -> ChargersConfig:
        if self.mcs.min_per_hub + self.ccs.min_per_hub < 1:
            raise ValueError("every hub needs a charging point: set min_per_hub >= 1 for mcs or ccs")
        return self

    def types(self) -> dict[str, ChargerType]:
        """The catalogue by name, in a fixed order (mcs, ccs)."""
        return {"mcs": self.mcs, "ccs": self.ccs}
