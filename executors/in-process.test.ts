import { describe, expect, it } from "vitest"
import { makeInProcessExecutor } from "./in-process.js"
import { batchOf, executorConformance, inline } from "./conformance.case.js"

executorConformance("in-process", async () => makeInProcessExecutor(), {
  offThread:
    "tasks run on the client's thread: a task blocking in synchronous code blocks the test, and there is no worker to die"
})

describe("in-process executor", () => {
  it("reports its kind and one worker", () => {
    const executor = makeInProcessExecutor()
    expect(executor.kind).toBe("in-process")
    expect(executor.workers).toBe(1)
  })

  it("starts a batch on a later macrotask, never synchronously", async () => {
    const executor = makeInProcessExecutor()
    const seen: string[] = []
    const pending = executor
      .run(
        batchOf(
          inline(() => "ran"),
          [[]]
        )
      )
      .then(() => seen.push("batch"))
    queueMicrotask(() => seen.push("microtask"))
    seen.push("sync")
    await pending
    expect(seen).toEqual(["sync", "microtask", "batch"])
    await executor.close()
  })

  it("runs on this thread", async () => {
    const executor = makeInProcessExecutor()
    const result = await executor.run(
      batchOf(
        inline(() => process.pid),
        [[]]
      )
    )
    expect(result.results).toEqual([process.pid])
    await executor.close()
  })
})
