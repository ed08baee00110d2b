"""OpenStreetMap network builder: OSM data -> planner network GeoPackage.

Public API
----------
build_network
    Build the ``nodes``/``edges``/``sites`` GeoPackage from an OSM file (``.osm``,
    ``.osm.gz``, ``.osm.bz2``, ``.osm.xz``, ``.osm.pbf``) or, online, a bbox/place query.
BuildReport
    What a build read, kept and dropped (``print(report)`` gives a summary).
OSMBuildError
    Raised for invalid input or parameters (a ``ValueError``).

Design
------
* Reading (:mod:`planner.osm.read`): two streaming passes (expat for XML, pyosmium for
  PBF) keep only the selected ``highway`` ways (+ ``route=ferry``), the nodes they use,
  ``motorway_junction`` names and candidate sites; railways, buildings and other roads
  never reach memory. The graph is built directly from these elements rather than by
  writing a reduced file for ``osmnx.graph_from_xml``: that saves a serialise/parse
  round trip, keeps every tag (no ``useful_tags_way`` filtering, no global settings) and
  lets the builder apply OSM's implied one-way rules and geodesic lengths itself.
* Network (:mod:`planner.osm.network`): ways are split into pieces at shared nodes, dead
  ramps and fragments are removed, ``osmnx.simplify_graph`` contracts chains,
  ``osmnx.projection.project_graph`` (EPSG:3035) + ``osmnx.consolidate_intersections``
  merge each interchange into one junction, and a final pass contracts what
  consolidation left and pairs two-way roads into single edges.
* Sites (:mod:`planner.osm.sites`): services, rest areas, HGV truck stops and HGV/MCS
  chargers snapped to the nearest directed edge on the drive side of the road.
* Build (:mod:`planner.osm.build`): orchestration, cache, progress, GeoPackage output.
"""

from planner.osm.build import DEFAULT_CONSOLIDATE_TOLERANCE_M, BuildReport, build_network
from planner.osm.errors import OSMBuildError
from planner.osm.tags import DEFAULT_HIGHWAYS

__all__ = [
    "DEFAULT_CONSOLIDATE_TOLERANCE_M",
    "DEFAULT_HIGHWAYS",
    "BuildReport",
    "OSMBuildError",
    "build_network",
]
