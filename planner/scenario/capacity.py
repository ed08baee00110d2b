"""Charger sizing by queueing: ``[capacity]``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from planner.scenario.base import Bool, Num, _moved_keys, _Section, _unit


class CapacityConfig(_Section):
    """Charger sizing by queueing: each served flow's stops are assigned to hubs in the model."""

    enabled: Bool = Field(
        False,
        description="Assign every served flow's charging stops to open hubs and size each hub's "
        "chargers so the expected peak-hour wait stays under max_wait_min (M/M/c, Erlang C).",
    )
    peak_hour_share: Num = Field(
        0.10,
        gt=0,
        le=1,
        json_schema_extra=_unit("share of daily sessions"),
        description="Share of a hub's daily sessions arriving in its busiest hour (assumption: "
        "truck stops spread over ~14 h of the day with a peak ~1.4× the average).",
    )
    max_wait_min: Num = Field(
        10.0, gt=0, le=240, json_schema_extra=_unit("min"), description="Target mean wait in the busiest hour."
    )
    plug_overhead_min: Num = Field(
        5.0,
        ge=0,
        le=60,
        json_schema_extra=_unit("min"),
        description="Time a charger is occupied per session besides charging (manoeuvre, plug, pay).",
    )
    size_levels: Literal["integer", "relaxed"] = Field(
        "integer",
        description="integer: one binary per size level in one exact model. relaxed: two stages — the linear "
        "relaxation (a lower bound), then the exact model on the sites the relaxation opens, started from the "
        "relaxation rounded up; the reported gap is the exact plan's cost against the relaxation's bound. Much "
        "faster on large instances (min_cost without budget_eur, max_hubs or grid limits only).",
    )
    every_flow_bound: Bool = Field(
        False,
        description="With a demand.max_flows cut: after the plan, bound what sizing hubs for every flow would cost. "
        "The linear relaxation of the model in which every cut flow is served too and stops once in each of "
        "its pairwise-disjoint windows (as many as the fewest stops its trip needs), at the window's open "
        "sites, gives a lower bound on the "
        "capex of any plan serving every flow with the same wait target (summary.json "
        "demand.cut_flows_sessions.every_flow_capex_bound_eur). min_cost serving every flow only; adds one "
        "linear solve (about two minutes on europe-2030-capacity, 2 cores).",
    )

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        return _moved_keys(data, "capacity", {"max_chargers_per_hub": "max_per_hub"})
