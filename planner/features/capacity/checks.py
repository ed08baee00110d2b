"""Capacity verifier check: each hub's sessions recomputed from the flows, each queue's wait."""

from __future__ import annotations

import pandas as pd

from planner.features.capacity.queueing import expected_wait_h
from planner.scenario import CapacityConfig
from planner.verify import Check, listing

__all__ = ["capacity_check"]


def capacity_check(
    hubs: pd.DataFrame, sessions: dict[str, float], capacity: CapacityConfig, service_h: dict[str, float]
) -> Check:

    over = []
    worst = 0.0
    types = [t for t in ("mcs", "ccs") if f"sessions_{t}" in hubs]
    for row in hubs.itertuples(index=False):
        sid = row.site_id
        total = sum(float(getattr(row, f"sessions_{t}")) for t in types)
        if abs(total - sessions.get(sid, 0.0)) > 1e-4 * max(1.0, total):
            over.append(f"{sid} (sessions by type {total:.2f} ≠ {sessions.get(sid, 0.0):.2f} from flows)")
            continue
        for t in types:
            lam = float(getattr(row, f"sessions_{t}")) * capacity.peak_hour_share
            if lam <= 1e-9:
                continue
            n = int(getattr(row, f"chargers_{t}"))
            wait_min = expected_wait_h(n, lam, service_h[t]) * 60 if t in service_h else float("inf")
            worst = max(worst, wait_min)
            if wait_min > capacity.max_wait_min * (1 + 1e-6) + 1e-6:
                over.append(f"{sid} {t} ({wait_min:.1f} min)")
    return Check(
        "hub_queueing",
        not over,
        f"every hub's peak-hour mean wait ≤ {capacity.max_wait_min:g} min per charger type (worst {worst:.1f} min), "
        "sessions recomputed from flows"
        if not over
        else f"{len(over)} hub(s) over the wait target: {listing(over, 3)}",
    )
