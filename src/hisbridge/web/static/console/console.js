// hisbridge console: confirmations and live dashboard counters. No framework, no CDN.
(function () {
  "use strict";

  // <form data-confirm="..."> asks before it is sent.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // <div data-stream="/url">: server-sent events carry {cells: {"key": n}}; update [data-k=key].
  function live(holder) {
    var badge = document.querySelector("[data-live]");
    var source = new EventSource(holder.getAttribute("data-stream"));
    source.onopen = function () { if (badge) { badge.classList.add("on"); } };
    source.onerror = function () { if (badge) { badge.classList.remove("on"); } };
    source.addEventListener("expired", function () { source.close(); window.location.reload(); });
    source.onmessage = function (event) {
      var data = JSON.parse(event.data);
      Object.keys(data.cells).forEach(function (key) {
        document.querySelectorAll('[data-k="' + key + '"]').forEach(function (cell) {
          var text = String(data.cells[key]);
          if (cell.textContent !== text) { cell.textContent = text; cell.classList.add("changed"); }
        });
      });
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-stream]").forEach(live);
  });
})();
