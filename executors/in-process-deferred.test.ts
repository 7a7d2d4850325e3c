/**
 * The deferred in-process executor (what `compute()` without a client runs on): it loads
 * `in-process.ts` on its own, runs batches as it does, and starts a batch's timeout clock
 * (`onStart`) when the batch is handed over, not while the module loads.
 */
import { describe, expect, it } from "vitest"
import { BatchAbort, ExecutorFailure } from "./executor.js"
import { batchOf, executorConformance, inline } from "./conformance.case.js"
import { makeDeferredInProcessExecutor } from "./in-process-deferred.js"

executorConformance("in-process (deferred)", async () => makeDeferredInProcessExecutor(), {
  offThread:
    "tasks run on the client's thread: a task blocking in synchronous code blocks the test, and there is no worker to die"
})

const inc = inline((x: number) => x + 1)

describe("deferred in-process executor", () => {
  it("runs batches in this thread once in-process.ts has loaded, as the in-process executor does", async () => {
    const executor = makeDeferredInProcessExecutor()
    try {
      expect(executor).toMatchObject({ kind: "in-process", workers: 1, startsLate: true, abortLeavesRunning: true })
      const [a, b] = await Promise.all([executor.run(batchOf(inc, [[1]])), executor.run(batchOf(inc, [[2], [3]]))])
      expect(a.results).toEqual([2])
      expect(b.results).toEqual([3, 4])
    } finally {
      await executor.close()
    }
  })

  it("calls a batch's onStart (its timeout clock) once, before the batch's result, on the first batch and later ones", async () => {
    const executor = makeDeferredInProcessExecutor()
    try {
      for (const x of [1, 2]) {
        const signal = new BatchAbort()
        const calls: string[] = []
        signal.onStart = () => calls.push("start")
        const result = executor.run(batchOf(inc, [[x]]), signal).then((r) => (calls.push("result"), r))
        await expect(result).resolves.toMatchObject({ results: [x + 1] })
        expect(calls).toEqual(["start", "result"])
      }
    } finally {
      await executor.close()
    }
  })

  it("rejects batches after close() with the executor's closed failure", async () => {
    const executor = makeDeferredInProcessExecutor()
    await executor.close()
    const failure = await executor.run(batchOf(inc, [[1]])).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(ExecutorFailure)
    expect((failure as ExecutorFailure).reason).toBe("closed")
  })

  it("answers an interrupt of an attempt it does not hold with unknown", async () => {
    const executor = makeDeferredInProcessExecutor()
    try {
      await expect(executor.interrupt!(12345, 50)).resolves.toBe("unknown")
    } finally {
      await executor.close()
    }
  })
})
