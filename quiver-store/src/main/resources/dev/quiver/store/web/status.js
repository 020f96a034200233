// The status page: polls /api/status once a second and redraws. Each figure's exact value is also in its
// data-value attribute (what the page's test compares with `quiver stats --json`).
"use strict";

const POLL_MILLIS = 1000;
const HISTORY = 300; // points kept for the chart: five minutes at one a second
const COLORS = { w: "#8e44ad", p: "#d35400", e: "#27ae60", d: "#7f8c8d", ".": "#ecf0f1" };

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}

function figure(id, value, text) {
  const el = document.getElementById(id);
  el.dataset.value = String(value);
  el.textContent = text;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function fill(tableId, rows, columns, empty) {
  const body = document.querySelector("#" + tableId + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const td = body.insertRow().insertCell();
    td.colSpan = columns;
    td.className = "none";
    td.textContent = empty;
  }
  return body;
}

function drawArena(map) {
  const canvas = document.getElementById("arena");
  const ctx = canvas.getContext("2d");
  const perRow = 128, rows = Math.ceil(map.length / perRow);
  const w = canvas.width / perRow, h = canvas.height / rows;
  for (let i = 0; i < map.length; i++) {
    ctx.fillStyle = COLORS[map[i]] || "#000";
    ctx.fillRect((i % perRow) * w, Math.floor(i / perRow) * h, Math.ceil(w) - 0.5, Math.ceil(h) - 0.5);
  }
}

const history = new Chart(document.getElementById("history"), {
  type: "line",
  data: { labels: [], datasets: [
    { label: "pinned", data: [], borderColor: COLORS.p, backgroundColor: COLORS.p + "99", fill: true, pointRadius: 0 },
    { label: "evictable", data: [], borderColor: COLORS.e, backgroundColor: COLORS.e + "99", fill: true, pointRadius: 0 },
  ] },
  options: {
    animation: false, maintainAspectRatio: false,
    scales: { x: { ticks: { maxTicksLimit: 6 } }, y: { stacked: true, beginAtZero: true, ticks: { callback: bytes } } },
    plugins: { tooltip: { callbacks: { label: c => c.dataset.label + ": " + bytes(c.parsed.y) } } },
  },
});

function render(s) {
  const objects = s.createdObjects + s.sealedObjects + s.deletePendingObjects;
  figure("capacity", s.capacity, bytes(s.capacity));
  figure("used", s.used, bytes(s.used) + " (" + (100 * s.used / s.capacity).toFixed(1) + "%)");
  figure("pinned", s.pinned, bytes(s.pinned));
  figure("evictable", s.evictable, bytes(s.evictable));
  figure("free", s.free, bytes(s.free));
  figure("objects", objects, objects.toLocaleString());
  figure("clients", s.clients, String(s.clients));
  figure("evictedObjects", s.evictedObjects, s.evictedObjects + " (" + bytes(s.evictedBytes) + ")");
  figure("waiting", s.waitingGets + s.waitingCreates, s.waitingGets + " / " + s.waitingCreates);
  figure("busy", s.busyRatio, (100 * s.busyRatio).toFixed(1) + "%");
  drawArena(s.arenaMap);

  const t = new Date(s.takenAtMillis).toLocaleTimeString();
  history.data.labels.push(t);
  history.data.datasets[0].data.push(s.pinned);
  history.data.datasets[1].data.push(s.evictable);
  if (history.data.labels.length > HISTORY) {
    history.data.labels.shift();
    history.data.datasets.forEach(d => d.data.shift());
  }
  history.update();

  let body = fill("clientTable", s.clientList, 8, "no clients connected");
  for (const c of s.clientList) {
    const r = body.insertRow();
    r.dataset.client = String(c.id);
    cell(r, String(c.id)); cell(r, c.name); cell(r, String(c.pid), "num");
    cell(r, String(c.references), "num"); cell(r, String(c.objects), "num");
    cell(r, bytes(c.bytesHeld), "num"); cell(r, String(c.writing), "num");
    cell(r, c.waitingGets + c.waitingCreates + (c.subscriber ? " (subscribed)" : ""), "num");
    r.cells[5].dataset.value = String(c.bytesHeld);
  }
  body = fill("objectTable", s.biggestObjects, 5, "no objects");
  for (const o of s.biggestObjects) {
    const r = body.insertRow();
    cell(r, o.id, "id"); cell(r, bytes(o.bytes), "num"); cell(r, o.state);
    cell(r, String(o.references), "num"); cell(r, o.shelfKey || "");
  }
  body = fill("shelfTable", s.shelf, 4, "no keys on the shelf");
  for (const k of s.shelf) {
    const r = body.insertRow();
    r.dataset.key = k.key;
    cell(r, k.key); cell(r, String(k.version), "num"); cell(r, k.rows.toLocaleString(), "num");
    cell(r, bytes(k.bytes), "num");
  }
  body = fill("streamTable", s.streams, 6, "no streams");
  for (const st of s.streams) {
    const r = body.insertRow();
    r.dataset.stream = st.name;
    cell(r, st.name); cell(r, st.writerAlive ? "open" : "none");
    cell(r, st.nextSeq < 0 ? "?" : st.nextSeq.toLocaleString(), "num"); cell(r, String(st.segments), "num");
    cell(r, bytes(st.logBytes), "num"); cell(r, String(st.readers.length), "num");
  }
  const readers = s.streams.flatMap(st => st.readers.map(rd => ({ stream: st.name, ...rd })));
  body = fill("readerTable", readers, 7, "no readers");
  for (const rd of readers) {
    const r = body.insertRow();
    r.dataset.stream = rd.stream;
    r.dataset.reader = rd.id;
    cell(r, rd.stream); cell(r, rd.id, "id"); cell(r, String(rd.pid), "num");
    cell(r, rd.nextSeq.toLocaleString(), "num");
    cell(r, rd.lagBatches < 0 ? "?" : rd.lagBatches.toLocaleString(), "num");
    cell(r, bytes(rd.lagBytes), "num");
    cell(r, rd.lostBatches === 0 ? "0" : rd.lostBatches.toLocaleString() + " in " + rd.losses, "num");
    r.cells[4].dataset.value = String(rd.lagBatches);
    r.cells[5].dataset.value = String(rd.lagBytes);
    r.cells[6].dataset.value = String(rd.lostBatches);
  }
  const updated = document.getElementById("updated");
  updated.className = "";
  updated.dataset.taken = String(s.takenAtMillis);
  updated.textContent = "updated " + t + " · " + objects + " objects · refreshes every second";
}

async function poll() {
  try {
    const response = await fetch("api/status", { cache: "no-store" });
    if (!response.ok) throw new Error(response.status + " " + (await response.text()));
    render(await response.json());
  } catch (e) {
    const updated = document.getElementById("updated");
    updated.className = "stale";
    updated.textContent = "cannot reach the store (" + e.message + "); the figures below are old; retrying";
  } finally {
    setTimeout(poll, POLL_MILLIS);
  }
}
poll();
