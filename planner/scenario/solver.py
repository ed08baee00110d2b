"""Solver choice and limits: ``[solver]``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.scenario.base import Bool, Int, Num, _Section, _unit


class SolverConfig(_Section):
    """Solver choice and limits."""

    name: Literal["highs", "cbc"] = Field("highs", description="HiGHS (via highspy) or CBC (bundled with PuLP).")
    fallback: Bool = Field(True, description="Fall back to CBC if HiGHS is unavailable or fails.")
    time_limit_s: Num = Field(300.0, gt=0, le=86400, json_schema_extra=_unit("s"), description="Wall-clock limit.")
    mip_gap: Num = Field(
        0.001,
        ge=0,
        le=1,
        json_schema_extra=_unit("relative"),
        description="Stop when the relative gap between incumbent and bound is below this.",
    )
    threads: Int | None = Field(None, ge=1, le=256, description="Solver threads (default: the solver's own choice).")
