// devtrack's status page: live updates from /api/events and the open
// prompt's buttons. No framework; the page reads fine without it.
"use strict";
(function () {
  var WRITE = { "X-Devtrack": "1", "Content-Type": "application/json" };

  function swap(id, url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { return; }
      return r.text().then(function (html) {
        var old = document.getElementById(id);
        var t = document.createElement("template");
        t.innerHTML = html;
        var fresh = t.content.firstElementChild;
        if (old && fresh) { old.replaceWith(fresh); }
      });
    });
  }

  function timeline() { return swap("timeline", "/fragment/timeline"); }
  function prompt() { return swap("open-prompt", "/fragment/prompt").then(bind); }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: WRITE,
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        return Promise.all([timeline(), prompt()]).then(function () {
          var out = document.getElementById("write-result");
          if (out) { out.textContent = (r.ok ? "" : "Refused: ") + (j.message || j.error || ""); }
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
      var events = new EventSource("/api/events");
      events.onmessage = function (e) {
        var ev;
        try { ev = JSON.parse(e.data); } catch (x) { return; }
        if (TIMELINE.indexOf(ev.event) >= 0) { timeline(); }
        if (ev.event === "prompt" || ev.event === "skipped") { prompt(); }
      };
    }
  });
})();
