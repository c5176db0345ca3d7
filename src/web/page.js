// devtrack's status page: live updates from /api/events and the open
// prompt's buttons. No framework; the page reads fine without it.
"use strict";
(function () {
  var WRITE = { "X-Devtrack": "1", "Content-Type": "application/json" };

  // The text at `url`, or null when it failed or a later request for the
  // same `key` was made meanwhile (an older answer arriving late is
  // dropped: the later one shows a later state).
  var latest = {};
  function fetchLatest(key, url) {
    var n = (latest[key] || 0) + 1;
    latest[key] = n;
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok || latest[key] !== n) { return null; }
      return r.text().then(function (t) { return latest[key] === n ? t : null; });
    });
  }

  function swap(id, url) {
    return fetchLatest(id, url).then(function (html) {
      if (html === null) { return; }
      var old = document.getElementById(id);
      var t = document.createElement("template");
      t.innerHTML = html;
      var fresh = t.content.firstElementChild;
      if (old && fresh) { keepResult(old, fresh); old.replaceWith(fresh); }
    });
  }

  // The header's counts, from the timeline as it now is.
  function summary() {
    var p = document.getElementById("summary");
    var svg = document.getElementById("timeline");
    if (!p || !svg) { return; }
    function n(selector) { return svg.querySelectorAll(selector).length; }
    function count(k, one) { return k + " " + one + (k === 1 ? "" : "s"); }
    p.textContent = p.getAttribute("data-date") + ": " +
      count(n("g.lane[data-repo] circle.commit"), "commit") + ", " +
      count(n("g.prompt"), "prompt") + " (" + n("g.prompt[data-outcome=answered]") + " answered)";
  }

  // Today's standup again (`/api/report` without `since` is today).
  function standup() {
    return fetchLatest("standup", "/api/report?format=text").then(function (text) {
      var pre = document.querySelector("#standup pre");
      if (text !== null && pre) { pre.textContent = text.replace(/\s+$/, ""); }
    });
  }

  // The last write's result outlives the open prompt's section: an answer
  // or a skip replaces it (here, and again on the prompt's event).
  function keepResult(old, fresh) {
    var was = old.querySelector("#write-result");
    var now = fresh.querySelector("#write-result");
    if (was && now && was.hasAttribute("data-result")) {
      now.textContent = was.textContent;
      now.setAttribute("data-result", was.getAttribute("data-result"));
    }
  }

  function timeline() {
    return Promise.all([
      swap("timeline", "/fragment/timeline").then(summary), standup(), swap("week", "/fragment/week")
    ]);
  }
  function prompt() { return swap("open-prompt", "/fragment/prompt").then(bind); }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: WRITE,
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        return Promise.all([timeline(), prompt()]).then(function () {
          var out = document.getElementById("write-result");
          if (out) {
            out.textContent = (r.ok ? "" : "Refused: ") + (j.message || j.error || (r.ok ? "Done." : r.status));
            out.setAttribute("data-result", r.ok ? "done" : "refused");
          }
        });
      });
    });
  }

  function on(id, handler) {
    var form = document.getElementById(id);
    if (form) {
      form.addEventListener("submit", function (e) { e.preventDefault(); handler(form); });
    }
  }

  function bind() {
    on("answer-form", function (form) {
      var id = Number(form.getAttribute("data-prompt"));
      post("/api/answer", { text: form.querySelector("textarea").value, prompt: id || undefined });
    });
    on("snooze-form", function () { post("/api/snooze", {}); });
    on("skip-form", function () { post("/api/skip", {}); });
  }

  var TIMELINE = ["commit", "rebase", "paused", "resumed", "skipped", "prompt"];
  document.addEventListener("DOMContentLoaded", function () {
    bind();
    if (window.EventSource) {
      var root = document.documentElement;
      var events = new EventSource("/api/events");
      // Subscribed once the stream's headers are in (the daemon subscribes
      // before it answers); EventSource reconnects after an error.
      events.onopen = function () { root.setAttribute("data-live", "on"); };
      events.onerror = function () { root.setAttribute("data-live", "off"); };
      events.onmessage = function (e) {
        var ev;
        try { ev = JSON.parse(e.data); } catch (x) { return; }
        if (TIMELINE.indexOf(ev.event) >= 0) { timeline(); }
        if (ev.event === "prompt" || ev.event === "skipped") { prompt(); }
      };
    }
  });
})();
