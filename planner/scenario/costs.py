"""Investment and operating costs: ``[costs]``."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from planner.scenario.base import _MOVED_TO_CHARGERS, MAX_EUR, Int, Num, _moved_keys, _Section, _unit


class CostsConfig(_Section):
    """Investment costs of a hub."""

    site_fixed_eur: Num = Field(
        1.0e6,
        ge=0,
        le=MAX_EUR,
        json_schema_extra=_unit("EUR"),
        description="Fixed cost of opening a hub (land, civil works, grid connection).",
    )
    opex_share_per_year: Num = Field(
        0.03,
        ge=0,
        le=1,
        json_schema_extra=_unit("share of capex per year"),
        description="Operation and maintenance per year (assumption: 2–5 % of capex is typical for DC charging).",
    )
    discount_rate: Num = Field(
        0.06, ge=0, le=0.5, json_schema_extra=_unit("1/year"), description="Real discount rate for annualising capex."
    )
    lifetime_years: Int = Field(12, ge=1, le=60, description="Economic lifetime of a hub (years) for annualising.")
    margin_eur_per_kwh: Num = Field(
        0.10,
        ge=0,
        le=5,
        json_schema_extra=_unit("EUR/kWh"),
        description="Gross margin per kWh sold (price minus energy and grid charges; assumption).",
    )

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        return _moved_keys(data, "costs", _MOVED_TO_CHARGERS)
