"""Decoding sized hubs: points per charger type from the chosen size levels, their cost, sessions."""

from __future__ import annotations

import numpy as np

from planner.chargers import TYPES, set_existing_columns
from planner.context import RunContext
from planner.features.capacity.model import CapacitySpec, CapacityVariables
from planner.features.coverage.model import open_sites
from planner.plan import Plan

__all__ = ["decode_capacity", "points_by_type"]


def points_by_type(
    spec: CapacitySpec, cap: CapacityVariables, open_idx: np.ndarray, sessions: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Points per charger type at each open hub, and each type's daily sessions.

    With integer size levels the chosen level of each type; with relaxed levels the smallest level
    of each type taking its sessions; never fewer than the points already standing there. The
    model's session split (``Σ_t s[k,t] ≥ S_k``) is scaled to sum exactly to the hub's sessions.
    """
    n = len(open_idx)
    counts = {t: np.zeros(n, dtype=int) for t in TYPES}
    split = {t: np.zeros(n) for t in TYPES}
    for j, k in enumerate(open_idx):
        k = int(k)
        if len(spec.types) == 1:
            raw = [sessions[j]]
        else:
            raw = [
                float(cap.split[k, ti].value() or 0.0) if (k, ti) in cap.split else 0.0 for ti in range(len(spec.types))
            ]
        raw = [max(v, 0.0) for v in raw]
        scale = sessions[j] / sum(raw) if sum(raw) > 0 else 0.0
        for ti, tl in enumerate(spec.types):
            s_t = raw[ti] * scale
            if spec.integer_levels:
                c = sum(
                    tl.servers[li]
                    for li in range(len(tl.servers))
                    if (k, ti, li) in cap.level and (cap.level[k, ti, li].value() or 0) > 0.5
                )
            else:
                c = tl.servers[tl.level_for(s_t)]
            counts[tl.name][j] = max(c, spec.existing_at(k, ti))  # points already standing stay
            split[tl.name][j] = s_t
    return counts, split


def decode_capacity(plan: Plan, ctx: RunContext) -> None:
    """Replace every hub's minimum pool by its sized points, price them, add sessions per type."""
    model = ctx.solution.model
    spec: CapacitySpec = model.spec.part("capacity").data
    open_idx = np.flatnonzero(open_sites(model))
    sessions = ctx.data["charging_volume"] * ctx.session_factor
    counts, split = points_by_type(spec, model.parts["capacity"], open_idx, list(sessions))
    hubs, types = plan.hubs, ctx.scenario.chargers.types()
    hubs["chargers"] = sum(counts.values())
    for t in TYPES:
        hubs[f"chargers_{t}"] = counts[t]
    standing = {t: np.zeros(len(open_idx), dtype=int) for t in TYPES}
    for ti, tl in enumerate(spec.types):
        standing[tl.name] = np.array([spec.existing_at(int(k), ti) for k in open_idx], dtype=int)
    hubs["cost_eur"] = np.where(ctx.instance.site_locked[open_idx], 0.0, spec.site_fixed_eur) + sum(
        (counts[t] - standing[t]) * types[t].capex_eur for t in TYPES
    )
    if spec.existing:  # which of a hub's points were standing before the plan
        set_existing_columns(hubs, standing)
    plan.summary["total_cost_eur"] = float(hubs["cost_eur"].sum())
    plan.summary["total_chargers"] = int(hubs["chargers"].sum())
    for t in TYPES:
        hubs[f"sessions_{t}"] = split[t].round(6)
