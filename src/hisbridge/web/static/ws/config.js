/*
 * Reads the page's configuration from its JSON block (no inline script, so the page's
 * Content-Security-Policy can forbid inline scripts). ES3: old embedded browsers run it.
 */
(function (window, document) {
  "use strict";
  var block = document.getElementById("hb-config");
  if (block && window.JSON) { window.HisBridgeConfig = window.JSON.parse(block.text || block.textContent); }
}(window, document));
