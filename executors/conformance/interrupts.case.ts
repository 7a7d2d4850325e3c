/**
 * Conformance cases: `interrupt` stops one task attempt inside its worker.
 *
 * Test code: excluded from the build (`*.case.ts`), never in `dist/`.
 */
import { existsSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { BatchAbort } from "../executor.js"
import {
  batchOf,
  encodedOf,
  fileAppears,
  freshMarker,
  idsFor,
  inline,
  itNeeds,
  registered,
  rejectionOf,
  valueOf,
  type Suite
} from "./support.case.js"

/** Conformance cases: `interrupt` stops one task attempt inside its worker. */
export function interruptCases(suite: Suite): void {
  const run = suite.run
  it("has interrupt() exactly when it does not skip the interrupt cases", () => {
    if (suite.skip.interrupt !== undefined) {
      // Without it, cancelling a running task falls back to stopping its worker.
      expect(suite.executor.interrupt).toBeUndefined()
    } else expect(suite.executor.interrupt).toBeTypeOf("function")
  })

  describe("interrupt", () => {
    const it = itNeeds(suite, "interrupt")
    const tasks = "interrupt-tasks.ts"

    it("interrupts a running Effect task: its acquireRelease finalizer runs and the rest of the batch returns", async () => {
      const marker = freshMarker()
      const ids = idsFor(2)
      const pending = run({
        fns: [registered(tasks, "guarded"), registered("registered.ts", "double")],
        fn: [0, 1],
        args: [[marker, 30_000], [21]],
        ids
      })
      await fileAppears(`${marker}.started`)
      expect(await suite.executor.interrupt!(ids[0], 5_000)).toBe("interrupted")
      expect(existsSync(`${marker}.released`)).toBe(true) // the answer comes after the fiber exited
      const result = await pending
      expect(encodedOf(result, 0).kind).toBe("interrupted")
      expect(valueOf(result, 1)).toBe(42)
    })

    it("runs Effect.onInterrupt and Effect.ensuring finalizers", async () => {
      const marker = freshMarker()
      const ids = idsFor(1)
      const pending = run({ ...batchOf(registered(tasks, "ensured"), [[marker, 30_000]]), ids })
      await fileAppears(`${marker}.started`)
      expect(await suite.executor.interrupt!(ids[0], 5_000)).toBe("interrupted")
      expect(existsSync(`${marker}.interrupted`)).toBe(true)
      expect(existsSync(`${marker}.released`)).toBe(true)
      expect(encodedOf(await pending, 0).kind).toBe("interrupted")
    })

    it("skips a task that has not started, runs the others, and reports a finished one", async () => {
      const running = freshMarker()
      const skipped = freshMarker()
      const ids = idsFor(4)
      const pending = run({
        fns: [registered("registered.ts", "double"), registered(tasks, "guarded"), registered(tasks, "touch")],
        fn: [0, 1, 2, 0],
        args: [[1], [running, 30_000], [skipped], [4]],
        ids
      })
      await fileAppears(`${running}.started`)
      expect(await suite.executor.interrupt!(ids[2], 5_000)).toBe("not-started")
      expect(await suite.executor.interrupt!(ids[0], 5_000)).toBe("finished")
      expect(await suite.executor.interrupt!(ids[1], 5_000)).toBe("interrupted")
      const result = await pending
      expect(result.failed).toEqual([1, 2])
      expect(valueOf(result, 0)).toBe(2)
      expect(encodedOf(result, 1).kind).toBe("interrupted")
      expect(encodedOf(result, 2)).toMatchObject({ kind: "interrupted", name: "InterruptedError" })
      expect(existsSync(`${skipped}.ran`)).toBe(false)
      expect(valueOf(result, 3)).toBe(8)
    })

    it("skips an attempt of a batch still waiting for a worker", async () => {
      // Every worker busy with an Effect task until it is interrupted; then the queued batch runs.
      const busy = Array.from({ length: suite.executor.workers }, () => {
        const marker = freshMarker()
        const ids = idsFor(1)
        return { marker, ids, done: run({ ...batchOf(registered(tasks, "guarded"), [[marker, 30_000]]), ids }) }
      })
      await Promise.all(busy.map(({ marker }) => fileAppears(`${marker}.started`)))
      const marker = freshMarker()
      const ids = idsFor(2)
      const queued = run({
        fns: [registered(tasks, "touch"), registered("registered.ts", "double")],
        fn: [0, 1],
        args: [[marker], [5]],
        ids
      })
      const skipped = suite.executor.interrupt!(ids[0], 10_000)
      for (const { ids } of busy) expect(await suite.executor.interrupt!(ids[0], 5_000)).toBe("interrupted")
      expect(await skipped).toBe("not-started")
      const result = await queued
      expect(encodedOf(result, 0).kind).toBe("interrupted")
      expect(existsSync(`${marker}.ran`)).toBe(false)
      expect(valueOf(result, 1)).toBe(10)
      for (const { done } of busy) expect(encodedOf(await done, 0).kind).toBe("interrupted")
    })

    it("reports a running plain async task as uninterruptible and lets it finish", async () => {
      const marker = freshMarker()
      const ids = idsFor(1)
      const pending = run({ ...batchOf(registered(tasks, "asleep"), [[marker, 300]]), ids })
      await fileAppears(`${marker}.started`)
      expect(await suite.executor.interrupt!(ids[0], 5_000)).toBe("uninterruptible")
      expect(valueOf(await pending, 0)).toBe(300)
    })

    it("stops an uninterruptible task by aborting, and keeps working", async () => {
      const marker = freshMarker()
      const ids = idsFor(1)
      const controller = new BatchAbort()
      const pending = run({ ...batchOf(registered(tasks, "asleep"), [[marker, 30_000]]), ids }, controller)
      await fileAppears(`${marker}.started`)
      expect(await suite.executor.interrupt!(ids[0], 5_000)).toBe("uninterruptible")
      controller.abort()
      expect((await rejectionOf(pending)).reason).toBe("aborted")
      expect(
        (
          await run({
            ...batchOf(
              inline((x: number) => x + 1),
              [[1]]
            ),
            ids: idsFor(1)
          })
        ).results
      ).toEqual([2])
    })

    it("answers unknown for an attempt it does not hold", async () => {
      expect(await suite.executor.interrupt!(idsFor(1)[0], 50)).toBe("unknown")
    })
  })
}
