"""RunContext: what the pipeline stages hand to each other (and to the features).

One object per run, filled stage by stage: the scenario and the log first, then the network,
candidate sites, routed flows and the plain-array instance, then the features' model parts, the
solution and the decoded plan. Features read what earlier stages produced and add their own
entries under their name (``parts``, ``data``); nothing in it is global.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from planner.features.base import Feature
    from planner.features.coverage.model import ModelPart, Solution
    from planner.instance import PlanningInstance
    from planner.network import Network
    from planner.ranges import Ranges
    from planner.scenario import Scenario
    from planner.solve import SolveLog
    from planner.verify import Check

__all__ = ["Log", "RunContext"]

Log = Callable[[str], None]


def _noop(_: str) -> None:
    return None


@dataclass
class RunContext:
    """State of one run, stage by stage.

    Attributes
    ----------
    scenario, log
        The validated scenario and the progress callback.
    features
        The enabled features, in registry order.
    network, sites, flows, ranges
        The network, candidate site table, routed flows and leg ranges.
    site_cost
        Capex per candidate site of a hub with its minimum pool (0 for existing hubs).
    instance
        The plain-array planning instance.
    parts
        Model parts prepared by features, by feature name, in registry order.
    data
        Anything else a feature keeps for its later stages, by feature name.
    solution
        The solved model (set by the solve stage).
    session_factor
        Sessions per truck/day of base volume the hubs are sized for (a rollout's last year; 1).
    demand
        How the demand was read when it is not one row per flow: ``trips`` aggregated into ``flows``
        (``flows_kept`` after ``max_flows``); ``summary["demand"]``. Empty otherwise.
    side_checks
        Verification checks of plans solved on the side (reference plans, trade-off points).
    solve_log
        Where solves report progress and their own log (``planner run -v`` / ``--log-file``).
    """

    scenario: Scenario
    log: Log = _noop
    features: list[Feature] = field(default_factory=list)
    network: Network | None = None
    sites: pd.DataFrame | None = None
    flows: pd.DataFrame | None = None
    ranges: Ranges | None = None
    site_cost: np.ndarray | None = None
    instance: PlanningInstance | None = None
    parts: dict[str, ModelPart] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    solution: Solution | None = None
    session_factor: float = 1.0
    demand: dict[str, int] = field(default_factory=dict)
    side_checks: list[Check] = field(default_factory=list)
    solve_log: SolveLog | None = None
    started: float = field(default_factory=time.perf_counter)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    build_seconds: float = 0.0

    @property
    def refuel_at_origin(self) -> bool:
        """Round trips follow the classic rule (a hub at the origin refuels the returning truck)."""
        demand = self.scenario.demand
        return demand.round_trip and demand.round_trip_rule == "refuel_at_origin"

    def feature(self, name: str) -> Feature | None:
        """The enabled feature called ``name`` (None if it is off)."""
        return next((f for f in self.features if f.name == name), None)
