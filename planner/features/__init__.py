"""Features: the core (coverage under range) and everything that plugs into it.

:data:`FEATURES` is the registry, in the order the pipeline asks them at every stage (model parts,
solve, decode, outputs, checks). Adding a feature = a new package here + one line below.
"""

from __future__ import annotations

from planner.features.afir.feature import AfirFeature
from planner.features.base import Feature
from planner.features.capacity.feature import CapacityFeature
from planner.features.coverage.feature import CoverageFeature
from planner.features.economics.feature import EconomicsFeature
from planner.features.grid.feature import GridFeature
from planner.features.hourly.feature import HourlyFeature
from planner.features.rollout.feature import RolloutFeature
from planner.features.tradeoff.feature import TradeoffFeature
from planner.scenario import Scenario

__all__ = ["FEATURES", "Feature", "check_scenario", "enabled_features"]

FEATURES: tuple[Feature, ...] = (
    CoverageFeature(),
    EconomicsFeature(),
    CapacityFeature(),
    GridFeature(),
    HourlyFeature(),
    AfirFeature(),
    RolloutFeature(),
    TradeoffFeature(),
)


def check_scenario(scenario: Scenario) -> None:
    """Every enabled feature's :meth:`~planner.features.base.Feature.check_scenario`: settings they cannot
    honour, refused from the scenario alone (a run, ``planner validate`` and a sweep's points)."""
    for feature in enabled_features(scenario):
        feature.check_scenario(scenario)


def enabled_features(scenario: Scenario) -> list[Feature]:
    """The registered features ``scenario`` switches on, in registry order (without those another
    enabled feature supersedes)."""
    on = [f for f in FEATURES if f.enabled(scenario)]
    replaced = {name for f in on for name in f.supersedes}
    return [f for f in on if f.name not in replaced]
