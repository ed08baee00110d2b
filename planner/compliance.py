"""AFIR compliance of a plan: pools from open hubs, spacing windows for the model, the report.

Glue between the scenario/plan tables and :mod:`planner.afir` (which holds the regulation's
figures and the spacing geometry).
"""

from __future__ import annotations

import pandas as pd

from planner.afir import AfirReport, PoolSpec, measure_spacing, milestone_for, spacing_windows
from planner.errors import InfeasibleError, ScenarioError
from planner.network import Network
from planner.scenario import AfirConfig, CostsConfig

__all__ = ["afir_tiers", "enforced_windows", "hub_pools", "measure_plan", "pool_ok", "afir_summary"]


def afir_tiers(config: AfirConfig, network: Network) -> list[str]:
    """Configured tiers that the network actually has."""
    present = set(network.edges.loc[network.edges["mode"] == "road", "tier"])
    return [t for t in ("core", "comprehensive") if t in config.tiers and t in present]


def new_hub_pool(costs: CostsConfig) -> PoolSpec:
    """The pool every new hub offers: ``chargers_per_hub`` points of ``charger_power_kw``."""
    points = costs.chargers_per_hub if costs.charger_power_kw >= 350 else 0
    return PoolSpec(power_kw=costs.chargers_per_hub * costs.charger_power_kw, points_350kw=points)


def enforced_windows(
    config: AfirConfig, costs: CostsConfig, network: Network, sites: pd.DataFrame, *, where: str
) -> list[tuple[int, ...]]:
    """Site-index windows enforcing AFIR spacing on the configured tiers.

    Raises
    ------
    ScenarioError
        If a new hub's pool (chargers × power) cannot meet the milestone's pool requirement.
    InfeasibleError
        If some stretch has no candidate within the spacing (with where it is).
    """
    milestone = milestone_for(config.year)
    pool = new_hub_pool(costs)
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    out: list[tuple[int, ...]] = []
    for tier in afir_tiers(config, network):
        req = milestone.requirement(tier)
        if not req.is_met_by(pool):
            raise ScenarioError(
                f"{where}: afir.mode = 'enforce' but a new hub offers {pool.power_kw:,.0f} kW with "
                f"{pool.points_350kw} point(s) ≥ 350 kW, below the {config.year} {tier} pool requirement "
                f"({req.min_pool_kw:,.0f} kW, {req.min_points_350kw} point(s) ≥ 350 kW, {req.article}); raise "
                "costs.chargers_per_hub or costs.charger_power_kw."
            )
        result = spacing_windows(network, sites, year=config.year, tier=tier, end_fraction=config.end_fraction)
        if result.uncoverable:
            first = result.uncoverable[0]
            raise InfeasibleError(
                f"{where}: AFIR spacing cannot be met: {len(result.uncoverable)} checkpoint(s) have no candidate "
                f"site within {result.spacing_km:g} km, e.g. {first.describe()}; add candidates "
                "(candidates.spacing_km) or switch afir.mode to 'report'."
            )
        out += [tuple(sorted(index[s] for s in w)) for w in result.site_sets]
    return sorted(set(out))


def hub_pools(hubs: pd.DataFrame, costs: CostsConfig) -> dict[str, PoolSpec]:
    """Pool of every open hub from its charger count."""
    points_ok = costs.charger_power_kw >= 350
    return {
        sid: PoolSpec(power_kw=float(n) * costs.charger_power_kw, points_350kw=int(n) if points_ok else 0)
        for sid, n in zip(hubs["site_id"], hubs["chargers"], strict=True)
    }


def pool_ok(hubs: pd.DataFrame, costs: CostsConfig, year: int) -> list[bool]:
    """Whether each hub's pool meets the requirement of its own tier at the milestone."""
    milestone = milestone_for(year)
    pools = hub_pools(hubs, costs)
    return [
        milestone.requirement(tier if tier in ("core", "comprehensive") else "comprehensive").is_met_by(pools[sid])
        for sid, tier in zip(hubs["site_id"], hubs["tier"], strict=True)
    ]


def measure_plan(
    config: AfirConfig, costs: CostsConfig, network: Network, sites: pd.DataFrame, hubs: pd.DataFrame
) -> AfirReport | None:
    """Measure the plan's AFIR spacing compliance (None if no configured tier is present)."""
    tiers = afir_tiers(config, network)
    if not tiers:
        return None
    return measure_spacing(
        network, sites, hub_pools(hubs, costs), year=config.year, tiers=tuple(tiers), end_fraction=config.end_fraction
    )


def afir_summary(report: AfirReport, mode: str) -> dict:
    """Compact form for summary.json (per-direction detail goes to afir.csv)."""
    full = report.to_dict()
    gaps = full.pop("gaps")
    full.pop("directions")
    full.pop("compliant_pools")
    full["mode"] = mode
    full["gap_count"] = len(gaps)
    finite = [g["gap_km"] for g in gaps if g["gap_km"] is not None]
    full["max_gap_km"] = max(finite) if finite else 0.0
    return full


def directions_table(report: AfirReport) -> pd.DataFrame:
    """Per edge and direction: total and compliant km (afir.csv)."""
    return pd.DataFrame(report.to_dict()["directions"])
