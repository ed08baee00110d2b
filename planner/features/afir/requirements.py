"""What enforcing an AFIR milestone asks: pool checks, spacing windows, segment shares, per year.

Glue between the scenario and the regulation's geometry (:mod:`.windows`, :mod:`.segments`):
site-index windows for the model, checked against what a new hub's minimum pool offers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from planner.chargers import PoolSpec, min_counts, pool_of
from planner.errors import InfeasibleError, ScenarioError
from planner.features.afir.milestones import EEA_EFTA, EU27, HDV_MILESTONES, milestone_for
from planner.features.afir.model import AfirRequirement, AfirShare
from planner.features.afir.scope import in_area
from planner.features.afir.segments import segment_windows
from planner.features.afir.windows import spacing_windows
from planner.network import Network
from planner.scenario import AfirConfig, ChargersConfig

__all__ = [
    "afir_area",
    "afir_requirement",
    "afir_tiers",
    "enforced_share",
    "enforced_windows",
    "new_hub_pool",
    "rollout_final_afir",
    "rollout_requirements",
]


def afir_area(config: AfirConfig) -> frozenset[str]:
    """Countries where AFIR is measured (EU-27, or with the EEA states)."""
    return EU27 | EEA_EFTA if config.area == "eu_eea" else EU27


def afir_tiers(config: AfirConfig, network: Network) -> list[str]:
    """Configured tiers that the network has on road edges inside the AFIR area."""
    edges = network.edges
    area = afir_area(config)
    inside = [in_area(c, area) for c in edges["country"]]
    present = set(edges.loc[(edges["mode"] == "road").to_numpy() & inside, "tier"])
    return [t for t in ("core", "comprehensive") if t in config.tiers and t in present]


def new_hub_pool(chargers: ChargersConfig) -> PoolSpec:
    """The pool every new hub offers at least: each type's ``min_per_hub`` points."""
    return pool_of(min_counts(chargers), chargers)


def _check_pool(pool: PoolSpec, year: int, tier: str, where: str) -> None:
    """ScenarioError if a new hub's minimum pool misses the ``tier`` requirement in force at the end of ``year``."""
    req = milestone_for(year).requirement(tier)
    if not req.is_met_by(pool):
        raise ScenarioError(
            f"{where}: afir.mode = 'enforce' but a new hub offers {pool.power_kw:,.0f} kW with "
            f"{pool.points_350kw} point(s) ≥ 350 kW, below the {year} {tier} pool requirement "
            f"({req.min_pool_kw:,.0f} kW, {req.min_points_350kw} point(s) ≥ 350 kW, {req.article}); raise "
            "chargers.mcs.min_per_hub (or chargers.ccs.min_per_hub)."
        )


def enforced_windows(
    config: AfirConfig,
    chargers: ChargersConfig,
    network: Network,
    sites: pd.DataFrame,
    *,
    where: str,
    year: int | None = None,
) -> list[tuple[int, ...]]:
    """Site-index windows enforcing full AFIR spacing on the configured tiers.

    ``year`` (default ``config.year``) picks the milestone in force at its end. This is the whole
    tier (the 2030 milestone); for the network-share milestones use :func:`afir_requirement`.

    Raises
    ------
    ScenarioError
        If a new hub's pool (chargers × power) cannot meet the milestone's pool requirement.
    InfeasibleError
        If some stretch has no candidate within the spacing (with where it is).
    """
    year = config.year if year is None else year
    pool = new_hub_pool(chargers)
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    out: list[tuple[int, ...]] = []
    for tier in afir_tiers(config, network):
        _check_pool(pool, year, tier, where)
        result = spacing_windows(
            network, sites, year=year, tier=tier, end_fraction=config.end_fraction, area=afir_area(config)
        )
        if result.uncoverable:
            first = result.uncoverable[0]
            raise InfeasibleError(
                f"{where}: AFIR spacing cannot be met: {len(result.uncoverable)} checkpoint(s) have no candidate "
                f"site within {result.spacing_km:g} km, e.g. {first.describe()}; add candidates "
                "(candidates.spacing_km) or switch afir.mode to 'report'."
            )
        out += [tuple(sorted(index[s] for s in w)) for w in result.site_sets]
    return sorted(set(out))


def enforced_share(
    config: AfirConfig,
    chargers: ChargersConfig,
    network: Network,
    sites: pd.DataFrame,
    *,
    where: str,
    year: int | None = None,
) -> AfirShare | None:
    """Segments of the configured tiers for a network-share milestone (2025: 15 %, 2027: 50 %).

    Per segment (edge and direction of travel) its direction-km and the site-index windows of
    :func:`planner.afir.segment_windows`; the share basis follows ``milestone.share_basis``. None
    if no configured tier is present.

    Raises
    ------
    ScenarioError
        If a new hub's pool cannot meet the milestone's pool requirement on a configured tier.
    InfeasibleError
        If even with every candidate open the certifiable length stays below the share.
    """
    year = config.year if year is None else year
    milestone = milestone_for(year)
    pool = new_hub_pool(chargers)
    index = {sid: i for i, sid in enumerate(sites["site_id"])}
    lengths: list[float] = []
    groups: list[str] = []
    windows: list[tuple[tuple[int, ...], ...]] = []
    coverable: list[bool] = []
    totals: dict[str, float] = {}
    blocked = []
    for tier in afir_tiers(config, network):
        _check_pool(pool, year, tier, where)
        group = "network" if milestone.share_basis == "network" else tier
        tier_segments = segment_windows(
            network, sites, year=year, tier=tier, end_fraction=config.end_fraction, area=afir_area(config)
        )
        for seg in tier_segments.segments:
            lengths.append(seg.length_km)
            groups.append(group)
            windows.append(tuple(tuple(sorted(index[s] for s in w)) for w in seg.windows))
            coverable.append(seg.coverable)
            totals[group] = totals.get(group, 0.0) + seg.length_km
            blocked += seg.uncoverable[:1]
    if not totals:
        return None
    share = AfirShare(
        milestone.year, milestone.network_share, tuple(lengths), tuple(groups), tuple(windows), tuple(coverable), totals
    )
    reach = share.reachable_km()
    for group, total in sorted(totals.items()):
        if reach[group] < milestone.network_share * total - 1e-9 * max(1.0, total):
            example = f", e.g. {blocked[0].describe()}" if blocked else ""
            raise InfeasibleError(
                f"{where}: the {milestone.year} AFIR milestone needs {milestone.network_share:.0%} of the {group} "
                f"length ({total:,.0f} direction-km) compliant, but with every candidate open only "
                f"{reach[group] / total:.1%} can be certified ({len(blocked)} segment(s) have a point no candidate "
                f"serves within the spacing{example}); add candidates (candidates.spacing_km) or switch afir.mode "
                "to 'report'."
            )
    return share


def afir_requirement(
    config: AfirConfig,
    chargers: ChargersConfig,
    network: Network,
    sites: pd.DataFrame,
    *,
    where: str,
    year: int | None = None,
) -> AfirRequirement:
    """What enforcing the milestone in force at the end of ``year`` (default ``config.year``) asks:
    full spacing windows for a whole-network milestone (2030), a segment share for a network-share
    milestone (2025, 2027)."""
    year = config.year if year is None else year
    if milestone_for(year).network_share >= 1.0:
        windows = enforced_windows(config, chargers, network, sites, where=where, year=year)
        return AfirRequirement(windows=tuple(windows))
    return AfirRequirement(share=enforced_share(config, chargers, network, sites, where=where, year=year))


def rollout_requirements(
    config: AfirConfig,
    chargers: ChargersConfig,
    network: Network,
    sites: pd.DataFrame,
    years: Sequence[int],
    *,
    where: str,
) -> tuple[list[tuple[tuple[int, ...], ...]], list[AfirShare | None]]:
    """Per planning year, the requirement of the milestone due by its end (enforce mode only).

    Year ``t`` meets the latest milestone with deadline year ``≤ t`` (2025: 15 %, 2027: 50 %,
    2030: full spacing); years before the first deadline have none. ``afir.year`` plays no part.
    """
    windows: list[tuple[tuple[int, ...], ...]] = []
    shares: list[AfirShare | None] = []
    done: dict[int, AfirRequirement] = {}
    for year in years:
        if config.mode != "enforce" or year < HDV_MILESTONES[0].year:
            windows.append(())
            shares.append(None)
            continue
        due = milestone_for(year).year
        if due not in done:
            done[due] = afir_requirement(
                config, chargers, network, sites, where=f"{where} (rollout year {year})", year=due
            )
        windows.append(done[due].windows)
        shares.append(done[due].share)
    return windows, shares


def rollout_final_afir(config: AfirConfig, years: Sequence[int]) -> AfirConfig:
    """The AFIR settings a rollout's final plan (its last year's hubs) is verified against.

    The last planning year's own milestone (the per-year checks cover the others); not enforced
    if that year is before the first deadline.
    """
    last = max(years)
    if last < HDV_MILESTONES[0].year:
        return config.model_copy(update={"mode": "report"}) if config.mode == "enforce" else config
    return config.model_copy(update={"year": int(last)})
