/*
 * hisbridge SSO SDK: HisBridge.sso({userId: "..."}) signs the doctor on to the front-end client
 * on this PC (国家传染病智能监测预警前置软件客户端).
 *
 * 1. asks the gateway (POST /api/v1/sso/prepare, with the page's signed query) whether the doctor
 *    can sign on; the gateway checks the doctor's base_user row was delivered and only then hands
 *    out the licence and the client's paths;
 * 2. calls the client on this PC: GET {secretKeyPath}?license=  then  GET {ssoPath}?secretKey=&userId=;
 * 3. opens the session URL the client returns.
 * Errors are shown in Chinese (opts.onError(message, problem) or an alert).
 *
 * Options: userId (required), auth (the signed query "userId=..&deptCode=..&exp=..&sig=..";
 * default HisBridgeConfig.auth of a /ws page), gateway (default: where this file came from),
 * target ("_blank" default, or "_self"), msgId (the warning acted on: with the gateway's
 * interaction.client.deep_link_template set, opens that patient's visit in the client instead
 * of its start page), onError, onSuccess(url).
 * ES3/ES5 only (XMLHttpRequest, no Promise, no fetch) so old embedded browsers run it.
 */
(function (window) {
  "use strict";
  var HisBridge = window.HisBridge || {};
  var scriptBase = (function () {
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      var src = scripts[i].src || "";
      var at = src.indexOf("/ws/sso.js");
      if (at >= 0) { return src.substring(0, at); }
    }
    return "";
  })();
  var FALLBACK = {
    client_not_running: "未检测到本机的前置软件客户端，请确认客户端已启动后重试。",
    gateway_unreachable: "无法连接 hisbridge 网关，请稍后重试或联系信息科。",
    sso_refused: "前置软件客户端拒绝登录",
    licence_refused: "前置软件客户端拒绝了机构授权码，请联系信息科核对授权码。"
  };

  function request(method, url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.timeout = 10000;
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) { return; }
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      done(xhr.status, body);
    };
    xhr.ontimeout = function () { /* onreadystatechange reports status 0 */ };
    xhr.send(null);
  }

  function query(params) {
    var parts = [];
    for (var k in params) {
      if (Object.prototype.hasOwnProperty.call(params, k)) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
      }
    }
    return parts.join("&");
  }

  function sso(opts) {
    opts = opts || {};
    var config = window.HisBridgeConfig || {};
    var auth = opts.auth || config.auth || "";
    var gateway = opts.gateway !== undefined ? opts.gateway : scriptBase;
    var problems = FALLBACK;
    var win = null;
    function fail(problem, detail) {
      say((problems[problem] || FALLBACK[problem] || problem) + (detail ? "：" + detail : ""), problem);
    }
    function say(message, problem) {
      if (win && !win.closed) { win.close(); }
      if (opts.onError) { opts.onError(message, problem); } else { window.alert(message); }
    }
    if (!opts.userId) { fail("sso_refused", "缺少医生工号 userId"); return; }
    if ((opts.target || "_blank") === "_blank") {
      // Opened during the click, so popup blockers let it through; filled in when ready.
      win = window.open("", "_blank");
      if (win && win.document) { win.document.title = "正在登录前置软件…"; }
    }
    var about = opts.msgId ? "&msgId=" + encodeURIComponent(opts.msgId) : "";
    request("POST", gateway + "/api/v1/sso/prepare?" + auth + about, function (status, ready) {
      if (!ready) { fail("gateway_unreachable"); return; }
      if (ready.problems) { problems = ready.problems; }
      if (ready.result !== true) { say(ready.desc || FALLBACK.sso_refused, ready.problem); return; }
      var c = ready.client, keyQuery = {};
      keyQuery[c.licenseParam] = ready.license;
      request("GET", c.baseUrl + c.secretKeyPath + "?" + query(keyQuery), function (s1, key) {
        if (!key) { fail("client_not_running"); return; }
        if (key.result !== true || !key[c.secretKeyField]) { fail("licence_refused", key.desc); return; }
        var ssoQuery = {};
        ssoQuery[c.secretKeyParam] = key[c.secretKeyField];
        ssoQuery[c.userParam] = opts.userId;
        request("GET", c.baseUrl + c.ssoPath + "?" + query(ssoQuery), function (s2, session) {
          if (!session) { fail("client_not_running"); return; }
          if (session.result !== true) { fail("sso_refused", session.desc); return; }
          var url = session[c.urlField];
          if (ready.deepLink && url) { url = ready.deepLink.split("{session_url}").join(url); }
          if (opts.onSuccess) { opts.onSuccess(url); }
          if (win && !win.closed) { win.location.href = url; } else if (url) { window.location.href = url; }
        });
      });
    });
  }

  HisBridge.sso = sso;
  window.HisBridge = HisBridge;
})(window);
