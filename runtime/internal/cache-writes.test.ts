/**
 * The cache's run times come from the batch's `timing` (task i ran from at[i] to at[i + 1]); a
 * success streamed before its batch ended is written once the batch lands, with its own time.
 */
import { describe, expect, it } from "vitest"
import { fc, test } from "@fast-check/vitest"
import type { ResultCache } from "../../cache/result-cache.js"
import type { BatchTiming } from "../../core/protocol.js"
import { CacheWrites } from "./cache-writes.js"
import type { Flight, TaskRecordOf } from "./task-record.js"

const setUp = (n: number) => {
  const written: Array<{ task: TaskRecordOf; value: unknown; ms: number }> = []
  const cache = {
    succeeded: (task: TaskRecordOf, value: unknown, ms: number) => void written.push({ task, value, ms })
  } as unknown as ResultCache<TaskRecordOf>
  const tasks = Array.from({ length: n }, (_, i) => ({ key: `t${i}` }) as unknown as TaskRecordOf)
  const flight = { tasks } as unknown as Flight
  const writes = new CacheWrites(cache)
  writes.sent(flight)
  return { written, tasks, flight, writes }
}

const timingOf = (at: number[]): BatchTiming => ({ worker: "thread 1", origin: 0, at, failed: [] })

describe("CacheWrites", () => {
  test.prop([fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 20 }), fc.nat()])(
    "gives each task its own time from the timing, streamed or not",
    (steps, split) => {
      const n = steps.length
      const at = [0]
      for (const step of steps) at.push(at[at.length - 1] + step)
      const streamedCount = split % n
      const { written, tasks, flight, writes } = setUp(n)
      for (let i = 0; i < streamedCount; i++) writes.succeeded(flight, i, tasks[i], i, undefined)
      // Nothing streamed is written before the batch lands: its time is not known yet.
      expect(written).toEqual([])
      const landed = { timing: timingOf(at), elapsedMs: at[n] }
      writes.landed(flight, landed)
      for (let i = streamedCount; i < n; i++) writes.succeeded(flight, i, tasks[i], i, landed)
      expect(written.map((w) => w.value)).toEqual(tasks.map((_, i) => i))
      for (const w of written) expect(w.ms).toBe(at[(w.value as number) + 1] - at[w.value as number])
    }
  )

  it("without timing, uses the batch's average; after a crash, a finite time measured on the client", () => {
    const a = setUp(4)
    const landed = { elapsedMs: 40 }
    a.writes.landed(a.flight, landed)
    a.writes.succeeded(a.flight, 0, a.tasks[0], "x", landed)
    expect(a.written[0].ms).toBe(10)

    const b = setUp(3)
    b.writes.succeeded(b.flight, 1, b.tasks[1], "y", undefined)
    b.writes.crashed(b.flight)
    expect(b.written).toHaveLength(1)
    expect(b.written[0].value).toBe("y")
    expect(Number.isFinite(b.written[0].ms)).toBe(true)
  })
})
