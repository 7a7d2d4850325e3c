import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { threadId } from "node:worker_threads"
import { describe, expect, it } from "vitest"
import type { PartialResults, WireBatch } from "../../core/protocol.js"
import { BatchAbort, ExecutorFailure } from "../executor.js"
import { makeTinypoolExecutor } from "./tinypool.js"
import { childPids, eventually, watchWorkerThreads } from "../../test/faults/fault-helpers.js"
import { batchOf, executorConformance, inline, registered } from "../conformance.case.js"

executorConformance("tinypool (threads)", () => makeTinypoolExecutor({ workers: 2 }))
executorConformance("tinypool (processes)", () => makeTinypoolExecutor({ workers: 2, isolation: "process" }), {
  interrupt:
    "no interrupt channel in child processes: they share no BroadcastChannel with the client thread, so a running task is stopped by aborting its batch"
})

describe("tinypool executor", () => {
  it("starts every worker before it resolves", async () => {
    const executor = await makeTinypoolExecutor({ workers: 3 })
    try {
      expect(executor.kind).toBe("tinypool")
      expect(executor.workers).toBe(3)
      expect(executor.liveWorkers()).toBe(3)
      expect(executor.startupMs).toBeGreaterThan(0)
      // Three slow batches at once land on three different threads.
      const where = registered("registered.ts", "whereAmI")
      const slow = inline(() => new Promise((resolve) => setTimeout(resolve, 100)))
      const ids = await Promise.all(
        [0, 1, 2].map(() => executor.run({ fns: [slow, where], fn: [0, 1], args: [[], []] }).then((r) => r.results[1]))
      )
      expect(new Set(ids).size).toBe(3)
      expect(ids).not.toContain(threadId)
    } finally {
      await executor.close()
    }
  })

  it("runs a batch given again as given: what an earlier run wrote into it (stream, control) does not carry over", async () => {
    const executor = await makeTinypoolExecutor({ workers: 1 })
    try {
      // Task 1's function is new to the worker, then slow: each run streams task 0 before task 1 starts.
      const slowDouble = inline((x: number) => {
        const end = performance.now() + 3
        while (performance.now() < end) {
          // busy: slow enough to be flushed before next time too
        }
        return x * 2
      })
      const batch: WireBatch = {
        fns: [inline((x: number) => x + 1), slowDouble],
        fn: [0, 1],
        args: [[1], [2]],
        ids: [1, 2]
      }
      const parts: PartialResults[] = []
      const first = await executor.run(batch, undefined, (part) => parts.push(part))
      const streamed = parts.flatMap((part) => part.results)
      expect(streamed).toEqual([2])
      expect(first.results.slice(streamed.length)).toEqual([4])
      const again = await executor.run(batch)
      expect(again.streamed ?? 0).toBe(0)
      expect(again.results).toEqual([2, 4])
    } finally {
      await executor.close()
    }
  })

  it("leaves no worker behind after close()", async () => {
    const executor = await makeTinypoolExecutor({ workers: 2 })
    await executor.run(
      batchOf(
        inline((x: number) => x),
        [[1]]
      )
    )
    await executor.close()
    expect(executor.liveWorkers()).toBe(0)
  })

  it("replaces workers over the memory limit and still cleans up on close()", async () => {
    const executor = await makeTinypoolExecutor({ workers: 2, memoryLimitBytes: 1 })
    const where = registered("registered.ts", "whereAmI")
    const ids: unknown[] = []
    for (let i = 0; i < 3; i++) ids.push((await executor.run(batchOf(where, [[]]))).results[0])
    expect(new Set(ids).size).toBe(3) // every batch ran on a fresh thread
    expect(executor.liveWorkers()).toBe(2)
    await executor.close()
    expect(executor.liveWorkers()).toBe(0)
  })

  it("reports a worker thread that calls process.exit as worker-died, and replaces it", async () => {
    const executor = await makeTinypoolExecutor({ workers: 1 })
    try {
      const error = await executor
        .run(
          batchOf(
            inline(() => process.exit(3)),
            [[]]
          )
        )
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ExecutorFailure)
      expect((error as ExecutorFailure).reason).toBe("worker-died")
      expect((error as ExecutorFailure).message).toContain("code 3")
      expect(
        (
          await executor.run(
            batchOf(
              inline((x: number) => x * 3),
              [[3]]
            )
          )
        ).results
      ).toEqual([9])
      expect(executor.liveWorkers()).toBe(1)
    } finally {
      await executor.close()
    }
  })

  it("survives process.exit in a task with process isolation", async () => {
    const executor = await makeTinypoolExecutor({ workers: 1, isolation: "process" })
    try {
      const error = await executor
        .run(
          batchOf(
            inline(() => process.exit(3)),
            [[]]
          )
        )
        .catch((e: unknown) => e)
      expect((error as ExecutorFailure).reason).toBe("worker-died")
      expect(
        (
          await executor.run(
            batchOf(
              inline((x: number) => x * 3),
              [[3]]
            )
          )
        ).results
      ).toEqual([9])
    } finally {
      await executor.close()
    }
  })

  it("lets the process exit on its own after close()", async () => {
    // A plain `node` program, as a user runs one, so the built package (`npm run build` first): from
    // the sources under tsx, each worker thread would register tsx first, 6-8 s here under load.
    const url = new URL("../../dist/executors/tinypool/tinypool.js", import.meta.url).href
    const script = `
      const { makeTinypoolExecutor } = await import(${JSON.stringify(url)})
      const executor = await makeTinypoolExecutor({ workers: 2 })
      const fn = { kind: "inline", id: "x", source: "(x) => x + 1", name: "inc" }
      const hang = { kind: "inline", id: "h", source: "() => new Promise(() => {})", name: "hang" }
      const r = await executor.run({ fns: [fn], fn: [0], args: [[1]] })
      executor.run({ fns: [hang], fn: [0], args: [[]] }).catch(() => {})
      await executor.close()
      console.log(JSON.stringify({ results: r.results, startupMs: executor.startupMs }))
    `
    const dir = mkdtempSync(join(tmpdir(), "weft-exit-"))
    const file = join(dir, "close-then-exit.mjs")
    writeFileSync(file, script)
    try {
      const started = Date.now()
      const output = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [file], { timeout: 15_000 }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)
        )
      })
      expect(JSON.parse(output).results).toEqual([2])
      expect(Date.now() - started).toBeLessThan(10_000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("refuses bad options", async () => {
    await expect(makeTinypoolExecutor({ workers: 0 })).rejects.toThrow(TypeError)
    await expect(makeTinypoolExecutor({ workers: 1, isolation: "vm" as never })).rejects.toThrow(TypeError)
  })
})

describe.each(["thread", "process"] as const)("tinypool executor close() with isolation %s", (isolation) => {
  it("starts no worker when a running batch is aborted while it closes", async () => {
    // tinypool replaces the worker of an aborted batch, even in a pool being destroyed, and then
    // never stops the replacements: the engine did abort such a batch (an interrupt that close()
    // answered "unknown"), and two worker threads outlived close() for good.
    const threads = watchWorkerThreads()
    const childrenBefore = childPids().length
    try {
      const executor = await makeTinypoolExecutor({ workers: 2, isolation })
      const spin = inline((ms: number) => {
        const end = Date.now() + ms
        while (Date.now() < end) {
          // busy: its worker reads no message
        }
        return ms
      })
      const signal = new BatchAbort()
      const running = executor.run(batchOf(spin, [[30_000]]), signal).catch((error: unknown) => error)
      await new Promise((resolve) => setTimeout(resolve, 200)) // it runs
      const closed = executor.close()
      signal.abort()
      await closed
      expect(((await running) as ExecutorFailure).reason).toBe("closed")
      await eventually(threads.live, (n) => n === 0, 3_000, "worker threads after close()")
      await eventually(
        () => childPids().length,
        (n) => n <= childrenBefore,
        3_000,
        "child processes after close()"
      )
      expect(threads.created()).toBe(isolation === "thread" ? 2 : 0)
    } finally {
      threads.stop()
    }
  })
})
