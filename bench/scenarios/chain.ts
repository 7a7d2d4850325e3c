/**
 * Scenario 2a: scheduler overhead on a chain of 10,000 tasks, each `inc` of the previous future.
 *
 * - weft: `f = client.submit(inc, f)` 10,000 times (all submitted at once), then `f.result()`.
 *   weft may fuse the chain: a worker computes a ready task's waiting dependents in the same batch,
 *   so the links need not each cross threads;
 * - weft, one link at a time: the same, but `await f.result()` after every submit, so that each
 *   link is a round trip of its own (what fusion cannot help: the next task is not known before
 *   the previous result is back). This is the per-round-trip overhead of the scheduler;
 * - raw tinypool (the executor baseline of both): `v = await pool.run(v)` 10,000 times in sequence.
 *
 * Overhead per task = (weft - baseline) / tasks. Target: under 10 µs per task.
 */
import type { Tinypool } from "tinypool"
import type { Client, Future } from "weft"
import { compare, expect, freshBase, type Side } from "../measure.js"
import { withBoth } from "../pools.js"
import type { Scenario } from "../scenario.js"
import { overheadRow } from "../table.js"

const tasks = 10_000

const inc = (x: number) => x + 1

const weftSide =
  (client: Client): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    let future: Future<number> = client.submit(inc, base)
    for (let i = 1; i < tasks; i++) future = client.submit(inc, future)
    const value = await future.result()
    const ms = performance.now() - start
    expect(value === base + tasks, `weft chain gave ${value}, expected ${base + tasks}`)
    future.release()
    return ms
  }

const stepwiseSide =
  (client: Client): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    let future: Future<number> = client.submit(inc, base)
    let value = await future.result()
    for (let i = 1; i < tasks; i++) {
      future = client.submit(inc, future)
      value = await future.result()
    }
    const ms = performance.now() - start
    expect(value === base + tasks, `weft stepwise chain gave ${value}, expected ${base + tasks}`)
    future.release()
    return ms
  }

const rawSide =
  (pool: Tinypool): Side =>
  async () => {
    const base = freshBase()
    const start = performance.now()
    let value = base
    for (let i = 0; i < tasks; i++) value = (await pool.run(value)) as number
    const ms = performance.now() - start
    expect(value === base + tasks, `tinypool chain gave ${value}, expected ${base + tasks}`)
    return ms
  }

export const chainScenario: Scenario = {
  id: "chain",
  title: "2a. chain of 10,000 dependent inc tasks",
  async run({ reps }) {
    const results = await withBoth((client, pool) =>
      compare(reps, { weft: weftSide(client), stepwise: stepwiseSide(client), raw: rawSide(pool) })
    )
    return {
      rows: [
        overheadRow(
          `chain of ${tasks / 1000}k inc (each needs the previous)`,
          results.weft.median,
          results.raw.median,
          tasks
        ),
        // Info, not the target (scheduler overhead, the row above): the latency of one
        // awaited round trip, which also pays a worker wake-up each time (see docs/benchmarks.md).
        {
          ...overheadRow(
            `chain of ${tasks / 1000}k inc, one link at a time (await each)`,
            results.stepwise.median,
            results.raw.median,
            tasks
          ),
          target: "- (latency per awaited round trip)",
          met: undefined
        }
      ],
      data: { tasks, ms: results }
    }
  }
}
