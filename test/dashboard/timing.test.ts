/**
 * Worker-side task times (`WireBatch.timing`): only a batch that asks records them; the reply then
 * says which worker ran it, when each task started and ended, which failed (streamed ones too).
 */
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import type { FnRef } from "../../dist/core/protocol.js"
import { runBatch } from "../../dist/executors/worker/run-batch.js"

const inline = (source: string): FnRef => ({
  kind: "inline",
  id: createHash("sha256").update(source).digest("hex"),
  source,
  name: "f"
})

describe("timing", () => {
  it("is absent unless asked", async () => {
    const result = await runBatch({ fns: [inline("(x) => x + 1")], fn: [0, 0], args: [[1], [2]] })
    expect(result.timing).toBeUndefined()
  })

  it("gives each task's start, the batch's end, the failed tasks and the worker", async () => {
    const fns = [inline("(x) => { if (x === 2) throw new Error('two'); return x }")]
    const result = await runBatch({ fns, fn: [0, 0, 0], args: [[1], [2], [3]], timing: true })
    const timing = result.timing!
    expect(timing.at).toHaveLength(4)
    for (let i = 1; i < timing.at.length; i++) expect(timing.at[i]).toBeGreaterThanOrEqual(timing.at[i - 1])
    expect(timing.failed).toEqual([1])
    expect(timing.worker).toBe(`process ${process.pid}`) // this test's main thread
    expect(timing.origin).toBe(performance.timeOrigin)
    expect(timing.stats?.heapUsed).toBeGreaterThan(0)
  })
})
