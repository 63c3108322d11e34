// Live updates by server-sent events (EventSource); the server renders every fragment.
"use strict";
(function () {
  function listen(url, handlers) {
    const source = new EventSource(url);
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (e) => handle(e.data, source));
    }
    return source;
  }
  const list = document.getElementById("deployments");
  if (list) {
    listen(list.dataset.live, {
      rows: (html) => { list.innerHTML = html; },
      drain: (html) => { document.getElementById("drain").outerHTML = html; },
    });
  }
  const events = document.getElementById("events");
  if (events && events.dataset.finished !== "yes") {
    const url = events.dataset.live + "?after=" + encodeURIComponent(events.dataset.after);
    listen(url, {
      "deployment-event": (html) => events.tBodies[0].insertAdjacentHTML("beforeend", html),
      steps: (html) => { document.getElementById("steps-box").innerHTML = html; },
      summary: (html) => { document.getElementById("summary").innerHTML = html; },
      end: (_, source) => { source.close(); events.dataset.finished = "yes"; },
    });
  }
})();
