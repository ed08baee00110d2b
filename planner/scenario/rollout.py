"""Multi-year rollouts: ``[rollout]``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.scenario.base import MAX_EUR, Int, Num, _Section, _unit


class RolloutConfig(_Section):
    """Multi-year rollout: hubs open year by year and stay open (empty years: one-shot plan)."""

    years: list[Int] = Field(
        default_factory=list, description="Planning years, increasing (e.g. [2026, 2028, 2030]); empty: off."
    )
    bev_share: list[Num] | None = Field(
        None,
        json_schema_extra=_unit("share of trucks, per year"),
        description="BEV share per year (share of trucks), replacing demand.bev_share year by year; "
        "default: demand.bev_share every year.",
    )
    demand_growth_per_year: Num = Field(
        0.0,
        ge=-0.5,
        le=0.5,
        json_schema_extra=_unit("1/year"),
        description="Growth of all truck volumes per year from the first planning year.",
    )
    budget_per_year_eur: list[Num] | None = Field(
        None,
        json_schema_extra=_unit("EUR per year"),
        description="Capex allowed in each planning year (EUR), one value per year.",
    )
    budget_total_eur: Num | None = Field(
        None,
        ge=0,
        le=MAX_EUR,
        json_schema_extra=_unit("EUR"),
        description="Capex allowed over all planning years together (undiscounted).",
    )
    coverage_target: list[Num] | None = Field(
        None,
        json_schema_extra=_unit("share, per year"),
        description="min_cost: share of each year's volume (or truck-km) to serve, one value per year.",
    )
    mode: Literal["foresight", "myopic"] = Field(
        "foresight",
        description="foresight: all years in one MILP; myopic: year by year, each keeping earlier hubs.",
    )

    @model_validator(mode="after")
    def _lengths(self) -> RolloutConfig:
        if self.years != sorted(set(self.years)):
            raise ValueError("years must be strictly increasing")
        if self.years and not 2020 <= self.years[0] <= self.years[-1] <= 2100:
            # planning years of a network still to be built (a typo like 1026 would discount over 1,000 years)
            raise ValueError(f"years must lie in 2020–2100 (got {self.years[0]}–{self.years[-1]})")
        if not self.years and self.budget_total_eur is not None:
            # a one-year plan would ignore it (and its verifier would not check it)
            raise ValueError("budget_total_eur applies to rollouts (set years); for one year set objective.budget_eur")
        if not self.years and self.demand_growth_per_year != 0:
            raise ValueError("demand_growth_per_year applies to rollouts (set years); a one-year plan would ignore it")
        for name in ("bev_share", "budget_per_year_eur", "coverage_target"):
            values = getattr(self, name)
            if values is not None and len(values) != len(self.years):
                raise ValueError(f"{name} needs one value per year ({len(self.years)})")
        if self.bev_share is not None and not all(0 < v <= 1 for v in self.bev_share):
            raise ValueError("bev_share values must lie in (0, 1]")
        if self.coverage_target is not None and not all(0 < v <= 1 for v in self.coverage_target):
            raise ValueError("coverage_target values must lie in (0, 1]")
        if self.budget_per_year_eur is not None and not all(0 <= v <= MAX_EUR for v in self.budget_per_year_eur):
            raise ValueError(f"budget_per_year_eur values must lie in [0, {MAX_EUR:g}] EUR")
        return self
