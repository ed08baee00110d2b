"""Hub economics: annual energy, capex, opex, annualised cost, margin, payback.

Energy is measured, not assumed: the energy charged at each stop comes from the shared simulation
of the served flows (:mod:`planner.trips`), multiplied by the trucks/day taking it.
"""

from __future__ import annotations

import math

import pandas as pd

from planner.scenario import CostsConfig

__all__ = ["add_economics", "capital_recovery_factor"]


def capital_recovery_factor(rate: float, years: int) -> float:
    """Annuity factor turning a capex into an equal annual cost over ``years`` at ``rate``."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def add_economics(hubs: pd.DataFrame, energy_kwh_per_day: dict[str, float], costs: CostsConfig) -> dict:
    """Add per-hub energy and money columns to ``hubs``; return the totals for summary.json."""
    crf = capital_recovery_factor(costs.discount_rate, costs.lifetime_years)
    kwh_year = hubs["site_id"].map(energy_kwh_per_day).fillna(0.0) * 365.0
    capex = hubs["cost_eur"].astype(float)
    opex = capex * costs.opex_share_per_year
    margin = kwh_year * costs.margin_eur_per_kwh
    hubs["energy_mwh_per_year"] = (kwh_year / 1000.0).round(3)
    hubs["capex_eur"] = capex
    hubs["opex_eur_per_year"] = opex.round(2)
    hubs["annualised_cost_eur"] = (capex * crf + opex).round(2)
    hubs["margin_eur_per_year"] = margin.round(2)
    net = margin - opex
    # No payback (margin never exceeds opex) is left empty rather than infinite.
    hubs["payback_years"] = [round(c / n, 2) if n > 0 else math.nan for c, n in zip(capex, net, strict=True)]
    return {
        "capex_eur": float(capex.sum()),
        "opex_eur_per_year": float(opex.sum()),
        "annualised_cost_eur": float((capex * crf + opex).sum()),
        "energy_gwh_per_year": float(kwh_year.sum() / 1e6),
        "margin_eur_per_year": float(margin.sum()),
        "capital_recovery_factor": crf,
        "assumptions": {
            "discount_rate": costs.discount_rate,
            "lifetime_years": costs.lifetime_years,
            "opex_share_per_year": costs.opex_share_per_year,
            "margin_eur_per_kwh": costs.margin_eur_per_kwh,
        },
    }
