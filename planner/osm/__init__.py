"""OpenStreetMap network builder: OSM data -> planner network GeoPackage.

Public API
----------
build_network
    Build the ``nodes``/``edges``/``sites`` GeoPackage from an OSM file (``.osm``,
    ``.osm.gz``, ``.osm.bz2``, ``.osm.xz``, ``.osm.pbf``) or, online, a bbox/place query.
BuildReport
    What a build read, kept and dropped (``print(report)`` gives a summary).
OSMBuildError, OSMInputError
    Raised for invalid parameters or input (``DataError``/``ValueError``); an
    ``OSMInputError`` names the file, the element (node/way id) and the fix.

Modules, in pipeline order
--------------------------
* Reading: :mod:`~planner.osm.read` (format detection), :mod:`~planner.osm.read_xml`
  (two streaming expat passes), :mod:`~planner.osm.read_pbf` (pyosmium),
  :mod:`~planner.osm.online` (osmnx/Overpass) fill an :mod:`~planner.osm.extract`
  (selected ``highway`` ways + ``route=ferry`` + ``join_via`` ways, the nodes they use with
  validated coordinates, junction names, candidate sites) using the rules of
  :mod:`~planner.osm.tags`. Railways, buildings and other roads never reach memory.
* Network (:mod:`~planner.osm.network` runs the steps): :mod:`~planner.osm.pieces` (ways
  split at shared nodes, geodesic lengths), :mod:`~planner.osm.graph` (raw graph, dangling
  ramps pruned, osmnx simplification), :mod:`~planner.osm.components` (join components over
  ``join_via`` roads, drop the rest), :mod:`~planner.osm.consolidate` (interchanges merged
  in EPSG:3035 while main-road km are kept), :mod:`~planner.osm.edges` and
  :mod:`~planner.osm.assemble` (edge records, two-way pairing, parallels per direction).
* Sites: :mod:`~planner.osm.sites` snaps services, rest areas, truck stops and HGV/MCS
  chargers to the carriageway on their drive side (:mod:`~planner.osm.drive_side`).
* Build: :mod:`~planner.osm.build` (orchestration), :mod:`~planner.osm.options`,
  :mod:`~planner.osm.cache`, :mod:`~planner.osm.accounting` and :mod:`~planner.osm.report`
  (what was kept, dropped, absorbed, joined), :mod:`~planner.osm.output` and
  :mod:`~planner.osm.outfile` (safe, marked GeoPackage output).

The graph is built directly from the streamed elements rather than by writing a reduced
file for ``osmnx.graph_from_xml``: that saves a serialise/parse round trip, keeps every
tag (no ``useful_tags_way`` filtering, no global settings) and lets the builder apply
OSM's implied one-way rules and geodesic lengths itself.
"""

from planner.osm.build import DEFAULT_CONSOLIDATE_TOLERANCE_M, build_network
from planner.osm.errors import OSMBuildError, OSMInputError
from planner.osm.report import BuildReport
from planner.osm.tags import DEFAULT_HIGHWAYS

__all__ = [
    "DEFAULT_CONSOLIDATE_TOLERANCE_M",
    "DEFAULT_HIGHWAYS",
    "BuildReport",
    "OSMBuildError",
    "OSMInputError",
    "build_network",
]
