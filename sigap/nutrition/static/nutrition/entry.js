/* Posyandu entry form: find a registered child by NIK or name while typing; pick one with
   the arrow keys/Enter or a click. The form works without this script (NIK match on save). */
(function () {
  "use strict";
  var nik = document.getElementById("f-nik");
  var child = document.getElementById("f-child");
  var hits = document.getElementById("child-hits");
  var posyandu = document.getElementById("f-posyandu");
  var fresh = document.getElementById("new-child");
  if (!nik || !hits) return;
  var timer = null;
  var current = [];

  function clearPick() {
    child.value = "";
    fresh.hidden = false;
  }

  function pick(c) {
    child.value = c.id;
    fresh.hidden = true;
    hits.textContent = "";
    var li = document.createElement("li");
    li.className = "picked";
    li.textContent = c.name + " · " + c.sex + " · " + c.birth_date + (c.nik ? " · " + c.nik : "");
    hits.appendChild(li);
    nik.value = c.name;
    document.getElementById("f-weight").focus();
  }

  function show(list) {
    current = list;
    hits.textContent = "";
    list.forEach(function (c, i) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "link child-option";
      b.textContent = (i + 1) + ". " + c.name + " · " + c.sex + " · " + c.birth_date + (c.nik ? " · " + c.nik : "");
      b.addEventListener("click", function () { pick(c); });
      li.appendChild(b);
      hits.appendChild(li);
    });
  }

  function search() {
    var q = nik.value.trim();
    if (q.length < 3) { show([]); return; }
    // a NIK is looked up whole (16 digits), never by its first digits
    if (/^[0-9]+$/.test(q) && q.length !== 16) { show([]); return; }
    var url = nik.dataset.search + "?q=" + encodeURIComponent(q) + "&posyandu=" + encodeURIComponent(posyandu.value);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(show)
      .catch(function () { show([]); });
  }

  nik.addEventListener("input", function () {
    clearPick();
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  nik.addEventListener("keydown", function (e) {
    // Enter picks the only (or first) match instead of submitting a half-filled form
    if (e.key === "Enter" && current.length && !child.value) {
      e.preventDefault();
      pick(current[0]);
    }
  });
  if (!child.value) nik.focus();
})();
