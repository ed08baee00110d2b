"""QGIS layer styles stored inside ``plan.gpkg`` (the ``layer_styles`` table QGIS reads).

QGIS looks for a table ``layer_styles`` in a GeoPackage and applies the row with
``useAsDefault`` of a layer (matched on ``f_table_name`` and ``f_geometry_column``) when the
layer is added. One style per layer, drawn like the static map (``planner.render._style``):

* ``network``: the network by tier (ferries dashed), the trucks/day of each edge as a blue band
  (width ``√`` of all trucks/day, as on the static map) and the unserved trucks/day as a
  vermillion core on top (data-defined widths; symbol levels keep bands above the network);
* ``hubs``: discs sized by installed-power class (existing hubs as black-edged squares);
* ``flows``: route lines, served blue / unserved vermillion, thin and translucent;
* ``afir_gaps``: purple lines.

The QML uses the rule-based renderer and ``<prop k v>`` symbol properties, which QGIS 3.x reads.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import pyogrio

from planner.render import _style as st

__all__ = ["STYLE_TABLE", "layer_qml", "write_layer_styles"]

STYLE_TABLE = "layer_styles"
PT_PER_MM = 72.0 / 25.4
Rule = tuple[str, str, str]  # filter expression, label, symbol XML


def _rgba(hex_colour: str, alpha: float = 1.0) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _props(props: dict[str, str]) -> str:
    return "".join(f"<prop k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in props.items())


def _width_expression(expression: str) -> str:
    """Data-defined stroke width (``outlineWidth``) of a symbol layer."""
    return (
        '<data_defined_properties><Option type="Map"><Option type="QString" name="name" value=""/>'
        '<Option name="properties" type="Map"><Option name="outlineWidth" type="Map">'
        '<Option type="bool" name="active" value="true"/>'
        f'<Option type="QString" name="expression" value={quoteattr(expression)}/>'
        '<Option type="int" name="type" value="3"/></Option></Option>'
        '<Option type="QString" name="type" value="collection"/></Option></data_defined_properties>'
    )


def _line(colour: str, width_pt: float, *, alpha: float = 1.0, dash: bool = False, level: int = 0,
          width_expr: str | None = None) -> str:  # fmt: skip
    props = {
        "line_color": _rgba(colour, alpha),
        "line_width": f"{width_pt:.2f}",
        "line_width_unit": "Point",
        "line_style": "dash" if dash else "solid",
        "capstyle": "round",
        "joinstyle": "round",
    }
    dd = _width_expression(width_expr) if width_expr else ""
    return (
        f'<symbol type="line" name="@NAME@" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleLine" enabled="1" locked="0" pass="{level}">{_props(props)}{dd}</layer></symbol>'
    )


def _marker(colour: str, size_pt: float, *, shape: str = "circle", edge: str = "#ffffff", edge_pt: float = 0.5,
            level: int = 0) -> str:  # fmt: skip
    props = {
        "name": shape,
        "color": _rgba(colour),
        "outline_color": _rgba(edge),
        "outline_width": f"{edge_pt:.2f}",
        "outline_width_unit": "Point",
        "size": f"{size_pt:.2f}",
        "size_unit": "Point",
    }
    return (
        f'<symbol type="marker" name="@NAME@" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="SimpleMarker" enabled="1" locked="0" pass="{level}">{_props(props)}</layer></symbol>'
    )


def _qml(rules: list[Rule], *, symbol_levels: bool = False) -> str:
    rule_xml = "".join(
        f'<rule key="r{i}" filter={quoteattr(f)} symbol="{i}" label={quoteattr(label)}/>'
        for i, (f, label, _sym) in enumerate(rules)
    )
    symbols = "".join(sym.replace("@NAME@", str(i)) for i, (_f, _label, sym) in enumerate(rules))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.28.0" styleCategories="Symbology">'
        f'<renderer-v2 type="RuleRenderer" symbollevels="{int(symbol_levels)}" enableorderby="0" forceraster="0">'
        f'<rules key="root">{rule_xml}</rules><symbols>{symbols}</symbols></renderer-v2>'
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode><layerOpacity>1</layerOpacity></qgis>\n"
    )


def _network_rules(vmax: float) -> list[Rule]:
    ferry = "\"mode\" IN ('ferry', 'rail_shuttle')"
    rules: list[Rule] = []
    for tier in ("core", "comprehensive"):
        colour, width = st.tier_style(tier)
        rules.append((f"\"tier\" = '{tier}' AND NOT {ferry}", st.tier_label(tier), _line(colour, width)))
    other_colour, other_width = st.OTHER_TIER
    other = f"coalesce(\"tier\", '') NOT IN ('core', 'comprehensive') AND NOT {ferry}"
    rules.append((other, st.tier_label("non_ten_t"), _line(other_colour, other_width)))
    rules.append((ferry, "Ferry / rail shuttle", _line(st.TIER_STYLE["core"][0], 0.8, dash=True)))
    if vmax > 0:
        total = '("served_volume" + "unserved_volume")'
        band = f"max({st.BAND_MIN_PT}, {st.BAND_MAX_PT} * sqrt(min({total} / {vmax:g}, 1)))"
        core = (
            f'CASE WHEN "served_volume" <= 0 THEN {band} ELSE min(max({st.CORE_MIN_PT}, {st.BAND_MAX_PT} * '
            f'sqrt(min("unserved_volume" / {vmax:g}, 1))), max({band} - {st.RIM_PT}, {st.CORE_MIN_PT})) END'
        )
        rules.append((f"{total} > 0", "Trucks/day (band: all, √-scaled)", _line(st.SERVED, 1.0, level=1,
                                                                                  width_expr=band)))  # fmt: skip
        rules.append(('"unserved_volume" > 0', "Unserved trucks/day (core)", _line(st.UNSERVED, 1.0, level=2,
                                                                                   width_expr=core)))  # fmt: skip
    return rules


def _hub_rules(n_hubs: int, has_power: bool) -> list[Rule]:
    r0 = st.base_radius(n_hubs)
    edge = 0.5 if n_hubs <= 200 else 0.25
    rules: list[Rule] = []
    if has_power:
        bounds = [0.0, *st.POWER_CLASSES_MW, None]
        for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            cond = f'"power_kw" >= {lo * 1000:g}' + (f' AND "power_kw" < {hi * 1000:g}' if hi is not None else "")
            label = f"< {hi:g} MW" if lo == 0 else f"≥ {lo:g} MW" if hi is None else f"{lo:g}–{hi:g} MW"
            size = 2 * st.class_radius(k, r0)
            rules.append((f'NOT "locked" AND {cond}', f"New hub, {label}", _marker(st.HUB_SINGLE, size, edge_pt=edge)))
    else:
        rules.append(('NOT "locked"', "New hub", _marker(st.HUB_SINGLE, 2 * st.class_radius(1, r0), edge_pt=edge)))
    size = 2 * st.class_radius(1, r0) * 0.9
    rules.append(('"locked"', "Existing hub, kept open", _marker(st.HUB_SINGLE, size, shape="square",
                                                                  edge=st.LOCKED_EDGE, edge_pt=1.0)))  # fmt: skip
    return rules


def layer_qml(layer: str, *, vmax: float = 0.0, n_hubs: int = 0, has_power: bool = True) -> str:
    """The QML style of one output layer (``network``, ``hubs``, ``flows``, ``afir_gaps``)."""
    if layer == "network":
        return _qml(_network_rules(vmax), symbol_levels=True)
    if layer == "hubs":
        return _qml(_hub_rules(n_hubs, has_power))
    if layer == "flows":
        return _qml(
            [
                ('"served"', "Served flow (route)", _line(st.SERVED, 0.6, alpha=0.35)),
                ('NOT "served"', "Unserved flow (route)", _line(st.UNSERVED, 0.8, alpha=0.6)),
            ]
        )
    if layer == "afir_gaps":
        return _qml([("TRUE", "AFIR gap", _line(st.AFIR, 1.3))])
    raise ValueError(f"no style for layer {layer!r}")


def write_layer_styles(gpkg: Path, layers: dict[str, pd.DataFrame]) -> list[str]:
    """Add the ``layer_styles`` table to ``gpkg``: one default style per layer in ``layers``.

    Returns the names of the styled layers.
    """
    rows = []
    for name in sorted(layers):
        if name not in ("network", "hubs", "flows", "afir_gaps"):
            continue
        frame = layers[name]
        vmax = 0.0
        if name == "network" and {"served_volume", "unserved_volume"} <= set(frame.columns):
            vmax = st.band_scale((frame["served_volume"] + frame["unserved_volume"]).to_numpy(dtype=float))
        has_power = "power_kw" in frame.columns and bool(np.any(pd.to_numeric(frame["power_kw"]) > 0))
        info = pyogrio.read_info(gpkg, layer=name)
        rows.append(
            {
                "f_table_catalog": "",
                "f_table_schema": "",
                "f_table_name": name,
                "f_geometry_column": info.get("geometry_name") or "geom",
                "styleName": f"planner {name}",
                "styleQML": layer_qml(name, vmax=vmax, n_hubs=len(frame), has_power=has_power),
                "styleSLD": "",
                "useAsDefault": True,
                "description": "Written by planner: drawn like map.png",
                "owner": "",
                "ui": "",
                "update_time": datetime(2000, 1, 1),
            }
        )
    if rows:
        pyogrio.write_dataframe(pd.DataFrame(rows), gpkg, layer=STYLE_TABLE, driver="GPKG")
    return [r["f_table_name"] for r in rows]
