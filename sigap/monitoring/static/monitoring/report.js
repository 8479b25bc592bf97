// The period picker shows only the inputs of the chosen kind of period.
(function () {
  const kind = document.getElementById("f-periode");
  if (!kind) return;
  function show() {
    document.querySelectorAll("#report-pick [data-kind]").forEach(function (el) {
      const on = el.dataset.kind === kind.value;
      el.hidden = !on;
      el.querySelectorAll("input").forEach(function (i) { i.disabled = !on; });
    });
  }
  kind.addEventListener("change", show);
  show();
})();
