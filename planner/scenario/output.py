"""What ``planner run`` writes: ``[output]``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from planner.scenario.base import Bool, Int, _Section


class OutputConfig(_Section):
    """What `planner run` writes."""

    dir: Path | None = Field(
        None, description="Output folder (default results/<scenario name>/ in the working folder)."
    )
    maps: Bool = Field(True, description="Write map.png, map.svg, map.html and report.html.")
    tradeoff_points: Int = Field(
        8,
        ge=0,
        le=50,
        description="Also solve max_coverage for this many hub counts up to the plan's, for the "
        "served-share-vs-hubs curve in summary.json and the report (0: off).",
    )
