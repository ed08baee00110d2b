"""Interactive, offline, self-contained Leaflet map of a plan (``map.html``).

Leaflet 1.9.4 (JS, CSS and its two control icons as data URIs) and Leaflet.markercluster 1.5.3
are inlined from ``planner/assets``, with the planner's own script (``planner_map.js``) and the
whole-world country outlines. The page loads nothing from the network unless ``tiles=True``
adds an OpenStreetMap layer.

Layers, bottom to top (panes): countries, the network by tier, flow bands per edge (width from
all trucks/day, √-scaled as on the static map), the unserved trucks/day as a vermillion core,
AFIR gaps (thin, dashed, off until switched on in the layer list), hubs (clustered at low zoom
when there are more than ``CLUSTER_MIN_HUBS``). Rollouts get a year slider showing the hubs open
by the end of each planning year and that year's figures. Hourly-sized runs (``hub_hourly.csv``):
each hub's popup opens with its 24 hours as a small inline SVG (:mod:`planner.render.hourly_svg`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import mapping

from . import _style as st
from ._assets import app_js, countries_geojson, leaflet_css, leaflet_js, markercluster_css, markercluster_js
from ._hourly import hub_days
from ._html import esc, plain, script_json
from ._load import RunData, load_run
from .hourly_svg import POPUP_CSS, hub_charts
from .static_map import edge_volumes, subtitle
from .years import year_info_html, year_table

SIMPLIFY_DEG = 0.002
COORD_DIGITS = 5
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

PX_PER_PT = 1.25
CLUSTER_MIN_HUBS = 150  # more hubs than this are clustered at low zoom (Leaflet.markercluster)
WEB_HUB_R0 = 2.6  # smallest class radius (points) when clustered: zoomed in, hubs are few on screen

PAGE_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column;
       font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2630; }
header { padding: .5rem 1rem; border-bottom: 1px solid #c9d0d6; background: #fff; }
header h1 { font-size: 1.3rem; margin: 0; }
header p { margin: .15rem 0 0; font-size: .95rem; color: #4a5560; }
#map { flex: 1 1 auto; min-height: 300px; background: #dfe9f0; }
.leaflet-container { font-size: 13px; }
.leaflet-control-layers { font-size: 13px; }
.legend { background: rgba(255,255,255,.94); padding: .45rem .7rem; border-radius: 5px;
          box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 13px; line-height: 1.4;
          max-height: 60vh; overflow-y: auto; }
.legend h4 { margin: .35rem 0 .15rem; font-size: 13px; }
.legend h4:first-child { margin-top: 0; }
.legend .row { display: flex; align-items: center; gap: .45rem; white-space: nowrap; }
.legend .sw { display: inline-flex; width: 30px; flex: none; align-items: center; justify-content: center; }
.legend .ln { height: 0; width: 30px; border-top-style: solid; }
.legend .dot { border-radius: 50%; border: 1px solid #fff; box-shadow: 0 0 0 .5px #555; }
.legend .sq { width: 11px; height: 11px; border: 2px solid #000; }
.legend .note { color: #5b6670; font-size: 12px; white-space: normal; max-width: 15rem; }
.legend .bar { height: 10px; width: 120px; }
.hub-marker span { display: block; width: 100%; height: 100%; box-sizing: border-box; border-radius: 50%;
                   border: 1px solid #fff; box-shadow: 0 0 0 .5px rgba(0,0,0,.55); }
.hub-marker.hub-locked span { border-radius: 2px; border: 2px solid #000; }
.hub-cluster { background: rgba(31,31,31,.82); border: 2px solid #fff; border-radius: 50%;
               box-shadow: 0 0 0 1px rgba(0,0,0,.5); color: #fff; font-weight: 700; font-size: 12px;
               display: flex; align-items: center; justify-content: center; }
.year-control { background: rgba(255,255,255,.95); padding: .5rem .7rem; border-radius: 5px;
                box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 13px; width: 17rem; }
.year-control input { width: 100%; margin: .3rem 0 0; }
.year-control .ticks { display: flex; justify-content: space-between; font-size: 11px; color: #5b6670; }
.year-control #year-info { margin-top: .35rem; line-height: 1.45; }
.year-control #year-info span { color: #5b6670; }
.year-control .note { color: #5b6670; font-size: 11px; margin-top: .3rem; }
.hub-popup table { border-collapse: collapse; font-size: 12px; }
.hub-popup th { text-align: left; padding: 1px 8px 1px 0; color: #5b6670; font-weight: 600; }
.hub-popup td { padding: 1px 0; }
"""


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, COORD_DIGITS)
    if isinstance(obj, list | tuple):
        return [_round_coords(o) for o in obj]
    return obj


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    gj = mapping(geom.simplify(SIMPLIFY_DEG))
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"])},
    }


def _collection(features: list[dict[str, Any] | None]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [f for f in features if f is not None]}


def _tip(parts: list[tuple[str, object]]) -> str:
    return "<br>".join(f"<b>{esc(k)}</b> {esc(v)}" for k, v in parts if v not in (None, ""))


def _network_payload(net: gpd.GeoDataFrame | None) -> list[dict[str, Any]]:
    if net is None:
        return []
    tiers = sorted(set(net["tier"]), key=lambda t: (t not in st.TIER_STYLE, t))
    out = []
    for tier in tiers:
        colour, width = st.tier_style(tier)
        feats = []
        for _, row in net[net["tier"] == tier].iterrows():
            length = row.get("length_km")
            tip = _tip(
                [
                    ("", f"{row['u']} – {row['v']}"),
                    ("road", row.get("road")),
                    ("corridor", row.get("corridor")),
                    ("length", f"{st.fmt_num(length, 1)} km" if length is not None else None),
                    ("mode", row["mode"] if row["mode"] != "road" else None),
                ]
            )
            feats.append(_feature(row.geometry, {"tip": tip, "ferry": row["mode"] in st.FERRY_MODES}))
        out.append(
            {
                "name": tier,
                "label": st.tier_label(tier),
                "colour": colour,
                "weight": round(width * 1.6, 2),
                "features": _collection(feats),
            }
        )
    return out


def _flow_payload(data: RunData) -> tuple[dict[str, Any], float]:
    """Flow bands per edge (``w`` band and ``c`` unserved-core width in px, ``v`` trucks/day) and the
    volume drawn at full width."""
    vols = edge_volumes(data.network)
    if vols is not None and data.network is not None:
        served, unserved = vols
        total = served + unserved
        vmax = st.band_scale(total)
        band = st.band_width(total, vmax, scale=PX_PER_PT)
        core = st.core_width(unserved, total, vmax, scale=PX_PER_PT)
        net = data.network
        feats = []
        for i in np.flatnonzero(total > 0):
            tip = _tip(
                [
                    ("", f"{net['u'].iat[i]} – {net['v'].iat[i]}"),
                    ("served", f"{st.fmt_num(served[i])} trucks/day"),
                    ("unserved", f"{st.fmt_num(unserved[i])} trucks/day"),
                ]
            )
            props = {
                "tip": tip,
                "v": round(float(total[i]), 1),
                "w": round(float(band[i]), 2),
                "c": round(float(core[i]), 2) if unserved[i] > 0 else 0,
            }
            feats.append(_feature(net.geometry.iat[i], props))
        return _collection(feats), vmax
    if data.flow_lines is not None:  # fallback: route lines of the largest flows
        feats = []
        for g, fid, vol, ok in zip(
            data.flow_lines.geometry,
            data.flow_lines.get("flow_id", data.flow_lines.index),
            data.flow_lines["volume"],
            data.flow_lines["served"],
            strict=True,
        ):
            tip = _tip([("flow", fid), ("volume", f"{st.fmt_num(vol)} trucks/day")])
            feats.append(_feature(g, {"tip": tip, "v": round(float(vol), 1), "w": 2.5, "c": 0 if ok else 2.5}))
        return _collection(feats), 0.0
    return _collection([]), 0.0


def _gap_payload(gaps: gpd.GeoDataFrame | None) -> dict[str, Any]:
    if gaps is None:
        return _collection([])
    feats = []
    for _, row in gaps.iterrows():
        tip = _tip(
            [
                ("AFIR gap", f"{st.fmt_num(row.get('gap_km'), 1)} km" if "gap_km" in row else ""),
                ("corridor", row.get("corridor")),
                ("tier", row.get("tier")),
                ("country", row.get("country")),
            ]
        )
        feats.append(_feature(row.geometry, {"tip": tip}))
    return _collection(feats)


def _hub_radius_px(style: st.HubStyle, cluster: bool) -> np.ndarray:
    if not cluster:
        return style.radius * PX_PER_PT * 1.15
    if style.size_by is None:
        return np.full(len(style.radius), st.class_radius(1, WEB_HUB_R0) * PX_PER_PT)
    return np.array([st.class_radius(int(k), WEB_HUB_R0) * PX_PER_PT for k in style.hub_class])


def _hub_payload(
    hubs: gpd.GeoDataFrame, style: st.HubStyle, cluster: bool, charts: dict[str, str]
) -> list[dict[str, Any]]:
    """Markers and popups; ``chart`` (an inline SVG) only for hubs in ``charts``."""
    cols = [c for c in hubs.columns if c != hubs.geometry.name]
    radius = _hub_radius_px(style, cluster)
    years = pd.to_numeric(hubs["opened_year"], errors="coerce") if "opened_year" in hubs else None
    out = []
    for i, (_, row) in enumerate(hubs.iterrows()):
        name = row.get("name")
        missing = name is None or (isinstance(name, float) and np.isnan(name))
        label = row["site_id"] if missing else f"{name} ({row['site_id']})"
        year = None if years is None or pd.isna(years.iat[i]) else int(years.iat[i])
        hub = {
            "lat": round(float(row.geometry.y), COORD_DIGITS),
            "lon": round(float(row.geometry.x), COORD_DIGITS),
            "r": round(float(radius[i]), 2),
            "fill": style.colours[i],
            "locked": bool(row["locked"]),
            "year": year,
            "tip": esc(label),
            "props": [[str(c), plain(row[c])] for c in cols],
        }
        if str(row["site_id"]) in charts:
            hub["chart"] = charts[str(row["site_id"])]
        out.append(hub)
    return out


def _years_payload(data: RunData) -> tuple[list[int], dict[str, str]]:
    """Years of the slider and each year's figures (HTML), from summary years or hub opening years."""
    table = year_table(data.summary, data.hubs)
    if len(table):
        return [int(y) for y in table["year"]], {str(int(r["year"])): year_info_html(r) for _, r in table.iterrows()}
    if "opened_year" not in data.hubs.columns:
        return [], {}
    opened = pd.to_numeric(data.hubs["opened_year"], errors="coerce")
    years = sorted({int(y) for y in opened.dropna()})
    info = {str(y): f"<div><span>Hubs open</span> <b>{st.fmt_num(int((opened <= y).sum()))}</b></div>" for y in years}
    return years, info


def _legend_row(swatch: str, label: str) -> str:
    return f'<div class="row"><span class="sw">{swatch}</span>{esc(label)}</div>'


def _line_swatch(colour: str, width: float, dash: bool = False) -> str:
    kind = "dashed" if dash else "solid"
    return f'<span class="ln" style="border-top: {width:.1f}px {kind} {colour}"></span>'


def _flow_legend(flows: dict[str, Any], vmax: float) -> list[str]:
    feats = flows["features"]
    if not feats:
        return []
    rows = ["<h4>Flows per edge (trucks/day)</h4>", _legend_row(_line_swatch(st.SERVED, 7), "Served")]
    if any(f["properties"]["c"] > 0 for f in feats):
        rows.append(_legend_row(_line_swatch(st.UNSERVED, 3.5), "Unserved (core of the band)"))
    else:
        rows.append(_legend_row("", "Unserved: none"))
    for v in st.band_legend_values(vmax):
        w = float(st.band_width(v, vmax, scale=PX_PER_PT))
        top = v >= vmax and max(f["properties"]["v"] for f in feats) > vmax
        rows.append(_legend_row(_line_swatch(st.SERVED, w), f"{'≥ ' if top else ''}{st.fmt_num(v)} trucks/day"))
    if vmax > 0:
        rows.append('<div class="note">band width ∝ √(trucks/day)</div>')
    return rows


def _hub_legend(data: RunData, style: st.HubStyle, cluster: bool) -> list[str]:
    if not len(data.hubs):
        return []
    size = {"power_kw": " (size: installed power)", "chargers": " (size: charging points)"}
    rows = [f"<h4>Hubs{esc(size.get(style.size_by or '', ''))}</h4>"]
    fill = st.HUB_SINGLE if style.colour_by is None else "#9a9a9a"
    dot = f'<span class="dot" style="width:12px;height:12px;background:{fill}"></span>'
    rows.append(_legend_row(dot, f"New hub ({int((~data.hubs['locked']).sum()):,})"))
    if data.hubs["locked"].any():
        rows.append(_legend_row(f'<span class="sq" style="background:{fill}"></span>', "Existing hub, kept open"))
    for label, r_pt, k in style.classes:
        r_px = st.class_radius(k, WEB_HUB_R0) * PX_PER_PT if cluster else r_pt * PX_PER_PT * 1.15
        swatch = f'<span class="dot" style="width:{2 * r_px:.1f}px;height:{2 * r_px:.1f}px;background:{fill}"></span>'
        rows.append(_legend_row(swatch, label))
    for label, colour in style.categories:
        rows.append(_legend_row(f'<span style="width:26px;height:10px;background:{colour}"></span>', f"Opened {label}"))
    if cluster:
        rows.append('<div class="note">Numbered discs: hubs grouped at this zoom; zoom in or click.</div>')
    return rows


def _legend_html(data: RunData, style: st.HubStyle, payload: dict[str, Any], vmax: float) -> str:
    rows: list[str] = []
    if payload["tiers"]:
        rows.append("<h4>Network</h4>")
        for t in payload["tiers"]:
            rows.append(_legend_row(_line_swatch(t["colour"], t["weight"]), t["name"].capitalize()))
        if data.network is not None and data.network["mode"].isin(st.FERRY_MODES).any():
            rows.append(_legend_row(_line_swatch(st.TIER_STYLE["core"][0], 2, dash=True), "Ferry / rail shuttle"))
    rows.extend(_flow_legend(payload["flows"], vmax))
    if payload["gaps"]["features"]:
        rows.append("<h4>AFIR</h4>")
        rows.append(_legend_row(_line_swatch(st.AFIR, 2.5, dash=True), "AFIR gap (layer list)"))
    rows.extend(_hub_legend(data, style, payload["cluster"]))
    if style.colour_by == "utilisation" and style.cmap is not None and style.norm:
        stops = ",".join(st.to_hex(style.cmap(x)) for x in np.linspace(0, 1, 6))
        rows.append(
            f'<h4>Utilisation</h4><div class="bar" style="background:linear-gradient(to right,{stops})"></div>'
            f'<div class="row" style="justify-content:space-between;width:120px"><span>0</span>'
            f"<span>{style.norm.vmax:g}</span></div>"
        )
    return "".join(rows)


def _bounds(data: RunData) -> list[list[float]]:
    frames = [f for f in (data.network, data.hubs, data.afir_gaps) if f is not None and len(f)]
    if not frames:
        return [[35.0, -10.0], [70.0, 30.0]]
    b = np.array([f.total_bounds for f in frames])
    return [
        [round(float(b[:, 1].min()), 4), round(float(b[:, 0].min()), 4)],
        [round(float(b[:, 3].max()), 4), round(float(b[:, 2].max()), 4)],
    ]


def web_map_html(data: RunData, *, title: str | None = None, tiles: bool = False) -> str:
    """The complete offline HTML page for a run.

    Parameters
    ----------
    data : RunData
        Loaded run.
    title : str, optional
        Page title; defaults to the scenario name.
    tiles : bool
        Add OpenStreetMap tiles as a layer (needs a network connection when viewed).

    Returns
    -------
    str
    """
    title = title or f"Charging hubs: {data.title_label}"
    style = st.hub_style(data.hubs)
    cluster = len(data.hubs) > CLUSTER_MIN_HUBS
    flows, vmax = _flow_payload(data)
    years, year_info = _years_payload(data)
    charts = hub_charts(hub_days(data.hourly))
    popup_css = POPUP_CSS if charts else ""
    payload: dict[str, Any] = {
        "bounds": _bounds(data),
        "tiles": OSM_URL if tiles else None,
        "colours": {"served": st.SERVED, "unserved": st.UNSERVED, "afir": st.AFIR},
        "countries": countries_geojson(),
        "tiers": _network_payload(data.network),
        "flows": flows,
        "gaps": _gap_payload(data.afir_gaps),
        "hubs": _hub_payload(data.hubs, style, cluster, charts),
        "cluster": cluster,
        "years": years,
        "yearInfo": year_info,
    }
    payload["legend"] = _legend_html(data, style, payload, vmax)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>\n{leaflet_css()}\n{markercluster_css()}\n</style>\n<style>{PAGE_CSS}{popup_css}</style>\n"
        f"<script>\n{leaflet_js()}\n</script>\n<script>\n{markercluster_js()}\n</script>\n</head>\n<body>\n"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle(data.summary))}</p></header>\n"
        f'<div id="map" class="planner-map" data-hub-count="{len(data.hubs)}"></div>\n'
        f'<script id="planner-data" type="application/json">{script_json(payload)}</script>\n'
        f"<script>\n{app_js()}\n</script>\n</body>\n</html>\n"
    )


def write_web_map(
    run: RunData | Path, out: Path | None = None, *, title: str | None = None, tiles: bool = False
) -> Path:
    """Write the interactive map.

    Parameters
    ----------
    run : RunData or Path
        Loaded run or run folder.
    out : Path, optional
        Output file; default ``<run folder>/map.html``.
    title : str, optional
        Page title.
    tiles : bool
        Offer OpenStreetMap tiles (off by default: the page then works offline).

    Returns
    -------
    Path
    """
    data = run if isinstance(run, RunData) else load_run(Path(run))
    out = out or data.run_dir / "map.html"
    out.write_text(web_map_html(data, title=title, tiles=tiles), encoding="utf-8")
    return out
