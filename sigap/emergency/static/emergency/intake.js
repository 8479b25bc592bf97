/* Call intake: map click, kelurahan search, triage questions per category with a suggested
   colour, repeat-call hint, and keyboard shortcuts. The form works without it. */
(function () {
  "use strict";
  var E = window.SigapEm;
  var config = JSON.parse(document.getElementById("intake-config").textContent);
  var form = document.getElementById("intake-form");
  var lat = document.getElementById("f-lat"), lon = document.getElementById("f-lon");
  var village = document.getElementById("f-village"), place = document.getElementById("f-place");
  var status = document.getElementById("place-status");
  var category = document.getElementById("f-category");
  var marker = null, map = null, found = {};
  var order = ["merah", "kuning", "hijau", "hitam"];

  // outside the call-taker's area: say so at once, name the nearest kelurahan and the
  // responsible PSC, and ask for the explicit override (the server checks again on save)
  var warning = document.getElementById("out-of-area-warning");
  var override = document.getElementById("out-of-area");
  var placeSeq = 0;
  function checkPlace(la, lo) {
    var seq = ++placeSeq;
    E.api("GET", config.place_api + "?lat=" + la + "&lon=" + lo).then(function (p) {
      if (seq !== placeSeq) return;
      warning.textContent = p.message;
      warning.hidden = !p.out_of_area;
      override.hidden = !p.out_of_area;
      if (!p.out_of_area) document.getElementById("f-override").checked = false;
    }).catch(function () {});
  }

  function setPoint(la, lo, moveMap) {
    lat.value = la.toFixed(6); lon.value = lo.toFixed(6);
    checkPlace(lat.value, lon.value);
    if (!map) return;
    if (marker) marker.setLatLng([la, lo]);
    else marker = L.circleMarker([la, lo], { radius: 9, weight: 3, className: "incident-marker" }).addTo(map);
    if (moveMap) map.setView([la, lo], Math.max(map.getZoom(), 14));
  }

  var box = document.getElementById("intake-map");
  if (box && typeof L !== "undefined") {
    map = E.baseMap(box, config);
    map.on("click", function (e) { village.value = ""; setPoint(e.latlng.lat, e.latlng.lng, false); });
    if (lat.value && lon.value) setPoint(parseFloat(lat.value), parseFloat(lon.value), true);
  }

  // kelurahan / landmark search through the regions API
  var timer = null;
  place.addEventListener("input", function () {
    var q = place.value.trim();
    if (found[q]) {
      var v = found[q];
      village.value = v.code;
      if (v.lat !== null) setPoint(v.lat, v.lon, true);
      status.textContent = v.name + " · " + v.kecamatan;
      return;
    }
    clearTimeout(timer);
    if (q.length < 2) return;
    timer = setTimeout(function () {
      E.kelurahanOptions(config.kelurahan_api + "?q=" + encodeURIComponent(q) + "&area=" + config.area + "&limit=10",
        document.getElementById("place-options"), found)
        .then(function (labels) {
          if (labels.length === 1) { place.value = labels[0]; place.dispatchEvent(new Event("input")); }
        }).catch(function () {});
    }, 200);
  });
  [lat, lon].forEach(function (f) {
    f.addEventListener("change", function () {
      var la = parseFloat(lat.value), lo = parseFloat(lon.value);
      if (!isNaN(la) && !isNaN(lo)) { village.value = ""; setPoint(la, lo, true); }
    });
  });

  // triage questions of the chosen category, and the colour they point to
  function showCategory() {
    document.querySelectorAll(".qset").forEach(function (set) {
      var on = set.dataset.category === category.value;
      set.hidden = !on;
      set.querySelectorAll("input").forEach(function (i) { i.disabled = !on; });
    });
    suggest();
  }
  function suggest() {
    var colours = [];
    document.querySelectorAll(".qset:not([hidden]) input:checked").forEach(function (i) { colours.push(i.dataset.colour); });
    var best = "hijau";
    for (var k = 0; k < order.length; k++) if (colours.indexOf(order[k]) >= 0) { best = order[k]; break; }
    var s = document.getElementById("suggest");
    s.textContent = "→ " + best.toUpperCase();
    s.className = "suggest tri-" + best;
  }
  category.addEventListener("change", showCategory);
  form.addEventListener("change", function (e) { if (e.target.matches(".qset input")) suggest(); });
  showCategory();

  // repeat-call hint as soon as the number is typed (the server checks again on save)
  var phone = document.getElementById("f-phone");
  phone.addEventListener("change", function () {
    if (!phone.value.trim()) return;
    E.api("GET", config.repeats_api + "?phone=" + encodeURIComponent(phone.value.trim()))
      .then(function (rows) {
        status.textContent = rows.length ? rows.map(function (r) { return "⚠ " + r.number + " (" + r.triage + ", " + r.village + ")"; }).join(" · ") : "";
      }).catch(function () {});
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); return; }
    if (!e.altKey) return;
    var n = parseInt(e.key, 10);
    if (n >= 1 && n <= category.options.length) { e.preventDefault(); category.selectedIndex = n - 1; showCategory(); return; }
    var map_ = { m: "merah", k: "kuning", h: "hijau", b: "hitam" };
    var t = map_[(e.key || "").toLowerCase()];
    if (t) { e.preventDefault(); document.getElementById("t-" + t).checked = true; }
  });
})();
