/**
 * Worker-side task times for the dashboard (`WireBatch.timing`): which worker ran a batch, when
 * each task started, and now and then the worker's memory and CPU. Only batches that ask for it
 * pay anything: one `performance.now()` per task, and one report of resources per 500 ms.
 *
 * @internal
 */
import { isMainThread, threadId } from "node:worker_threads"
import { getHeapStatistics } from "node:v8"
import type { BatchTiming, WorkerStats } from "../../core/protocol.js"

/** Resources are reported at most this often per worker (ms). */
const statsEveryMs = 500

let lastStatsAt = -Infinity
let lastCpu: NodeJS.CpuUsage | undefined
let lastElu: ReturnType<typeof performance.eventLoopUtilization> | undefined
let lastWall = 0

/** This worker's name on the task stream (the in-process executor renames its own `"in-process"`). */
const workerName = (): string => (isMainThread ? `process ${process.pid}` : `thread ${threadId}`)

/** Heap, RSS and CPU now; CPU over the time since the previous report. */
function stats(now: number): WorkerStats {
  let cpu: number
  if (isMainThread) {
    // A child process (or the client's thread): CPU time of the whole process.
    const usage = process.cpuUsage()
    const wall = now - lastWall
    // The first report covers the time since the process started.
    const since = lastCpu ?? { user: 0, system: 0 }
    const span = lastCpu === undefined ? process.uptime() * 1000 : wall
    cpu = span <= 0 ? 0 : ((usage.user - since.user + usage.system - since.system) / 1000 / span) * 100
    lastCpu = usage
  } else {
    // A worker thread: process.cpuUsage() counts every thread, so report how busy its event loop was.
    const elu = performance.eventLoopUtilization()
    // The first report covers the time since the thread started.
    cpu = (lastElu === undefined ? elu : performance.eventLoopUtilization(elu, lastElu)).utilization * 100
    lastElu = elu
  }
  lastWall = now
  return { heapUsed: getHeapStatistics().used_heap_size, rss: process.memoryUsage.rss(), cpu: Math.round(cpu) }
}

/**
 * The `timing` of a reply: `at` as recorded by the batch loop (task starts, then the end),
 * `failed` every failed index (streamed ones included).
 */
export function batchTiming(at: number[], failed: ReadonlyArray<number>): BatchTiming {
  const now = at[at.length - 1]
  const due = now - lastStatsAt >= statsEveryMs
  if (due) lastStatsAt = now
  return {
    worker: workerName(),
    origin: performance.timeOrigin,
    at,
    failed: failed.slice(),
    ...(due ? { stats: stats(now) } : {})
  }
}
