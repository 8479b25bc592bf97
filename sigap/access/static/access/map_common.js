/* What the access map and the planning maps share: the travel-time band of a kelurahan and
   a popup built from text nodes (names come from the data, never as HTML). */
window.SigapAccessMap = (function () {
  "use strict";
  function band(minutes) {
    if (minutes === null) return "t-none";
    if (minutes <= 15) return "t-15";
    if (minutes <= 30) return "t-30";
    if (minutes <= 60) return "t-60";
    return "t-over";
  }
  function popup(title, lines) {
    var div = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = title;
    div.appendChild(strong);
    lines.forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      div.appendChild(line);
    });
    return div;
  }
  return { band: band, popup: popup };
})();
