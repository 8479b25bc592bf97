/* Referral pages: ICD-10 search and live recommendations on the send form, running answer
   clocks, and an inbox that refreshes itself. Every page works without this script. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function debounce(fn, ms) {
    var t;
    return function () {
      var args = arguments;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- answer clocks --------------------------------------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (c) {
      var left = Math.round((Date.parse(c.dataset.due) - now) / 1000);
      var abs = Math.abs(left), h = Math.floor(abs / 3600), m = Math.floor((abs % 3600) / 60), s = abs % 60;
      var text = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      c.textContent = left < 0 ? "-" + text : text;
      c.classList.toggle("late", left < 0);
      c.classList.toggle("soon", left >= 0 && left < 300);
      var row = c.closest("tr");
      if (row) row.classList.toggle("overdue", left < 0);
    });
  }
  tick();
  setInterval(tick, 1000);

  // --- send form ------------------------------------------------------------------------
  var form = document.getElementById("send-form");
  if (form) {
    var dx = document.getElementById("f-diagnosis");
    var list = document.getElementById("icd-options");
    var dxName = document.getElementById("diagnosis-name");
    var found = {};
    dx.addEventListener("input", debounce(function () {
      var q = dx.value.trim();
      var hit = found[q.toUpperCase()];
      if (hit) { dxName.textContent = hit.code + " " + hit.name; return; }
      if (q.length < 2) return;
      getJSON(form.dataset.icd + "?limit=20&q=" + encodeURIComponent(q)).then(function (rows) {
        list.textContent = "";
        rows.forEach(function (d) {
          found[d.code.toUpperCase()] = d;
          var o = el("option");
          o.value = d.code;
          // the Indonesian term in the label: the browser filters the list by what was typed
          o.label = d.code + " " + d.name + (d.term ? " (" + d.term + ")" : "");
          o.textContent = o.label;
          list.appendChild(o);
        });
        var exact = found[q.toUpperCase()];
        dxName.textContent = exact ? exact.code + " " + exact.name : (rows[0] ? "" : "?");
      }).catch(function () {});
    }, 200));

    var box = document.getElementById("recommendations");
    var sender = document.getElementById("f-sender");
    var refresh = debounce(function () {
      var service = document.getElementById("f-service").value;
      var bedClass = document.getElementById("f-bed-class").value;
      if (!sender || (!service && !bedClass)) return;
      var params = new URLSearchParams({
        sender: sender.value, service: service, bed_class: bedClass,
        payer: document.getElementById("f-payer").value,
        jkn_class: document.getElementById("f-jkn-class").value, limit: "8",
        urgency: document.getElementById("f-urgency").value,
        // only a code goes to the ranking; a typed word is not a diagnosis yet
        diagnosis: (document.getElementById("f-diagnosis").value.match(/^\s*([A-Za-z][0-9]{2}(\.[0-9]{1,2})?)/) || [, ""])[1]
      });
      var chosen = (form.querySelector("input[name=receiver]:checked") || {}).value;
      getJSON(form.dataset.recommend + "?" + params).then(function (rows) {
        box.textContent = "";
        if (!rows.length) box.appendChild(el("p", "muted", box.dataset.empty));
        rows.forEach(function (h, i) {
          var label = el("label", "rec" + (h.free_beds === 0 ? " no-bed" : ""));
          var input = el("input");
          input.type = "radio"; input.name = "receiver"; input.value = h.id;
          input.checked = chosen ? chosen === h.id : i === 0;
          label.appendChild(input);
          label.appendChild(el("b", "rec-name", h.name));
          label.appendChild(el("span", "rec-why", h.reason));
          if (h.answer_minutes !== null) label.appendChild(el("span", "", box.dataset.answer + " " + h.answer_minutes + " " + box.dataset.min));
          box.appendChild(label);
        });
      }).catch(function () {});
    }, 250);
    ["f-service", "f-bed-class", "f-payer", "f-jkn-class", "f-sender", "f-urgency", "f-diagnosis"].forEach(function (id) {
      var e = document.getElementById(id);
      if (e) e.addEventListener("change", refresh);
    });
    refresh();
  }

  // --- inbox ----------------------------------------------------------------------------
  var inbox = document.getElementById("inbox");
  if (inbox && inbox.dataset.status === "open") {
    var note = document.getElementById("inbox-updated");
    var body = inbox.querySelector("tbody");
    var detail = inbox.dataset.detail;
    var render = function (data) {
      body.textContent = "";
      if (!data.rows.length) {
        var tr = el("tr", "empty"), td = el("td", "muted", note.dataset.empty);
        td.colSpan = 6; tr.appendChild(td); body.appendChild(tr);
      }
      data.rows.forEach(function (r) {
        var tr = el("tr", "st-" + r.status);
        tr.dataset.id = r.id;
        var c1 = el("td"), a = el("a", "", r.number);
        a.href = detail.replace("00000000-0000-0000-0000-000000000000", r.id);
        c1.appendChild(a);
        if (r.urgency === "emergency") { c1.appendChild(document.createTextNode(" ")); c1.appendChild(el("span", "badge urgent", note.dataset.urgent)); }
        var c2 = el("td"), clock = el("span", "clock");
        clock.dataset.due = r.answer_due_at; c2.appendChild(clock);
        var c3 = el("td", "", r.patient_name + " "); c3.appendChild(el("small", "muted", r.patient_nik));
        var c4 = el("td"); c4.appendChild(el("b", "", r.diagnosis_code)); c4.appendChild(el("small", "", r.diagnosis_name));
        [c1, c2, c3, c4, el("td", "", r.sender_label), el("td", "", r.room_class_name || "-")].forEach(function (c) { tr.appendChild(c); });
        body.appendChild(tr);
      });
      var count = document.getElementById("count-open");
      if (count) count.textContent = data.counts.open;
      note.textContent = new Date(data.now).toLocaleTimeString();
      tick();
    };
    var poll = function () { getJSON(inbox.dataset.feed).then(render).catch(function () {}); };
    setInterval(poll, 15000);
  }
})();
