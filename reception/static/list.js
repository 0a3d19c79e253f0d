// Conversation list: reads /api/conversations with the filter form's values and builds the
// table with textContent only, so nothing a patient typed can run as HTML.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var body = document.querySelector("#conversations tbody");
  var status = document.getElementById("status");

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  function render(conversations) {
    body.textContent = "";
    conversations.forEach(function (c) {
      var row = document.createElement("tr");
      row.className = "level-" + (c.triage_level || "none") + (c.reviewed ? " reviewed" : "");
      var started = cell(row, "");
      var link = document.createElement("a");
      link.href = "/conversations/" + encodeURIComponent(c.id);
      link.textContent = c.started_at ? c.started_at.slice(0, 16).replace("T", " ") : c.id;
      started.appendChild(link);
      cell(row, c.channel);
      cell(row, c.patient_name);
      cell(row, c.phone);
      cell(row, c.triage_level || "not assessed", "level");
      cell(row, c.red_flags.join(", "), c.red_flags.length ? "flag" : "");
      cell(row, [c.booking_status, c.booking_reference].filter(Boolean).join(" "));
      cell(row, [c.callback_status, c.callback_reference].filter(Boolean).join(" "));
      cell(row, c.reviewed ? "yes (" + c.reviewed_by + ")" : "no");
      cell(row, c.tags.join(", "));
      body.appendChild(row);
    });
  }

  function load() {
    var params = new URLSearchParams(new FormData(form));
    status.textContent = "Loading...";
    fetch("/api/conversations?" + params.toString(), {credentials: "same-origin"})
      .then(function (response) {
        if (response.status === 401) { window.location = "/login?next=/"; return null; }
        return response.json().then(function (data) {
          if (!response.ok) { throw new Error(data.error || response.statusText); }
          return data;
        });
      })
      .then(function (data) {
        if (!data) { return; }
        render(data.conversations);
        status.textContent = data.count + " conversation" + (data.count === 1 ? "" : "s") +
          ", emergencies and urgent first" +
          (data.conversations.length < data.count ?
            " (showing the first " + data.conversations.length + ": narrow the filters)" : "");
      })
      .catch(function (error) { status.textContent = "Could not load: " + error.message; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    history.replaceState(null, "", "/?" + new URLSearchParams(new FormData(form)).toString());
    load();
  });
  document.addEventListener("reception:alert", load);
  load();
})();
