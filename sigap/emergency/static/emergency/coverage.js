/* Coverage map: each kelurahan/desa coloured by whether its own ambulance is available now. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("coverage-config").textContent);
  var box = document.getElementById("coverage-map");
  if (!box || typeof L === "undefined") return;
  var pts = config.villages.filter(function (v) { return v.lat !== null; });
  var map = window.SigapEm.baseMap(box, { tile_url: config.tile_url, villages: [] }, pts.map(function (v) { return [v.lat, v.lon]; }));
  pts.forEach(function (v) {
    L.circleMarker([v.lat, v.lon], { radius: 6, weight: 1, className: "cov-marker st-" + v.state })
      .bindTooltip(v.name + " · " + v.units.map(function (u) { return u.code + " " + u.status_label; }).join(", "))
      .addTo(map);
  });
})();
