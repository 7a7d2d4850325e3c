/**
 * Files of one run: `performanceReport` (a self-contained HTML page, as Dask's
 * `performance_report`: summary, task stream, per-name durations, errors; data and script inlined,
 * no network needed) and `timeline` (Chrome trace event JSON, which Perfetto and
 * chrome://tracing open: one track per worker, one slice per task attempt).
 *
 * @internal
 */
import { writeFile } from "node:fs/promises"
import { escapeHtml, statusSections, styles } from "./pages/html.js"
import { pageScript } from "./pages/script.js"
import type { ErrorEntry, StatusSnapshot, TaskEvent } from "./types.js"

/** What a report holds. */
export interface RunRecord {
  readonly title: string
  readonly status: StatusSnapshot
  readonly events: ReadonlyArray<TaskEvent>
  readonly errors: ReadonlyArray<ErrorEntry>
  /** Wall time of the run, ms. */
  readonly wallMs: number
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no `<!--`). */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029")

/** The performance report's HTML. */
export function reportHtml(run: RunRecord): string {
  const done = run.status.progress.reduce((sum, row) => sum + row.done, 0)
  const erred = run.status.progress.reduce((sum, row) => sum + row.erred, 0)
  const summary = `${done} tasks done, ${erred} erred, in ${(run.wallMs / 1000).toFixed(2)} s on ${run.status.cluster.workers} workers (${run.status.cluster.kind}); ${run.events.length} task attempts timed.`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>weft performance report · ${escapeHtml(run.title)}</title>
<style>${styles}</style></head>
<body data-page="report"><header><h1>weft performance report · ${escapeHtml(run.title)}</h1>
<span id="connection" class="muted"></span></header>
<main><section><h2>Summary</h2><p id="report-summary">${escapeHtml(summary)}</p></section>
${statusSections}
<section aria-labelledby="h-errors"><h2 id="h-errors">Errors</h2><p id="errors-summary"></p><div id="errors"></div></section>
</main>
<script>window.__weftReport = ${scriptJson(run)}</script>
<script>${pageScript.replace(/<\/script/gi, "<\\/script")}</script></body></html>`
}

/** Writes the performance report to `file`. */
export const writeReport = (file: string, run: RunRecord): Promise<void> => writeFile(file, reportHtml(run))

/** One event of the Chrome trace format (the JSON object form). */
interface TraceEvent {
  readonly name: string
  readonly ph: "X" | "M"
  readonly pid: number
  readonly tid: number
  readonly ts?: number
  readonly dur?: number
  readonly cat?: string
  readonly args?: Record<string, unknown>
}

/** Chrome trace JSON of `events`: times in µs from the first event, one thread per worker. */
export function chromeTrace(events: ReadonlyArray<TaskEvent>, title: string): string {
  const tids = new Map<string, number>()
  const origin = events.reduce((min, e) => Math.min(min, e.start), Infinity)
  const trace: TraceEvent[] = [{ name: "process_name", ph: "M", pid: 1, tid: 0, args: { name: title } }]
  for (const event of events) {
    let tid = tids.get(event.worker)
    if (tid === undefined) {
      tids.set(event.worker, (tid = tids.size + 1))
      trace.push({ name: "thread_name", ph: "M", pid: 1, tid, args: { name: event.worker } })
    }
    trace.push({
      name: event.name,
      cat: event.failed ? "task,failed" : "task",
      ph: "X",
      pid: 1,
      tid,
      ts: Math.round((event.start - origin) * 1000),
      dur: Math.max(0, Math.round((event.end - event.start) * 1000)),
      args: { key: event.key, failed: event.failed }
    })
  }
  return JSON.stringify({ traceEvents: trace, displayTimeUnit: "ms", otherData: { producer: "weft" } })
}
