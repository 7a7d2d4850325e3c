/**
 * The dashboard's pages as HTML: a static frame that `script.ts` fills in from the live feed or
 * the JSON endpoints. Every number and name is page text (tables and lists), the canvases only
 * draw what the text says, so screen readers and tests read the page. Every page links to the
 * others from its header.
 *
 * @internal
 */

/** `&`, `<`, `>`, `"` and `'` as entities. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c as "&"])

export const styles = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header a{color:#cfd8dc;text-decoration:none;margin-right:14px}header a[aria-current]{color:#fff;font-weight:600}
header h1{font-size:16px;margin:0 16px 0 0}
main{padding:12px 16px;display:grid;gap:16px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px}
h2{font-size:15px;margin:4px 0 8px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{padding:2px 10px 2px 0;text-align:left}th{font-weight:600;color:#555}
td.num,th.num{text-align:right}
.bar{display:inline-block;width:160px;height:10px;background:#eee;border-radius:3px;overflow:hidden;vertical-align:middle}
.bar span{display:block;height:100%;background:#43a047}
.bar span.err{background:#e53935}
canvas{width:100%;border:1px solid #eee;background:#fff}
ul.rows{list-style:none;padding:0;margin:4px 0;display:flex;gap:16px;flex-wrap:wrap;font-size:12px;color:#555}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
article.error{border-left:4px solid #e53935;padding:4px 10px;margin:8px 0;background:#fff}
article.error h3{font-size:14px;margin:0;font-family:monospace}
pre{white-space:pre-wrap;font-size:12px;background:#f5f5f5;padding:6px;max-height:240px;overflow:auto}
.muted{color:#777}
`

type PageName = "status" | "graph" | "errors"

const nav: ReadonlyArray<readonly [PageName | "json" | "metrics", string, string]> = [
  ["status", "/status", "Status"],
  ["graph", "/graph", "Graph"],
  ["errors", "/errors", "Errors"],
  ["json", "/json/status", "JSON"],
  ["metrics", "/metrics", "Metrics"]
]

/** The frame every page shares. */
function frame(page: PageName, label: string, body: string): string {
  const links = nav
    .map(([id, href, text]) => `<a href="${href}"${id === page ? ' aria-current="page"' : ""}>${text}</a>`)
    .join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>weft ${page} · ${escapeHtml(label)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${styles}</style></head>
<body data-page="${page}"><header><h1>weft · ${escapeHtml(label)}</h1><nav>${links}</nav>
<span id="connection" class="muted" role="status">connecting…</span></header>
<main>${body}</main><script src="/assets/dashboard.js"></script></body></html>`
}

/** The status page's sections, also used by the performance report. */
export const statusSections = `
<section aria-labelledby="h-summary"><h2 id="h-summary">Cluster</h2>
<table id="summary"><tbody></tbody></table></section>
<section aria-labelledby="h-stream"><h2 id="h-stream">Task stream</h2>
<p class="muted">One row per worker; each bar a task attempt, coloured by task name; gaps are idle time; a red outline marks a failed attempt.</p>
<canvas id="stream" width="1200" height="160" aria-describedby="stream-rows"></canvas>
<ul id="stream-rows" class="rows"></ul><ul id="legend" class="rows"></ul></section>
<section aria-labelledby="h-progress"><h2 id="h-progress">Progress</h2>
<table id="progress"><thead><tr><th>task</th><th></th><th class="num">done/total</th><th class="num">erred</th><th class="num">cancelled</th><th class="num">running</th><th class="num">mean</th><th class="num">max</th></tr></thead><tbody></tbody></table></section>
<section aria-labelledby="h-workers"><h2 id="h-workers">Workers</h2>
<table id="workers"><thead><tr><th>worker</th><th class="num">tasks</th><th class="num">busy (5 s)</th><th class="num">CPU</th><th class="num">heap</th><th class="num">RSS</th><th>last reply</th></tr></thead><tbody></tbody></table></section>`

/** `/status`: live task stream, progress, workers, counts. */
export const statusPage = (label: string): string => frame("status", label, statusSections)

/** `/graph`: held and running tasks, coloured by state. */
export const graphPage = (label: string): string =>
  frame(
    "graph",
    label,
    `<section aria-labelledby="h-graph"><h2 id="h-graph">Graph</h2><p id="graph-summary" role="status">loading…</p>
<canvas id="graph" width="1200" height="500"></canvas>
<table id="graph-nodes"><thead><tr><th>node</th><th>state</th><th class="num">tasks</th><th>by state</th></tr></thead><tbody></tbody></table></section>`
  )

/** `/errors`: each erred key, newest first. */
export const errorsPage = (label: string, token?: string): string =>
  frame(
    "errors",
    label,
    (token === undefined ? "" : `<meta name="weft-token" content="${escapeHtml(token)}">`) +
      `<section aria-labelledby="h-errors"><h2 id="h-errors">Errors</h2><p id="errors-summary" role="status">loading…</p><div id="errors"></div></section>`
  )
