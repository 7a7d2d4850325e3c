/**
 * The pages' script, served as `/assets/dashboard.js` and inlined in performance reports. Plain
 * browser JavaScript (no build step, no dependency, works offline). It writes every number and
 * name as text with `textContent` (never HTML from data), and draws the task stream and the graph
 * on canvas from the same data.
 *
 * @internal
 */
export const pageScript = String.raw`(() => {
"use strict"
const page = document.body.dataset.page
const report = window.__weftReport
const $ = (id) => document.getElementById(id)
const el = (tag, text, cls) => {
  const e = document.createElement(tag)
  if (text !== undefined) e.textContent = String(text)
  if (cls) e.className = cls
  return e
}
const palette = ["#1f77b4","#ff7f0e","#2ca02c","#9467bd","#8c564b","#e377c2","#17becf","#bcbd22","#7f7f7f","#6b6ecf","#ad494a","#637939"]
const colorOf = (name) => { let h = 7; for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0; return palette[Math.abs(h) % palette.length] }
const stateColors = { waiting: "#bdbdbd", queued: "#90caf9", processing: "#fb8c00", memory: "#43a047", erred: "#e53935", cancelled: "#6d4c41", lost: "#000" }
const bytes = (b) => b === undefined || b === null ? "–" : b >= 1e9 ? (b / 1e9).toFixed(1) + " GB" : b >= 1e6 ? (b / 1e6).toFixed(1) + " MB" : b >= 1e3 ? (b / 1e3).toFixed(1) + " kB" : b + " B"
const ms = (v) => v < 1 ? Math.round(v * 1000) + " µs" : v < 1000 ? v.toFixed(1) + " ms" : (v / 1000).toFixed(2) + " s"
const cell = (text, num) => { const td = el("td", text); if (num) td.className = "num"; return td }
const fill = (tbody, rows) => { tbody.replaceChildren(...rows) }
const setConnection = (text) => { const c = $("connection"); if (c) c.textContent = text }

function renderSummary(s) {
  const body = $("summary").tBodies[0]
  const rows = [
    ["workers", s.cluster.workers + " (" + s.cluster.kind + ")"],
    ["worker deaths", s.cluster.deaths],
    ...Object.entries(s.counts).map(([state, n]) => [state, n]),
    ["held bytes (estimated)", bytes(s.heldBytes)],
    ["erred keys", s.errors]
  ]
  fill(body, rows.map(([k, v]) => { const tr = el("tr"); tr.dataset.row = k; tr.append(el("th", k), cell(v, true)); return tr }))
}

function renderProgress(s) {
  fill($("progress").tBodies[0], s.progress.map((p) => {
    const tr = el("tr"); tr.dataset.name = p.name
    const bar = el("span", undefined, "bar")
    const ok = el("span"); ok.style.width = (p.total ? (p.done / p.total) * 100 : 0) + "%"; ok.style.background = colorOf(p.name)
    const bad = el("span", undefined, "err"); bad.style.width = (p.total ? (p.erred / p.total) * 100 : 0) + "%"
    ok.style.float = bad.style.float = "left"; bar.append(ok, bad)
    const name = el("td"); const sw = el("span", undefined, "swatch"); sw.style.background = colorOf(p.name); name.append(sw, p.name)
    const barCell = el("td"); barCell.append(bar)
    const done = cell(p.done + "/" + p.total, true); done.className = "num done"
    tr.append(name, barCell, done, cell(p.erred, true), cell(p.cancelled, true), cell(p.processing, true),
      cell(p.timed ? ms(p.totalMs / p.timed) : "–", true), cell(p.timed ? ms(p.maxMs) : "–", true))
    return tr
  }))
}

function renderWorkers(s) {
  fill($("workers").tBodies[0], s.workers.map((w) => {
    const tr = el("tr"); tr.dataset.worker = w.name
    const ago = Math.max(0, (s.time - w.lastSeen) / 1000)
    tr.append(cell(w.name), cell(w.tasks, true), cell(w.busy + "%", true), cell(w.cpu === undefined || w.cpu === null ? "–" : w.cpu + "%", true),
      cell(bytes(w.heapUsed), true), cell(bytes(w.rss), true), cell(ago < 1 ? "now" : ago.toFixed(0) + " s ago"))
    return tr
  }))
}

// ---------------------------------------------------------------- task stream
const maxEvents = 50000
let events = []
function addEvents(list) {
  if (list.length === 0) return
  events = events.concat(list)
  if (events.length > maxEvents) events = events.slice(events.length - maxEvents)
}

function drawStream(windowMs) {
  const canvas = $("stream")
  if (!canvas || events.length === 0) return
  let end = -Infinity, first = Infinity
  for (const e of events) { if (e.end > end) end = e.end; if (e.start < first) first = e.start }
  const start = Math.max(first, end - windowMs)
  const span = Math.max(end - start, 1)
  const inWindow = events.filter((e) => e.end >= start)
  const workers = Array.from(new Set(inWindow.map((e) => e.worker))).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
  const rowH = Math.max(8, Math.min(28, Math.floor(300 / Math.max(1, workers.length))))
  canvas.height = workers.length * (rowH + 4) + 18
  const width = canvas.width = Math.max(300, canvas.clientWidth || 1200)
  const ctx = canvas.getContext("2d")
  ctx.clearRect(0, 0, width, canvas.height)
  const counts = new Map(workers.map((w) => [w, 0]))
  const names = new Set()
  for (const e of inWindow) {
    const row = workers.indexOf(e.worker)
    const x = ((e.start - start) / span) * width
    const w = Math.max(1, ((e.end - e.start) / span) * width)
    const y = row * (rowH + 4)
    ctx.fillStyle = colorOf(e.name)
    ctx.fillRect(x, y, w, rowH)
    if (e.failed) { ctx.strokeStyle = "#e53935"; ctx.lineWidth = 2; ctx.strokeRect(x, y + 1, Math.max(w, 3), rowH - 2) }
    counts.set(e.worker, counts.get(e.worker) + 1)
    names.add(e.name)
  }
  ctx.fillStyle = "#555"; ctx.font = "11px system-ui"
  ctx.fillText(ms(span) + " shown", 4, canvas.height - 4)
  fill($("stream-rows"), workers.map((w) => {
    const li = el("li", w + ": " + counts.get(w) + " tasks"); li.dataset.worker = w; li.dataset.bars = counts.get(w); return li
  }))
  fill($("legend"), Array.from(names).sort().map((n) => { const li = el("li"); const sw = el("span", undefined, "swatch"); sw.style.background = colorOf(n); li.append(sw, n); return li }))
}

function renderStatus(s, newEvents) {
  renderSummary(s); renderProgress(s); renderWorkers(s); addEvents(newEvents); drawStream(30000)
}

function liveStatus() {
  const source = new EventSource("/events")
  source.addEventListener("status", (m) => {
    const { status, events: list } = JSON.parse(m.data)
    setConnection("live · " + new Date(status.time).toLocaleTimeString())
    renderStatus(status, list)
  })
  source.onerror = () => setConnection("disconnected; retrying…")
}

// ---------------------------------------------------------------- errors
function renderErrors(list) {
  $("errors-summary").textContent = list.length === 0 ? "No erred tasks." : list.length + " erred key" + (list.length === 1 ? "" : "s") + ", newest first."
  fill($("errors"), list.map((e) => {
    const a = el("article", undefined, "error"); a.dataset.key = e.key
    const head = el("h3", e.key)
    const msg = el("p", e.error + ": " + e.message, "message")
    const meta = el("p", "task " + e.name + " · " + e.attempts + " attempt" + (e.attempts === 1 ? "" : "s") + " · " + new Date(e.time).toLocaleTimeString() + (e.cause ? " · because its input " + e.cause + " erred" : ""), "muted")
    a.append(head, msg, meta)
    if (token) { const b = el("button", "Retry " + e.key, "retry"); b.type = "button"; b.dataset.key = e.key; a.append(b) }
    if (e.stack) a.append(el("pre", e.stack))
    return a
  }))
}
// Actions are POST requests carrying this page's session token (the server refuses any other).
const token = document.querySelector('meta[name="weft-token"]')?.getAttribute("content")
async function act(action, keys) {
  const r = await fetch("/api/" + action, { method: "POST", headers: { "content-type": "application/json", "x-weft-token": token }, body: JSON.stringify({ keys }) })
  const body = await r.json()
  $("errors-summary").textContent = r.ok ? action + ": " + body.matched + " of " + keys.length + " key(s)" : "refused: " + body.error
}
if (token) document.addEventListener("click", (event) => {
  const b = event.target.closest && event.target.closest("button.retry")
  if (b) void act("retry", [b.dataset.key])
})
async function pollJson(path, render, everyMs) {
  for (;;) {
    try { const r = await fetch(path); render(await r.json()); setConnection("updated " + new Date().toLocaleTimeString()) }
    catch { setConnection("disconnected; retrying…") }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

// ---------------------------------------------------------------- graph
function layout(g) {
  const n = g.nodes.length, depth = new Array(n).fill(0), indeg = new Array(n).fill(0), out = Array.from({ length: n }, () => [])
  for (const [a, b] of g.edges) { out[a].push(b); indeg[b]++ }
  const queue = []; for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i)
  for (let q = 0; q < queue.length; q++) { const a = queue[q]; for (const b of out[a]) { depth[b] = Math.max(depth[b], depth[a] + 1); if (--indeg[b] === 0) queue.push(b) } }
  const columns = []; for (let i = 0; i < n; i++) (columns[depth[i]] ??= []).push(i)
  return { depth, columns }
}
function renderGraph(g) {
  $("graph-summary").textContent = g.tasks + " tasks" + (g.grouped ? " in " + g.nodes.length + " groups (grouped by task name above 2,000 tasks)" : "") + ", " + g.edges.length + " dependencies."
  const canvas = $("graph"), width = canvas.width = Math.max(300, canvas.clientWidth || 1200)
  const { columns } = layout(g)
  const tallest = Math.max(1, ...columns.map((c) => (c ? c.length : 0)))
  const height = canvas.height = Math.min(2000, Math.max(200, g.grouped ? tallest * 60 + 20 : tallest * 8 + 20))
  const pos = new Array(g.nodes.length)
  columns.forEach((col, d) => (col || []).forEach((i, k) => { pos[i] = [((d + 0.5) / columns.length) * width, ((k + 0.5) / col.length) * height] }))
  const ctx = canvas.getContext("2d"); ctx.clearRect(0, 0, width, height)
  ctx.strokeStyle = "rgba(0,0,0,0.25)"; ctx.lineWidth = 1; ctx.beginPath()
  for (const [a, b] of g.edges.slice(0, 20000)) { ctx.moveTo(pos[a][0], pos[a][1]); ctx.lineTo(pos[b][0], pos[b][1]) }
  ctx.stroke()
  ctx.font = "12px system-ui"
  g.nodes.forEach((node, i) => {
    ctx.fillStyle = stateColors[node.state] || "#999"
    if (g.grouped) { ctx.fillRect(pos[i][0] - 50, pos[i][1] - 14, 100, 28); ctx.fillStyle = "#fff"; ctx.fillText(node.name.slice(0, 14), pos[i][0] - 46, pos[i][1] + 4) }
    else { ctx.beginPath(); ctx.arc(pos[i][0], pos[i][1], 3, 0, 6.3); ctx.fill() }
  })
  fill($("graph-nodes").tBodies[0], g.nodes.slice(0, 2000).map((node) => {
    const tr = el("tr"); tr.dataset.node = node.id
    const states = node.states ? Object.entries(node.states).map(([k, v]) => k + " " + v).join(", ") : node.state
    tr.append(cell(node.id), cell(node.state), cell(node.count, true), cell(states)); return tr
  }))
}

// ---------------------------------------------------------------- report
function renderReport(r) {
  renderStatus(r.status, r.events)
  drawStream(Infinity)
  renderErrors(r.errors)
  setConnection("recorded " + new Date(r.status.time).toLocaleString())
}

if (report) renderReport(report)
else if (page === "status") liveStatus()
else if (page === "errors") pollJson("/json/errors", renderErrors, 1000)
else if (page === "graph") pollJson("/json/graph", renderGraph, 2000)
})()
`
