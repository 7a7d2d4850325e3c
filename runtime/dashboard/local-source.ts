/**
 * The dashboard's source for a client's own cluster (`Client.local`): the engine's task table
 * and a `Recorder` attached to it. Every call drains the recorder first, so what it says is as
 * fresh as the last batch that came back.
 *
 * @internal
 */
import type { Engine } from "../internal/engine.js"
import { busyPercent, Recorder } from "./recorder.js"
import { groupedGraph, taskGraph } from "./graph-data.js"
import type { DashboardAction, DashboardSource, ErrorEntry, GraphSnapshot, StatusSnapshot, TaskEvent } from "./types.js"

const isFinal = (state: string): boolean => state === "memory" || state === "erred" || state === "cancelled"

/** Above this many tasks the graph page shows task names, not tasks (Dask caps its graph at 5,000). */
export const groupAbove = 2_000

/** A `DashboardSource` over one engine. */
export class LocalSource implements DashboardSource {
  readonly label = "local cluster"

  constructor(
    readonly engine: Engine,
    readonly recorder: Recorder,
    readonly kind: string
  ) {}

  status(): StatusSnapshot {
    const recorder = this.recorder
    recorder.drain()
    const now = Date.now()
    return {
      time: now,
      cluster: { workers: this.engine.executor.workers, kind: this.kind, deaths: recorder.deaths },
      counts: { ...recorder.counts },
      heldBytes: Math.round(recorder.heldBytes),
      progress: Array.from(recorder.names, ([name, n]) => ({
        name,
        total: n.total,
        done: n.done,
        erred: n.erred,
        cancelled: n.cancelled,
        processing: n.processing,
        timed: n.timed,
        totalMs: n.totalMs,
        maxMs: n.maxMs
      })).filter((row) => row.total > 0),
      workers: Array.from(recorder.workers, ([name, w]) => ({
        name,
        tasks: w.tasks,
        busy: busyPercent(w, now),
        heapUsed: w.heapUsed,
        rss: w.rss,
        cpu: w.cpu,
        lastSeen: w.lastSeen
      })).sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })),
      lastSeq: recorder.events.pushed,
      dropped: recorder.dropped,
      errors: recorder.errorCount
    }
  }

  events(since: number, limit: number): ReadonlyArray<TaskEvent> {
    this.recorder.drain()
    return this.recorder.events.since(since, limit)
  }

  errors(limit: number): ReadonlyArray<ErrorEntry> {
    return this.recorder.errors(limit)
  }

  act(action: DashboardAction, keys: ReadonlyArray<string>): number {
    const scheduler = this.engine.scheduler
    const found = keys.map((key) => scheduler.get(key)).filter((task) => task !== undefined)
    const records = found.filter((task) => (action === "retry" ? task.state === "erred" : !isFinal(task.state)))
    if (records.length === 0) return 0
    if (action === "retry") this.engine.retry(records)
    else this.engine.cancel(records, "cancelled from the dashboard")
    return records.length
  }

  graph(): GraphSnapshot {
    const scheduler = this.engine.scheduler
    return scheduler.size > groupAbove ? groupedGraph(scheduler.tasks()) : taskGraph(scheduler.tasks())
  }
}
