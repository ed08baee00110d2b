"""AFIR verifier checks: re-measured from the open hubs' positions and pools, never from the model."""

from __future__ import annotations

import pandas as pd

from planner.features.afir.milestones import milestone_for
from planner.features.afir.report import measure_plan, pool_ok
from planner.network import Network
from planner.scenario import AfirConfig, ChargersConfig
from planner.verify import Check, listing

__all__ = ["afir_checks"]


def _pool_and_spacing_checks(
    network: Network, sites: pd.DataFrame, hubs: pd.DataFrame, afir: AfirConfig, chargers: ChargersConfig
) -> list[Check]:

    checks = []
    ok = pool_ok(hubs, chargers, afir.year) if len(hubs) else []
    bad = [s for s, good in zip(hubs["site_id"], ok, strict=True) if not good]
    checks.append(
        Check(
            "afir_pools",
            not bad,
            f"all {len(hubs)} pools meet the {afir.year} AFIR pool requirement"
            if not bad
            else f"pools below requirement: {listing(bad)}",
        )
    )
    report = measure_plan(afir, chargers, network, sites, hubs)
    if report is not None:
        gaps = [f"{g.tier} {g.edge_id} {g.direction} {g.gap_km:.0f} km" for g in report.gaps]
        checks.append(
            Check(
                "afir_spacing",
                not gaps,
                f"no AFIR gap on {', '.join(report.tiers)} ({report.overall.total_km:,.0f} direction-km, "
                f"re-measured from hub positions)"
                if not gaps
                else f"{len(gaps)} gap(s): {listing(gaps, 3)}",
            )
        )
    return checks


def afir_checks(
    network: Network, sites: pd.DataFrame, hubs: pd.DataFrame, afir: AfirConfig, chargers: ChargersConfig
) -> list[Check]:
    """AFIR checks for the milestone in force at the end of ``afir.year``.

    Whole-network milestones (2030): :func:`_afir_checks` (pools, no gap). Network-share milestones
    (2025: 15 %, 2027: 50 %): pools, and the compliant share of the length, re-measured from the hub
    positions, reaches the required share (``afir_share``); gaps elsewhere are allowed.
    """

    if milestone_for(afir.year).network_share >= 1.0:
        return _pool_and_spacing_checks(network, sites, hubs, afir, chargers)
    checks = [c for c in _pool_and_spacing_checks(network, sites, hubs, afir, chargers) if c.name != "afir_spacing"]
    report = measure_plan(afir, chargers, network, sites, hubs)
    if report is not None:
        basis = report.by_tier if report.milestone.share_basis == "tier" else {"network": report.overall}
        short = [f"{k} {c.share:.4f}" for k, c in basis.items() if c.share < report.required_share - 1e-9]
        checks.append(
            Check(
                "afir_share",
                report.met and not short,
                f"{report.overall.compliant_km:,.0f} of {report.overall.total_km:,.0f} direction-km compliant "
                f"(share {report.overall.share:.4f} ≥ {report.required_share:g}, {report.milestone.year} milestone, "
                "re-measured from hub positions)"
                if report.met and not short
                else f"compliant share below the {report.milestone.year} milestone's {report.required_share:g}: "
                f"{', '.join(short) or f'network {report.overall.share:.4f}'}",
            )
        )
    return checks
