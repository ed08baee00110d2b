"""Per-country figures of a finished run on the European network (flows, served share, hubs).

Reads ``hubs.csv`` and ``flows.csv`` of a run folder and ``nodes.csv``; Northern Ireland is reported
on its own (nodes with ``region = GB-NIR``) and inside GB. A flow counts for every market one of
its ends lies in; a hub for its ``country`` (Northern Ireland: its node's or its edge's ``u`` region).

Usage: python data/europe/derive/plan_by_country.py RUN_FOLDER [RUN_FOLDER ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

EUROPE = Path(__file__).resolve().parent.parent
EU27 = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
EU27 |= {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
WB = {"AL", "BA", "ME", "MK", "RS", "XK"}


def markets(node_country: str, region: str) -> set[str]:
    out = {node_country}
    if region == "GB-NIR":
        out.add("GB-NIR")
    out.add("EU-27" if node_country in EU27 else "Western Balkans" if node_country in WB else node_country)
    return out


def report(run: Path, nodes: pd.DataFrame) -> pd.DataFrame:
    where = {n: markets(c, r) for n, c, r in zip(nodes["id"], nodes["country"], nodes["region"], strict=True)}
    flows = pd.read_csv(run / "flows.csv", keep_default_na=False)
    hubs = pd.read_csv(run / "hubs.csv", keep_default_na=False)
    # "node:<id>" or "edge:<u>–<v>@<offset>km": the hub's country column, Northern Ireland by its node / u end
    hub_node = hubs["node_or_edge"].str.replace(r"^(node|edge):", "", regex=True).str.split("–").str[0]
    region = dict(zip(nodes["id"], nodes["region"], strict=True))
    hub_markets = [
        markets(c, region.get(n, "")) for c, n in zip(hubs["country"], hub_node.str.split("@").str[0], strict=True)
    ]
    rows = []
    for market in ("GB", "GB-NIR", "NO", "CH", "EU-27", "Western Balkans"):
        ends = flows["origin"].map(lambda n, m=market: m in where[n]) | flows["destination"].map(
            lambda n, m=market: m in where[n]
        )
        sub = flows[ends]
        served = sub.loc[sub["served"].astype(str) == "True", "volume"].sum()
        rows.append(
            {
                "market": market,
                "flows": len(sub),
                "BEV trucks/day": round(sub["volume"].sum(), 1),
                "served share": round(served / sub["volume"].sum(), 4) if len(sub) else float("nan"),
                "hubs": sum(market in m for m in hub_markets),
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    nodes = pd.read_csv(EUROPE / "nodes.csv", keep_default_na=False)
    for arg in sys.argv[1:]:
        print(f"{arg}:")
        print(report(Path(arg), nodes).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
