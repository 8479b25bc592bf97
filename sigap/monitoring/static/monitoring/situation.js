// The situation page's live refresh: polls the JSON endpoint and puts each figure's text
// into the element that carries its key (data-figure). No library, no CDN.
(function () {
  "use strict";
  var status = document.getElementById("situation-status");
  if (!status) { return; }
  var url = status.getAttribute("data-poll-url");
  var seconds = parseInt(status.getAttribute("data-poll-seconds"), 10) || 45;
  var updated = document.getElementById("situation-updated");

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function apply(texts) {
    var nodes = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < nodes.length; i++) {
      var key = nodes[i].getAttribute("data-figure");
      if (Object.prototype.hasOwnProperty.call(texts, key) && nodes[i].textContent !== texts[key]) {
        nodes[i].textContent = texts[key];
      }
    }
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (body) {
        apply(body.texts || {});
        status.classList.remove("failed");
        var now = new Date();
        updated.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes());
        updated.setAttribute("datetime", body.figures.generated_at);
      })
      .catch(function () {
        status.classList.add("failed");
        status.setAttribute("title", status.getAttribute("data-failed"));
      });
  }

  setInterval(refresh, seconds * 1000);
})();
