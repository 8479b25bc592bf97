/* Dispatcher console: the live queue (waiting first, then triage colour, then waiting time)
   and the map of the area, refreshed by polling the console JSON. A selected incident shows
   its actions (re-triage, hand to an agency, close / cancel with a reason), the recommended
   units (send, swap) and the ranked hospital options (hand-off). Keyboard first: every
   action has the key shown on its button; no key acts while the dispatcher types in a field.
   Keys: J/K move, 1-5 send unit n, G then n swap to unit n, H then n hand to hospital n,
   T I X the forms, A the whole area on the map, Esc closes a form, ? the key list. */
(function () {
  "use strict";
  var E = window.SigapEm, el = E.el;
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var t = config.i18n;
  var text = {};
  document.querySelectorAll("#console-text [data-t]").forEach(function (s) { text[s.dataset.t] = s.textContent; });
  var state = { incidents: config.incidents, units: config.units, selected: null, recs: [], hospitals: [], prefix: null, choices: null, triage: {} };
  var queue = document.getElementById("queue"), detail = document.getElementById("detail");
  var statusBox = document.getElementById("refresh-status");
  var actions = document.getElementById("console-actions");
  var map = null, layer = null, areaBounds = null;

  function kbd(key) { return el("kbd", null, key); }
  // a button whose label ends with its shortcut keys
  function button(cls, label, keys) {
    var b = el("button", cls, label + " ");
    b.type = "button";
    keys.forEach(function (k, n) { if (n) b.appendChild(document.createTextNode(" ")); b.appendChild(kbd(k)); });
    return b;
  }

  function renderQueue() {
    queue.textContent = "";
    if (!state.incidents.length) { queue.appendChild(el("li", "muted", t.select)); return; }
    state.incidents.forEach(function (i) {
      var li = el("li", "inc tri-" + i.triage + (i.id === state.selected ? " selected" : ""));
      li.dataset.id = i.id;
      li.tabIndex = 0;
      var head = el("div", "inc-head");
      head.appendChild(el("span", "tri-badge tri-" + i.triage, triageLabel(i.triage)));
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

  // the colour's label once the choices are loaded (the colour's own word until then)
  function triageLabel(code) {
    return state.triage[code] || (code ? code.charAt(0).toUpperCase() + code.slice(1) : "");
  }

  // what the forms offer for the selected incident (colours, agencies, reasons to end it)
  function loadChoices(id) {
    state.choices = null;
    return E.api("GET", config.api + "incidents/" + id + "/choices").then(function (c) {
      if (id !== state.selected) return;
      state.choices = c;
      c.triage.forEach(function (o) { state.triage[o.code] = o.label; });
      renderQueue();
      var i = current();
      if (i) renderHeader(i);
    });
  }

  function fitArea() {
    if (map && areaBounds) map.fitBounds(areaBounds, { padding: [20, 20], maxZoom: 15 });
  }

  function renderMap() {
    var box = document.getElementById("console-map");
    if (!box || typeof L === "undefined") return;
    if (!map) {
      // the area stays in view: the bounds of the area's villages (or, without them, of the
      // incidents inside the area); an out-of-area incident does not zoom the map out
      var pts = (config.villages || []).map(function (v) { return [v[0], v[1]]; });
      if (!pts.length) pts = state.incidents.filter(function (i) { return !i.out_of_area; }).map(function (i) { return [i.lat, i.lon]; });
      areaBounds = pts.length ? L.latLngBounds(pts) : null;
      map = E.baseMap(box, config, pts.length ? pts : null);
      layer = L.layerGroup().addTo(map);
      window.addEventListener("resize", function () { map.invalidateSize(); fitArea(); });
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
    return E.api("GET", config.api + "console").then(function (data) {
      state.incidents = data.incidents; state.units = data.units;
      renderQueue(); renderMap();
      statusBox.textContent = t.updated + " " + new Date(data.at).toLocaleTimeString();
      if (state.selected) {
        var cur = current();
        if (cur) renderHeader(cur); else closeDetail();
      }
    }).catch(function () { statusBox.textContent = t.offline; });
  }

  function current() {
    for (var k = 0; k < state.incidents.length; k++) if (state.incidents[k].id === state.selected) return state.incidents[k];
    return null;
  }

  function message(msg, cls) {
    var box = document.getElementById("detail-msg");
    if (box) { box.textContent = msg; box.className = "msg " + (cls || ""); }
  }

  // handed: a hand-off waits for or was accepted by the hospital, or the patient is there
  function handed(i) {
    return i.handoff_status === "pending" || i.handoff_status === "acknowledged" || i.status === "at_hospital";
  }

  function renderHeader(i) {
    var h = document.getElementById("detail-head");
    if (!h) return;
    h.textContent = "";
    h.appendChild(el("h2", null, i.number + " · " + i.category_label));
    var tri = el("p", "tri-line");
    tri.id = "detail-triage";
    tri.appendChild(el("span", "tri-badge tri-" + i.triage, triageLabel(i.triage)));
    h.appendChild(tri);
    if (i.out_of_area) h.appendChild(el("p", "out-of-area", t.out_of_area + " · " + t.responsible + ": " + i.responsible_psc));
    h.appendChild(el("p", null, i.status_label + " · " + (i.kecamatan ? i.kecamatan + " / " : "") + (i.village || "-") +
      (i.address ? " · " + i.address : "") + " · ☎ " + (i.caller_phone || "-")));
    var asg = el("ul", "assignments");
    asg.id = "assignments";
    i.assignments.forEach(function (a) {
      var li = E.line("li", null, [{ icon: "ambulance" }, " " + a.unit + " · " + unitStatusLabel(a) + (a.eta_minutes !== null ? " · ETA " + a.eta_minutes + " " + t.min : "") + " "]);
      li.dataset.unit = a.unit;
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
      var ho = E.line("p", "handoff-state s-" + i.handoff_status, [{ icon: "hospital" }, " " + i.hospital + " · " + (t.handoff_status[i.handoff_status] || "")]);
      ho.id = "handoff-state";
      h.appendChild(ho);
    } else if (i.needs_hospital) {
      var nh = el("p", "handoff-state needs error", t.needs_hospital + ": " + i.needs_hospital);
      nh.id = "handoff-state";
      h.appendChild(nh);
    }
    if (i.agencies && i.agencies.length) {
      var ag = el("p", "agencies", i.agencies.map(function (a) {
        return a.name + ": " + a.status_label + (a.partner_status ? " (" + a.partner_status + ")" : "");
      }).join(" · "));
      ag.id = "agency-state";
      h.appendChild(ag);
    }
  }

  function unitStatusLabel(a) {
    for (var k = 0; k < state.units.length; k++) if (state.units[k].code === a.unit) return state.units[k].status_label;
    return "";
  }

  function closeDetail() {
    state.selected = null;
    actions.hidden = true;
    document.body.appendChild(actions);
    detail.textContent = "";
    detail.appendChild(el("p", "muted", t.select));
  }

  function select(id) {
    if (!id) return;
    state.selected = id;
    renderQueue(); renderMap();
    var i = current();
    closeForms();
    document.body.appendChild(actions);  // keep the forms while the panel is rebuilt
    detail.textContent = "";
    if (!i) { closeDetail(); return; }
    detail.appendChild(el("div", null)).id = "detail-head";
    var msg = el("p", "msg", ""); msg.id = "detail-msg"; msg.setAttribute("role", "alert");
    detail.appendChild(msg);
    if (config.can_dispatch) { actions.hidden = false; detail.appendChild(actions); }
    detail.appendChild(el("h3", null, text.units_title));
    var units = el("ol", "recs"); units.id = "unit-recs"; detail.appendChild(units);
    detail.appendChild(el("h3", null, text.hospitals_title));
    var hosp = el("ol", "recs"); hosp.id = "hospital-recs"; detail.appendChild(hosp);
    renderHeader(i);
    loadRecs();
    loadChoices(id).catch(function (e) { message(e.message, "error"); });
  }

  function loadRecs() {
    var id = state.selected;
    if (!id) return;
    E.api("GET", config.api + "incidents/" + id + "/units").then(function (rows) {
      if (id !== state.selected) return;
      state.recs = rows;
      var box = document.getElementById("unit-recs");
      if (!box) return;
      box.textContent = "";
      if (!rows.length) box.appendChild(el("li", "muted", t.no_units));
      var old = replaceable();
      rows.slice(0, 5).forEach(function (u, n) {
        var li = el("li", "rec");
        li.dataset.unit = u.code;
        li.appendChild(el("span", null, (n + 1) + ". " + u.code + " · " + u.name + " · " + u.distance_km + " km · ETA " + u.eta_minutes + " " + t.min + " "));
        if (config.can_dispatch) {
          var b = button("primary assign", t.assign + " " + u.code, [String(n + 1)]);
          b.dataset.unit = u.code;
          b.addEventListener("click", function () { assign(u.code); });
          li.appendChild(b);
          if (old) {
            // one action: the new unit is taken first, then the old one is called off
            var r = button("reassign", t.reassign.replace("%(old)s", old.unit).replace("%(new)s", u.code), ["G", String(n + 1)]);
            r.dataset.unit = u.code; r.dataset.replaces = old.unit;
            r.addEventListener("click", function () { reassign(old, u.code); });
            li.appendChild(document.createTextNode(" "));
            li.appendChild(r);
          }
        }
        box.appendChild(li);
      });
    }).catch(function (e) { message(e.message, "error"); });
    E.api("GET", config.api + "incidents/" + id + "/hospital-options").then(function (rows) {
      if (id !== state.selected) return;
      state.hospitals = rows;
      renderHospitals();
    }).catch(function () {});
  }

  function renderHospitals() {
    var box = document.getElementById("hospital-recs"), i = current();
    if (!box || !i) return;
    box.textContent = "";
    if (!state.hospitals.length) box.appendChild(el("li", "muted", t.no_hospitals));
    var done = handed(i);
    state.hospitals.forEach(function (h, n) {
      var li = el("li", "rec hosp");
      li.dataset.hospital = h.id;
      li.appendChild(E.line("span", "hosp-name", [(n + 1) + ". ", { icon: "hospital" }, " " + h.name + (h.travel_minutes !== null ? " · " + h.travel_minutes + " " + t.min : "") +
        (h.bed_class ? " · " + h.bed_class + " " + t.free + ": " + h.free_in_class : "")]));
      li.appendChild(el("div", "why muted", h.why));
      // once the patient is handed the hand-off buttons are gone (a refusal brings them back)
      if (config.can_dispatch && !done) {
        var hold = el("input"); hold.type = "checkbox"; hold.checked = h.allows_holds && h.free_in_class > 0; hold.disabled = !h.allows_holds;
        hold.id = "hold-" + n;
        var lab = el("label", "hold check"); lab.htmlFor = hold.id; lab.appendChild(hold); lab.appendChild(el("span", null, t.hold));
        li.appendChild(lab);
        var b = button("handoff", t.handoff, ["H", String(n + 1)]);
        b.addEventListener("click", function () { handoff(h, hold.checked); });
        li.appendChild(b);
        h._hold = hold;
      } else if (done && i.hospital === h.name) {
        li.classList.add("chosen");
        li.appendChild(el("div", "handed", text.handed));
      }
      box.appendChild(li);
    });
  }

  function handoff(h, hold) {
    E.api("POST", config.api + "incidents/" + state.selected + "/handoff", { hospital: h.id, bed_class: h.bed_class, hold_bed: !!hold, summary: "" })
      .then(function (r) { message(t.sent + ": " + r.hospital + (r.bed_held ? " (" + t.hold + ")" : "") + (r.note ? " · " + r.note : ""), "ok"); return refresh(); })
      .then(renderHospitals)
      .catch(function (e) { message(e.message, "error"); });
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
      .then(function (a) { message(t.reassigned + ": " + old.unit + " → " + a.unit + " · ETA " + a.eta_minutes + " " + t.min, "ok"); return refresh(); })
      .then(loadRecs)
      .catch(function (e) { message(e.message, "error"); loadRecs(); });
  }

  function assign(code) {
    E.api("POST", config.api + "incidents/" + state.selected + "/assign", { unit: code })
      .then(function (a) { message(t.sent + ": " + a.unit + " · ETA " + a.eta_minutes + " " + t.min, "ok"); return refresh(); })
      .then(loadRecs)
      .catch(function (e) { message(e.message, "error"); loadRecs(); });
  }

  // --- the action forms ---------------------------------------------------------------------

  function fillSelect(select, options, skip) {
    select.textContent = "";
    options.forEach(function (o) {
      if (o.code === skip) return;
      var opt = el("option", null, o.label); opt.value = o.code; select.appendChild(opt);
    });
  }

  function closeForms() {
    actions.querySelectorAll(".action-form").forEach(function (f) { f.hidden = true; });
    document.getElementById("key-help").hidden = true;
  }

  function openForm(name) {
    var i = current();
    if (!i || !config.can_dispatch) return;
    closeForms();
    var form = document.getElementById("form-" + name);
    form.reset();
    // the reasons to end it depend on its state now: read them again
    var ready = state.choices && name !== "end" ? Promise.resolve() : loadChoices(i.id);
    ready.then(function () {
      var c = state.choices;
      if (!c) return;
      if (name === "agency") fillSelect(form.elements.kind, c.agencies);
      if (name === "retriage") fillSelect(form.elements.triage, c.triage, i.triage);
      if (name === "end") fillSelect(form.elements.reason, c.close_reasons);
    }).catch(function (e) { message(e.message, "error"); });
    form.hidden = false;
    form.querySelector("select, input").focus();
  }

  function submitForm(form) {
    var i = current();
    if (!i) return;
    var name = form.dataset.action, f = form.elements, body, done;
    if (name === "retriage") { body = { triage: f.triage.value, reason: f.reason.value }; done = text.retriaged; }
    if (name === "agency") { body = { kind: f.kind.value, reason: f.reason.value, ambulance_needed: f.ambulance_needed.checked }; done = text.agency_sent; }
    if (name === "end") { body = { reason: f.reason.value, note: f.note.value }; done = text.ended; }
    E.api("POST", config.api + "incidents/" + i.id + "/" + name, body).then(function (r) {
      form.hidden = true;
      message(done + ": " + r.number + " · " + r.status_label, "ok");
      return refresh().then(function () {
        if (!current()) { closeDetail(); message(done, "ok"); }
        else if (name === "retriage") loadRecs();
      });
    }).catch(function (e) { message(e.message, "error"); });
  }

  actions.querySelectorAll(".actionbar button").forEach(function (b) {
    b.addEventListener("click", function () { openForm(b.dataset.action); });
  });
  actions.querySelectorAll(".action-form").forEach(function (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); submitForm(form); });
    form.querySelector("[data-close]").addEventListener("click", closeForms);
  });
  document.getElementById("fit-area").addEventListener("click", fitArea);

  // --- keys ----------------------------------------------------------------------------------

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { closeForms(); state.prefix = null; return; }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    var key = e.key.toLowerCase();
    var ids = state.incidents.map(function (i) { return i.id; });
    var k = ids.indexOf(state.selected);
    if (state.prefix && /^[1-5]$/.test(key)) {
      var n = +key - 1, prefix = state.prefix;
      state.prefix = null;
      e.preventDefault();
      if (prefix === "g") { var old = replaceable(); if (old && state.recs[n]) reassign(old, state.recs[n].code); }
      if (prefix === "h") { var i = current(), h = state.hospitals[n]; if (h && i && !handed(i)) handoff(h, h._hold && h._hold.checked); }
      return;
    }
    state.prefix = null;
    if (key === "j") select(ids[Math.min(ids.length - 1, k + 1)] || ids[0]);
    else if (key === "k") select(ids[Math.max(0, k - 1)] || ids[0]);
    else if (key === "a") fitArea();
    else if (key === "?") { if (current()) document.getElementById("key-help").hidden = false; }
    else if (!state.selected || !config.can_dispatch) return;
    else if (/^[1-5]$/.test(key)) { if (state.recs[+key - 1]) assign(state.recs[+key - 1].code); }
    else if (key === "g" || key === "h") { state.prefix = key; message(key.toUpperCase() + " … " + text.press_number); }
    else if (key === "t") { e.preventDefault(); openForm("retriage"); }
    else if (key === "i") { e.preventDefault(); openForm("agency"); }
    else if (key === "x") { e.preventDefault(); openForm("end"); }
  });

  renderQueue(); renderMap();
  setInterval(refresh, config.refresh_ms);
})();
