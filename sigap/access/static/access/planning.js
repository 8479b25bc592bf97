/* Planning maps: every .plan-map draws its kelurahan coloured by the minutes to the nearest
   Puskesmas, with a switch between "before" and "after" the plan; the open Puskesmas and
   the chosen sites as markers. The config comes from the json_script named in data-config. */
(function () {
  "use strict";
  if (typeof L === "undefined") return;
  var band = SigapAccessMap.band;
  var popup = SigapAccessMap.popup;
  document.querySelectorAll(".plan-map").forEach(function (box) {
    var node = document.getElementById(box.dataset.config);
    if (!node) return;
    var cfg = JSON.parse(node.textContent);
    var t = cfg.i18n;
    var map = L.map(box, { scrollWheelZoom: false, zoomSnap: 0.25 });
    if (cfg.tile_url) L.tileLayer(cfg.tile_url, { maxZoom: 19 }).addTo(map);
    function kelurahanLayer(key) {
      var layer = L.featureGroup();
      cfg.kelurahan.forEach(function (k) {
        var minutes = k[key];
        var radius = k.population ? Math.max(5, Math.min(14, 3 + Math.sqrt(k.population) / 15)) : 5;
        var m = L.circleMarker([k.lat, k.lon], { radius: radius, weight: 1, className: "kel-marker " + band(minutes) });
        m.bindPopup(popup(k.name, [
          t.population + ": " + k.population.toLocaleString("id-ID"),
          t.minutes + " (" + t.before + "): " + (k.before === null ? t.none : k.before + " " + t.min),
          t.minutes + " (" + t.after + "): " + (k.after === null ? t.none : k.after + " " + t.min)
        ]));
        m.addTo(layer);
      });
      return layer;
    }
    var before = kelurahanLayer("before");
    var after = kelurahanLayer("after");
    var sites = L.featureGroup();
    cfg.open.forEach(function (f) {
      L.circleMarker([f.lat, f.lon], { radius: 4, weight: 1, className: "fac-marker" })
        .bindPopup(popup(f.name, [t.open])).addTo(sites);
    });
    cfg.chosen.forEach(function (f) {
      L.circleMarker([f.lat, f.lon], { radius: 8, weight: 2, className: "chosen-marker" })
        .bindPopup(popup(f.name, [t.chosen, f.kind_label])).addTo(sites);
    });
    after.addTo(map);
    sites.addTo(map);
    var layers = {};
    layers[t.before] = before;
    layers[t.after] = after;
    L.control.layers(layers, null, { collapsed: false }).addTo(map);
    box.dataset.markers = String(cfg.kelurahan.length);
    box.dataset.chosen = String(cfg.chosen.length);
    var bounds = after.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.1));
    } else {
      map.setView([-6.99, 110.42], 11);
    }
  });
})();
