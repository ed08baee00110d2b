"""What the optimisation pursues: ``[objective]``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.scenario.base import MAX_EUR, Bool, Int, Num, _Section, _unit


class ObjectiveConfig(_Section):
    """What the optimisation pursues."""

    type: Literal["max_coverage", "min_cost"] = Field(
        "max_coverage",
        description="max_coverage: serve as much as possible within max_hubs/budget_eur. "
        "min_cost: cheapest plan reaching coverage_target (or serving all servable flows).",
    )
    metric: Literal["volume", "truck_km"] = Field(
        "volume", description="Coverage is measured in trucks/day (volume) or truck-km/day."
    )
    max_hubs: Int | None = Field(None, ge=0, description="Upper limit on new hubs (locked existing hubs do not count).")
    budget_eur: Num | None = Field(
        None, ge=0, le=MAX_EUR, json_schema_extra=_unit("EUR"), description="Upper limit on the capex of new hubs."
    )
    coverage_target: Num | None = Field(
        None,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of total"),
        description="min_cost only: share of the total (volume or truck-km, per metric) that "
        "must be served. Unset: every servable flow must be served.",
    )

    second_stage: Bool = Field(
        True,
        description="Lexicographic objectives: after max_coverage, minimise capex among plans serving what was "
        "found; after min_cost with a coverage_target, maximise coverage within the capex found. Each stage is a "
        "solve of its own with its own status, bound and gap in summary.json (lexicographic).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ObjectiveConfig:
        if self.type == "max_coverage" and self.coverage_target is not None:
            raise ValueError("'coverage_target' applies to min_cost only")
        return self
