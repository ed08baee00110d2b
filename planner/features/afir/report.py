"""The AFIR report of a plan: pools per hub, measured compliance, summary block, table and gap layer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chargers import TYPES, PoolSpec, pool_of
from planner.features.afir.measure import AfirReport, gaps_geodataframe, measure_spacing
from planner.features.afir.milestones import milestone_for
from planner.features.afir.requirements import afir_area, afir_tiers
from planner.features.afir.scope import in_area
from planner.network import Network
from planner.plan import Plan
from planner.scenario import AfirConfig, ChargersConfig, Scenario

__all__ = ["afir_outputs", "afir_summary", "directions_table", "hub_pools", "measure_plan", "pool_ok"]


def hub_pools(hubs: pd.DataFrame, chargers: ChargersConfig) -> dict[str, PoolSpec]:
    """Pool of every open hub from its points per type (``chargers_<type>`` columns)."""
    cols = [hubs[f"chargers_{t}"].to_numpy(dtype=int) for t in TYPES]
    return {
        sid: pool_of(dict(zip(TYPES, (int(c[i]) for c in cols), strict=True)), chargers)
        for i, sid in enumerate(hubs["site_id"])
    }


def pool_ok(hubs: pd.DataFrame, chargers: ChargersConfig, year: int) -> list[bool]:
    """Whether each hub's pool meets the requirement of its own tier at the milestone."""
    milestone = milestone_for(year)
    pools = hub_pools(hubs, chargers)
    return [
        milestone.requirement(tier if tier in ("core", "comprehensive") else "comprehensive").is_met_by(pools[sid])
        for sid, tier in zip(hubs["site_id"], hubs["tier"], strict=True)
    ]


def measure_plan(
    config: AfirConfig, chargers: ChargersConfig, network: Network, sites: pd.DataFrame, hubs: pd.DataFrame
) -> AfirReport | None:
    """Measure the plan's AFIR spacing compliance (None if no configured tier is present)."""
    tiers = afir_tiers(config, network)
    if not tiers:
        return None
    return measure_spacing(
        network,
        sites,
        hub_pools(hubs, chargers),
        year=config.year,
        tiers=tuple(tiers),
        end_fraction=config.end_fraction,
        area=afir_area(config),
    )


def measured_roads(config: AfirConfig, network: Network) -> dict:
    """Which roads AFIR counts, and how many road km it leaves out (not TEN-T, or outside the area)."""
    area = afir_area(config)
    road = network.edges[network.edges["mode"] == "road"]
    inside = np.array([in_area(c, area) for c in road["country"]], dtype=bool)
    tiered = road["tier"].isin(config.tiers).to_numpy()
    km = road["length_km"].to_numpy(dtype=float)
    countries = sorted({c for v in road["country"][~inside] for c in str(v).split(";") if c and c not in area})
    return {
        "area": config.area,
        "area_countries": sorted(area),
        "counted": "TEN-T road edges (tiers "
        + ", ".join(config.tiers)
        + ") lying entirely in "
        + ("EU-27 and EEA states" if config.area == "eu_eea" else "EU-27 member states"),
        "counted_km": float(km[inside & tiered].sum()),
        "not_counted_km_outside_area": float(km[~inside].sum()),
        "not_counted_km_not_ten_t": float(km[inside & ~tiered].sum()),
        "countries_outside_area": countries,
    }


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


def afir_outputs(plan: Plan, scenario: Scenario, network, sites) -> None:
    """Pool power per hub, AFIR report in the summary, gap layer and per-direction table."""
    plan.hubs["afir_pool_ok"] = pool_ok(plan.hubs, scenario.chargers, scenario.afir.year) if len(plan.hubs) else []
    report = measure_plan(scenario.afir, scenario.chargers, network, sites, plan.hubs)
    if report is None:
        plan.summary["afir"] = {
            "mode": scenario.afir.mode,
            "note": "no configured AFIR tier on roads inside the AFIR area in this network",
            "measured_roads": measured_roads(scenario.afir, network),
        }
        return
    plan.summary["afir"] = afir_summary(report, scenario.afir.mode)
    plan.summary["afir"]["measured_roads"] = measured_roads(scenario.afir, network)
    plan.extras.setdefault("layers", {})["afir_gaps"] = gaps_geodataframe(network, report)
    plan.extras.setdefault("tables", {})["afir.csv"] = directions_table(report)
