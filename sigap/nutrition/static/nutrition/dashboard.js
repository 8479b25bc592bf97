/* Nutrition dashboard map: one circle per kelurahan, coloured by the WHO stunting band. */
(function () {
  "use strict";
  var box = document.getElementById("map");
  var cfgNode = document.getElementById("map-config");
  if (!box || !cfgNode || typeof L === "undefined") return;
  var cfg = JSON.parse(cfgNode.textContent);
  var t = cfg.i18n;
  var map = L.map(box, { scrollWheelZoom: false, zoomSnap: 0.25 });
  if (cfg.tile_url) {
    L.tileLayer(cfg.tile_url, { maxZoom: 19 }).addTo(map);
  } else {
    box.classList.add("no-tiles");
  }
  var layer = L.featureGroup().addTo(map);
  cfg.points.forEach(function (p) {
    var radius = Math.max(5, Math.min(16, 4 + Math.sqrt(p.measured)));
    var m = L.circleMarker([p.lat, p.lon], {
      radius: radius, weight: 1, className: "kel-marker band-" + (p.band || "none")
    });
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name;
    box.appendChild(title);
    var stunting = p.stunting_too_few ? t.too_few + " (n=" + p.stunting_den + ")"
      : p.stunting === null ? "—"
      : p.stunting + "% (" + (t.bands[p.band] || "") + "; " + t.ci + " " + p.stunting_low + "–" + p.stunting_high + ", n=" + p.stunting_den + ")";
    var wasting = p.wasting_too_few ? t.too_few : p.wasting === null ? "—" : p.wasting + "%";
    [[t.measured, p.measured], [t.stunting, stunting], [t.wasting, wasting]].forEach(function (pair) {
      var line = document.createElement("div");
      line.textContent = pair[0] + ": " + pair[1];
      box.appendChild(line);
    });
    m.bindPopup(box);
    m.addTo(layer);
  });
  box.dataset.markers = String(cfg.points.length);
  if (cfg.points.length) {
    map.fitBounds(layer.getBounds().pad(0.1));
  } else {
    map.setView([-6.99, 110.42], 11);
  }
})();
