/**
 * Scenario 11: `close()` with 10,000 tasks pending.
 *
 * A fresh client of the usual two workers (threads; then child processes) gets `client.map` of
 * 10,000 tasks that each wait 60 s on a timer (so that the workers hold no core: the figure is
 * weft's, not a busy loop's competing with the main thread), 200 ms to send their first batches;
 * then every Future's `result()` is awaited and `close()` called. Measured from the call:
 * - the last `result()` rejecting with `ClientClosedError` (docs/failures.md quotes this row),
 *   and the CPU time this process spent until then (less sensitive to a loaded machine);
 * - `close()` resolving (the workers stopped).
 * There is no raw tinypool side: tinypool has nothing like it (`destroy()` rejects its queue, but
 * holds no results). `max(reps, 5)` runs, each on its own client (untimed start).
 */
import { Client, ClientClosedError } from "weft"
import { expect, stats } from "../measure.js"
import { workers } from "../pools.js"
import type { Scenario } from "../scenario.js"
import type { Row } from "../table.js"

const tasks = 10_000
const targetMs = 50

const nap = async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return ms
}

/** One run: the milliseconds from `close()` to the last rejection, and to `close()` resolving. */
async function closeOnce(
  isolation: "thread" | "process"
): Promise<{ lastRejectMs: number; cpuMs: number; closedMs: number }> {
  const client = await Client.local({ workers, isolation })
  await client.submit((x: number) => x + 1, 1).result()
  const futures = client.map(
    nap,
    Array.from({ length: tasks }, (_, i) => 60_000 + i)
  )
  await new Promise((resolve) => setTimeout(resolve, 200))
  let rejected = 0
  let last = 0
  let cpuMs = 0
  let cpuStart: NodeJS.CpuUsage | undefined
  const waiting = futures.map((future) =>
    future.result().then(
      () => expect(false, "a result() resolved after close()"),
      (error: unknown) => {
        expect(error instanceof ClientClosedError, `result() rejected with ${String(error)}`)
        if (++rejected === tasks) {
          last = performance.now()
          const cpu = process.cpuUsage(cpuStart)
          cpuMs = (cpu.user + cpu.system) / 1000
        }
      }
    )
  )
  cpuStart = process.cpuUsage()
  const start = performance.now()
  await client.close()
  const closedMs = performance.now() - start
  await Promise.all(waiting)
  expect(rejected === tasks, `${rejected} of ${tasks} results rejected`)
  return { lastRejectMs: last - start, cpuMs, closedMs }
}

export const closeScenario: Scenario = {
  id: "close",
  title: "10. close() with 10,000 tasks pending",
  async run({ reps, log }) {
    const rows: Row[] = []
    const data: Record<string, unknown> = {}
    for (const isolation of ["thread", "process"] as const) {
      const rejects: number[] = []
      const cpus: number[] = []
      const closes: number[] = []
      for (let i = 0; i < Math.max(reps, 5); i++) {
        const run = await closeOnce(isolation)
        rejects.push(run.lastRejectMs)
        cpus.push(run.cpuMs)
        closes.push(run.closedMs)
      }
      const reject = stats(rejects)
      const cpu = stats(cpus)
      const closed = stats(closes)
      log(
        `  ${isolation}: last rejection ${reject.median.toFixed(1)} ms, close() ${closed.median.toFixed(1)} ms (medians)`
      )
      rows.push(
        {
          scenario: `close() -> last of 10,000 result() rejects (${isolation === "thread" ? "threads" : "processes"})`,
          weft: `${reject.median.toFixed(1)} ms`,
          raw: "-",
          ratio: undefined,
          target: `< ${targetMs} ms`,
          met: reject.median < targetMs,
          check: `median ${reject.median.toFixed(1)} ms, best ${reject.best.toFixed(1)} ms, CPU ${cpu.median.toFixed(1)} ms`
        },
        {
          scenario: `close() resolves, workers stopped (${isolation === "thread" ? "threads" : "processes"})`,
          weft: `${closed.median.toFixed(1)} ms`,
          raw: "-",
          ratio: undefined,
          target: "-",
          met: undefined
        }
      )
      data[isolation] = { lastRejectMs: reject, cpuMsToLastReject: cpu, closeMs: closed }
    }
    return { rows, data: { tasks, targetMs, ...data } }
  }
}
