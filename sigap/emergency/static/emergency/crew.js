/* Crew phone: the position goes with every status button and every 30 s while the page is open. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("crew-config").textContent);
  if (!config.unit || !navigator.geolocation) return;
  var lat = document.getElementById("f-lat"), lon = document.getElementById("f-lon");
  var status = document.getElementById("geo-status");
  var last = 0;
  function send(pos) {
    lat.value = pos.coords.latitude.toFixed(6); lon.value = pos.coords.longitude.toFixed(6);
    var now = Date.now();
    if (now - last < 30000) return;
    last = now;
    window.SigapEm.api("POST", config.api + "units/" + encodeURIComponent(config.unit) + "/position",
      { latitude: pos.coords.latitude, longitude: pos.coords.longitude })
      .then(function () {
        status.textContent = "";
        status.appendChild(window.SigapEm.line("span", "geo-sent", [{ icon: "pin" }, " " + lat.value + ", " + lon.value]));
      })
      .catch(function (e) { status.textContent = e.message; });
  }
  navigator.geolocation.watchPosition(send, function (e) { status.textContent = e.message; },
    { enableHighAccuracy: true, maximumAge: 15000, timeout: 20000 });
})();
