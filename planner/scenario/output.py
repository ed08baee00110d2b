"""What ``planner run`` writes: ``[output]``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from planner.scenario.base import Bool, Int, Num, _Section, _unit


class OutputConfig(_Section):
    """What `planner run` writes."""

    dir: Path | None = Field(
        None,
        description="Output folder (default results/<scenario name>/); a relative path is taken from the working "
        "folder `planner run` is started in, like the default, not from the scenario file; --out overrides it.",
    )
    maps: Bool = Field(True, description="Write map.png, map.svg, map.html and report.html.")
    tradeoff_points: Int = Field(
        8,
        ge=0,
        le=50,
        description="Points of the served-share-vs-hubs curve in summary.json and the report: plans "
        "with fewer new hubs than the plan's, each with an upper bound (0: off).",
    )
    tradeoff_time_share: Num = Field(
        0.2,
        ge=0,
        le=1,
        description="Time budget of the curve's bounds as a share of solver.time_limit_s (the "
        "greedy plans and their simulation always run; a bound not reached in time falls back to "
        "the next larger point's).",
        json_schema_extra=_unit("share of solver.time_limit_s"),
    )
