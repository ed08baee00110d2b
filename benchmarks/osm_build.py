"""Benchmark ``planner.osm.build_network`` on synthetic OSM XML of growing size.

Generates a grid of dual-carriageway motorways (a vertex every 50 m) with a cloverleaf at
every crossing, services (with slip roads that dangle once service roads are dropped),
HGV chargers and truck stops, plus noise ways (residential street grids, buildings,
railways) that the builder must skip. Each size is built in a fresh subprocess, which
reports its wall time and peak resident memory (``resource.getrusage``); then the build
is repeated with a cache hit, and optionally from a PBF conversion (needs ``osmium``).

Then the real extracts in ``tests/fixtures/osm`` (Helsinki and Kotka, 2019, ODbL © OpenStreetMap
contributors) are built with the selections of the tests and their km are accounted for:
raw km of the selected ways (geodesic, each way once), km dropped (dangling ramps,
components), km joined over ``join_via`` roads, km absorbed inside junctions (main roads,
ramps) and connector km; the output km are compared with the kept raw km (the 2 % rule),
and each output is loaded with the planner's own loader.

Usage::

    python benchmarks/osm_build.py --sizes 10000 100000 1000000 [--pbf] [--workdir DIR]
    python benchmarks/osm_build.py --sizes        # real extracts only
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LON0, LAT0 = 5.0, 45.0
M_PER_DEG_LAT = 111_132.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))
SPACING_M = 5_000  # motorway grid spacing
STEP_M = 50  # vertex spacing along carriageways
OFFSET_M = 15  # carriageway offset from the road axis


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT


class _Writer:
    """Collects nodes and ways, then writes a sorted OSM XML file."""

    def __init__(self) -> None:
        self.nodes: list[str] = []
        self.ways: list[str] = []
        self.next_node = 1
        self.next_way = 1

    def node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        node_id = self.next_node
        self.next_node += 1
        lon, lat = _lonlat(x, y)
        if tags:
            body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
            self.nodes.append(f'<node id="{node_id}" lat="{lat:.7f}" lon="{lon:.7f}">{body}</node>')
        else:
            self.nodes.append(f'<node id="{node_id}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
        return node_id

    def way(self, refs: list[int], tags: dict[str, str]) -> int:
        way_id = self.next_way
        self.next_way += 1
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        body = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        self.ways.append(f'<way id="{way_id}">{nds}{body}</way>')
        return way_id

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
            for line in self.nodes:
                fh.write(line + "\n")
            for line in self.ways:
                fh.write(line + "\n")
            fh.write("</osm>\n")


def grid_size_for(target_nodes: int) -> int:
    """Number of motorways per direction giving roughly ``target_nodes`` nodes."""
    per_corridor_cell = 2 * SPACING_M // STEP_M  # two carriageways
    k = 1
    while True:
        motorway_nodes = 2 * k * (k + 1) * per_corridor_cell
        if motorway_nodes * 1.25 >= target_nodes:
            return k
        k += 1


def generate(path: Path, target_nodes: int) -> dict[str, int]:
    """Write a synthetic OSM XML file of about ``target_nodes`` nodes."""
    k = grid_size_for(target_nodes)
    length = (k + 1) * SPACING_M
    steps = length // STEP_M
    w = _Writer()
    motorway = {"highway": "motorway", "oneway": "yes", "maxspeed": "130", "maxspeed:hgv": "80"}
    link = {"highway": "motorway_link", "oneway": "yes"}
    # carriageway node ids: (axis, line, sign) -> list of node ids along the axis
    lanes: dict[tuple[str, int, int], list[int]] = {}
    for axis in ("h", "v"):
        for line in range(1, k + 1):
            c = line * SPACING_M
            for sign in (-1, 1):
                ids = []
                for s in range(steps + 1):
                    pos = s * STEP_M
                    x, y = (pos, c + sign * OFFSET_M) if axis == "h" else (c + sign * OFFSET_M, pos)
                    ids.append(w.node(x, y))
                lanes[(axis, line, sign)] = ids
    # carriageways: "h" sign -1 (south) runs east, +1 runs west; "v" sign +1 (east) runs
    # north, -1 runs south (right-hand traffic)
    for (axis, line, sign), ids in sorted(lanes.items()):
        forward = (axis == "h" and sign == -1) or (axis == "v" and sign == 1)
        seq = ids if forward else ids[::-1]
        ref = f"A {line}" if axis == "h" else f"A {100 + line}"
        # split into ways of ~2.5 km
        chunk = 50
        for start in range(0, len(seq) - 1, chunk):
            w.way(seq[start : start + chunk + 1], {**motorway, "ref": ref})

    def at(axis: str, line: int, sign: int, pos_m: float) -> int:
        return lanes[(axis, line, sign)][round(pos_m / STEP_M)]

    # cloverleafs at the crossings
    for i in range(1, k + 1):
        for j in range(1, k + 1):
            xc, yc = i * SPACING_M, j * SPACING_M  # vertical line i, horizontal line j
            he, hw = ("h", j, -1), ("h", j, 1)  # eastbound (south), westbound (north)
            vn, vs = ("v", i, 1), ("v", i, -1)  # northbound (east), southbound (west)
            for dx, dy, src, src_pos, dst, dst_pos in (
                (-1, -1, he, xc - 250, vs, yc - 250),  # E->S
                (1, -1, vn, yc - 250, he, xc + 250),  # N->E
                (1, 1, hw, xc + 250, vn, yc + 250),  # W->N
                (-1, 1, vs, yc + 250, hw, xc - 250),  # S->W
            ):
                mid = w.node(xc + dx * 170, yc + dy * 170)
                w.way([at(*src, src_pos), mid, at(*dst, dst_pos)], link)
            for dx, dy, src, src_pos, dst, dst_pos in (
                (-1, -1, vs, yc - 100, he, xc - 100),  # S->E loop
                (1, -1, he, xc + 100, vn, yc - 100),  # E->N loop
                (1, 1, vn, yc + 100, hw, xc + 100),  # N->W loop
                (-1, 1, hw, xc - 100, vs, yc + 100),  # W->S loop
            ):
                centre = (xc + dx * 70, yc + dy * 70)
                loop = [
                    w.node(centre[0] + 55 * math.cos(a), centre[1] + 55 * math.sin(a)) for a in (0.0, 1.6, 3.2, 4.8)
                ]
                w.way([at(*src, src_pos), *loop, at(*dst, dst_pos)], link)
    # services with slip roads, chargers and truck stops between crossings
    n_sites = 0
    for (axis, line, sign), _ in sorted(lanes.items()):
        forward = (axis == "h" and sign == -1) or (axis == "v" and sign == 1)
        c = line * SPACING_M
        for cell in range(k + 1):
            pos = cell * SPACING_M + SPACING_M // 2
            off = sign * (OFFSET_M + 40)  # right-hand side of the carriageway
            x, y = (pos, c + off) if axis == "h" else (c + off, pos)
            tags = {"highway": "services", "name": f"Services {axis}{line}{sign}{cell}"}
            w.node(x, y, tags)
            n_sites += 1
            if cell % 3 == 0:
                w.node(
                    x + 10,
                    y + 10,
                    {
                        "amenity": "charging_station",
                        "hgv": "designated",
                        "socket:mcs": "2",
                        "socket:mcs:output": "1000 kW",
                    },
                )
                n_sites += 1
            if cell % 4 == 1:
                w.node(x - 10, y - 10, {"amenity": "fuel", "hgv": "yes"})
                n_sites += 1
            spur_from = at(axis, line, sign, pos - 200 if forward else pos + 200)
            spur_to = at(axis, line, sign, pos + 200 if forward else pos - 200)
            a = w.node(x, y + 5)
            b = w.node(x + 5, y + 5)
            w.way([spur_from, a], link)
            w.way([a, b], {"highway": "service"})
            w.way([b, spur_to], link)
    # noise: residential grids, buildings and a railway per cell
    motorway_count = w.next_node
    cell_nodes_budget = max(int(0.55 * motorway_count / ((k + 1) ** 2)), 20)
    streets = max(int(math.sqrt(cell_nodes_budget / 12)), 2)
    for ci in range(k + 1):
        for cj in range(k + 1):
            x0, y0 = ci * SPACING_M + 600, cj * SPACING_M + 600
            for s in range(streets):
                row = [w.node(x0 + t * 50, y0 + s * 80) for t in range(streets * 2)]
                w.way(row, {"highway": "residential", "name": f"Street {s}"})
                b = [w.node(x0 + s * 80 + dx, y0 - 100 + dy) for dx, dy in ((0, 0), (20, 0), (20, 20), (0, 20))]
                w.way([*b, b[0]], {"building": "yes"})
            rail = [w.node(x0 + t * 100, y0 + 2_000) for t in range(streets * 2)]
            w.way(rail, {"railway": "rail"})
    w.write(path)
    return {
        "grid": k,
        "nodes": w.next_node - 1,
        "ways": w.next_way - 1,
        "sites": n_sites,
        "bytes": path.stat().st_size,
    }


_CHILD = """
import json, resource, sys, time
from pathlib import Path
from planner.osm import build_network
source, out, cache = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
report = build_network(Path(source), out, cache_dir=Path(cache) if cache != "-" else None)
seconds = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "report": report.to_dict()}))
"""


def main_change(rep: dict) -> float:
    """Output km vs the kept raw km of main roads (ramps absorbed in junctions excluded)."""
    kept = rep["raw_km"] - math.fsum(rep["dropped_km"].values()) + rep["join_km"]
    main = kept - rep["absorbed_km"]["ramps"]
    return rep["total_km"] / main - 1 if main > 0 else 0.0


def run_build(source: Path, out: Path, cache: Path | None) -> dict:
    """Build in a fresh interpreter and return its timing, peak RSS and report."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(source), str(out), str(cache) if cache else "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def to_pbf(xml: Path, pbf: Path) -> bool:
    """Convert with pyosmium if installed."""
    try:
        import osmium
    except ImportError:
        return False
    writer = osmium.SimpleWriter(str(pbf), overwrite=True)
    for obj in osmium.FileProcessor(str(xml)):
        writer.add(obj)
    writer.close()
    return True


FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "osm"
_MAIN = ("motorway", "trunk", "primary", "secondary", "tertiary")
UP_TO_TERTIARY = tuple(c for m in _MAIN for c in (m, f"{m}_link"))
MOTORWAY_TRUNK = UP_TO_TERTIARY[:4]
JOIN = (*UP_TO_TERTIARY[4:], "unclassified", "residential")
REAL_BUILDS = (
    ("Helsinki", "helsinki_2019.osm.pbf", UP_TO_TERTIARY, ()),
    ("Kotka", "kotka_2019.osm.pbf", UP_TO_TERTIARY, ()),
    ("Kotka", "kotka_2019.osm.pbf", MOTORWAY_TRUNK, ()),
    ("Kotka", "kotka_2019.osm.pbf", MOTORWAY_TRUNK, JOIN),
)


def real_extracts(workdir: Path) -> list[str]:
    """Build the real extracts and return a Markdown table of their km accounting."""
    from planner.errors import PlannerError
    from planner.network import load_network
    from planner.osm import build_network
    from planner.scenario.network import NetworkConfig

    header = (
        "| extract | classes | join via | raw km | dropped km | joined km | kept raw km | out km "
        "| out/kept | absorbed main km | absorbed ramp km | connector km | nodes | edges | comps dropped "
        "| loads | build s |"
    )
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, file, highway, join in REAL_BUILDS:
        out = workdir / f"{name}-{len(highway)}-{len(join)}.gpkg"
        rep = build_network(FIXTURES / file, out, highway=highway, join_via=join)
        kept = rep.raw_km - math.fsum(rep.dropped_km.values()) + rep.join_km
        try:
            load_network(NetworkConfig(gpkg=out))
            loads = "yes"
        except PlannerError as exc:  # pragma: no cover - reported, not expected
            loads = f"no: {exc}"
        classes = "motorway..tertiary_link" if highway == UP_TO_TERTIARY else "motorway..trunk_link"
        rows.append(
            f"| {name} | {classes} | {'primary..residential' if join else '-'} | {rep.raw_km:.2f} "
            f"| {math.fsum(rep.dropped_km.values()):.2f} | {rep.join_km:.2f} | {kept:.2f} "
            f"| {rep.total_km:.2f} | {rep.total_km / kept - 1:+.2%} | {rep.absorbed_km['main']:.2f} "
            f"| {rep.absorbed_km['ramps']:.2f} | {rep.connector_km:.2f} | {rep.node_count} "
            f"| {rep.edge_count} | {rep.fragments_dropped} | {loads} | {rep.seconds:.1f} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--pbf", action="store_true", help="also build from a PBF conversion")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="osm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    header = (
        "| target nodes | nodes in file | ways in file | XML MB | gen s | build s | peak RSS MB "
        "| out nodes | out edges | sites | km | ramp km absorbed | main-road km change | cache-hit s |"
    )
    if args.pbf:
        header += " PBF MB | PBF build s | PBF peak RSS MB |"
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    if args.sizes:
        print(header, flush=True)
    for size in args.sizes:
        xml = workdir / f"grid-{size}.osm"
        t = time.perf_counter()
        info = generate(xml, size)
        gen_s = time.perf_counter() - t
        cache = workdir / f"cache-{size}"
        first = run_build(xml, workdir / f"grid-{size}.gpkg", cache)
        second = run_build(xml, workdir / f"grid-{size}-again.gpkg", cache)
        rep = first["report"]
        row = (
            f"| {size:,} | {info['nodes']:,} | {info['ways']:,} | {info['bytes'] / 2**20:.1f} "
            f"| {gen_s:.1f} | {first['seconds']:.1f} | {first['peak_mb']:.0f} "
            f"| {rep['node_count']:,} | {rep['edge_count']:,} | {rep['site_count']:,} "
            f"| {rep['total_km']:,.0f} | {rep['absorbed_km']['ramps']:,.0f} | {main_change(rep):+.2%} "
            f"| {second['seconds']:.3f} |"
        )
        if args.pbf:
            pbf = workdir / f"grid-{size}.osm.pbf"
            if to_pbf(xml, pbf):
                third = run_build(pbf, workdir / f"grid-{size}-pbf.gpkg", None)
                row += f" {pbf.stat().st_size / 2**20:.1f} | {third['seconds']:.1f} | {third['peak_mb']:.0f} |"
            else:
                row += " - | - | - |"
        rows.append(row)
        print(row, flush=True)
    if args.sizes:
        print()
        print("\n".join(rows))
    print()
    print("\n".join(real_extracts(workdir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
