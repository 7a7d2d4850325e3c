/**
 * Conformance cases: streamed results (`run` with `onResults`).
 *
 * Test code: excluded from the build (`*.case.ts`), never in `dist/`.
 */
import { describe, expect, it } from "vitest"
import type { PartialResults, WireBatch } from "../../core/protocol.js"
import { BatchAbort } from "../executor.js"
import {
  batchOf,
  freshGate,
  inline,
  itNeeds,
  openGate,
  outcomesOf,
  registered,
  rejectionOf,
  streamedAtLeast,
  type Streaming,
  type Suite
} from "./support.case.js"

/** Conformance cases: streamed results (`run` with `onResults`). */
export function streamingCases(suite: Suite): void {
  const run = suite.run
  describe("streamed results (run with onResults)", () => {
    const tasks = "stream-tasks.ts"
    const streaming = (batch: WireBatch, signal?: BatchAbort): Streaming => {
      const parts: PartialResults[] = []
      return { parts, done: suite.executor.run(batch, signal, (part) => parts.push(part)) }
    }

    it("hands over finished tasks' outcomes, failures included, while a later task of the batch awaits", async () => {
      const gate = freshGate()
      const run = streaming({
        fns: [
          registered(tasks, "plusOne"),
          inline(function failing() {
            throw new RangeError("early failure")
          }),
          registered(tasks, "awaitGate")
        ],
        fn: [0, 1, 0, 2],
        args: [[1], [], [2], [gate, "late"]]
      })
      try {
        await streamedAtLeast(run, 3)
      } finally {
        openGate(gate)
      }
      const result = await run.done
      const outcomes = outcomesOf(run.parts, result)
      expect(outcomes.map((o) => o.value)).toEqual([2, undefined, 3, "late"])
      expect(outcomes[1].error).toMatchObject({ kind: "thrown", name: "RangeError", message: "early failure" })
      expect(result.streamed).toBe(3)
    })

    it("streams nothing and replies with every outcome when no one listens", async () => {
      const gate = freshGate()
      openGate(gate)
      const result = await run({
        fns: [registered(tasks, "plusOne"), registered(tasks, "awaitGate")],
        fn: [0, 1],
        args: [[1], [gate, "x"]]
      })
      expect(result.streamed ?? 0).toBe(0)
      expect(result.results).toEqual([2, "x"])
    })

    it("keeps fusion working: a later task reads an earlier task's streamed value", async () => {
      const gate = freshGate()
      const refKey = "__conformanceRef"
      const run = streaming({
        fns: [registered(tasks, "plusOne"), registered(tasks, "awaitGate")],
        fn: [0, 1, 0],
        args: [[1], [gate, { [refKey]: 0 }], [{ [refKey]: 1 }]],
        linked: [false, true, true],
        refKey
      })
      try {
        await streamedAtLeast(run, 1)
      } finally {
        openGate(gate)
      }
      expect(outcomesOf(run.parts, await run.done).map((o) => o.value)).toEqual([2, 2, 3])
    })

    it("hands over what finished before an abort; the batch then rejects", async () => {
      const gate = freshGate()
      const controller = new BatchAbort()
      const run = streaming(
        {
          fns: [registered(tasks, "plusOne"), registered(tasks, "awaitGate")],
          fn: [0, 1],
          args: [[41], [gate, "never"]]
        },
        controller
      )
      try {
        await streamedAtLeast(run, 1)
        controller.abort()
        expect((await rejectionOf(run.done)).reason).toBe("aborted")
      } finally {
        openGate(gate) // in this thread the aborted task runs on to its end
      }
      expect(run.parts).toEqual([{ from: 0, results: [42], failed: [] }])
      expect(
        (
          await suite.executor.run(
            batchOf(
              inline((x: number) => x + 1),
              [[1]]
            )
          )
        ).results
      ).toEqual([2])
    })

    describe("off the client's thread", () => {
      const it = itNeeds(suite, "offThread")

      it("hands over a finished task's outcome while a later task blocks its worker in synchronous code", async () => {
        const gate = freshGate()
        const run = streaming({
          fns: [registered(tasks, "plusOne"), registered(tasks, "spinUntilGate")],
          fn: [0, 1],
          args: [[1], [gate, "unblocked"]]
        })
        try {
          await streamedAtLeast(run, 1)
        } finally {
          openGate(gate)
        }
        expect(outcomesOf(run.parts, await run.done).map((o) => o.value)).toEqual([2, "unblocked"])
      })

      it("hands over what finished before its worker died; the batch then rejects as worker-died", async () => {
        const gate = freshGate()
        const run = streaming({
          fns: [registered(tasks, "plusOne"), registered(tasks, "exitWhenGate")],
          fn: [0, 1],
          args: [[1], [gate]]
        })
        try {
          await streamedAtLeast(run, 1)
        } finally {
          openGate(gate)
        }
        expect((await rejectionOf(run.done)).reason).toBe("worker-died")
        expect(run.parts).toEqual([{ from: 0, results: [2], failed: [] }])
        expect(
          (
            await suite.executor.run(
              batchOf(
                inline((x: number) => x + 1),
                [[1]]
              )
            )
          ).results
        ).toEqual([2])
      })
    })
  })
}
