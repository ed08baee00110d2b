"""Queueing size levels per charger type (what the capacity model's level variables stand for).

:func:`capacity_levels` turns the scenario's catalogue and wait target into size levels per
offered type (:func:`planner.features.capacity.queueing.size_levels`); which of them each site
keeps is :func:`planner.features.capacity.model.site_levels`'s choice.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from planner.chargers import offered_types, standing_points
from planner.features.capacity.model import CapacitySpec, TypeLevels
from planner.features.capacity.queueing import size_levels
from planner.scenario import Scenario

__all__ = ["capacity_levels", "session_hours"]


def session_hours(scenario: Scenario) -> dict[str, float]:
    """Mean session time per offered charger type (hours)."""
    return {t.name: t.session_h for t in offered_types(scenario)}


def capacity_levels(
    scenario: Scenario, total_sessions: float, existing: Mapping[str, np.ndarray] | None = None
) -> CapacitySpec:
    """Queueing size levels per offered charger type, from its ``min_per_hub`` to ``max_per_hub``.

    ``existing`` gives the points already standing at each site per type
    (:func:`planner.chargers.existing_by_type`); a type not offered keeps none.
    """
    cap = scenario.capacity
    types = []
    for t in offered_types(scenario):
        levels = size_levels(
            max(total_sessions * 1.01, 1e-9),  # headroom: the top level still takes all after the margin
            t.session_h,
            cap.peak_hour_share,
            cap.max_wait_min / 60.0,
            max_servers=t.spec.max_per_hub,
        )
        # 0.01 % below the exact Erlang-C capacity: near saturation the wait is steep in the arrival
        # rate, and the margin absorbs the solver's feasibility tolerance on the session sums.
        lo = t.spec.min_per_hub
        kept = [(lv.servers, lv.max_sessions_per_day * (1 - 1e-4)) for lv in levels if lv.servers >= lo]
        if lo == 0:
            kept.insert(0, (0, 0.0))
        elif not kept:  # the smallest allowed pool already takes every session
            kept = [(lo, total_sessions * 1.01)]
        servers, capacity = zip(*kept, strict=True)
        types.append(TypeLevels(t.name, tuple(servers), tuple(capacity), t.spec.capex_eur, t.spec.power_kw))
    stand = standing_points(existing, [tl.name for tl in types])
    return CapacitySpec(tuple(types), scenario.costs.site_fixed_eur, cap.size_levels == "integer", stand)
