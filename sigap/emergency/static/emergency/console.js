/* Dispatcher console: the live queue (triage, then waiting time) and the map, refreshed by
   polling the console JSON; a selected incident shows recommended units (one-action assign)
   and hospitals (hand-off with an optional bed hold). Keys: j/k move, 1-5 send unit n. */
(function () {
  "use strict";
  var E = window.SigapEm, el = E.el;
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var t = config.i18n;
  var state = { incidents: config.incidents, units: config.units, selected: null, recs: [] };
  var queue = document.getElementById("queue"), detail = document.getElementById("detail");
  var statusBox = document.getElementById("refresh-status");
  var map = null, layer = null;

  function renderQueue() {
    queue.textContent = "";
    if (!state.incidents.length) { queue.appendChild(el("li", "muted", t.select)); return; }
    state.incidents.forEach(function (i) {
      var li = el("li", "inc tri-" + i.triage + (i.id === state.selected ? " selected" : ""));
      li.dataset.id = i.id;
      li.tabIndex = 0;
      var head = el("div", "inc-head");
      head.appendChild(el("span", "tri-badge tri-" + i.triage, i.triage));
      head.appendChild(el("b", null, " " + i.number + " "));
      head.appendChild(el("span", "inc-status s-" + i.status, i.status_label));
      if (i.out_of_area) head.appendChild(el("span", "out-badge", t.out_of_area));
      li.appendChild(head);
      if (i.out_of_area) li.appendChild(el("div", "inc-meta out-psc", t.responsible + ": " + i.responsible_psc));
      li.appendChild(E.line("div", "inc-meta", [
        i.category_label + " · " + (i.village || "-") + " · " + i.waiting_min + " " + t.min,
        i.calls > 1 ? " · ☎×" + i.calls : "",
        i.units.length ? " · " : "", i.units.length ? { icon: "ambulance" } : "", i.units.length ? " " + i.units.join(", ") : "",
        i.hospital ? " · " : "", i.hospital ? { icon: "hospital" } : "",
        i.hospital ? " " + i.hospital + " (" + (t.handoff_status[i.handoff_status] || "") + ")" : "",
        i.needs_hospital ? " · " + t.needs_hospital : ""
      ]));
      li.addEventListener("click", function () { select(i.id); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") select(i.id); });
      queue.appendChild(li);
    });
  }

  function renderMap() {
    var box = document.getElementById("console-map");
    if (!box || typeof L === "undefined") return;
    if (!map) {
      // the area stays in view: an incident far outside it (out of area) does not zoom the
      // map out; it is in the queue, marked, with the PSC responsible for it
      var pts = state.incidents.filter(function (i) { return !i.out_of_area; }).map(function (i) { return [i.lat, i.lon]; });
      map = E.baseMap(box, config, (config.villages && config.villages.length) || !pts.length ? null : pts);
      layer = L.layerGroup().addTo(map);
    }
    layer.clearLayers();
    state.units.forEach(function (u) {
      L.circleMarker([u.lat, u.lon], { radius: 5, weight: 2, className: "unit-marker u-" + u.status })
        .bindTooltip(u.code + " · " + u.status_label + (u.incident ? " · " + u.incident : "")).addTo(layer);
    });
    state.incidents.forEach(function (i) {
      L.circleMarker([i.lat, i.lon], { radius: i.id === state.selected ? 11 : 8, weight: 3, className: "incident-marker tri-" + i.triage })
        .bindTooltip(i.number + " · " + i.category_label).on("click", function () { select(i.id); }).addTo(layer);
    });
  }

  function refresh() {
    E.api("GET", config.api + "console").then(function (data) {
      state.incidents = data.incidents; state.units = data.units;
      renderQueue(); renderMap();
      statusBox.textContent = t.updated + " " + new Date(data.at).toLocaleTimeString();
      if (state.selected) {
        var cur = current();
        if (cur) renderHeader(cur);
      }
    }).catch(function () { statusBox.textContent = t.offline; });
  }

  function current() {
    for (var k = 0; k < state.incidents.length; k++) if (state.incidents[k].id === state.selected) return state.incidents[k];
    return null;
  }

  function message(text, cls) {
    var box = document.getElementById("detail-msg");
    if (box) { box.textContent = text; box.className = "msg " + (cls || ""); }
  }

  function renderHeader(i) {
    var h = document.getElementById("detail-head");
    if (!h) return;
    h.textContent = "";
    h.appendChild(el("h2", null, i.number + " · " + i.category_label));
    if (i.out_of_area) h.appendChild(el("p", "out-of-area", t.out_of_area + " · " + t.responsible + ": " + i.responsible_psc));
    h.appendChild(el("p", null, i.status_label + " · " + (i.kecamatan ? i.kecamatan + " / " : "") + (i.village || "-") +
      (i.address ? " · " + i.address : "") + " · ☎ " + (i.caller_phone || "-")));
    var asg = el("ul", "assignments");
    i.assignments.forEach(function (a) {
      var li = E.line("li", null, [{ icon: "ambulance" }, " " + a.unit + " · " + a.unit_status + (a.eta_minutes !== null ? " · ETA " + a.eta_minutes + " " + t.min : "") + " "]);
      if (config.can_dispatch) {
        var b = el("button", "link", t.cancel);
        b.type = "button";
        b.addEventListener("click", function () {
          E.api("POST", config.api + "assignments/" + a.id + "/cancel", { reason: "" })
            .then(function () { message(t.sent, "ok"); refresh(); loadRecs(); })
            .catch(function (e) { message(e.message, "error"); });
        });
        li.appendChild(b);
      }
      asg.appendChild(li);
    });
    h.appendChild(asg);
    if (i.hospital) {
      var ho = E.line("p", "handoff-state s-" + i.handoff_status, [{ icon: "hospital" }, " " + i.hospital + " · " + (t.handoff_status[i.handoff_status] || i.handoff_status)]);
      ho.id = "handoff-state";
      h.appendChild(ho);
    } else if (i.needs_hospital) {
      var nh = el("p", "handoff-state needs error", t.needs_hospital + ": " + i.needs_hospital);
      nh.id = "handoff-state";
      h.appendChild(nh);
    }
    if (i.agencies && i.agencies.length) {
      h.appendChild(el("p", "agencies", i.agencies.map(function (a) {
        return a.name + ": " + a.status_label + (a.partner_status ? " (" + a.partner_status + ")" : "");
      }).join(" · ")));
    }
  }

  function select(id) {
    state.selected = id;
    renderQueue(); renderMap();
    var i = current();
    detail.textContent = "";
    if (!i) return;
    detail.appendChild(el("div", null)).id = "detail-head";
    var msg = el("p", "msg", ""); msg.id = "detail-msg"; msg.setAttribute("role", "alert");
    detail.appendChild(msg);
    var units = el("ol", "recs"); units.id = "unit-recs"; detail.appendChild(units);
    var hosp = el("ol", "recs"); hosp.id = "hospital-recs"; detail.appendChild(hosp);
    renderHeader(i);
    loadRecs();
  }

  function loadRecs() {
    var id = state.selected;
    if (!id) return;
    E.api("GET", config.api + "incidents/" + id + "/units").then(function (rows) {
      state.recs = rows;
      var box = document.getElementById("unit-recs");
      if (!box) return;
      box.textContent = "";
      if (!rows.length) box.appendChild(el("li", "muted", t.no_units));
      rows.forEach(function (u, n) {
        var li = el("li", "rec");
        li.appendChild(el("span", null, (n + 1) + ". " + u.code + " · " + u.name + " · " + u.kind + " · " + u.distance_km + " km · ETA " + u.eta_minutes + " " + t.min + " "));
        if (config.can_dispatch) {
          var b = el("button", "primary assign", t.assign + " " + u.code);
          b.type = "button"; b.dataset.unit = u.code;
          b.addEventListener("click", function () { assign(u.code); });
          li.appendChild(b);
          var old = replaceable();
          if (old) {
            // one action: the new unit is taken first, then the old one is called off
            var r = el("button", "reassign", t.reassign.replace("%(old)s", old.unit).replace("%(new)s", u.code));
            r.type = "button"; r.dataset.unit = u.code; r.dataset.replaces = old.unit;
            r.addEventListener("click", function () { reassign(old, u.code); });
            li.appendChild(document.createTextNode(" "));
            li.appendChild(r);
          }
        }
        box.appendChild(li);
      });
    }).catch(function (e) { message(e.message, "error"); });
    E.api("GET", config.api + "incidents/" + id + "/hospitals").then(function (rows) {
      var box = document.getElementById("hospital-recs");
      if (!box) return;
      box.textContent = "";
      if (!rows.length) box.appendChild(el("li", "muted", t.no_hospitals));
      rows.forEach(function (h) {
        var li = el("li", "rec hosp");
        li.appendChild(E.line("span", null, [{ icon: "hospital" }, " " + h.name + " · " + (h.travel_minutes !== null ? h.travel_minutes + " " + t.min : "") +
          (h.bed_class ? " · " + h.bed_class + " " + t.free + ": " + h.free_in_class : "") + " "]));
        if (config.can_dispatch) {
          var hold = el("input"); hold.type = "checkbox"; hold.checked = h.allows_holds && h.free_in_class > 0; hold.disabled = !h.allows_holds;
          var lab = el("label", "hold"); lab.appendChild(hold); lab.appendChild(document.createTextNode(" " + t.hold + " "));
          li.appendChild(lab);
          var b = el("button", "handoff", t.handoff);
          b.type = "button";
          b.addEventListener("click", function () {
            E.api("POST", config.api + "incidents/" + id + "/handoff", { hospital: h.id, bed_class: h.bed_class, hold_bed: hold.checked, summary: "" })
              .then(function (r) { message(t.sent + ": " + r.hospital + (r.bed_held ? " (" + t.hold + ")" : "") + (r.note ? " · " + r.note : ""), "ok"); refresh(); })
              .catch(function (e) { message(e.message, "error"); });
          });
          li.appendChild(b);
        }
        box.appendChild(li);
      });
    }).catch(function () {});
  }

  // the incident's unit that may still be swapped (not yet with the patient)
  function replaceable() {
    var i = current();
    if (!i) return null;
    for (var k = 0; k < i.assignments.length; k++) {
      var a = i.assignments[k];
      if (a.unit_status === "dispatched" || a.unit_status === "en_route") return a;
    }
    return null;
  }

  function reassign(old, code) {
    E.api("POST", config.api + "assignments/" + old.id + "/reassign", { unit: code, reason: "" })
      .then(function (a) { message(t.reassigned + ": " + old.unit + " → " + a.unit + " · ETA " + a.eta_minutes + " " + t.min, "ok"); refresh(); loadRecs(); })
      .catch(function (e) { message(e.message, "error"); loadRecs(); });
  }

  function assign(code) {
    E.api("POST", config.api + "incidents/" + state.selected + "/assign", { unit: code })
      .then(function (a) { message(t.sent + ": " + a.unit + " · ETA " + a.eta_minutes + " " + t.min, "ok"); refresh(); loadRecs(); })
      .catch(function (e) { message(e.message, "error"); loadRecs(); });
  }

  document.addEventListener("keydown", function (e) {
    if (e.target.matches("input, textarea, select")) return;
    var ids = state.incidents.map(function (i) { return i.id; });
    var k = ids.indexOf(state.selected);
    if (e.key === "j") select(ids[Math.min(ids.length - 1, k + 1)] || ids[0]);
    else if (e.key === "k") select(ids[Math.max(0, k - 1)] || ids[0]);
    else if (/^[1-5]$/.test(e.key) && config.can_dispatch && state.recs[+e.key - 1]) assign(state.recs[+e.key - 1].code);
  });

  renderQueue(); renderMap();
  setInterval(refresh, config.refresh_ms);
})();
