"""The limits a rollout's plan must meet, named as its infeasibility message names them."""

from __future__ import annotations

from planner.scenario import Scenario

__all__ = ["rollout_limits"]


def rollout_limits(sc: Scenario, features: tuple[str, ...] = ()) -> list[str]:
    """The limits a rollout's plan must meet that the scenario sets, as an infeasibility message names them
    (until 2026-12-06 it named every kind, set or not: "rollout.budget_per_year_eur / coverage_target /
    max_hubs" for a scenario with a hub limit only): its own, then ``features``, the limits the enabled
    features state for any plan (grid capacity, charger limits; ``ctx.data["limits"]``)."""
    ro, obj = sc.rollout, sc.objective
    limits = []
    if ro.budget_per_year_eur:
        limits.append(f"rollout.budget_per_year_eur = [{', '.join(f'{b:,.0f}' for b in ro.budget_per_year_eur)}] EUR")
    if ro.budget_total_eur is not None:
        limits.append(f"rollout.budget_total_eur = {ro.budget_total_eur:,.0f} EUR")
    if ro.coverage_target and obj.type == "min_cost":
        limits.append(f"rollout.coverage_target = [{', '.join(f'{t:g}' for t in ro.coverage_target)}]")
    if obj.max_hubs is not None:
        limits.append(f"objective.max_hubs = {obj.max_hubs}")
    if sc.afir.mode == "enforce":  # the AFIR feature states its limit for one-year plans only
        limits.append("afir.mode = 'enforce' (each year's milestone)")
    return [*limits, *features] or ["the scenario's limits"]
