/**
 * The recorder's counters follow the task table: on random graphs with failures, cancels and
 * releases, its counts by state equal a count of the table, and no task name is left "running".
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Client, type Future } from "weft"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"
import { Recorder } from "../../dist/runtime/dashboard/recorder.js"
import { shownStates } from "../../dist/runtime/dashboard/types.js"
import { propertyRuns } from "../support/runs.js"

const ok = (x: number, ...inputs: number[]) => x + inputs.length
const bad = (x: number, ..._inputs: number[]) => {
  if (x % 2 === 0) throw new Error(`even ${x}`)
  return x
}

const op = fc.record({
  fn: fc.constantFrom("ok", "bad"),
  // Few values, so that keys recur: a key submitted again after a cancel gets a fresh record.
  x: fc.integer({ min: 0, max: 12 }),
  inputs: fc.array(fc.nat(), { maxLength: 3 }),
  after: fc.constantFrom("keep", "keep", "release", "cancel")
})

describe("Recorder", () => {
  it("counts tasks by state as the table does, whatever runs, fails, is cancelled or released", async () => {
    await using client = await Client.local({ workers: 0 })
    const engine = engineOf(client)
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const recorder = new Recorder(engine.scheduler.tasks())
        engine.monitor = recorder
        try {
          const futures: Future<number, unknown>[] = []
          for (const { fn, x, inputs, after } of ops) {
            const args = inputs.filter((i) => i < futures.length).map((i) => futures[i])
            const f = client.submit(fn === "ok" ? ok : bad, x, ...(args as never[])) as Future<number, unknown>
            futures.push(f)
            if (after === "cancel") await client.cancel(f)
          }
          await client.gather(futures, { errors: "skip" }).catch(() => undefined)
          for (const [i, { after }] of ops.entries()) if (after === "release") futures[i].release()
          const table: Record<string, number> = Object.fromEntries(shownStates.map((s) => [s, 0]))
          for (const task of engine.scheduler.tasks()) if (task.state in table) table[task.state]++
          expect(recorder.counts).toEqual(table)
          for (const row of recorder.names.values()) expect(row.processing).toBe(0)
          for (const f of futures) f.release()
        } finally {
          engine.monitor = undefined
        }
      }),
      { numRuns: propertyRuns(60) }
    )
  })
})
