// 院外健康档案 viewer: authorization panel with live status (polling), timeline, detail panel.
// Every call carries the page's signed query string; the server checks it again each time.
(function () {
  "use strict";
  var qs = window.location.search;
  var state = JSON.parse(document.getElementById("initial-state").textContent);
  var pollTimer = null;
  var records = document.getElementById("records");
  var recheckMs = 1000 * ((records && parseInt(records.getAttribute("data-recheck-s"), 10)) || 30);
  var timelineLoaded = false;

  function $(id) { return document.getElementById(id); }
  function show(el, on) { if (el) { el.hidden = !on; } }
  function say(text, bad) {
    var m = $("message");
    if (m) { m.textContent = text || ""; m.className = bad ? "message bad" : "message"; }
  }

  function call(method, action, body) {
    var url = "/ws/shared/api/" + action + qs;
    var opts = { method: method, headers: { "Content-Type": "application/json" } };
    if (body) { opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }

  function render(next) {
    state = next;
    var c = state.consent;
    $("status").textContent = state.statusText + (c && c.status === "PENDING" ? "(" + state.channelText + ")" : "");
    $("status").className = "status " + (c ? c.status.toLowerCase() : "none");
    if (!state.encounterKnown) { return; }
    var granted = c && c.status === "GRANTED";
    show($("auth-panel"), !granted);
    show($("records"), granted);
    var pending = c && c.status === "PENDING";
    show($("pending-app"), pending && (c.channel === "APP" || c.channel === "BOOKING"));
    show($("sms-form"), pending && c.channel === "SMS");
    var codePending = pending && c.channel === "AUTH_CODE";
    show($("code-pushed"), codePending);
    if (codePending) { show($("code-form"), true); }
    show($("cancel"), pending);
    if (pending && c.channel === "SMS") {
      $("sms-phone").textContent = (c.channelInfo && c.channelInfo.phoneMasked) || "";
    }
    if (c && !pending && !granted) { say(state.statusText + ",可重新选择授权方式。", true); }
    if (granted && !timelineLoaded) { loadTimeline(); }
    if (!granted) {  // no grant, no data: drop whatever was shown before
      timelineLoaded = false;
      $("timeline").innerHTML = "";
      $("detail").innerHTML = "";
    }
    schedulePoll(pending);
  }

  // While a request is pending: every 3 s. While granted: every recheck interval, so that an
  // idle open page also stops showing records once the patient revokes (or the grant ends).
  function schedulePoll(pending) {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    var granted = state.consent && state.consent.status === "GRANTED";
    if (pending) { pollTimer = setTimeout(refresh, 3000); }
    else if (granted) { pollTimer = setTimeout(refresh, recheckMs); }
  }

  function refresh() {
    call("GET", "state").then(function (r) { if (r.ok) { render(r.data); } else { say(r.data.error, true); } });
  }

  function act(action, body) {
    say("");
    return call("POST", action, body).then(function (r) {
      if (r.ok) { render(r.data); } else { say(r.data.error || "操作失败", true); }
      return r;
    });
  }

  function loadTimeline() {
    timelineLoaded = true;
    fetch("/ws/shared/api/timeline" + qs).then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
      .then(function (r) {
        $("timeline").innerHTML = r.text;
        if (!r.ok) { timelineLoaded = false; refresh(); }
        applyFilters();
      });
  }

  function openDoc(docId) {
    fetch("/ws/shared/api/doc/" + encodeURIComponent(docId) + qs)
      .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
      .then(function (r) {
        $("detail").innerHTML = r.text;
        if (!r.ok) { refresh(); }
      });
  }

  function applyFilters() {
    var wanted = {};
    Array.prototype.forEach.call(document.querySelectorAll("input.cat"), function (box) { wanted[box.value] = box.checked; });
    var from = $("from").value, to = $("to").value;
    Array.prototype.forEach.call(document.querySelectorAll("#timeline .item"), function (li) {
      var d = li.getAttribute("data-date");
      var on = wanted[li.getAttribute("data-category")] && (!from || d >= from) && (!to || d <= to);
      li.hidden = !on;
    });
    Array.prototype.forEach.call(document.querySelectorAll("#timeline .group"), function (g) {
      g.hidden = !wanted[g.getAttribute("data-category")];
    });
  }

  function wire() {
    if (!state.encounterKnown) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-channel]"), function (b) {
      b.addEventListener("click", function () {
        var channel = b.getAttribute("data-channel");
        show($("code-form"), channel === "AUTH_CODE");
        if (channel === "AUTH_CODE") { $("auth-code").focus(); return; }
        act("apply", { channel: channel });
      });
    });
    $("sms-form").addEventListener("submit", function (e) {
      e.preventDefault();
      act("sms", { code: $("sms-code").value }).then(function () { $("sms-code").value = ""; });
    });
    $("sms-resend").addEventListener("click", function () { act("sms", { resend: true }); });
    $("code-form").addEventListener("submit", function (e) {
      e.preventDefault();
      act("redeem", { code: $("auth-code").value }).then(function (r) { if (r.ok) { show($("code-form"), false); } });
    });
    $("code-push").addEventListener("click", function () { act("apply", { channel: "AUTH_CODE" }); });
    $("cancel").addEventListener("click", function () { act("cancel"); });
    $("timeline").addEventListener("click", function (e) {
      var a = e.target.closest("a[data-doc]");
      if (a) { e.preventDefault(); openDoc(a.getAttribute("data-doc")); }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".filters input"), function (i) {
      i.addEventListener("change", applyFilters);
    });
  }

  wire();
  render(state);
})();
