/**
 * `close()` leaves nothing behind: whatever the cluster is doing (tasks running, queued, waiting
 * for a retry, a worker just died), every pending `result()` rejects with `ClientClosedError`
 * within a second or two, every worker thread and child process is gone, and a Node process exits
 * on its own afterwards.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, test } from "vitest"
import { Client, ClientClosedError, type Future } from "weft"
import { crashy, failsThenSucceeds, inc, sleepy } from "../fixtures/client-tasks.js"
import { runCount, runLog } from "../client/helpers.js"
import {
  allSettledWithin,
  childPids,
  eventually,
  noStrayErrors,
  osThreads,
  watchWorkerThreads,
  within
} from "./fault-helpers.js"

noStrayErrors()

/** A synchronous busy loop: its worker cannot read any message until it returns. */
const spin = (ms: number) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // busy
  }
  return ms
}

let baselineThreads = 0

beforeAll(async () => {
  // Start and close one client first, so that what Node starts lazily on first use (libuv's thread
  // pool, tsx's loader) is part of the baseline and only weft's workers are counted.
  const warm = await Client.local({ workers: 2 })
  await warm.submit(inc, 1).result()
  await warm.close()
  await new Promise((resolve) => setTimeout(resolve, 200))
  baselineThreads = osThreads()
})

/**
 * Closes `client` while `pending` are unsettled, and checks the contract: each `result()` rejects
 * with `ClientClosedError` within 2.5 s, `close()` resolves, and no worker thread or child process
 * of the client is left.
 */
async function closeAndCheck(
  client: Client,
  pending: ReadonlyArray<Future<unknown>>,
  threads: ReturnType<typeof watchWorkerThreads>,
  childrenBefore: number
): Promise<void> {
  for (const f of pending) expect(f.status, `${f.key} should still be pending before close()`).toBe("pending")
  const waiting = pending.map((f) => f.result())
  const closing = client.close()
  const outcomes = await allSettledWithin(waiting, 2_500, "the pending results after close()")
  for (const outcome of outcomes) {
    expect(outcome.status).toBe("rejected")
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ClientClosedError)
  }
  for (const f of pending) expect(f.status).toBe("cancelled")
  await within(closing, 5_000, "close()")
  await eventually(threads.live, (n) => n === 0, 3_000, "worker threads alive after close()")
  await eventually(
    osThreads,
    (n) => n <= baselineThreads,
    3_000,
    `OS threads after close() (baseline ${baselineThreads})`
  )
  await eventually(
    () => childPids().length,
    (n) => n <= childrenBefore,
    3_000,
    "child processes alive after close()"
  )
}

describe.each(["thread", "process"] as const)("close() with isolation %s", (isolation) => {
  /** A client of 2 workers, with its thread watch and the number of children before it started. */
  const start = async (options: { allowedFailures?: number } = {}) => {
    const threads = watchWorkerThreads()
    const childrenBefore = childPids().length
    const client = await Client.local({ workers: 2, isolation, ...options })
    if (isolation === "thread") expect(threads.live()).toBe(2)
    else expect(childPids().length).toBe(childrenBefore + 2)
    return { client, threads, childrenBefore }
  }

  test("while tasks run, one blocked in synchronous code", { timeout: 15_000 }, async () => {
    const { client, threads, childrenBefore } = await start()
    try {
      const asleep = client.submit(sleepy, 30_000)
      const busy = client.submit(spin, 30_000)
      await new Promise((resolve) => setTimeout(resolve, 300)) // both are running now
      await closeAndCheck(client, [asleep, busy], threads, childrenBefore)
    } finally {
      threads.stop()
    }
  })

  test("while tasks queue behind busy workers, and their dependents wait", { timeout: 15_000 }, async () => {
    const { client, threads, childrenBefore } = await start()
    try {
      const finished = client.submit(inc, 100)
      expect(await finished.result()).toBe(101)
      const running = [client.submit(sleepy, 20_000), client.submit(sleepy, 20_001)]
      const queued = client.map(
        sleepy,
        Array.from({ length: 40 }, (_, i) => 1_000 + i)
      )
      const dependents = queued.map((f) => client.submit(inc, f))
      await new Promise((resolve) => setTimeout(resolve, 100))
      await closeAndCheck(client, [...running, ...queued, ...dependents], threads, childrenBefore)
      // A result that had finished stays readable.
      expect(finished.status).toBe("finished")
      expect(await finished.result()).toBe(101)
    } finally {
      threads.stop()
    }
  })

  test("while a task waits for a retry delay", { timeout: 15_000 }, async () => {
    const { client, threads, childrenBefore } = await start()
    try {
      const log = runLog()
      const retried = client.with({ retries: { times: 5, delay: "30 s" } }).submit(failsThenSucceeds, log, 99)
      await eventually(
        () => runCount(log),
        (n) => n >= 1,
        5_000,
        "runs of the failing task"
      )
      await new Promise((resolve) => setTimeout(resolve, 50)) // its failure has come back: it waits 30 s
      await closeAndCheck(client, [retried], threads, childrenBefore)
      expect(runCount(log)).toBe(1)
    } finally {
      threads.stop()
    }
  })

  test("just after a running task was cancelled, before its worker could stop it", { timeout: 15_000 }, async () => {
    // Found by the chaos test. The cancel asks the blocked worker to interrupt the task and waits
    // for an answer (threads); close() answers "unknown" for it, and the engine then aborted the
    // batch, on a pool being destroyed: tinypool started two new workers that nothing stopped.
    const { client, threads, childrenBefore } = await start()
    try {
      const cancelled = client.submit(spin, 30_000)
      const other = client.submit(spin, 30_001)
      await new Promise((resolve) => setTimeout(resolve, 300)) // both are running now
      const cancelling = cancelled.cancel()
      await closeAndCheck(client, [other], threads, childrenBefore)
      await within(cancelling, 5_000, "cancel()")
      expect(cancelled.status).toBe("cancelled")
    } finally {
      threads.stop()
    }
  })

  test("after a worker died, while the task that killed it runs again", { timeout: 15_000 }, async () => {
    const { client, threads, childrenBefore } = await start()
    try {
      const log = runLog()
      const killer = client.submit(crashy, log, [1, 2, 3], [])
      const dependent = client.submit(inc, killer)
      await eventually(
        () => runCount(log),
        (n) => n >= 2,
        10_000,
        "runs of the task that kills its worker"
      )
      await closeAndCheck(client, [killer, dependent], threads, childrenBefore)
    } finally {
      threads.stop()
    }
  })
})

describe("the process exits on its own after close()", () => {
  const script = fileURLToPath(new URL("./fixtures/close-then-exit.ts", import.meta.url))

  test.each(["thread", "process"] as const)(
    "isolation %s: a script that closes its client while a task runs, one crashes and one waits for a retry, exits with code 0",
    { timeout: 30_000 },
    async (isolation) => {
      const started = Date.now()
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
        (resolve) => {
          const child = execFile(
            process.execPath,
            ["--import", "tsx", script, isolation],
            { cwd: process.cwd(), timeout: 20_000 },
            (error, stdout, stderr) =>
              resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr })
          )
          child.stdin?.end()
        }
      )
      const seconds = (Date.now() - started) / 1000
      expect(stderr).toBe("")
      expect(code, `the script did not exit on its own (after ${seconds} s):\n${stdout}`).toBe(0)
      const lines = stdout.trim().split("\n")
      expect(lines[0]).toBe("done 2")
      expect(lines).toContain("long: ClientClosedError")
      expect(lines).toContain("retried: ClientClosedError")
      expect(lines.find((line) => line.startsWith("crash: "))).toMatch(/^crash: (ClientClosedError|KilledWorkerError)$/)
      expect(lines.at(-1)).toBe("closed")
      expect(seconds).toBeLessThan(20) // killed at 20 s otherwise; it takes about 2 s
    }
  )
})
