/* Public SOS: the phone's position (or, without it, a chosen kelurahan) and the call-back
   number go to the PSC 119 queue. One press = one incident: the page keeps one idempotency
   key, so a second press, a retry or a double tap answers the incident the first opened. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sos-config").textContent);
  var t = JSON.parse(document.getElementById("sos-i18n").textContent);
  var form = document.getElementById("sos-form"), status = document.getElementById("sos-status");
  var button = document.getElementById("sos-send");
  var placeBox = document.getElementById("sos-place-box"), place = document.getElementById("sos-place");
  var found = {}, sending = false;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var key = newKey();

  function say(text, cls) { status.textContent = text; status.className = "msg " + (cls || ""); }

  function body(extra) {
    var answers = {};
    document.querySelectorAll(".sos-q:checked").forEach(function (q) { answers[q.value] = true; });
    var b = {
      phone: document.getElementById("sos-phone").value.trim(),
      category: document.getElementById("sos-category").value,
      note: document.getElementById("sos-note").value,
      answers: answers,
      idempotency_key: key
    };
    Object.keys(extra).forEach(function (k) { b[k] = extra[k]; });
    return b;
  }

  function send(extra) {
    window.SigapEm.api("POST", config.api, body(extra))
      .then(function (r) { say(r.message + " (" + r.number + ")", r.out_of_area ? "warn" : "ok"); })
      .catch(function (err) { say(err.message, "error"); })
      .then(function () { sending = false; button.disabled = false; });
  }

  function withoutPosition() {
    var chosen = found[place.value.trim()];
    if (chosen) { send({ village_code: chosen.code }); return; }
    sending = false; button.disabled = false;
    placeBox.hidden = false;
    say(t.no_geo, "error");
    place.focus();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) return;  // a double tap while the first is on its way
    sending = true; button.disabled = true;
    var chosen = found[place.value.trim()];
    if (chosen) { send({ village_code: chosen.code }); return; }
    if (!navigator.geolocation) { withoutPosition(); return; }
    say(t.locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      send({ latitude: pos.coords.latitude, longitude: pos.coords.longitude });
    }, withoutPosition, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });

  // kelurahan search (public regions API) for a phone without position permission
  var timer = null;
  place.addEventListener("input", function () {
    var q = place.value.trim();
    clearTimeout(timer);
    if (found[q] || q.length < 2) return;
    timer = setTimeout(function () {
      window.SigapEm.kelurahanOptions(config.kelurahan_api + "?q=" + encodeURIComponent(q) + "&limit=10",
        document.getElementById("sos-place-options"), found)
        .then(function (labels) { if (labels.length === 1) place.value = labels[0]; })
        .catch(function () {});
    }, 200);
  });
})();
