/**
 * Conformance cases: aborting a batch and closing the executor.
 *
 * Test code: excluded from the build (`*.case.ts`), never in `dist/`.
 */
import { describe, expect, it } from "vitest"
import { BatchAbort } from "../executor.js"
import { batchOf, inline, rejectionOf, type Suite } from "./support.case.js"

/** Conformance cases: aborting a batch and closing the executor. */
export function abortCases(suite: Suite): void {
  const run = suite.run
  describe("abort and close", () => {
    it("rejects a batch whose signal is already aborted, and keeps working", async () => {
      const controller = new BatchAbort()
      controller.abort()
      const failure = await rejectionOf(
        run(
          batchOf(
            inline((x: number) => x),
            [[1]]
          ),
          controller
        )
      )
      expect(failure.reason).toBe("aborted")
      expect(
        (
          await run(
            batchOf(
              inline((x: number) => x + 1),
              [[1]]
            )
          )
        ).results
      ).toEqual([2])
    })

    it("rejects a running batch when its signal is aborted, and keeps working", async () => {
      const controller = new BatchAbort()
      const pending = run(
        batchOf(
          inline(() => new Promise((resolve) => setTimeout(resolve, 1_500))),
          [[]]
        ),
        controller
      )
      setTimeout(() => controller.abort(), 50)
      const failure = await rejectionOf(pending)
      expect(failure.reason).toBe("aborted")
      expect(
        (
          await run(
            batchOf(
              inline((x: number) => x + 1),
              [[2]]
            )
          )
        ).results
      ).toEqual([3])
    })

    it("rejects running and queued batches on close(), and close() is idempotent", async () => {
      const own = await suite.make()
      const slow = inline(() => new Promise((resolve) => setTimeout(() => resolve("late"), 1_000)))
      const pending = Array.from({ length: own.workers + 2 }, () => rejectionOf(own.run(batchOf(slow, [[]]))))
      await new Promise((resolve) => setTimeout(resolve, 50))
      await own.close()
      for (const failure of await Promise.all(pending)) expect(failure.reason).toBe("closed")
      expect((await rejectionOf(own.run(batchOf(slow, [[]])))).reason).toBe("closed")
      await own.close()
    })
  })
}
