/* planner: the interactive map of a run (map.html). Reads the JSON block #planner-data
   written by planner.render.web_map; Leaflet 1.9.4 and Leaflet.markercluster 1.5.3 are
   inlined before this script. No network access. MIT, as the project. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("planner-data").textContent);
  var map = L.map("map", {zoomSnap: 0.25, minZoom: 3, maxZoom: 18, worldCopyJump: false});
  map.fitBounds(D.bounds, {padding: [16, 16]});  // before any layer: the cluster group needs a zoom
  var overlays = {};
  var state = {year: null, hubsShown: 0};
  window.PLANNER = {ready: false, hubCount: D.hubs.length, layers: [], state: state};
  window.PLANNER_HUB_COUNT = D.hubs.length;

  // panes, bottom to top: countries, network, flow bands, unserved cores, AFIR gaps, hubs
  [["countries", 300], ["network", 410], ["bands", 420], ["cores", 425], ["gaps", 430]].forEach(function (p) {
    map.createPane(p[0]).style.zIndex = p[1];
  });
  var countries = L.geoJSON(D.countries, {
    pane: "countries", interactive: false, attribution: "Natural Earth",
    style: {color: "#c4beb4", weight: 0.8, fillColor: "#f2efe9", fillOpacity: D.tiles ? 0.0 : 1.0}
  });
  if (D.tiles) {
    var osm = L.tileLayer(D.tiles, {maxZoom: 18, attribution: "&copy; OpenStreetMap contributors"});
    osm.addTo(map);
    overlays["OpenStreetMap tiles (online)"] = osm;
  }
  countries.addTo(map);
  overlays["Country outlines"] = countries;

  function lines(fc, pane, styleFn, filter) {
    return L.geoJSON(fc, {
      pane: pane, style: styleFn, filter: filter,
      onEachFeature: function (f, layer) {
        if (f.properties.tip) { layer.bindTooltip(f.properties.tip, {sticky: true}); }
      }
    });
  }
  function add(label, layer, on, name) {
    if (on) { layer.addTo(map); }
    overlays[label] = layer;
    window.PLANNER.layers.push({name: name, label: label, shown: !!on});
  }

  D.tiers.forEach(function (t) {
    add(t.label, lines(t.features, "network", function (f) {
      return {color: t.colour, weight: t.weight, opacity: 0.95, dashArray: f.properties.ferry ? "6 5" : null};
    }), true, "network-" + t.name);
  });
  if (D.flows.features.length) {
    add("Flows: all trucks/day (band)", lines(D.flows, "bands", function (f) {
      return {color: D.colours.served, weight: f.properties.w, opacity: 1.0, lineCap: "round", lineJoin: "round"};
    }), true, "flow-bands");
    if (D.flows.features.some(function (f) { return f.properties.c > 0; })) {
      add("Flows: unserved trucks/day (core)", lines(D.flows, "cores", function (f) {
        return {color: D.colours.unserved, weight: f.properties.c, opacity: 1.0, lineCap: "round", lineJoin: "round"};
      }, function (f) { return f.properties.c > 0; }), true, "flow-cores");
    }
  }
  if (D.gaps.features.length) {
    add("AFIR gaps", lines(D.gaps, "gaps", function () {
      return {color: D.colours.afir, weight: 2.5, opacity: 0.95, dashArray: "5 3"};
    }), false, "afir-gaps");
  }

  function popup(h) {
    var box = document.createElement("div");
    box.className = "hub-popup";
    if (h.chart) {  // inline SVG of the hub's 24 hours, written by planner.render.hourly_svg
      var fig = document.createElement("div");
      fig.className = "hub-chart";
      fig.innerHTML = h.chart;
      box.appendChild(fig);
    }
    var tbl = document.createElement("table");
    h.props.forEach(function (kv) {
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
  function hubMarker(h) {
    var d = 2 * h.r;
    var icon = L.divIcon({
      className: "hub-marker" + (h.locked ? " hub-locked" : ""),
      html: '<span style="background:' + h.fill + '"></span>',
      iconSize: [d, d], iconAnchor: [d / 2, d / 2]
    });
    var m = L.marker([h.lat, h.lon], {icon: icon, keyboard: false, riseOnHover: true});
    m.bindTooltip(h.tip);
    m.bindPopup(function () { return popup(h); }, {maxWidth: 440});
    return m;
  }
  var hubLayer;
  if (D.cluster) {
    hubLayer = L.markerClusterGroup({
      maxClusterRadius: 32, disableClusteringAtZoom: 8, showCoverageOnHover: false,
      spiderfyOnMaxZoom: false, chunkedLoading: false,
      iconCreateFunction: function (cluster) {
        var n = cluster.getChildCount();
        var d = n < 10 ? 24 : n < 50 ? 30 : n < 200 ? 36 : 42;
        return L.divIcon({html: "<span>" + n + "</span>", className: "hub-cluster", iconSize: [d, d]});
      }
    });
  } else {
    hubLayer = L.featureGroup();
  }
  var markers = D.hubs.map(function (h) { return {hub: h, marker: hubMarker(h)}; });
  function showYear(year) {
    state.year = year;
    hubLayer.clearLayers();
    var shown = markers.filter(function (m) { return year === null || m.hub.year === null || m.hub.year <= year; });
    if (D.cluster) {
      hubLayer.addLayers(shown.map(function (m) { return m.marker; }));
    } else {
      shown.forEach(function (m) { hubLayer.addLayer(m.marker); });
    }
    state.hubsShown = shown.length;
    var box = document.getElementById("year-info");
    if (box && year !== null) { box.innerHTML = D.yearInfo[String(year)]; }
  }
  add("Hubs (" + D.hubs.length.toLocaleString("en") + ")", hubLayer, true, "hubs");
  showYear(D.years.length ? D.years[D.years.length - 1] : null);

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
  if (D.years.length) {
    var slider = L.control({position: "topleft"});
    slider.onAdd = function () {
      var div = L.DomUtil.create("div", "year-control");
      div.innerHTML = '<label for="year-slider">Rollout year <b id="year-label"></b></label>' +
        '<input id="year-slider" type="range" min="0" max="' + (D.years.length - 1) + '" step="1" value="' +
        (D.years.length - 1) + '" list="year-ticks"><div class="ticks">' +
        D.years.map(function (y) { return "<span>" + y + "</span>"; }).join("") +
        '</div><div id="year-info"></div><div class="note">Hubs open by the end of the year; flow bands: ' +
        'final year.</div>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    slider.addTo(map);
    var input = document.getElementById("year-slider");
    var label = document.getElementById("year-label");
    var onInput = function () {
      var y = D.years[Number(input.value)];
      label.textContent = String(y);
      showYear(y);
    };
    input.addEventListener("input", onInput);
    onInput();
  }
  document.getElementById("map").setAttribute("data-ready", "true");
  window.PLANNER.showYear = showYear;
  window.PLANNER.map = map;
  window.PLANNER.ready = true;
  window.PLANNER_READY = true;
}());
