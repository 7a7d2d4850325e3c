/**
 * A finished task's result never waits behind its batch (issue 12, item 1): its Future settles
 * while a batch-mate (a fused dependent, or any slow or blocked task of the same batch) still
 * runs, on every executor. Each case holds the batch-mate behind a **gate** (a file the test
 * creates) and asserts that the Future settled while the gate was still shut; no timing is
 * asserted (the bench row "streamed result while its batch-mate blocks" times it).
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Writable } from "node:stream"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { asCompleted, Client, KilledWorkerError, progress, wait, type ClientOptions } from "weft"
import {
  blockUntilGate,
  exitAtGate,
  failsOnce,
  inc,
  logged,
  slowOrGated,
  waitForGate
} from "../fixtures/stream-tasks.js"
import { within } from "../faults/fault-helpers.js"
import { runCount, runLog } from "./helpers.js"

const freshGate = (): string => join(mkdtempSync(join(tmpdir(), "weft-gate-")), "open")
const openGate = (gate: string): void => writeFileSync(gate, "open")

/** Bounds a wait that hangs when results wait for their batch (the bug): fails the test instead. */
const soon = <T>(promise: Promise<T>, what: string): Promise<T> =>
  within(promise, 15_000, `${what} (while the gate was shut)`)

const modes: ReadonlyArray<{
  readonly name: string
  readonly options: ClientOptions
  readonly single: ClientOptions
  readonly offThread: boolean
}> = [
  { name: "threads", options: { workers: 2, allowedFailures: 1 }, single: { workers: 1 }, offThread: true },
  {
    name: "processes",
    options: { workers: 2, isolation: "process", allowedFailures: 1 },
    single: { workers: 1, isolation: "process" },
    offThread: true
  },
  { name: "in-process", options: { workers: 0 }, single: { workers: 0 }, offThread: false }
]

/**
 * A fresh client for each test: the engine sizes batches from the task times it has seen (a
 * client that has run slow tasks sends one task per batch), and these cases need its first
 * batches, which hold several tasks, as a new program's do.
 */
const useFreshClient = (options: ClientOptions) => {
  let current: Client | undefined
  beforeEach(async () => {
    current = await Client.local(options)
  })
  afterEach(async () => {
    await current?.close()
    current = undefined
  })
  return (): Client => current!
}

describe.each(modes)("streamed results ($name)", ({ options, single, offThread }) => {
  const client = useFreshClient(options)

  test("x = submit(inc, 1); y = submit(waitForGate, gate, x): x.result() resolves while y (fused into x's batch) waits", async () => {
    const gate = freshGate()
    const x = client().submit(inc, 1)
    const y = client().submit(waitForGate, gate, x)
    try {
      expect(await soon(x.result(), "x.result()")).toBe(2)
      expect(x.status).toBe("finished")
      expect(y.status).toBe("pending")
    } finally {
      openGate(gate)
    }
    expect(await y.result()).toBe(2)
  })

  if (offThread) {
    test("the same when the batch-mate blocks its worker in synchronous code", async () => {
      const gate = freshGate()
      const x = client().submit(inc, 10)
      const y = client().submit(blockUntilGate, gate, x)
      try {
        expect(await soon(x.result(), "x.result()")).toBe(11)
        expect(y.status).toBe("pending")
      } finally {
        openGate(gate)
      }
      expect(await y.result()).toBe(11)
    })
  }

  test("many slow tasks: asCompleted and progress see completions before their batches end", async () => {
    const gate = freshGate()
    // Odd items wait for the gate: every batch of two or more holds one behind an even one (a new
    // client's batches hold several of 16 ready tasks: 16 / (2 per worker x 2 workers)).
    const futures = client().starmap(
      slowOrGated,
      Array.from({ length: 16 }, (_, i) => [i, gate] as [number, string])
    )
    const chunks: string[] = []
    const out = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk))
        done()
      }
    })
    const drawing = progress(futures, { stream: out, interval: 10 })
    try {
      const completed = asCompleted(futures)[Symbol.asyncIterator]()
      const first = await soon(completed.next(), "the first of asCompleted")
      expect(first.done).toBe(false)
      expect((await first.value!.result()) % 2).toBe(0)
      await soon(
        (async () => {
          while (!/\b[1-9]\d*\/16\b/.test(chunks.join(""))) await new Promise((resolve) => setTimeout(resolve, 10))
        })(),
        "progress showing a completed task"
      )
      expect(futures.filter((f) => f.status === "pending").length).toBeGreaterThanOrEqual(8) // the odd ones
    } finally {
      openGate(gate)
    }
    await drawing
    expect(await client().gather(futures)).toEqual(Array.from({ length: 16 }, (_, i) => i))
  })

  // In this thread one batch runs at a time: the retry would wait for the blocked batch whatever streams.
  if (offThread) {
    test("a failure streamed early is retried at once on a free worker, while its batch-mate still waits", async () => {
      const gate = freshGate()
      const log = runLog()
      const w = client().submit(inc, 100)
      const x = client().with({ retries: 1 }).submit(failsOnce, log, w)
      const z = client().submit(waitForGate, gate, w)
      try {
        expect(await soon(x.result(), "x.result() after its retry")).toBe(1010)
        expect(runCount(log)).toBe(2)
        expect(z.status).toBe("pending")
      } finally {
        openGate(gate)
      }
      expect(await z.result()).toBe(101)
    })
  }

  test("cancelling the blocked batch-mate keeps the streamed result, which does not run again", async () => {
    const gate = freshGate()
    const log = runLog()
    const x = client().submit(logged, log, 1)
    const y = client().submit(waitForGate, gate, x)
    try {
      expect(await soon(x.result(), "x.result()")).toBe(2)
      y.cancel()
      await wait([y])
      expect(y.status).toBe("cancelled")
    } finally {
      openGate(gate)
    }
    // The next task on the same key's result: the worker (replaced or not) did not run x again.
    expect(
      await client()
        .submit(inc, await x.result())
        .result()
    ).toBe(3)
    expect(x.status).toBe("finished")
    expect(runCount(log)).toBe(1)
  })

  if (offThread) {
    test("a worker that dies after streaming: the streamed result stands and is not rerun; the rest is requeued", async () => {
      const gate = freshGate()
      const log = runLog()
      const x = client().submit(logged, log, 5)
      const y = client().submit(exitAtGate, gate, x)
      expect(await soon(x.result(), "x.result()")).toBe(6)
      openGate(gate)
      // allowedFailures: 1, and the gate stays open: y kills a worker on each of its two runs.
      await expect(within(y.result(), 30_000, "y.result()")).rejects.toBeInstanceOf(KilledWorkerError)
      expect(x.status).toBe("finished")
      expect(await x.result()).toBe(6)
      expect(runCount(log)).toBe(1)
    })
  }

  describe("Dask's test_priorities: one worker", () => {
    const one = useFreshClient(single)

    test("low, blocked and high-priority tasks behind a busy worker: wait([high]) returns while the blocked task still blocks", async () => {
      const busyGate = freshGate()
      const clogGate = freshGate()
      const busy = one().submit(waitForGate, busyGate, "busy")
      await new Promise((resolve) => setImmediate(resolve)) // busy leaves first and holds the worker
      const low = one().with({ priority: -1 }).submit(inc, 1)
      const clog = one().submit(waitForGate, clogGate, "clog")
      const high = one().with({ priority: 1 }).submit(inc, 2)
      try {
        expect(busy.status).toBe("pending")
        openGate(busyGate)
        await soon(wait([high]), "wait([high])")
        expect(high.status).toBe("finished")
        expect(clog.status).toBe("pending")
        expect(low.status).toBe("pending")
      } finally {
        openGate(busyGate)
        openGate(clogGate)
      }
      expect(await one().gather([busy, low, clog, high])).toEqual(["busy", 2, "clog", 3])
    })
  })
})
