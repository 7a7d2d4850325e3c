/**
 * Cancelling a running task (spec section 9: "cancelling a future interrupts an Effect task in its
 * worker"). An Effect task's fiber is interrupted where it runs: its finalizers run and its worker
 * stays. A plain async task or a synchronous busy loop cannot be interrupted: its worker is
 * replaced, as before.
 */
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { CancelledError, Client } from "weft"
import { asleepTask, guardedEffect, spinTask, threadOf } from "../fixtures/cancel-tasks.js"
import { countedInc } from "../fixtures/client-tasks.js"
import { runCount, runLog } from "./helpers.js"

/** A fresh marker path for the tasks of `cancel-tasks.ts`. */
const freshMarker = (): string => join(mkdtempSync(join(tmpdir(), "weft-cancel-")), "task")

/** Resolves once `path` exists; fails after `ms`. */
const fileAppears = async (path: string, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

let tags = 0
/** The thread the cluster's (only) worker runs on now. */
const workerThread = (client: Client): Promise<number> => client.submit(threadOf, `t${++tags}`).result()

describe("cancelling a running Effect task", () => {
  test("interrupts its fiber: its finalizers run, result() rejects with CancelledError, the worker stays", async () => {
    await using client = await Client.local({ workers: 1 })
    const before = await workerThread(client)
    const marker = freshMarker()
    const future = client.submit(guardedEffect, marker, 30_000)
    await fileAppears(`${marker}.started`)
    await future.cancel()
    expect(future.status).toBe("cancelled")
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError)
    await fileAppears(`${marker}.released`, 2_000)
    expect(existsSync(`${marker}.interrupted`)).toBe(true)
    expect(await workerThread(client)).toBe(before) // not replaced
  })

  test("releasing a running Effect task interrupts it the same way", async () => {
    await using client = await Client.local({ workers: 1 })
    const before = await workerThread(client)
    const marker = freshMarker()
    const future = client.submit(guardedEffect, marker, 30_000)
    await fileAppears(`${marker}.started`)
    future.release()
    await fileAppears(`${marker}.released`, 2_000)
    expect(await workerThread(client)).toBe(before)
  })

  test("the other tasks of its batch run once, and are not run again", async () => {
    await using client = await Client.local({ workers: 1 })
    const before = await workerThread(client)
    const log = runLog()
    const marker = freshMarker()
    // Four ready tasks for one worker travel as two batches of two: [countedInc 1, guarded], [countedInc 2, countedInc 3].
    const first = client.submit(countedInc, log, 1)
    const guarded = client.submit(guardedEffect, marker, 30_000)
    const rest = [client.submit(countedInc, log, 2), client.submit(countedInc, log, 3)]
    await fileAppears(`${marker}.started`)
    await guarded.cancel()
    expect(await Promise.all([first, ...rest].map((f) => f.result()))).toEqual([2, 3, 4])
    await fileAppears(`${marker}.released`, 2_000)
    expect(runCount(log)).toBe(3) // aborting the batch would have run countedInc(1) again
    expect(await workerThread(client)).toBe(before)
  })
})

describe("cancelling a running task that cannot be interrupted", () => {
  test("a plain async task is stopped by replacing its worker, and the cluster keeps working", async () => {
    await using client = await Client.local({ workers: 1 })
    const before = await workerThread(client)
    const marker = freshMarker()
    const future = client.submit(asleepTask, marker, 30_000)
    await fileAppears(`${marker}.started`)
    const started = Date.now()
    await future.cancel()
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError)
    const after = await workerThread(client)
    // The task sleeps 30 s: done well before that means it was stopped (the bound is loose on
    // purpose; speed is measured by npm run bench, not here).
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(after).not.toBe(before) // replaced
    expect(existsSync(`${marker}.finished`)).toBe(false)
  })

  test("a synchronous busy loop is stopped long before it would finish", async () => {
    await using client = await Client.local({ workers: 1 })
    const before = await workerThread(client)
    const marker = freshMarker()
    const future = client.submit(spinTask, marker, 30_000)
    await fileAppears(`${marker}.started`)
    const started = Date.now()
    await future.cancel()
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError)
    const after = await workerThread(client)
    expect(Date.now() - started).toBeLessThan(10_000) // it spins for 30 s
    expect(after).not.toBe(before)
    expect(existsSync(`${marker}.finished`)).toBe(false)
  })
})
