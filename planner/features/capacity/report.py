"""Queueing figures of sized hubs: sessions, peak arrivals, utilisation and expected wait per hub."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chargers import TYPES, points_lacking, split_like
from planner.features.capacity.levels import session_hours
from planner.features.capacity.queueing import expected_wait_h, min_servers
from planner.plan import Plan
from planner.scenario import Scenario

__all__ = ["hub_queueing", "points_short"]


def hub_queueing(plan: Plan, scenario: Scenario) -> None:
    """Sessions, peak arrivals, utilisation and expected wait per hub and charger type (a session per
    truck charging: ``volume_charging``, a rollout's of its last year)."""
    hubs, cap = plan.hubs, scenario.capacity
    service = session_hours(scenario)
    sessions = hubs["volume_charging"].to_numpy(dtype=float)
    hubs["sessions_per_day"] = sessions.round(3)
    hubs["peak_arrivals_per_hour"] = (sessions * cap.peak_hour_share).round(3)
    busy = np.zeros(len(hubs))
    wait = np.zeros(len(hubs))
    for t in TYPES:
        if t not in service:
            continue
        lam = hubs[f"sessions_{t}"].to_numpy(dtype=float) * cap.peak_hour_share
        busy += lam * service[t]
        w = [
            expected_wait_h(int(c), float(x), service[t]) * 60 for c, x in zip(hubs[f"chargers_{t}"], lam, strict=True)
        ]
        wait = np.maximum(wait, np.array(w, dtype=float)) if len(hubs) else wait
    chargers = hubs["chargers"].to_numpy(dtype=int)
    hubs["utilisation"] = np.where(chargers > 0, busy / np.maximum(chargers, 1), 0.0).round(4)
    hubs["expected_wait_min"] = wait.round(3)
    plan.summary["capacity"] = {
        "session_time_h": service,
        "peak_hour_share": cap.peak_hour_share,
        "max_wait_min": cap.max_wait_min,
        "sessions_per_day": float(sessions.sum()),
        "sessions_by_type": {t: float(hubs[f"sessions_{t}"].sum()) for t in TYPES},
        "max_expected_wait_min": float(wait.max()) if len(hubs) else 0.0,
    }


def points_short(hubs: pd.DataFrame, extra: np.ndarray, scenario: Scenario) -> dict:
    """The points the sized hubs would lack for ``extra`` daily sessions more at each row of ``hubs`` (its
    column ``cut_points_short``, all types).

    Each hub's extra sessions are split between its charger types as its own sessions are (all to the
    first offered type where it has none), and each type's points are the fewest meeting the wait target
    in the busiest hour (:func:`~planner.features.capacity.queueing.min_servers`), as the sizing sizes
    them. Where even ``max_per_hub`` points miss it, the hub counts as over that limit and lacks the points
    up to it.

    Returns
    -------
    dict
        ``points_short`` (per type), ``hubs_short``, ``points_short_capex_eur`` and
        ``hubs_over_max_per_hub``.
    """
    cap, service = scenario.capacity, session_hours(scenario)
    offered = [t for t in TYPES if t in service]
    types = scenario.chargers.types()
    added = split_like(hubs, extra, offered)
    short = {t: np.zeros(len(hubs), dtype=int) for t in offered}
    over = np.zeros(len(hubs), dtype=bool)
    wait_h = cap.max_wait_min / 60.0
    for t in offered:
        load = hubs[f"sessions_{t}"].to_numpy(dtype=float) + added[t]
        top = int(types[t].max_per_hub)
        for j in np.flatnonzero(added[t] > 0):
            need = min_servers(float(load[j]) * cap.peak_hour_share, service[t], wait_h, max_servers=top)
            over[j] |= need is None
            have = int(hubs[f"chargers_{t}"].iat[j])
            short[t][j] = max((top if need is None else need) - have, 0)
    summary = points_lacking(hubs, short, {t: types[t].capex_eur for t in offered})
    return {**summary, "hubs_over_max_per_hub": int(over.sum())}
