/* Operator page: -/+ steppers, changed rows highlighted, Enter saves its own row, and a
   confirmation before deleting a room. The forms work without this script. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.querySelectorAll("button.step").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = document.getElementById(btn.dataset.target);
      var value = parseInt(input.value, 10);
      value = (isNaN(value) ? 0 : value) + parseInt(btn.dataset.step, 10);
      input.value = String(Math.max(0, value));
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  document.querySelectorAll("tr[data-room]").forEach(function (row) {
    row.querySelectorAll("input[type=number]").forEach(function (input) {
      var original = input.value;
      input.addEventListener("input", function () {
        var dirty = Array.prototype.some.call(row.querySelectorAll("input[type=number]"), function (i) {
          return i.value !== i.defaultValue;
        });
        row.classList.toggle("dirty", dirty || input.value !== original);
      });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") {
          e.preventDefault();
          row.querySelector("button[name=save]").click();
        }
      });
    });
  });

  document.querySelectorAll("button[data-confirm]").forEach(function (btn) {
    btn.addEventListener("click", function (e) {
      if (!window.confirm(btn.dataset.confirm)) e.preventDefault();
    });
  });

  // a refused save: bring the failed row into view and put the cursor in it
  var failed = document.querySelector("tr.row-error");
  if (failed) {
    failed.scrollIntoView({ block: "center" });
    var first = failed.querySelector("input[type=number]");
    if (first) first.focus({ preventScroll: true });
  }

  var pick = document.getElementById("pick-rs");
  if (pick) pick.addEventListener("change", function () { pick.form.requestSubmit(); });
})();
