"""Queueing figures of sized hubs: sessions, peak arrivals, utilisation and expected wait per hub."""

from __future__ import annotations

import numpy as np

from planner.chargers import TYPES
from planner.features.capacity.levels import session_hours
from planner.features.capacity.queueing import expected_wait_h
from planner.plan import Plan
from planner.scenario import Scenario

__all__ = ["hub_queueing"]


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
