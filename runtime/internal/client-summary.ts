/**
 * The one-line summary of a client, Dask's `<Client: ...>` repr: what `String(client)`,
 * `console.log(client)` and `util.inspect(client)` show, instead of the engine's internals.
 *
 * @internal
 */
import { totalmem } from "node:os"
import type { Engine } from "./engine.js"

/** How the client's cluster was started (what the engine does not know). */
export interface ClusterShape {
  /** `"thread"` or `"process"` for workers; `"in-process"` for `workers: 0` (and clients with no cluster). */
  readonly isolation: "thread" | "process" | "in-process"
  /** `memoryLimit` per worker, in bytes, when one was given. */
  readonly memoryLimitBytes: number | undefined
  /** A cluster on Redis (`Client.connect`): where (no credentials) and which queue. */
  readonly cluster?: { readonly redis: string; readonly queue: string }
}

/** Non-memory states in the order shown: from least to most advanced, then the ends. */
const shownStates = ["released", "waiting", "queued", "processing", "erred", "cancelled", "lost"] as const

/**
 * `<Client: 4 workers (threads), memory: 8.3 GB (this machine), tasks: 3 processing, 12 queued,
 * held results: 10>` (then `dashboard: http://127.0.0.1:8787/status` when it serves one), or `<Client: closed>`. Counting walks the task table once (O(tasks)).
 */
export function summarize(engine: Engine, shape: ClusterShape, dashboardLink?: string): string {
  if (engine.closed) return "<Client: closed>"
  const counts = new Map<string, number>()
  let held = 0
  for (const task of engine.scheduler.tasks()) {
    if (task.state === "memory") held++
    else counts.set(task.state, (counts.get(task.state) ?? 0) + 1)
  }
  const tasks = shownStates.filter((state) => counts.has(state)).map((state) => `${counts.get(state)} ${state}`)
  const parts = [
    cluster(engine.executor.workers, shape),
    shape.cluster !== undefined
      ? undefined
      : shape.memoryLimitBytes !== undefined
        ? `memory limit: ${formatBytes(shape.memoryLimitBytes)} per worker`
        : `memory: ${formatBytes(totalmem())} (this machine)`,
    `tasks: ${tasks.length > 0 ? tasks.join(", ") : "none pending"}`,
    `held results: ${held}`,
    ...(dashboardLink === undefined ? [] : [`dashboard: ${dashboardLink}`])
  ]
  return `<Client: ${parts.filter((part) => part !== undefined).join(", ")}>`
}

const cluster = (workers: number, shape: ClusterShape): string => {
  if (shape.cluster !== undefined) return `cluster at ${shape.cluster.redis} (queue ${shape.cluster.queue})`
  if (shape.isolation === "in-process") return "no workers (tasks run in this thread)"
  const noun = workers === 1 ? "worker" : "workers"
  return `${workers} ${noun} (${shape.isolation === "thread" ? "threads" : "processes"})`
}

/** Bytes in decimal units, as `memoryLimit` is given: "512 MB", "8.3 GB". */
export const formatBytes = (bytes: number): string => {
  const [unit, size] =
    bytes >= 1e9 ? ["GB", 1e9] : bytes >= 1e6 ? ["MB", 1e6] : bytes >= 1e3 ? ["kB", 1e3] : ["bytes", 1]
  const value = bytes / (size as number)
  return `${Number(value.toFixed(value >= 100 ? 0 : 1))} ${unit}`
}
