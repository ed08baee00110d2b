"""Coverage and hubs by country (and by sub-national region where the node table names one).

A flow counts for every country one of its ends lies in (a Hamburg–Lyon flow counts for DE and for
FR), so the rows do not add up to the total; a hub counts for the country of its site. Regions come
from the node table's optional ``region`` column (ISO 3166-2 codes such as ``GB-NIR``, Northern
Ireland): they get a row of their own in ``by_region`` with the flows ending there.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from planner.network import Network

__all__ = ["coverage_by_area"]

_REGION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


def _rows(ends: list[pd.Series], volume: np.ndarray, served: np.ndarray) -> dict[str, dict[str, Any]]:
    codes, areas = pd.factorize(pd.concat([e.fillna("").astype(str) for e in ends], ignore_index=True), sort=True)
    n = len(volume)
    per_end = codes.reshape(len(ends), n)
    out: dict[str, dict[str, Any]] = {}
    for k, area in enumerate(areas.tolist()):
        if not area:
            continue
        touch = (per_end == k).any(axis=0)
        vol = float(volume[touch].sum())
        hit = float(volume[touch & served].sum())
        out[area] = {
            "flows": int(touch.sum()),
            "flows_served": int((touch & served).sum()),
            "volume": vol,
            "served_volume": hit,
            "served_share": hit / vol if vol else 0.0,
        }
    return out


def coverage_by_area(
    network: Network, flows: pd.DataFrame, volume: np.ndarray, served: np.ndarray, hubs: pd.DataFrame
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Per country and per region: flows with an end there (served or not, trucks/day, served
    share) and, per country, the open hubs and charging points there.

    Returns
    -------
    by_country, by_region
        Keyed by ISO code, sorted.
    """
    nodes = network.nodes
    country = nodes["country"] if "country" in nodes.columns else pd.Series("", index=nodes.index)
    ends_c = [flows["origin"].map(country), flows["destination"].map(country)]
    by_country = _rows(ends_c, volume, served)
    for area, row in by_country.items():
        here = hubs[hubs["country"] == area] if "country" in hubs.columns else hubs.iloc[:0]
        row["hubs"] = len(here)
        row["charging_points"] = int(here["chargers"].sum()) if "chargers" in here.columns else 0
    by_region: dict[str, dict[str, Any]] = {}
    if "region" in nodes.columns:
        region = nodes["region"].fillna("").astype(str).str.strip()
        region = region.where(region.str.match(_REGION), "")
        if (region != "").any():
            by_region = _rows([flows["origin"].map(region), flows["destination"].map(region)], volume, served)
    return by_country, by_region
