"""Interactive, offline, self-contained Leaflet map of a plan (``map.html``).

Leaflet 1.9.4 (JS, CSS and its two control icons as data URIs) is inlined from
``planner/assets/leaflet``; country outlines come from ``planner/assets``. The page
loads nothing from the network unless ``tiles=True`` adds an OpenStreetMap layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry import mapping

from . import _style as st
from ._assets import countries_geojson, leaflet_css, leaflet_js
from ._html import esc, plain, script_json
from ._load import RunData, load_run
from .static_map import subtitle

SIMPLIFY_DEG = 0.002
COORD_DIGITS = 5
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

PAGE_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column;
       font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2630; }
header { padding: .45rem .9rem; border-bottom: 1px solid #c9d0d6; background: #fff; }
header h1 { font-size: 1.15rem; margin: 0; }
header p { margin: .1rem 0 0; font-size: .85rem; color: #5b6670; }
#map { flex: 1 1 auto; min-height: 300px; background: #dde9f2; }
.legend { background: rgba(255,255,255,.93); padding: .4rem .6rem; border-radius: 5px;
          box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; line-height: 1.35;
          max-height: 60vh; overflow-y: auto; }
.legend h4 { margin: .3rem 0 .15rem; font-size: 12px; }
.legend h4:first-child { margin-top: 0; }
.legend .row { display: flex; align-items: center; gap: .4rem; white-space: nowrap; }
.legend .sw { display: inline-block; width: 26px; flex: none; }
.legend .ln { height: 0; border-top-style: solid; }
.legend .dot { border-radius: 50%; border: 1px solid #555; margin: 0 auto; }
.legend .sq { width: 11px; height: 11px; border: 2px solid #111; margin: 0 auto; }
.legend .bar { height: 10px; width: 120px; }
.hub-popup table { border-collapse: collapse; font-size: 12px; }
.hub-popup th { text-align: left; padding: 1px 8px 1px 0; color: #5b6670; font-weight: 600; }
.hub-popup td { padding: 1px 0; }
"""

APP_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("planner-data").textContent);
  window.PLANNER_HUB_COUNT = D.hubs.length;
  var map = L.map("map", {zoomSnap: 0.25, preferCanvas: false});
  var overlays = {};
  var countries = L.geoJSON(D.countries, {
    interactive: false, attribution: "Natural Earth",
    style: {color: "#b5afa4", weight: 0.8, fillColor: "#f3f0ea",
            fillOpacity: D.tiles ? 0.0 : 1.0}
  });
  if (D.tiles) {
    var osm = L.tileLayer(D.tiles, {maxZoom: 18,
      attribution: "&copy; OpenStreetMap contributors"});
    osm.addTo(map);
    overlays["OpenStreetMap tiles (online)"] = osm;
  }
  countries.addTo(map);
  overlays["Country outlines"] = countries;

  function lines(fc, styleFn) {
    return L.geoJSON(fc, {
      style: styleFn,
      onEachFeature: function (f, layer) {
        if (f.properties.tip) { layer.bindTooltip(f.properties.tip, {sticky: true}); }
      }
    });
  }
  function flowStyle(colour, opacity) {
    return function (f) {
      return {color: colour, weight: f.properties.w, opacity: opacity, lineCap: "butt"};
    };
  }
  var groups = [
    ["Served flows (per edge)", D.served, flowStyle(D.colours.served, 0.75)],
    ["Unserved flows (per edge)", D.unserved, flowStyle(D.colours.unserved, 0.6)],
    ["AFIR gaps", D.gaps, function () {
      return {color: D.colours.afir, weight: 9, opacity: 0.55, lineCap: "round"};
    }]
  ];
  var netLayers = [];
  D.tiers.forEach(function (t) {
    netLayers.push([t.label, t.features, function (f) {
      return {color: t.colour, weight: t.weight,
              dashArray: f.properties.ferry ? "6 5" : null, opacity: 0.95};
    }]);
  });
  groups.concat(netLayers).forEach(function (g) {
    if (!g[1] || !g[1].features.length) { return; }
    var layer = lines(g[1], g[2]).addTo(map);
    overlays[g[0]] = layer;
  });

  function popup(props) {
    var box = document.createElement("div");
    box.className = "hub-popup";
    var tbl = document.createElement("table");
    props.forEach(function (kv) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      var td = document.createElement("td");
      th.textContent = kv[0];
      td.textContent = kv[1] === null ? "" : String(kv[1]);
      tr.appendChild(th); tr.appendChild(td); tbl.appendChild(tr);
    });
    box.appendChild(tbl);
    return box;
  }
  var hubs = L.featureGroup();
  D.hubs.forEach(function (h) {
    var m = L.circleMarker([h.lat, h.lon], {
      radius: h.r, color: h.locked ? "#111111" : "#ffffff", weight: h.locked ? 2.5 : 1.2,
      fillColor: h.fill, fillOpacity: 0.95,
      className: "hub-marker" + (h.locked ? " hub-locked" : "")
    });
    m.bindTooltip(h.tip);
    m.bindPopup(function () { return popup(h.props); }, {maxWidth: 420});
    hubs.addLayer(m);
  });
  hubs.addTo(map);
  overlays["Hubs (" + D.hubs.length + ")"] = hubs;

  L.control.layers(null, overlays, {collapsed: false, position: "topright"}).addTo(map);
  L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    div.innerHTML = D.legend;  // built and escaped server-side
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);
  map.fitBounds(D.bounds, {padding: [20, 20]});
  document.getElementById("map").setAttribute("data-ready", "true");
  window.PLANNER_READY = true;
}());
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
        sub = net[net["tier"] == tier]
        feats = []
        for _, row in sub.iterrows():
            tip = _tip(
                [
                    ("", f"{row['u']} – {row['v']}"),
                    ("road", row.get("road")),
                    ("corridor", row.get("corridor")),
                    (
                        "length",
                        f"{st.fmt_num(row.get('length_km'), 1)} km" if "length_km" in row else None,
                    ),
                    ("mode", row["mode"] if row["mode"] != "road" else None),
                ]
            )
            feats.append(
                _feature(row.geometry, {"tip": tip, "ferry": row["mode"] in st.FERRY_MODES})
            )
        out.append(
            {
                "label": f"Network: {tier}",
                "colour": colour,
                "weight": width * 1.6,
                "features": _collection(feats),
            }
        )
    return out


def _flow_payload(data: RunData) -> tuple[dict[str, Any], dict[str, Any]]:
    net = data.network
    if net is not None and "served_volume" in net:
        total = net["served_volume"] + net["unserved_volume"]
        if total.gt(0).any():
            vmax = float(max(net["served_volume"].max(), net["unserved_volume"].max()))
            out = []
            for col in ("served_volume", "unserved_volume"):
                feats = []
                for geom, u, v, vol, s_vol, n_vol in zip(
                    net.geometry,
                    net["u"],
                    net["v"],
                    net[col],
                    net["served_volume"],
                    net["unserved_volume"],
                    strict=True,
                ):
                    if vol <= 0:
                        continue
                    tip = _tip(
                        [
                            ("", f"{u} – {v}"),
                            ("served", f"{st.fmt_num(s_vol)} trucks/day"),
                            ("unserved", f"{st.fmt_num(n_vol)} trucks/day"),
                        ]
                    )
                    w = round(1.5 + 12.0 * float(vol) / vmax, 2)
                    feats.append(_feature(geom, {"tip": tip, "w": w}))
                out.append(_collection(feats))
            return out[0], out[1]
    if data.flow_lines is not None:
        out = []
        for ok in (True, False):
            sub = data.flow_lines[data.flow_lines["served"] == ok]
            feats = [
                _feature(g, {"tip": _tip([("flow", fid), ("volume", st.fmt_num(vol))]), "w": 2})
                for g, fid, vol in zip(
                    sub.geometry, sub.get("flow_id", sub.index), sub["volume"], strict=True
                )
            ]
            out.append(_collection(feats))
        return out[0], out[1]
    return _collection([]), _collection([])


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


def _hub_payload(hubs: gpd.GeoDataFrame, style: st.HubStyle) -> list[dict[str, Any]]:
    cols = [c for c in hubs.columns if c != hubs.geometry.name]
    out = []
    for i, (_, row) in enumerate(hubs.iterrows()):
        name = row.get("name")
        label = (
            row["site_id"]
            if name is None or (isinstance(name, float) and np.isnan(name))
            else f"{name} ({row['site_id']})"
        )
        out.append(
            {
                "lat": round(float(row.geometry.y), COORD_DIGITS),
                "lon": round(float(row.geometry.x), COORD_DIGITS),
                "r": round(float(style.radius[i]), 2),
                "fill": style.colours[i],
                "locked": bool(row["locked"]),
                "tip": esc(label),
                "props": [[str(c), plain(row[c])] for c in cols],
            }
        )
    return out


def _legend_html(
    data: RunData, style: st.HubStyle, tiers: list[dict[str, Any]], has_flows: bool, has_gaps: bool
) -> str:
    rows: list[str] = []

    def line(colour: str, width: float, label: str, dash: bool = False) -> None:
        kind = "dashed" if dash else "solid"
        rows.append(
            f'<div class="row"><span class="sw ln" style="border-top: {width:.1f}px '
            f'{kind} {colour}"></span>{esc(label)}</div>'
        )

    if tiers:
        rows.append("<h4>Network</h4>")
        for t in tiers:
            line(t["colour"], t["weight"], t["label"].split(": ", 1)[1].capitalize())
        if data.network is not None and data.network["mode"].isin(st.FERRY_MODES).any():
            line(st.TIER_STYLE["core"][0], 2, "Ferry / rail shuttle", dash=True)
    if has_flows:
        rows.append("<h4>Flows (trucks/day per edge)</h4>")
        line(st.SERVED, 6, "Served volume")
        line(st.UNSERVED, 6, "Unserved volume")
    if has_gaps:
        rows.append("<h4>AFIR</h4>")
        line(st.AFIR, 8, "AFIR gap")
    if len(data.hubs):
        size = {"power_kw": " (area ∝ power)", "chargers": " (area ∝ chargers)"}
        rows.append(f"<h4>Hubs{esc(size.get(style.size_by or '', ''))}</h4>")
        fill = st.HUB_SINGLE if style.colour_by is None else "#bbbbbb"
        rows.append(
            f'<div class="row"><span class="sw"><span class="dot" style="display:block;'
            f'width:12px;height:12px;background:{fill}"></span></span>New hub</div>'
        )
        if data.hubs["locked"].any():
            rows.append(
                f'<div class="row"><span class="sw"><span class="sq" style="display:'
                f'block;background:{fill}"></span></span>Locked / existing hub</div>'
            )
        for v in style.legend_values():
            d = 2 * style.radius_for(v)
            label = style.legend_label(v)
            rows.append(
                f'<div class="row"><span class="sw"><span class="dot" style="display:'
                f'block;width:{d:.1f}px;height:{d:.1f}px"></span></span>{esc(label)}'
                "</div>"
            )
        for label, colour in style.categories:
            rows.append(
                f'<div class="row"><span class="sw" style="height:10px;background:'
                f'{colour}"></span>Opened {esc(label)}</div>'
            )
        if style.colour_by == "utilisation" and style.cmap is not None and style.norm:
            stops = ",".join(st.to_hex(style.cmap(x)) for x in np.linspace(0, 1, 6))
            vmax = style.norm.vmax
            rows.append(
                f'<h4>Utilisation</h4><div class="bar" style="background:linear-gradient'
                f'(to right,{stops})"></div><div class="row" style="justify-content:'
                f'space-between;width:120px"><span>0</span><span>{vmax:g}</span></div>'
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
    tiers = _network_payload(data.network)
    served, unserved = _flow_payload(data)
    gaps = _gap_payload(data.afir_gaps)
    hubs = _hub_payload(data.hubs, style)
    legend = _legend_html(
        data, style, tiers, bool(served["features"] or unserved["features"]), bool(gaps["features"])
    )
    payload = {
        "bounds": _bounds(data),
        "tiles": OSM_URL if tiles else None,
        "colours": {"served": st.SERVED, "unserved": st.UNSERVED, "afir": st.AFIR},
        "countries": countries_geojson(),
        "tiers": tiers,
        "served": served,
        "unserved": unserved,
        "gaps": gaps,
        "hubs": hubs,
        "legend": legend,
    }
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>\n{leaflet_css()}\n</style>\n<style>{PAGE_CSS}</style>\n"
        f"<script>\n{leaflet_js()}\n</script>\n</head>\n<body>\n"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle(data.summary))}</p></header>\n"
        f'<div id="map" class="planner-map" data-hub-count="{len(hubs)}"></div>\n'
        f'<script id="planner-data" type="application/json">{script_json(payload)}</script>\n'
        f"<script>{APP_JS}</script>\n</body>\n</html>\n"
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
