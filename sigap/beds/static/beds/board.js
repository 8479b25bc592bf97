/* Public bed board: map, "nearest to me", kelurahan search and a refresh every ~30 s.
   The page works without this script; it only enhances the server-rendered board. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var config = JSON.parse(document.getElementById("board-config").textContent);
  var rows = JSON.parse(document.getElementById("board-rows").textContent);
  var t = config.i18n;
  var lang = document.documentElement.lang || "id";
  var fmt1 = new Intl.NumberFormat(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  var fmt0 = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function interpolate(s, values) {
    return s.replace(/%\((\w+)\)[sd]/g, function (_, k) { return values[k]; });
  }

  function ageWords(minutes) {
    if (minutes < 1) return t.just_now;
    var unit, n;
    if (minutes < 60) { unit = t.minute; n = minutes; }
    else if (minutes < 48 * 60) { unit = t.hour; n = Math.floor(minutes / 60); }
    else { unit = t.day; n = Math.floor(minutes / 1440); }
    return interpolate(n === 1 ? unit[0] : unit[1], { n: n });
  }

  function selectedBeds(h) {
    if (!config.kelas) return null;
    for (var i = 0; i < h.beds.length; i++) if (h.beds[i].kodekelas === config.kelas) return h.beds[i];
    return null;
  }

  function telLink(number, label, cls) {
    var a = el("a", cls, label + " " + number);
    a.href = "tel:" + number;
    return a;
  }

  // --- list ---------------------------------------------------------------------------
  function renderItem(h) {
    var li = el("li", "hospital" + (h.stale ? " is-stale" : ""));
    li.dataset.id = h.id;
    var top = el("div", "h-top");
    top.appendChild(el("h2", "h-name", h.name));
    var sel = selectedBeds(h);
    var big = el("span", "big-free");
    big.appendChild(el("b", null, String(sel ? sel.free : h.total_free)));
    big.appendChild(document.createTextNode(" " + (sel ? sel.class_name + " " + t.free : t.free_beds)));
    top.appendChild(big);
    li.appendChild(top);

    var meta = el("p", "h-meta", h.kecamatan.name || "");
    if (h.distance_km !== undefined && h.distance_km !== null) {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "travel", fmt1.format(h.distance_km) + " " + t.km + " · ±" +
        fmt0.format(h.travel_minutes) + " " + t.minutes));
    }
    if (h.synthetic) {
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", "badge synthetic", t.synthetic));
    }
    li.appendChild(meta);

    var ul = el("ul", "classes");
    h.beds.forEach(function (b) {
      var c = el("li", "cls" + (b.kodekelas === config.kelas ? " selected" : "") + (b.free ? "" : " full"));
      c.appendChild(el("span", null, b.class_name));
      c.appendChild(document.createTextNode(" "));
      c.appendChild(el("b", null, String(b.free)));
      c.appendChild(el("small", null, "/" + b.capacity));
      ul.appendChild(c);
    });
    li.appendChild(ul);

    var foot = el("p", "h-foot");
    if (h.emergency_phone) foot.appendChild(telLink(h.emergency_phone, t.igd, "tel igd"));
    if (h.phone) foot.appendChild(telLink(h.phone, t.phone, "tel"));
    foot.appendChild(el("span", "age", interpolate(t.updated, { age: ageWords(h.age_minutes) })));
    if (h.stale) foot.appendChild(el("span", "badge stale", t.stale));
    li.appendChild(foot);
    return li;
  }

  function renderList(data) {
    var list = document.getElementById("hospital-list");
    var items = data.map(renderItem);
    if (!items.length) items = [el("li", "empty", t.no_rows)];
    list.replaceChildren.apply(list, items);
    var count = document.getElementById("list-count");
    if (count) count.textContent = interpolate(t.hospitals_free[data.length === 1 ? 0 : 1], { n: data.length });
  }

  // --- map ----------------------------------------------------------------------------
  var map = null;
  var markerLayer = null;
  var mapBox = document.getElementById("map");

  function popupFor(h) {
    var box = el("div", "popup");
    box.appendChild(el("strong", null, h.name));
    var sel = selectedBeds(h);
    box.appendChild(el("div", null, (sel ? sel.free + " " + sel.class_name + " " + t.free
      : h.total_free + " " + t.free_beds)));
    if (h.emergency_phone) box.appendChild(el("div")).appendChild(telLink(h.emergency_phone, t.igd, "tel igd"));
    if (h.phone) box.appendChild(el("div")).appendChild(telLink(h.phone, t.phone, "tel"));
    var age = el("div", "muted", interpolate(t.updated, { age: ageWords(h.age_minutes) }));
    box.appendChild(age);
    if (h.stale) box.appendChild(el("span", "badge stale", t.stale));
    return box;
  }

  function markerClass(h) {
    var sel = selectedBeds(h);
    var free = sel ? sel.free : h.total_free;
    return "hospital-marker " + (h.stale ? "m-stale" : free > 0 ? "m-free" : "m-full");
  }

  function drawMarkers(data) {
    if (!map) return;
    markerLayer.clearLayers();
    data.forEach(function (h) {
      var m = L.circleMarker([h.lat, h.lon], { radius: 9, weight: 2, className: markerClass(h) });
      m.bindPopup(popupFor(h));
      m.bindTooltip(h.name);
      markerLayer.addLayer(m);
    });
  }

  function initMap() {
    if (!mapBox || typeof L === "undefined") return;
    map = L.map(mapBox, { scrollWheelZoom: false, zoomSnap: 0.25 });
    // The view comes first: vector layers need it to compute their bounds.
    var bounds = rows.map(function (h) { return [h.lat, h.lon]; });
    if (config.origin) bounds.push(config.origin);
    if (!bounds.length) bounds = config.villages.map(function (v) { return [v[0], v[1]]; });
    if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    else map.setView([-2.5, 118], 5);
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 19 }).addTo(map);
    } else {
      // No tile server (closed network): kelurahan centroids give the map its shape.
      mapBox.classList.add("no-tiles");
      var dots = L.layerGroup().addTo(map);
      config.villages.forEach(function (v) {
        L.circleMarker([v[0], v[1]], { radius: 2, weight: 0, className: "village-dot" })
          .bindTooltip(v[2]).addTo(dots);
      });
    }
    markerLayer = L.layerGroup().addTo(map);
    drawMarkers(rows);
    if (config.origin) {
      L.circleMarker(config.origin, { radius: 8, weight: 3, className: "origin-marker" })
        .bindTooltip(t.you).addTo(map);
    }
  }

  // --- refresh ------------------------------------------------------------------------
  function refresh() {
    var q = new URLSearchParams();
    Object.keys(config.params).forEach(function (k) {
      var v = config.params[k];
      if (v !== "" && v !== null && v !== undefined) q.set(k, v);
    });
    fetch(config.api + "?" + q.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        rows = data;
        renderList(data);
        drawMarkers(data);
        var now = new Date();
        var time = now.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
        document.getElementById("refresh-status").textContent = " · " + interpolate(t.refreshed, { time: time });
      })
      .catch(function () { /* keep the last board; try again next time */ });
  }

  // --- filters, location ----------------------------------------------------------------
  var form = document.getElementById("board-filters");
  var lokasi = document.getElementById("f-lokasi");
  var kelurahan = document.getElementById("f-kelurahan");
  var options = document.getElementById("kelurahan-options");
  var status = document.getElementById("geo-status");
  var found = {};
  var timer = null;

  function dropPosition() {
    ["f-lat", "f-lon"].forEach(function (id) {
      var e = document.getElementById(id);
      if (e) e.remove();
    });
  }

  function setHidden(name, value) {
    var e = document.getElementById("f-" + name);
    if (!e) {
      e = el("input");
      e.type = "hidden";
      e.name = name;
      e.id = "f-" + name;
      form.appendChild(e);
    }
    e.value = value;
  }

  ["f-kelas", "f-kecamatan"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", function () { form.requestSubmit(); });
  });

  lokasi.addEventListener("input", function () {
    var q = lokasi.value.trim();
    kelurahan.value = found[q] || "";
    if (timer) clearTimeout(timer);
    if (q.length < 2 || found[q]) return;
    timer = setTimeout(function () {
      var params = new URLSearchParams({ q: q, area: config.area, limit: "15" });
      fetch(config.regions_api + "?" + params.toString())
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (list) {
          options.replaceChildren();
          list.forEach(function (k) {
            if (!(k.name in found)) found[k.name] = k.code;
            var o = el("option");
            o.value = k.name;
            o.label = k.kecamatan;
            options.appendChild(o);
          });
          kelurahan.value = found[lokasi.value.trim()] || "";
        })
        .catch(function () {});
    }, 200);
  });

  form.addEventListener("submit", function () {
    if (!lokasi.value.trim()) kelurahan.value = "";
    else dropPosition();
  });

  var geo = document.getElementById("btn-geo");
  geo.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = t.geo_error; return; }
    status.textContent = t.geo_wait;
    navigator.geolocation.getCurrentPosition(function (pos) {
      lokasi.value = "";
      kelurahan.value = "";
      setHidden("lat", pos.coords.latitude.toFixed(5));
      setHidden("lon", pos.coords.longitude.toFixed(5));
      // submit() skips the submit handler, which would drop the position again
      form.submit();
    }, function () { status.textContent = t.geo_error; }, { timeout: 15000, maximumAge: 60000 });
  });

  initMap();
  setInterval(refresh, config.refresh_seconds * 1000);
})();
