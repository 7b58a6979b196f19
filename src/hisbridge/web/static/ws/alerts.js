/*
 * The workstation warning widget (/ws/alerts). ES5 only, no libraries: it must run in old
 * embedded browser controls. Live over server-sent events; where EventSource is missing it
 * polls the JSON API every few seconds instead.
 */
(function (window, document) {
  "use strict";
  var cfg = window.HisBridgeConfig || {};
  var api = "../api/v1/messages";
  var POLL_MS = 5000;
  var lastSeq = 0;
  var byId = {};
  var order = [];
  var highLevels = cfg.highLevels || [];
  var typeLabels = cfg.typeLabels || {};
  var popupMessage = null;

  function $(id) { return document.getElementById(id); }
  function show(el, on) { el.className = el.className.replace(/\s*hb-hidden/g, "") + (on ? "" : " hb-hidden"); }
  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.appendChild(document.createTextNode(value == null ? "" : String(value)));
    return el;
  }
  function typeLabel(m) { return typeLabels[m.type] || m.type; }
  function isHigh(m) {
    for (var i = 0; i < highLevels.length; i++) { if (highLevels[i] === m.level) { return true; } }
    return false;
  }
  function request(method, url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) { return; }
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      done(xhr.status, body);
    };
    xhr.send(null);
  }

  function setNotice(message) { var el = $("hb-notice"); el.innerHTML = ""; if (message) { el.appendChild(document.createTextNode(message)); } show(el, !!message); }
  function setError(message) { var el = $("hb-error"); el.innerHTML = ""; if (message) { el.appendChild(document.createTextNode(message)); } show(el, !!message); }
  function setConn(label) { var el = $("hb-conn"); el.innerHTML = ""; el.appendChild(document.createTextNode(label)); }
  function setStatus(status) {
    if (cfg.knownUser === false) { return; }
    setNotice(status && status.delayed ? "前置软件暂时无法连接，预警消息可能延迟，恢复后将按顺序补齐。" : "");
  }

  function handle(m) {
    setError("");
    window.HisBridge.sso({ userId: cfg.userId, auth: cfg.auth, gateway: "..", patientId: m.patientId,
      onError: function (message) { setError(message); } });
  }
  function markRead(m) {
    request("POST", api + "/" + encodeURIComponent(m.id) + "/read?" + cfg.auth, function (status) {
      if (status === 200) { m.read = true; render(); }
    });
  }

  function item(m) {
    var li = document.createElement("li");
    li.className = "hb-item" + (m.read ? " hb-read" : "") + (isHigh(m) ? " hb-high" : "");
    li.setAttribute("data-id", m.id);
    var title = text("div", "hb-item-title", "");
    title.appendChild(text("span", "hb-tag" + (isHigh(m) ? " hb-tag-high" : ""), typeLabel(m)));
    if (m.title !== typeLabel(m)) { title.appendChild(document.createTextNode(m.title)); }
    li.appendChild(title);
    li.appendChild(text("div", "hb-item-meta", (m.createTime || "") + (m.serialNumber ? "  就诊号 " + m.serialNumber : "") + (m.read ? "  已读" : "")));
    li.appendChild(text("div", "hb-item-content", m.content));
    var go = text("button", "hb-btn hb-btn-go", "去处理");
    go.type = "button";
    go.onclick = function () { handle(m); };
    li.appendChild(go);
    if (!m.read) {
      var ok = text("button", "hb-btn hb-mark-read", "标记已读");
      ok.type = "button";
      ok.onclick = function () { markRead(m); };
      li.appendChild(ok);
    }
    return li;
  }
  function render() {
    var list = $("hb-list");
    list.innerHTML = "";
    for (var i = order.length - 1; i >= 0; i--) { list.appendChild(item(byId[order[i]])); }
    show($("hb-empty"), order.length === 0);
  }

  function popup(m) {
    popupMessage = m;
    $("hb-popup-title").innerHTML = "";
    var heading = m.title === typeLabel(m) ? m.title : "【" + typeLabel(m) + "】" + m.title;
    $("hb-popup-title").appendChild(document.createTextNode(heading));
    $("hb-popup-content").innerHTML = "";
    $("hb-popup-content").appendChild(document.createTextNode(m.content));
    show($("hb-popup"), true);
    show($("hb-mask"), true);
  }
  function closePopup() { show($("hb-popup"), false); show($("hb-mask"), false); }

  function add(m, live) {
    if (m.seq > lastSeq) { lastSeq = m.seq; }
    if (byId[m.id]) { return; }
    byId[m.id] = m;
    order.push(m.id);
    if (live && !m.read && isHigh(m)) { popup(m); }
  }

  function load(live) {
    request("GET", api + "?" + cfg.auth + "&since=" + lastSeq, function (status, body) {
      if (status !== 200 || !body) { setConn("离线，重试中"); setStatus({ delayed: true }); return; }
      for (var i = 0; i < body.messages.length; i++) { add(body.messages[i], live); }
      setStatus(body.status);
      render();
    });
  }

  function connect() {
    if (!window.EventSource) {
      setConn("定时刷新");
      window.setInterval(function () { load(true); }, POLL_MS);
      return;
    }
    var source = new window.EventSource(api + "/stream?" + cfg.auth + "&since=" + lastSeq);
    source.onopen = function () { setConn("实时"); };
    source.onerror = function () { setConn("重新连接中…"); };
    source.addEventListener("message", function (e) { add(JSON.parse(e.data), true); render(); });
    source.addEventListener("status", function (e) { setStatus(JSON.parse(e.data)); });
    source.addEventListener("resync", function () { load(true); });
  }

  function start() {
    if (cfg.knownUser === false) {
      setNotice("该医生的用户信息尚未同步到前置软件（base_user），暂时收不到预警，也无法单点登录；请联系信息科。");
    }
    $("hb-popup-ok").onclick = function () { if (popupMessage) { markRead(popupMessage); } closePopup(); };
    $("hb-popup-go").onclick = function () { closePopup(); if (popupMessage) { handle(popupMessage); } };
    request("GET", api + "?" + cfg.auth, function (status, body) {
      if (status === 200 && body) {
        var urgent = null;
        for (var i = 0; i < body.messages.length; i++) {
          add(body.messages[i], false);
          if (!body.messages[i].read && isHigh(body.messages[i])) { urgent = body.messages[i]; }
        }
        if (urgent) { popup(urgent); }  // the newest unread high-level warning, once
        setStatus(body.status);
      } else {
        setConn("离线");
      }
      render();
      connect();
    });
  }
  start();
})(window, document);
