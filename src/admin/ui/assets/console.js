// partnercentral-local web console: the only script. Elements with a data-live attribute
// are refreshed from that URL (same origin, the session cookie) every second; the server
// renders (and escapes) the HTML. An update that would disturb the keyboard focus waits.
"use strict";
(function () {
  var paused = false;

  function refresh(el) {
    if (paused || document.hidden) return;
    if (el.contains(document.activeElement) && document.activeElement !== document.body) return;
    fetch(el.getAttribute("data-live"), { credentials: "same-origin", cache: "no-store" })
      .then(function (resp) {
        if (!resp.ok) throw new Error(resp.status === 401 ? "Signed out: reload the page." : "HTTP " + resp.status);
        return resp.text();
      })
      .then(function (text) {
        if (el.getAttribute("data-last") !== text) {
          el.innerHTML = text;
          el.setAttribute("data-last", text);
        }
        status("");
      })
      .catch(function (err) { status("Updates stopped: " + err.message); });
  }

  function status(text) {
    var s = document.getElementById("live-status");
    if (!s) return;
    if (text) { s.textContent = text; }
    else { s.textContent = paused ? "Updates paused." : "Updates every second."; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
    live.forEach(function (el) { el.setAttribute("data-last", el.innerHTML); });
    if (live.length) {
      setInterval(function () { live.forEach(refresh); }, 1000);
    }
    var toggle = document.getElementById("live-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        paused = !paused;
        toggle.setAttribute("aria-pressed", paused ? "true" : "false");
        toggle.textContent = paused ? "Resume updates" : "Pause updates";
        status("");
      });
    }
  });
})();
