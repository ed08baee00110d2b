"""Shared helpers for the derivation scripts of the European dataset (stdlib only)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
EUROPE = HERE.parent

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

CORRIDORS = {
    "ATL": "Atlantic",
    "NSB": "North Sea-Baltic",
    "NSRM": "North Sea-Rhine-Mediterranean",
    "SCM": "Scandinavian-Mediterranean",
    "BAC": "Baltic Sea-Adriatic Sea",
    "MED": "Mediterranean",
    "RD": "Rhine-Danube",
    "BBA": "Baltic Sea-Black Sea-Aegean Sea",
    "WBEM": "Western Balkans-Eastern Mediterranean",
}
CORRIDOR_ORDER = list(CORRIDORS.values())


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km between two WGS84 points (spherical Earth)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass
class NodeSpec:
    id: str
    name: str
    kind: str
    location: str
    region: str = ""

    @property
    def country(self) -> str:
        return self.id[:2]

    @property
    def countries(self) -> set[str]:
        """Countries the node touches (two for border nodes named CC1-CC2-B-...)."""
        parts = self.id.split("-")
        if len(parts) >= 3 and parts[2] == "B" and len(parts[1]) == 2:
            return {parts[0], parts[1]}
        return {parts[0]}


def read_node_spec(path: Path | None = None) -> list[NodeSpec]:
    path = path or HERE / "nodes_spec.txt"
    out: list[NodeSpec] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) not in (4, 5):
            raise ValueError(f"{path.name}: bad node line: {raw!r}")
        out.append(NodeSpec(*parts))
    return out


@dataclass
class Route:
    road: str
    tier: str
    corridors: list[str]
    terrain: str
    chain: list[str]


@dataclass
class Link:
    mode: str
    u: str
    v: str
    km: float
    tier: str
    corridors: list[str]
    note: str


@dataclass
class Known:
    km: float
    chain: list[str]
    source: str


@dataclass
class Penalty:
    u: str
    v: str
    km: float
    source: str


@dataclass
class RouteSpec:
    routes: list[Route] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    known: list[Known] = field(default_factory=list)
    penalties: list[Penalty] = field(default_factory=list)


def _corr(field_: str) -> list[str]:
    if field_ in ("", "-"):
        return []
    codes = [c.strip() for c in field_.split(";")]
    for c in codes:
        if c not in CORRIDORS:
            raise ValueError(f"unknown corridor code {c!r}")
    return [CORRIDORS[c] for c in codes]


TIERS = {"core": "core", "comprehensive": "comprehensive", "-": "", "non_ten_t": ""}
TIER_RANK = {"core": 0, "comprehensive": 1, "": 2}  # an edge on several routes keeps the best tier


def _tier(field_: str) -> str:
    if field_ not in TIERS:
        raise ValueError(f"unknown tier {field_!r} (use core, comprehensive, or - / non_ten_t)")
    return TIERS[field_]


def read_route_spec(path: Path | None = None) -> RouteSpec:
    path = path or HERE / "routes_spec.txt"
    spec = RouteSpec()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        tag = parts[0]
        if tag == "ROUTE" and len(parts) == 6:
            road = "" if parts[1] == "-" else parts[1]
            spec.routes.append(Route(road, _tier(parts[2]), _corr(parts[3]), parts[4], parts[5].split()))
        elif tag == "FERRY" and len(parts) == 8:
            spec.links.append(
                Link(
                    parts[1],
                    parts[2],
                    parts[3],
                    float(parts[4]),
                    _tier(parts[5]),
                    _corr(parts[6]),
                    parts[7],
                )
            )
        elif tag == "KNOWN" and len(parts) == 4:
            spec.known.append(Known(float(parts[1]), parts[2].split(), parts[3]))
        elif tag == "PENALTY" and len(parts) == 4:
            u, v = parts[1].split()
            spec.penalties.append(Penalty(u, v, float(parts[2]), parts[3]))
        else:
            raise ValueError(f"{path.name}: bad line: {raw!r}")
    return spec
