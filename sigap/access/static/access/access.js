/* Access map: one circle per kelurahan coloured by the travel time to the nearest facility
   of the chosen kind, and the facilities of that kind as small squares. */
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
  }
  var band = SigapAccessMap.band;
  function popup(lines, title) {
    return SigapAccessMap.popup(title, lines);
  }
  var layer = L.featureGroup().addTo(map);
  cfg.points.forEach(function (p) {
    var radius = p.population ? Math.max(5, Math.min(14, 3 + Math.sqrt(p.population) / 15)) : 5;
    var m = L.circleMarker([p.lat, p.lon], { radius: radius, weight: 1, className: "kel-marker " + band(p.minutes) });
    m.bindPopup(popup([
      t.population + ": " + (p.population === null ? t.unknown : p.population.toLocaleString("id-ID")),
      t.minutes + ": " + (p.minutes === null ? t.none : p.minutes + " " + t.min),
      t.nearest + ": " + (p.nearest || t.none),
      p.status
    ], p.name));
    m.addTo(layer);
  });
  cfg.facilities.forEach(function (f) {
    var m = L.circleMarker([f.lat, f.lon], { radius: 4, weight: 1, className: "fac-marker" });
    m.bindPopup(popup([], f.name));
    m.addTo(layer);
  });
  box.dataset.markers = String(cfg.points.length);
  box.dataset.facilities = String(cfg.facilities.length);
  if (cfg.points.length || cfg.facilities.length) {
    map.fitBounds(layer.getBounds().pad(0.1));
  } else {
    map.setView([-6.99, 110.42], 11);
  }
  // a changed choice shows at once (the form still works without script)
  var form = document.getElementById("access-filters");
  if (form) {
    form.querySelectorAll("select").forEach(function (s) {
      s.addEventListener("change", function () { form.submit(); });
    });
  }
})();
