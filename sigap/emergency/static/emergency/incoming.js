/* Hospital incoming page: each announced patient's arrival estimate and the crew's latest
   vital signs are fetched again every refresh_ms (the estimate starts from the ambulance's
   last reported position). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("incoming-config").textContent);
  var t = config.i18n;
  var SE = window.SigapEm;
  var updated = document.getElementById("incoming-updated");

  function etaText(eta) {
    if (eta.minutes === null || eta.minutes === undefined) return null;
    if (eta.minutes === 0) return t.here;
    return eta.minutes + " " + t.min + " (" + eta.at + ")";
  }

  function vitalsNodes(v) {
    var box = document.createDocumentFragment();
    var line = SE.el("p", "vitals-line");
    var head = SE.el("b", null, v.heading + ": ");
    line.appendChild(head);
    line.appendChild(document.createTextNode(v.values.map(function (x) { return x.label + " " + x.value; }).join(" · ")));
    box.appendChild(line);
    if (v.note) box.appendChild(SE.el("p", "vitals-note", v.note));
    return box;
  }

  function refresh(row) {
    return SE.api("GET", config.api + encodeURIComponent(row.dataset.id)).then(function (s) {
      var eta = etaText(s.eta);
      if (eta !== null) row.querySelector(".eta-live").textContent = eta;
      var from = row.querySelector(".eta-from");
      if (from) from.textContent = s.eta.from ? t.from.replace("%(t)s", s.eta.from) : "";
      var unit = row.querySelector(".unit-cell");
      if (s.unit) unit.textContent = s.unit + " · " + s.unit_status_label;
      if (s.vitals) {
        var box = row.querySelector(".crew-vitals");
        box.textContent = "";
        box.appendChild(vitalsNodes({ heading: t.vitals + " (" + s.vitals.at + ")", values: s.vitals.values, note: s.vitals.note }));
      }
    });
  }

  function tick() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#incoming tr[data-id]"));
    Promise.all(rows.map(refresh)).then(function () {
      updated.textContent = "";
    }).catch(function (e) { updated.textContent = e.message; });
  }
  if (document.querySelector("#incoming tr[data-id]")) setInterval(tick, config.refresh_ms);
})();
