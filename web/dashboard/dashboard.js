// The node's dashboard: polls health, readiness, the tree and the actors,
// and shows the live event stream. Same-origin calls only (see the
// Content-Security-Policy the bridge sends with these pages).
"use strict";

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, body };
}

function setStatus(id, ok, text) {
  const el = document.getElementById(id);
  el.textContent = text;
  el.className = ok ? "ok" : "bad";
}

// The bridge renders the tree as text (bsmctl tree prints the same).
async function getText(path) {
  const res = await fetch(path, { headers: { Accept: "text/plain" } });
  return { ok: res.ok, body: await res.text() };
}

async function refresh() {
  try {
    const health = await getJson("/healthz");
    setStatus("health", health.ok, health.ok
      ? `${health.body.node} ${health.body.version}, up ${health.body.uptime_s} s`
      : "unhealthy");
    const ready = await getJson("/readyz");
    setStatus("ready", ready.ok, ready.ok ? "ready" : ready.body.error.message);
    const tree = await getText("/v1/tree");
    if (tree.ok) document.getElementById("tree").textContent = tree.body;
    const actors = await getJson("/v1/actors");
    if (actors.ok) {
      const rows = actors.body.actors.map((a) => {
        const tr = document.createElement("tr");
        for (const value of [a.name, a.mailbox_depth]) {
          const td = document.createElement("td");
          td.textContent = value;
          tr.appendChild(td);
        }
        return tr;
      });
      document.getElementById("actors").replaceChildren(...rows);
    }
  } catch (err) {
    setStatus("health", false, "unreachable");
  }
}

function streamEvents() {
  const list = document.getElementById("events");
  const source = new EventSource("/v1/events?topic=%23");
  source.onmessage = (msg) => {
    const event = JSON.parse(msg.data);
    const li = document.createElement("li");
    li.textContent = `${event.time} ${event.topic} ${event.source} ${JSON.stringify(event.data)}`;
    list.prepend(li);
    while (list.children.length > 200) list.lastChild.remove();
  };
}

refresh();
setInterval(refresh, 3000);
streamEvents();
