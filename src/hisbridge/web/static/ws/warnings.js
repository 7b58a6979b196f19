/*
 * The workstation warning widget (/ws/warnings). ES5 only, no libraries: it must run in old
 * embedded browser controls. Live over server-sent events; where EventSource is missing it
 * polls the JSON API every few seconds instead.
 *
 * Warnings are listed newest first (the API pages oldest first). A warning addressed to a
 * colleague is marked "发给 张** 医生" and offers no 标记已读/去处理 (unless the hospital turned
 * on department handling); read/handled state shows who did it and when. Notices (outage, key
 * expiring, base_user not synced) form a small list ranked by the server.
 */
(function (window, document) {
  "use strict";
  var cfg = window.HisBridgeConfig || {};
  var api = "../api/v1/warnings";
  var POLL_MS = 5000;
  var lastSeq = 0;
  var byId = {};
  var order = [];
  var highLevels = cfg.highLevels || [];
  var typeLabels = cfg.typeLabels || {};
  var statusNotices = [];
  var popupMessage = null;
  var live = "实时";

  function $(id) { return document.getElementById(id); }
  function show(el, on) { el.className = el.className.replace(/\s*hb-hidden/g, "") + (on ? "" : " hb-hidden"); }
  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.appendChild(document.createTextNode(value == null ? "" : String(value)));
    return el;
  }
  function button(cls, label, onclick) {
    var b = text("button", "hb-btn " + cls, label);
    b.type = "button";
    b.onclick = onclick;
    return b;
  }
  function typeLabel(m) { return typeLabels[m.type] || m.type; }
  function isHigh(m) {
    for (var i = 0; i < highLevels.length; i++) { if (highLevels[i] === m.level) { return true; } }
    return false;
  }
  function isMine(m) { return !m.userId || m.userId === cfg.userId; }
  function canChange(m) { return isMine(m) || cfg.departmentHandling === true; }
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

  function renderNotices() {
    var all = (cfg.userNotices || []).concat(statusNotices);
    all.sort(function (a, b) { return a.rank - b.rank; });
    var list = $("hb-notices");
    list.innerHTML = "";
    for (var i = 0; i < all.length; i++) {
      var li = text("li", "hb-notice hb-notice-" + all[i].kind, all[i].text);
      li.setAttribute("data-kind", all[i].kind);
      list.appendChild(li);
    }
    show(list, all.length > 0);
  }
  function setError(message) { var el = $("hb-error"); el.innerHTML = ""; if (message) { el.appendChild(document.createTextNode(message)); } show(el, !!message); }
  function setConn(label) { var el = $("hb-conn"); el.innerHTML = ""; el.appendChild(document.createTextNode(label)); }
  function setStatus(status) {
    statusNotices = (status && status.notices) || [];
    setConn(status && !status.delayed ? live : "可能延迟");
    renderNotices();
  }

  function change(m, action) {
    request("POST", api + "/" + encodeURIComponent(m.id) + "/" + action + "?" + cfg.auth, function (status, body) {
      if (status === 200) { load(false); return; }
      setError((body && (body.desc || body.detail)) || "操作失败，请稍后重试。");
    });
  }
  function handle(m) {
    setError("");
    window.HisBridge.sso({ userId: cfg.userId, auth: cfg.auth, gateway: "..", msgId: m.id,
      onSuccess: function () { change(m, "handled"); },
      onError: function (message) { setError(message); } });
  }
  function copyVisit(m, input, note) {
    input.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    note.innerHTML = "";
    note.appendChild(document.createTextNode(ok ? "已复制" : "已选中，请按 Ctrl+C 复制"));
  }

  function who(id, name) { return name || id || ""; }
  function stateLine(m) {
    var parts = [];
    if (m.handled) { parts.push("已处理（" + who(m.handledBy, m.handledByName) + " " + m.handledAt + "）"); }
    else if (m.read) { parts.push("已读（" + who(m.readBy, m.readByName) + " " + m.readAt + "）"); }
    return parts.join(" ");
  }
  function visitBox(m) {
    var box = text("span", "hb-visit", "就诊号 ");
    var input = document.createElement("input");
    input.className = "hb-visit-no";
    input.readOnly = true;
    input.value = m.serialNumber;
    input.size = Math.max(8, m.serialNumber.length);
    var note = text("span", "hb-copied", "");
    box.appendChild(input);
    box.appendChild(button("hb-copy", "复制", function () { copyVisit(m, input, note); }));
    box.appendChild(note);
    return box;
  }
  function item(m) {
    var li = document.createElement("li");
    li.className = "hb-item" + (m.read ? " hb-read" : "") + (isHigh(m) ? " hb-high" : "") + (isMine(m) ? "" : " hb-others");
    li.setAttribute("data-id", m.id);
    var title = text("div", "hb-item-title", "");
    title.appendChild(text("span", "hb-tag" + (isHigh(m) ? " hb-tag-high" : ""), typeLabel(m)));
    if (!isMine(m)) { title.appendChild(text("span", "hb-to", "发给 " + who(m.userId, m.addresseeName) + " 医生")); }
    if (m.title !== typeLabel(m)) { title.appendChild(document.createTextNode(m.title)); }
    li.appendChild(title);
    li.appendChild(text("div", "hb-item-meta", (m.createTime || "") + (m.serialNumber ? "  就诊号 " + m.serialNumber : "")));
    li.appendChild(text("div", "hb-item-content", m.content));
    var state = stateLine(m);
    if (state) { li.appendChild(text("div", "hb-item-state", state)); }
    if (canChange(m)) {
      li.appendChild(button("hb-btn-go", "去处理", function () { handle(m); }));
      if (!cfg.deepLink && m.serialNumber) { li.appendChild(visitBox(m)); }
      if (!m.read) { li.appendChild(button("hb-mark-read", "标记已读", function () { change(m, "read"); })); }
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
  function wantsPopup(m) { return !m.read && isHigh(m) && canChange(m); }

  function add(m, live) {
    if (m.seq > lastSeq) { lastSeq = m.seq; }
    var known = !!byId[m.id];
    byId[m.id] = m;
    if (known) { return; }
    order.push(m.id);
    if (live && wantsPopup(m)) { popup(m); }
  }

  // Everything again (states change), or only what is new (``since``).
  function load(live, since) {
    var from = since ? "&since=" + lastSeq : "";
    request("GET", api + "?" + cfg.auth + from, function (status, body) {
      if (status !== 200 || !body) { setConn("离线，重试中"); setStatus({ delayed: true, notices: statusNotices }); return; }
      for (var i = 0; i < body.messages.length; i++) { add(body.messages[i], live); }
      setStatus(body.status);
      render();
    });
  }

  function connect() {
    if (!window.EventSource) {
      live = "定时刷新";
      setConn(live);
      window.setInterval(function () { load(true, true); }, POLL_MS);
      return;
    }
    var source = new window.EventSource(api + "/stream?" + cfg.auth + "&since=" + lastSeq);
    source.onerror = function () { setConn("重新连接中…"); };
    source.addEventListener("message", function (e) { add(JSON.parse(e.data), true); render(); });
    source.addEventListener("status", function (e) { setStatus(JSON.parse(e.data)); });
    source.addEventListener("resync", function () { load(true, true); });
  }

  function start() {
    renderNotices();
    $("hb-popup-ok").onclick = function () { if (popupMessage) { change(popupMessage, "read"); } closePopup(); };
    $("hb-popup-go").onclick = function () { closePopup(); if (popupMessage) { handle(popupMessage); } };
    request("GET", api + "?" + cfg.auth, function (status, body) {
      if (status === 200 && body) {
        var urgent = null;
        for (var i = 0; i < body.messages.length; i++) {
          add(body.messages[i], false);
          if (wantsPopup(body.messages[i])) { urgent = body.messages[i]; }
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
