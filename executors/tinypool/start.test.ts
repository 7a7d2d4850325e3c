/**
 * `readyWhen: "first"` (what `Client.local` asks for): the executor is returned once one worker
 * ran its empty batch, the first batches run there while the others finish starting, and a worker
 * that cannot start after that fails every batch with an error that says so. A `--import` preload
 * (inherited by the worker threads, as `tsx` is) holds worker 2 at its start until the test lets
 * it go on or fail: no timing in the assertions.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { BatchAbort, ExecutorFailure } from "../executor.js"
import { batchOf, inline } from "../conformance.case.js"
import { makeTinypoolExecutor, type TinypoolExecutor } from "./tinypool.js"

let dir: string
let gate: string

/** Worker 2 (tinypool's `workerId`) waits at its start until `gate` exists; it then starts, or throws if the file says "fail". */
const holdSecondWorker = (gateFile: string) => `
  import { existsSync, readFileSync } from "node:fs"
  import { isMainThread, workerData } from "node:worker_threads"
  if (!isMainThread && workerData?.[0]?.workerId === 2) {
    const sleep = new Int32Array(new SharedArrayBuffer(4))
    while (!existsSync(${JSON.stringify(gateFile)})) Atomics.wait(sleep, 0, 0, 10)
    if (readFileSync(${JSON.stringify(gateFile)}, "utf8") === "fail") throw new Error("worker 2 cannot start (test)")
  }
`

/** Starts an executor whose worker 2 is held at its start (see `holdSecondWorker`). */
async function withSecondWorkerHeld(): Promise<TinypoolExecutor> {
  const preload = join(dir, "hold.mjs")
  writeFileSync(preload, holdSecondWorker(gate))
  const flags = ["--import", pathToFileURL(preload).href]
  process.execArgv.push(...flags) // workers inherit `--import` (pool-options.ts), read when the pool starts
  try {
    return await makeTinypoolExecutor({ workers: 2, readyWhen: "first" })
  } finally {
    process.execArgv.splice(process.execArgv.lastIndexOf(flags[0]), 2)
  }
}

const inc = inline((x: number) => x + 1)

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "weft-start-"))
  gate = join(dir, "gate")
})
afterEach(() => {
  writeFileSync(gate, "go") // never leave a held worker behind
  rmSync(dir, { recursive: true, force: true })
})

describe('tinypool executor, readyWhen: "first"', () => {
  it("is returned once one worker is up, and runs batches there while the other still starts", async () => {
    const executor = await withSecondWorkerHeld()
    try {
      expect(executor.startsLate).toBe(true) // worker 2 has not run its empty batch
      const results = await Promise.all([1, 2, 3].map((x) => executor.run(batchOf(inc, [[x]]))))
      expect(results.map((r) => r.results)).toEqual([[2], [3], [4]])
      writeFileSync(gate, "go")
      await expect(executor.run(batchOf(inc, [[10]]))).resolves.toMatchObject({ results: [11] })
    } finally {
      await executor.close()
    }
    expect(executor.liveWorkers()).toBe(0)
  })

  it("hands a batch with a timeout to tinypool (its clock starts: onStart) only once every worker is up", async () => {
    const executor = await withSecondWorkerHeld()
    try {
      const signal = new BatchAbort()
      let started = false
      signal.onStart = () => (started = true)
      const timed = executor.run(batchOf(inc, [[1]]), signal)
      // Another batch comes back from worker 1 meanwhile: the timed one still waits, its clock not started.
      await executor.run(batchOf(inc, [[5]]))
      expect(started).toBe(false)
      writeFileSync(gate, "go")
      await expect(timed).resolves.toMatchObject({ results: [2] })
      expect(started).toBe(true)
      expect(executor.startsLate).toBe(false)
    } finally {
      await executor.close()
    }
  })

  it("fails every batch, waiting or later, with why when a worker cannot start after the first, and leaves no worker", async () => {
    const executor = await withSecondWorkerHeld()
    const signal = new BatchAbort()
    signal.onStart = () => {}
    const waiting = executor.run(batchOf(inc, [[1]]), signal) // a batch with a timeout waits for every worker
    writeFileSync(gate, "fail")
    const failure = await waiting.then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(ExecutorFailure)
    expect((failure as ExecutorFailure).reason).toBe("worker-died")
    expect((failure as ExecutorFailure).message).toMatch(
      /^weft could not start its tinypool workers: .*worker 2 cannot start \(test\)/
    )
    await expect(executor.run(batchOf(inc, [[2]]))).rejects.toBe(failure)
    await executor.close()
    expect(executor.liveWorkers()).toBe(0)
  })

  it("closed while a worker still starts, it says closed, not that a worker could not start", async () => {
    const executor = await withSecondWorkerHeld()
    await executor.close()
    const failure = await executor.run(batchOf(inc, [[1]])).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(ExecutorFailure)
    expect((failure as ExecutorFailure).reason).toBe("closed")
    expect(executor.liveWorkers()).toBe(0)
  })

  it("refuses an unknown readyWhen", async () => {
    await expect(makeTinypoolExecutor({ workers: 1, readyWhen: "some" as never })).rejects.toThrow(
      /readyWhen must be "all" or "first", got some/
    )
  })
})
