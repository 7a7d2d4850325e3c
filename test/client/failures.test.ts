import { describe, expect, test } from "vitest"
import { Client, KilledWorkerError, TimeoutError } from "weft"
import { noStrayErrors } from "../faults/fault-helpers.js"
import { crashy, inc, sleepy } from "../fixtures/client-tasks.js"
import { runCount, runLog, useClient } from "./helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"

noStrayErrors()

const client = useClient({ workers: 1 })
const processes = useClient({ workers: 1, isolation: "process", allowedFailures: 1 })

describe("worker deaths, timeouts and transport failures", () => {
  test("a worker death does not use up a retry: the task runs again on a fresh worker", async () => {
    const log = runLog()
    const f = client().with({ retries: 1 }).submit(crashy, log, [1], [2])
    // run 1: the worker dies; run 2: throws (the one retry); run 3: succeeds
    expect(await f.result()).toBe(3)
    expect(runCount(log)).toBe(3)
  })

  // Each of the 4 replacement workers imports client-tasks.ts again (through tsx: ~1.5 s of CPU each under load).
  test(
    "after allowedFailures + 1 deaths the task fails with KilledWorkerError, and so do its dependents",
    { timeout: 30_000 },
    async () => {
      const log = runLog()
      const f = client().submit(crashy, log, [1, 2, 3, 4, 5], [])
      const g = client().submit(inc, f)
      const error = await f.exception()
      expect(error).toBeInstanceOf(KilledWorkerError)
      expect(error?.message).toMatch(/on 4 different workers/)
      await expect(g.result()).rejects.toBe(error)
      expect(await client().submit(inc, 1).result()).toBe(2)
    }
  )

  test(
    "allowedFailures: 0 makes the first death final, and the message says one worker",
    { timeout: 15_000 },
    async () => {
      await using strict = await Client.local({ workers: 1, allowedFailures: 0 })
      const f = strict.with({ retries: 3 }).submit(() => process.exit(7))
      const error = (await f.exception()) as KilledWorkerError
      expect(error).toBeInstanceOf(KilledWorkerError)
      expect(error.failures).toBe(1)
      expect(error.message).toMatch(
        new RegExp(`^Attempted to run task ${f.key} on a worker, but that worker died while running it\\.`)
      )
      expect(engineOf(strict).scheduler.get(f.key)?.attempts).toBe(1)
      expect(await strict.submit((x: number) => x + 1, 1).result()).toBe(2)
    }
  )

  test("an uncaught error in a timer kills the worker running the task: it counts as a death, and the cluster keeps working", async () => {
    const during = client().submit(async (ms: number) => {
      setTimeout(() => {
        throw new Error("thrown in a timer")
      }, 5)
      await new Promise((resolve) => setTimeout(resolve, ms))
      return ms
    }, 200)
    const error = await during.exception()
    expect(error).toBeInstanceOf(KilledWorkerError)
    expect(error?.message).toMatch(/thrown in a timer\./)
    // A timer that throws after its task returned: the result stands, the next task runs.
    const late = client().submit(() => {
      setTimeout(() => {
        throw new Error("late")
      }, 5)
      return 1
    })
    expect(await late.result()).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await client().submit(inc, 9).result()).toBe(10)
  })

  test(
    "a Promise rejected and never handled while a task runs kills its worker like an uncaught error: a death",
    { timeout: 15_000 },
    async () => {
      const floating = client().submit(async (ms: number) => {
        void Promise.reject(new Error("nobody handles this"))
        await new Promise((resolve) => setTimeout(resolve, ms))
        return ms
      }, 100)
      const error = await floating.exception()
      expect(error).toBeInstanceOf(KilledWorkerError)
      expect(error?.message).toMatch(/nobody handles this/)
      expect(await client().submit(inc, 5).result()).toBe(6)
    }
  )

  test("a timeout stops an attempt that runs too long, and counts as a failure that retries retry", async () => {
    const f = client().with({ timeout: 100 }).submit(sleepy, 2_000)
    const error = await f.exception()
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error?.message).toMatch(/ran longer than its timeout of 0.1 s/)
    expect(await client().submit(inc, 2).result()).toBe(3)
    const retried = client().with({ timeout: 100, retries: 1 }).submit(sleepy, 2_001)
    await expect(retried.result()).rejects.toBeInstanceOf(TimeoutError)
    expect(engineOf(client()).scheduler.get(retried.key)?.attempts).toBe(2)
  })

  test("a timeout's clock starts when the task starts, not while it waits for a busy worker", async () => {
    const busy = client().submit(sleepy, 600)
    const quick = client().with({ timeout: 300 }).submit(sleepy, 5)
    expect(await quick.result()).toBe(5)
    expect(await busy.result()).toBe(600)
  })

  test("a result that cannot be sent back fails its own task only", async () => {
    const c = client()
    const fs = c.map((i: number) => (i === 2 ? new Proxy({}, {}) : i), [0, 1, 2, 3])
    const outcomes = await Promise.allSettled(fs.map((f) => f.result()))
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"])
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(Error)
  })
})

describe("timeouts with workers: 0 (tasks in this thread)", () => {
  test("a synchronous task that runs past its timeout fails with TimeoutError once it returns, and retries retry it", async () => {
    await using local = await Client.local({ workers: 0 })
    const spin = (ms: number) => {
      const end = Date.now() + ms
      while (Date.now() < end) {
        // busy: no timer can fire in this thread until it returns
      }
      return ms
    }
    const f = local.with({ timeout: 50, retries: 1 }).submit(spin, 150)
    const error = await f.exception()
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error?.message).toBe(
      `Task ${f.key} ran longer than its timeout of 0.05 s; it finished, too late, and its result was dropped.`
    )
    expect(engineOf(local).scheduler.get(f.key)?.attempts).toBe(2)
    expect(await local.with({ timeout: 1_000 }).submit(spin, 5).result()).toBe(5)
  })

  test("an async task past its timeout fails at the timeout; the message says it could not be stopped", async () => {
    await using local = await Client.local({ workers: 0 })
    const f = local.with({ timeout: 30 }).submit(() => new Promise((resolve) => setTimeout(resolve, 300)))
    const error = await f.exception()
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error?.message).toMatch(
      /ran longer than its timeout of 0\.03 s; its result will be dropped \(a task in this thread cannot be stopped\)\.$/
    )
  })
})

describe("worker deaths with isolation: process", () => {
  test(
    "a native crash (a fatal signal) kills only the child process: KilledWorkerError names the signal, and the cluster keeps working",
    { timeout: 15_000 },
    async () => {
      const c = processes()
      const crash = c.submit(function segfault() {
        process.kill(process.pid, "SIGSEGV")
        return new Promise<number>(() => {}) // the signal ends the process before this matters
      })
      const dependent = c.submit(inc, crash)
      const error = await crash.exception()
      expect(error).toBeInstanceOf(KilledWorkerError)
      expect(error?.message).toMatch(/on 2 different workers/)
      expect(error?.message).toMatch(/was killed by SIGSEGV/)
      await expect(dependent.result()).rejects.toBe(error)
      expect(await c.submit(inc, 1).result()).toBe(2)
    }
  )

  test(
    "process.exit in a task: the exit code is in the error, and a death uses up no retry",
    { timeout: 15_000 },
    async () => {
      const c = processes()
      const log = runLog()
      // run 1: the process exits; run 2: throws (its one retry); run 3: succeeds
      expect(await c.with({ retries: 1 }).submit(crashy, log, [1], [2]).result()).toBe(3)
      const exits = await c.submit(crashy, runLog(), [1, 2], []).exception()
      expect(exits).toBeInstanceOf(KilledWorkerError)
      expect(exits?.message).toMatch(/exited with code 3/)
    }
  )
})
