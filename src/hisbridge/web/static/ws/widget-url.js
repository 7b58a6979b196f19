/*
 * Build the signed URL of the hisbridge warning widget (/ws/warnings) on the HIS SERVER side.
 * Node.js (CommonJS). Never ship the shared secret to a browser: the HIS back-end builds the
 * URL and hands it to the doctor's page or C/S client.
 *
 *   const { widgetUrl } = require("./widget-url.js");
 *   widgetUrl("http://10.0.0.5:8700", { userId: "D001", deptCode: "A03" }, process.env.HISBRIDGE_WEB_SECRET);
 *
 * Algorithm v2 (same as hisbridge.web.signing; docs/security.md): drop empty parameters, add
 * exp = now + ttl (Unix seconds), percent-encode every key and value by RFC 3986, sort by key,
 * join "k=v" with "&", prefix "v2\n", sig = "v2." + hex HMAC-SHA256 of that string with the
 * secret; the query is then URL-encoded.
 */
"use strict";
const crypto = require("crypto");

function enc(text) {  // RFC 3986: encodeURIComponent leaves !'()* alone, the signer does not
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function canonical(params) {
  const pairs = Object.keys(params).filter((k) => k !== "sig").map((k) => [enc(k), enc(params[k])]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return "v2\n" + pairs.map(([k, v]) => k + "=" + v).join("&");
}

function signedQuery(params, secret, options) {
  const opts = options || {};
  const now = opts.now !== undefined ? opts.now : Math.floor(Date.now() / 1000);
  const ttl = opts.ttlSeconds !== undefined ? opts.ttlSeconds : 43200;
  const values = {};
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null) { values[k] = String(v); }
  }
  values.exp = String(Math.floor(now) + ttl);
  values.sig = "v2." + crypto.createHmac("sha256", secret).update(canonical(values), "utf8").digest("hex");
  return new URLSearchParams(values).toString();
}

function widgetUrl(gatewayBase, params, secret, options) {
  return gatewayBase.replace(/\/+$/, "") + "/ws/warnings?" + signedQuery(params, secret, options);
}

module.exports = { canonical, signedQuery, widgetUrl };
