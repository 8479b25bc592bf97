/* Shared helpers for the emergency pages (no framework; CSP-safe: no inline code). */
(function () {
  "use strict";
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return cookie("csrftoken") || (input ? input.value : "");
  }
  function api(method, url, body) {
    var opts = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = csrf();
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.message || ("HTTP " + r.status)); e.status = r.status; e.data = data; throw e; }
        return data;
      });
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function baseMap(box, config, points) {
    var map = L.map(box, { zoomSnap: 0.25 });
    var bounds = (points && points.length ? points : (config.villages || []).map(function (v) { return [v[0], v[1]]; }));
    if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 }); else map.setView([-2.5, 118], 5);
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 19 }).addTo(map);
    } else {
      box.classList.add("no-tiles");
      (config.villages || []).forEach(function (v) {
        L.circleMarker([v[0], v[1]], { radius: 2, weight: 0, className: "village-dot" }).bindTooltip(v[2]).addTo(map);
      });
    }
    return map;
  }
  // icons are served SVGs (emergency.css): the fonts of a plain Debian browser have no emoji
  function icon(name) {
    var i = el("span", "ic ic-" + name);
    i.setAttribute("aria-hidden", "true");
    return i;
  }
  // an element whose content is text pieces and icon names ({icon: "hospital"})
  function line(tag, cls, parts) {
    var e = el(tag, cls);
    parts.forEach(function (p) {
      if (p === null || p === undefined || p === "") return;
      e.appendChild(typeof p === "string" ? document.createTextNode(p) : icon(p.icon));
    });
    return e;
  }
  // kelurahan search (regions API): fills a datalist with "name — kecamatan" and remembers
  // each label's row in `found`; resolves to the labels
  function kelurahanOptions(url, list, found) {
    return api("GET", url).then(function (rows) {
      list.textContent = "";
      return rows.map(function (r) {
        var label = r.name + " — " + r.kecamatan;
        found[label] = r;
        var o = el("option"); o.value = label; list.appendChild(o);
        return label;
      });
    });
  }
  window.SigapEm = { api: api, el: el, baseMap: baseMap, icon: icon, line: line, kelurahanOptions: kelurahanOptions };
})();
