/* Public SOS: the phone's position (geolocation) and number go to the PSC 119 queue. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sos-config").textContent);
  var t = JSON.parse(document.getElementById("sos-i18n").textContent);
  var form = document.getElementById("sos-form"), status = document.getElementById("sos-status");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!navigator.geolocation) { status.textContent = t.no_geo; return; }
    status.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      window.SigapEm.api("POST", config.api, {
        latitude: pos.coords.latitude, longitude: pos.coords.longitude,
        phone: document.getElementById("sos-phone").value.trim(),
        category: document.getElementById("sos-category").value,
        note: document.getElementById("sos-note").value
      }).then(function (r) { status.textContent = r.message + " (" + r.number + ")"; status.className = "msg ok"; })
        .catch(function (err) { status.textContent = err.message; status.className = "msg error"; });
    }, function () { status.textContent = t.no_geo; }, { enableHighAccuracy: true, timeout: 20000 });
  });
})();
