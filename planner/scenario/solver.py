"""Solver choice and limits: ``[solver]``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.scenario.base import Bool, Int, Num, _Section, _unit


class SolverConfig(_Section):
    """Solver choice and limits."""

    name: Literal["highs", "cbc"] = Field(
        "highs", description="HiGHS (via highspy) or CBC (the binary bundled with PuLP 3, else `cbc` on the PATH)."
    )
    fallback: Bool = Field(True, description="Fall back to CBC if HiGHS is unavailable or fails.")
    time_limit_s: Num = Field(300.0, gt=0, le=86400, json_schema_extra=_unit("s"), description="Wall-clock limit.")
    mip_gap: Num = Field(
        0.001,
        ge=0,
        le=1,
        json_schema_extra=_unit("relative"),
        description="Stop when the relative gap between incumbent and bound is below this.",
    )
    threads: Int | None = Field(
        None,
        ge=1,
        le=256,
        description=(
            "Solver threads (default: the solver's own choice); 1 also keeps a rollout's years' relaxations "
            "one after the other (two side by side otherwise)."
        ),
    )
    coverage_rows: Literal["auto", "lazy", "all"] = Field(
        "auto",
        description=(
            "max_coverage without assigned stops ([capacity], [hourly]), one year or a rollout: 'lazy' starts "
            "each flow with a few of its windows and adds the windows a round's plan misses, round by round (a "
            "relaxation, so each round's bound holds; not limited by max_model_pairs); 'all' builds every window "
            "of every flow at once; 'auto' refines lazily from 100,000 (flow group, window) pairs per year "
            "(europe-2030-low-budget has 12,816 with 4,000 flows, 240,949 with 20,000)."
        ),
    )
    start_flows: Int | None = Field(
        None,
        ge=1,
        description=(
            "max_coverage refined lazily (coverage_rows), one year or a foresight rollout: first solve the "
            "start_flows largest flows alone (by trucks/day, ties in flow order; up to a third of time_limit_s, "
            "a rollout half of it), then refine every flow's windows from that plan, which is kept unless a round "
            "serves more of every flow. The windows the first rounds added carry over; the linear relaxation with "
            "every window (row generation; a rollout's per year) and every flow's rounds bound every flow, so the "
            "reported bound and gap are every flow's. Unset: no start."
        ),
    )
    max_model_pairs: Int = Field(
        2_500_000,
        ge=1,
        description=(
            "Largest model with a served-variable per group of flows (max_coverage unless its windows are "
            "refined lazily, see coverage_rows; coverage_target, "
            "[capacity], [hourly], rollouts) to build, in (flow group, window) pairs, each counted three "
            "times where stops are assigned to hubs ([capacity], [hourly]) and once per year in a foresight "
            "rollout: about 3 KB of memory per count, "
            "so 2.5 M is about 8 GB. A larger one stops before it is built. The cheapest plan serving every "
            "flow is a plain set cover and is not limited. Raise it on a machine with more memory."
        ),
    )
