// Every signed-in page asks /api/alerts every few seconds, and tells staff at once about a
// new emergency, urgent conversation or call-back request: a banner, a sound and, once
// allowed, a desktop notification. Text is set with textContent only.
(function () {
  "use strict";
  var POLL_MS = 4000;
  var WHAT = {emergency: "Emergency", urgent: "Urgent: see a doctor today",
              callback: "Call-back requested"};
  var region = document.getElementById("alerts");
  var seen = {};
  var since = null;

  function beep() {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch (error) { /* no sound before the first click in some browsers */ }
  }

  function show(alert) {
    var item = document.createElement("p");
    item.className = "alert-item alert-" + alert.kind;
    var link = document.createElement("a");
    link.href = "/conversations/" + encodeURIComponent(alert.id);
    link.textContent = WHAT[alert.kind] + " on " + (alert.channel || "chat") +
      (alert.at ? " at " + alert.at.slice(11, 16) : "") + ": open the conversation";
    item.appendChild(link);
    region.insertBefore(item, region.firstChild);
    if (window.Notification && Notification.permission === "granted") {
      new Notification(WHAT[alert.kind], {body: "Open the reception page to see it."});
    }
  }

  function poll() {
    var query = since === null ? "" : "?since=" + encodeURIComponent(since);
    fetch("/api/alerts" + query, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var fresh = data.alerts.filter(function (a) {
          var key = a.id + " " + a.kind;
          var isNew = !seen[key];
          seen[key] = true;
          return isNew;
        });
        since = data.now;
        if (fresh.length) {
          fresh.reverse().forEach(show);
          beep();
          document.dispatchEvent(new CustomEvent("reception:alert"));
        }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  var ask = document.getElementById("allow-notifications");
  if (ask && window.Notification && Notification.permission === "default") {
    ask.hidden = false;
    ask.addEventListener("click", function () {
      Notification.requestPermission().then(function () { ask.hidden = true; });
    });
  }
  poll();
})();
