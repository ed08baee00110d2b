"""Grid capacity points from CSV, GeoPackage and GeoJSON (``planner.features.grid.sites.site_grid_kw``).

Four candidates on the 50° N parallel, 0.5° (~36 km) apart: A (node, 10.0° E), B (edge, 10.5° E),
C (node, 11.0° E), D (edge, 11.5° E). Defaults: nodes 1,000 kW, edge sites 100 kW; snap radius 5 km.
The capacity points: 2,500 kW ~0.7 km east of A, 1,500 kW ~1.3 km from A (A keeps the larger 2,500),
a ~1.4 km square of 3,000 kW around C (a substation footprint: counts at its representative point),
and 700 kW with site_id D but a geometry at B (the site_id wins). Expected: A 2500, B 100, C 3000, D 700.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from planner.errors import DataError
from planner.features.grid.sites import site_grid_kw
from planner.scenario import GridConfig
from tests.conftest import write_csv

SITES = pd.DataFrame(
    {
        "site_id": ["A", "B", "C", "D"],
        "node": ["A", "", "C", ""],
        "lon": [10.0, 10.5, 11.0, 11.5],
        "lat": [50.0, 50.0, 50.0, 50.0],
    }
)
EXPECTED = [2500.0, 100.0, 3000.0, 700.0]

Row = tuple[Point | Polygon | None, object, str | None]  # geometry (WGS84), available_kw, site_id
ROWS: list[Row] = [
    (Point(10.01, 50.0), 2500, None),
    (Point(9.99, 50.01), 1500, None),
    (box(10.99, 49.995, 11.01, 50.005), 3000, None),
    (Point(10.5, 50.0), 700, "D"),
]


def kw(path: Path, *, snap_radius_km: float = 5.0) -> np.ndarray:
    config = GridConfig(
        capacity_file=path, default_node_kw=1000.0, default_edge_kw=100.0, snap_radius_km=snap_radius_km
    )
    return site_grid_kw(SITES, config)


def frame(rows: list[Row], crs: str | None = "EPSG:3035") -> gpd.GeoDataFrame:
    """The rows as a layer, reprojected from WGS84 to ``crs`` (``None``: EPSG:3035 coordinates, CRS dropped)."""
    data = gpd.GeoDataFrame(
        {"available_kw": [r[1] for r in rows], "site_id": [r[2] for r in rows]},
        geometry=[r[0] for r in rows],
        crs="EPSG:4326",
    )
    if crs is None:
        return data.to_crs("EPSG:3035").set_crs(None, allow_override=True)
    return data.to_crs(crs)


def write(path: Path, data: gpd.GeoDataFrame, layer: str = "grid") -> Path:
    if path.suffix == ".gpkg":
        data.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    else:
        data.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def test_geopackage_points_in_epsg3035(tmp_path: Path) -> None:
    path = write(tmp_path / "grid.gpkg", frame(ROWS))
    assert kw(path).tolist() == EXPECTED


@pytest.mark.parametrize("suffix", [".geojson", ".json"])
def test_geojson_points(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"grid{suffix}", frame(ROWS))
    assert kw(path).tolist() == EXPECTED


def test_no_file_keeps_the_defaults() -> None:
    config = GridConfig(default_node_kw=1000.0, default_edge_kw=100.0)
    assert site_grid_kw(SITES, config).tolist() == [1000.0, 100.0, 1000.0, 100.0]


def test_csv_and_geopackage_give_the_same_capacity(tmp_path: Path) -> None:
    csv = write_csv(
        tmp_path / "grid.csv",
        "site_id,lon,lat,available_kw",
        [",10.01,50.0,2500", ",9.99,50.01,1500", ",11.0,50.0,3000", "D,,,700"],
    )
    points = [(Point(10.01, 50.0), 2500, None), (Point(9.99, 50.01), 1500, None),
              (Point(11.0, 50.0), 3000, None), (None, 700, "D")]  # fmt: skip
    gpkg = write(tmp_path / "grid.gpkg", frame(points, crs="EPSG:4326"))
    from_csv, from_gpkg = kw(csv), kw(gpkg)
    np.testing.assert_array_equal(from_csv, from_gpkg)
    assert from_csv.tolist() == EXPECTED


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_layer_without_crs(tmp_path: Path) -> None:
    path = write(tmp_path / "grid.gpkg", frame(ROWS, crs=None))
    with pytest.raises(DataError, match=r"grid\.gpkg: layer 'grid' has no coordinate reference system; set one"):
        kw(path)


def test_point_beyond_the_snap_radius(tmp_path: Path) -> None:
    path = write(tmp_path / "grid.gpkg", frame([*ROWS, (Point(12.5, 50.0), 900, None)]))
    with pytest.raises(
        DataError,
        match=r"point \(12\.5, 50\.0\) of feature 5 is 71\.5 km from the nearest candidate.*snap_radius_km=5\.0",
    ):
        kw(path)
    assert kw(path, snap_radius_km=100.0)[3] == 900.0  # D (11.5° E) is ~72 km away: within 100 km


def test_missing_available_kw(tmp_path: Path) -> None:
    data = frame(ROWS).rename(columns={"available_kw": "capacity_kw"})
    path = write(tmp_path / "grid.gpkg", data)
    with pytest.raises(DataError, match=r"grid\.gpkg: missing column 'available_kw'"):
        kw(path)


@pytest.mark.parametrize(
    ("value", "shown"), [(-5, "'-5'"), (-2.5, "'-2.5'"), (None, "''"), (float("inf"), "'inf'"), (float("nan"), "''")]
)
def test_negative_missing_or_infinite_kw(tmp_path: Path, value: object, shown: str) -> None:
    path = write(tmp_path / "grid.gpkg", frame([ROWS[0], (Point(11.0, 50.0), value, None)]))
    with pytest.raises(DataError, match=f"available_kw {shown} of feature 2 is not a finite number of kW between 0"):
        kw(path)


def test_several_layers_in_a_geopackage(tmp_path: Path) -> None:
    path = write(tmp_path / "grid.gpkg", frame(ROWS), layer="substations")
    write(path, frame(ROWS[:1]), layer="lines")
    with pytest.raises(DataError, match=r"has 2 layers \((substations, lines|lines, substations)\); keep only the"):
        kw(path)


@pytest.mark.parametrize("name", ["grid.shp", "grid.txt", "grid"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("site_id,available_kw\nA,5\n")
    with pytest.raises(DataError, match=r"unsupported grid capacity file type .*use one of \.csv, \.gpkg, \.geojson"):
        kw(path)


def test_feature_without_geometry_or_site_id(tmp_path: Path) -> None:
    path = write(tmp_path / "grid.gpkg", frame([ROWS[0], (None, 800, None)]))
    with pytest.raises(DataError, match=r"feature 2 has neither a geometry nor a site_id"):
        kw(path)


def test_feature_with_empty_geometry(tmp_path: Path) -> None:
    path = write(tmp_path / "grid.gpkg", frame([ROWS[0], (Point(), 800, None)]))
    with pytest.raises(DataError, match=r"feature 2 has an empty geometry; give it a point or a site_id"):
        kw(path)


def test_unknown_site_id(tmp_path: Path) -> None:
    path = write(tmp_path / "grid.gpkg", frame([(None, 800, "X")], crs="EPSG:4326"))
    with pytest.raises(DataError, match=r"site_id 'X' of feature 1 is not a candidate site"):
        kw(path)


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"grid capacity file not found"):
        kw(tmp_path / "missing.gpkg")


def test_unreadable_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "grid.gpkg"
    path.write_text("site_id,available_kw\nA,5\n")
    with pytest.raises(DataError, match=r"grid\.gpkg: cannot read as GeoPackage .*; fix or re-export the file\."):
        kw(path)
