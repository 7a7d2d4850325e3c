/**
 * A client started inside a weft worker: a task module that also starts a client at its top level
 * (fixtures/client-in-module.ts). Every worker imports the module; there `Client.local()` throws
 * at once, so the task fails with one `TaskDefinitionError` naming the module and the fix: no
 * nested cluster starts, the worker does not die, and nothing is retried.
 */
import { afterAll, describe, expect, test } from "vitest"
import { Client, isWorker, TaskDefinitionError } from "weft"
import { double, moduleClient } from "../fixtures/client-in-module.js"
import { inWorker } from "../fixtures/worker-probe.js"
import { childPids } from "../faults/fault-helpers.js"

afterAll(() => moduleClient.close())

describe.each(["thread", "process"] as const)("isolation %s", (isolation) => {
  test(
    "a task whose module starts a client fails with one TaskDefinitionError naming the module and the fix",
    { timeout: 60_000 },
    async () => {
      const others = childPids()
      const client = await Client.local({ workers: 1, isolation })
      try {
        await expect(client.submit((x: number) => x + 1, 1).result()).resolves.toBe(2)
        const childrenBefore = childPids()
        const workers = childrenBefore.filter((pid) => !others.includes(pid)) // process isolation
        const future = client.submit(double, 21)
        const error = await future.result().then(
          () => undefined,
          (e: unknown) => e
        )
        expect(error).toBeInstanceOf(TaskDefinitionError)
        const message = (error as Error).message
        // (vitest's transform may rename the function `double2`.)
        expect(message).toMatch(
          /^Task "double\d*" could not be loaded: Client\.local\(\) was called inside a weft worker, while it imported the task module /
        )
        expect(message).toContain(new URL("../fixtures/client-in-module.ts", import.meta.url).href)
        expect(message).toContain("if (!isWorker())")
        expect(message.split("inside a weft worker").length, `said once: ${message}`).toBe(2)
        expect(future.status).toBe("error")
        // No death (the same child processes), no nested cluster (they have no children), and the
        // worker runs the next task.
        expect(childPids()).toEqual(childrenBefore)
        expect(workers).toHaveLength(isolation === "process" ? 1 : 0)
        for (const pid of workers) expect(childPids(pid), `children of worker ${pid}`).toEqual([])
        await expect(client.submit((x: number) => x * 3, 3).result()).resolves.toBe(9)
        // Submitted again, it fails the same way (the failed import is not a worker death).
        await expect(client.submit(double, 22).result()).rejects.toThrow(/inside a weft worker/)
        expect(childPids()).toEqual(childrenBefore)
      } finally {
        await client.close()
      }
    }
  )

  test("isWorker() is true in a worker", { timeout: 60_000 }, async () => {
    const client = await Client.local({ workers: 1, isolation })
    try {
      await expect(client.submit(inWorker, 1).result()).resolves.toBe(true)
    } finally {
      await client.close()
    }
  })
})

test("isWorker() is false in the main thread, and for tasks run there (workers: 0)", async () => {
  expect(isWorker()).toBe(false)
  const client = await Client.local({ workers: 0 })
  try {
    await expect(client.submit(inWorker, 1).result()).resolves.toBe(false)
    // The module that starts a client runs fine in the main thread.
    await expect(client.submit(double, 21).result()).resolves.toBe(42)
  } finally {
    await client.close()
  }
})
