/* Home-care pages: the target-group switch of the eligibility form and the plan map. */
(function () {
  "use strict";

  var groupSelect = document.getElementById("group-select");
  if (groupSelect) {
    groupSelect.addEventListener("change", function () {
      document.querySelectorAll(".group-form").forEach(function (form) {
        form.classList.toggle("hidden", form.dataset.group !== groupSelect.value);
      });
    });
  }

  var box = document.getElementById("plan-map");
  var dataNode = document.getElementById("plan-data");
  if (!box || !dataNode || typeof L === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  var colours = ["#0f766e", "#7c3aed", "#c2410c", "#1d4ed8", "#be185d", "#4d7c0f", "#a16207", "#0e7490"];
  var map = L.map(box, { scrollWheelZoom: false });
  if (data.tile_url) {
    L.tileLayer(data.tile_url, { maxZoom: 19 }).addTo(map);
  } else {
    box.classList.add("no-tiles");
  }
  var depot = [data.depot.lat, data.depot.lon];
  var bounds = L.latLngBounds([depot]);
  L.circleMarker(depot, { radius: 9, weight: 2, fillOpacity: 0.9, className: "depot-marker" })
    .bindTooltip(data.depot.name).addTo(map);
  data.routes.forEach(function (route, i) {
    var colour = colours[i % colours.length];
    var path = [depot];
    route.stops.forEach(function (stop) {
      var p = [stop.lat, stop.lon];
      path.push(p);
      bounds.extend(p);
      L.marker(p, {
        icon: L.divIcon({ className: "hc-marker", html: String(stop.seq || ""), iconSize: [20, 20] }),
        title: stop.label
      }).bindTooltip(route.worker + ": " + stop.label).addTo(map);
    });
    path.push(depot);
    L.polyline(path, { color: colour, weight: 3, opacity: 0.8 }).bindTooltip(route.worker).addTo(map);
  });
  map.fitBounds(bounds.pad(0.15));
  box.dataset.routes = String(data.routes.length);
})();
