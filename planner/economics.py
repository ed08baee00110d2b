"""Energy sold and hub economics: annual energy, capex, opex, annualised cost, margin, payback.

Energy is measured, not assumed: every served flow is simulated along its route with the
stops it charges at (:func:`planner.verify.simulate_legs`), and each stop's charged energy
(``soc_max`` minus the state of charge on arrival) is multiplied by the trucks/day taking it.
"""

from __future__ import annotations

import math

import pandas as pd

from planner.network import Network
from planner.scenario import BreaksConfig, CostsConfig, VehicleConfig
from planner.verify import HubIndex, simulate_legs

__all__ = ["hub_energy_kwh_per_day", "capital_recovery_factor", "add_economics"]


def hub_energy_kwh_per_day(
    network: Network,
    sites: pd.DataFrame,
    hubs: pd.DataFrame,
    flows: pd.DataFrame,
    vehicle: VehicleConfig,
    breaks: BreaksConfig,
) -> dict[str, float]:
    """Energy charged per day at each open hub (kWh), from simulating every served flow.

    A flow split over several itineraries (capacity mode) is simulated on the union of its stops,
    which slightly understates the energy per stop of each itinerary.
    """
    index = HubIndex(network, sites, set(hubs["site_id"]))
    energy = dict.fromkeys(hubs["site_id"], 0.0)
    for f in flows[flows["served"]].itertuples(index=False):
        if not f.stops:
            continue
        share = dict(zip(f.stops, f.stops_share, strict=True))
        along, total = index.along(list(f.route_nodes))
        trip = simulate_legs([h for h in along if h[2] in share], total, vehicle, breaks)
        for sid, kwh in zip(trip.stops, trip.charged_kwh, strict=False):
            energy[sid] += float(f.volume) * share[sid] * kwh
    return energy


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
