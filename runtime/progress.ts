/**
 * `progress`: one bar per task name while Futures complete (spec section 7).
 *
 * @module
 */
import { engineOfFuture, recordOf } from "./internal/client-engine.js"
import { rejectUnknownOptions } from "../core/options.js"
import { describeGot } from "../core/duration.js"
import type { Future } from "./Future.js"
import { allFutures } from "./internal/gather.js"
import type { TaskRecordOf } from "./internal/task-record.js"

/** Options of `progress`. */
export interface ProgressOptions {
  /** Where to draw; default `process.stdout`. */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Milliseconds between redraws: default 100 on a terminal, 1000 otherwise. */
  readonly interval?: number
}

interface Group {
  readonly name: string
  total: number
  done: number
  errors: number
  cancelled: number
  /** Done without running: the result cache had them (`Client.local({ cache })`). */
  cached?: number
}

const barWidth = 30

/** One line of the display: `inc  [##########----------]  10/20  2 errors  1.3 s`. */
export function progressLine(group: Group, nameWidth: number, elapsedMs: number): string {
  const settled = group.done + group.errors + group.cancelled
  const filled = group.total === 0 ? barWidth : Math.round((settled / group.total) * barWidth)
  const bar = "#".repeat(filled) + "-".repeat(barWidth - filled)
  const percent = group.total === 0 ? 100 : Math.floor((settled / group.total) * 100)
  const extra = [
    group.errors > 0 ? `${group.errors} error${group.errors === 1 ? "" : "s"}` : "",
    group.cancelled > 0 ? `${group.cancelled} cancelled` : "",
    (group.cached ?? 0) > 0 ? `${group.cached} cached` : ""
  ]
    .filter(Boolean)
    .join(", ")
  return `${group.name.padEnd(nameWidth)} [${bar}] ${String(percent).padStart(3)}% ${settled}/${group.total}${extra ? `  ${extra}` : ""}  ${(elapsedMs / 1000).toFixed(1)} s`
}

/**
 * Draws one live bar per task name (`inc`, `add`, ...) with done/total, errors and elapsed time,
 * redrawn in place on a terminal and as plain periodic lines otherwise. Resolves when every
 * Future in `futures` is done (a Future, or arrays and plain objects of them at any depth: the
 * Futures `gather` would wait for); failed tasks show as errors and never make it reject.
 */
export function progress(futures: unknown, options: ProgressOptions = {}): Promise<void> {
  rejectUnknownOptions(options, ["stream", "interval"], "progress")
  const stream = options.stream ?? process.stdout
  const tty = stream.isTTY === true
  const interval = options.interval ?? (tty ? 100 : 1000)
  if (!(interval > 0) || !Number.isFinite(interval))
    throw new TypeError(`progress: interval must be a positive number of milliseconds, got ${describeGot(interval)}.`)
  // The same Futures as gather would wait for: arrays and plain objects at any depth, nothing inside a Set or Map.
  const list = allFutures(futures)

  const started = performance.now()
  const groups = new Map<string, Group>()
  const records = new Map<TaskRecordOf, Future<unknown, unknown>>()
  for (const future of list) {
    const record = recordOf(future)
    if (records.has(record)) continue
    records.set(record, future)
    const name = record.name
    let group = groups.get(name)
    if (group === undefined) groups.set(name, (group = { name, total: 0, done: 0, errors: 0, cancelled: 0 }))
    group.total++
  }
  const nameWidth = Math.max(0, ...[...groups.keys()].map((n) => n.length))
  let drawnLines = 0

  const draw = (final: boolean) => {
    const elapsed = performance.now() - started
    const lines = [...groups.values()].map((g) => progressLine(g, nameWidth, elapsed))
    if (tty) {
      // Move up over the previous drawing and redraw it in place.
      const up = drawnLines > 0 ? `\x1b[${drawnLines}F` : ""
      stream.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(""))
      drawnLines = lines.length
    } else if (final || lines.length > 0) {
      stream.write(lines.map((l) => `${final ? "done" : "    "} ${l}\n`).join(""))
    }
  }

  return new Promise<void>((resolve) => {
    let remaining = 0
    let timer: NodeJS.Timeout | undefined
    const finish = () => {
      if (timer !== undefined) clearInterval(timer)
      draw(true)
      resolve()
    }
    const settled = (task: TaskRecordOf) => {
      const group = groups.get(task.name)!
      if (task.state === "memory") {
        group.done++
        if (task.payload.cache?.hit === true) group.cached = (group.cached ?? 0) + 1
      } else if (task.state === "erred") group.errors++
      else group.cancelled++
      if (--remaining === 0) finish()
    }
    // One extra count held while registering: records that are already settled call back at once.
    remaining = records.size + 1
    for (const [record, future] of records) engineOfFuture(future).whenSettled(record, settled)
    if (--remaining === 0) {
      finish()
      return
    }
    draw(false)
    timer = setInterval(() => draw(false), interval)
    // The drawing alone must not keep the process alive.
    timer.unref()
  })
}
