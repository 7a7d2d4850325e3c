/**
 * The shared conformance suite of `Executor` implementations (Hono's router suite, for executors):
 * every implementation must pass all of it, so that what a task sees and what comes back does not
 * depend on where it ran.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeError, tracebackSymbol } from "../../dist/core/error-codec.js"
import { BatchAbort, ExecutorFailure, type Executor } from "../../dist/executors/executor.js"
import type { EncodedError, FnRef, PartialResults, WireBatch, WireBatchResult } from "../../dist/core/protocol.js"
import { TaskDefinitionError, TaskError } from "../../dist/core/errors.js"

/** An inline reference to `fn`, as the client builds it. */
export const inline = (fn: Function | string, name?: string): FnRef => {
  const source = typeof fn === "string" ? fn : Function.prototype.toString.call(fn)
  const id = createHash("sha256").update(source).digest("hex")
  return { kind: "inline", id, source, name: name ?? (typeof fn === "function" && fn.name !== "" ? fn.name : "lambda") }
}

/** A registered reference to `name` in a fixture module. */
export const registered = (fixture: string, name: string): FnRef => {
  const module = new URL(`../fixtures/${fixture}`, import.meta.url).href
  return { kind: "registered", id: `${module}#${name}@test`, module, name, index: -1 }
}

/** A batch of one function applied to each argument list. */
export const batchOf = (
  ref: FnRef,
  argLists: ReadonlyArray<ReadonlyArray<unknown>>,
  inject?: boolean[]
): WireBatch => ({
  fns: [ref],
  fn: argLists.map(() => 0),
  args: argLists,
  ...(inject ? { inject } : {})
})

/** The value of task `i`, or a failing expectation when it failed. */
const valueOf = (result: WireBatchResult, i: number): unknown => {
  expect(result.failed, `task ${i} failed: ${JSON.stringify(result.results[i])}`).not.toContain(i)
  return result.results[i]
}

/** The rebuilt error of task `i`, which must have failed. */
const errorOf = (result: WireBatchResult, i: number): Error & Record<string, unknown> => {
  expect(result.failed).toContain(i)
  return decodeError(result.results[i] as EncodedError) as Error & Record<string, unknown>
}

const encodedOf = (result: WireBatchResult, i: number): EncodedError => {
  expect(result.failed).toContain(i)
  return result.results[i] as EncodedError
}

const rejectionOf = async (promise: Promise<unknown>): Promise<ExecutorFailure> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ExecutorFailure)
  return error as ExecutorFailure
}

/** A fresh marker path for the tasks of `interrupt-tasks.ts`. */
const freshMarker = (): string => join(mkdtempSync(join(tmpdir(), "weft-interrupt-")), "task")

/** Resolves once `path` exists; fails after `ms`. */
const fileAppears = async (path: string, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A fresh gate for the tasks of `stream-tasks.ts`: they wait until this file exists. */
const freshGate = (): string => join(mkdtempSync(join(tmpdir(), "weft-gate-")), "open")
const openGate = (gate: string): void => writeFileSync(gate, "open")

/** A batch run with `onResults`: what was streamed so far, and the run. */
interface Streaming {
  readonly parts: PartialResults[]
  readonly done: Promise<WireBatchResult>
}

/** How many leading tasks' outcomes were streamed, checking that the parts follow each other. */
const streamedCount = (parts: ReadonlyArray<PartialResults>): number => {
  let next = 0
  for (const part of parts) {
    expect(part.from).toBe(next)
    next += part.results.length
  }
  return next
}

/** Resolves once the first `n` tasks' outcomes were streamed; fails after `ms` (the run goes on meanwhile). */
const streamedAtLeast = async (streaming: Streaming, n: number, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (streamedCount(streaming.parts) < n) {
    if (Date.now() > deadline)
      throw new Error(`only ${streamedCount(streaming.parts)} of ${n} outcomes were streamed within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Every task's outcome, from the parts and the reply: `{ value }` or `{ error }` (encoded). */
const outcomesOf = (
  parts: ReadonlyArray<PartialResults>,
  result: WireBatchResult
): Array<{ value?: unknown; error?: EncodedError }> => {
  const streamed = streamedCount(parts)
  expect(result.streamed ?? 0).toBe(streamed)
  const out: Array<{ value?: unknown; error?: EncodedError }> = []
  for (const part of parts) {
    part.results.forEach((value, k) =>
      out.push(part.failed.includes(part.from + k) ? { error: value as EncodedError } : { value })
    )
  }
  for (const i of result.failed) expect(i).toBeGreaterThanOrEqual(streamed)
  for (let i = streamed; i < result.results.length; i++) {
    out.push(result.failed.includes(i) ? { error: result.results[i] as EncodedError } : { value: result.results[i] })
  }
  return out
}

/** Attempt ids for the batches of the interrupt cases: unique per executor, as the engine's are. */
let lastId = 0
const idsFor = (n: number): number[] => Array.from({ length: n }, () => ++lastId)

/** What tsx (esbuild `keepNames`) really emits for a function with inner named functions. */
const tsxSource =
  'function scale(values,factor){const times=__name(v=>v*factor,"times");function label(v){return`${v}`}' +
  '__name(label,"label");return values.map(times).map(label).join(",")+"|"+times.name+","+label.name}'

/** Defines the conformance suite for the executor that `make` starts. */
export function executorConformance(
  name: string,
  make: () => Promise<Executor>,
  capabilities: {
    interrupts?: boolean
    /** Tasks run off the client's thread: a task blocking in synchronous code does not block the test, and a worker can die. */
    offThread?: boolean
  } = {}
): void {
  describe(`${name} executor conformance`, () => {
    let executor: Executor
    const run = (batch: WireBatch, signal?: BatchAbort) => executor.run(batch, signal)

    beforeAll(async () => {
      executor = await make()
    })
    afterAll(async () => {
      await executor?.close()
    })

    describe("inline functions", () => {
      it("runs function declarations, async functions, arrows and async arrows", async () => {
        const result = await run({
          fns: [
            inline(function inc(x: number) {
              return x + 1
            }),
            inline(async function incLater(x: number) {
              await new Promise((resolve) => setTimeout(resolve, 1))
              return x + 1
            }),
            inline((x: number) => x * 10),
            inline(async (x: number) => x * 100)
          ],
          fn: [0, 1, 2, 3],
          args: [[1], [2], [3], [4]]
        })
        expect(result.failed).toEqual([])
        expect(result.results).toEqual([2, 3, 30, 400])
        expect(result.elapsedMs).toBeGreaterThanOrEqual(0)
      })

      it("runs method shorthand, sync and async", async () => {
        const methods = {
          inc(x: number) {
            return x + 1
          },
          async dec(x: number) {
            return x - 1
          }
        }
        const result = await run({ fns: [inline(methods.inc), inline(methods.dec)], fn: [0, 1], args: [[1], [1]] })
        expect(result.results).toEqual([2, 0])
      })

      it("runs source compiled by tsx, which calls __name", async () => {
        const result = await run(batchOf(inline(tsxSource, "scale"), [[[1, 2], 3]]))
        expect(valueOf(result, 0)).toBe("3,6|times,label")
      })

      it("returns results in task order", async () => {
        const args = Array.from({ length: 50 }, (_, i) => [i])
        const result = await run(
          batchOf(
            inline(async (i: number) => {
              await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5))
              return `task-${i}`
            }),
            args
          )
        )
        expect(result.results).toEqual(args.map(([i]) => `task-${i}`))
      })

      it("runs 1,000 tasks in one batch", async () => {
        const args = Array.from({ length: 1_000 }, (_, i) => [i])
        const result = await run(
          batchOf(
            inline((x: number) => x * 2),
            args
          )
        )
        expect(result.failed).toEqual([])
        expect(result.results).toEqual(args.map(([i]) => i * 2))
      })

      it("clones arguments and results: class instances arrive as plain objects", async () => {
        class Point {
          constructor(
            readonly x: number,
            readonly y: number
          ) {}
        }
        const result = await run(
          batchOf(
            inline((p: { x: number; y: number }) => ({
              proto: Object.getPrototypeOf(p) === Object.prototype,
              sum: p.x + p.y,
              map: new Map([[1, "a"]])
            })),
            [[new Point(1, 2)]]
          )
        )
        expect(valueOf(result, 0)).toEqual({ proto: true, sum: 3, map: new Map([[1, "a"]]) })
      })
    })

    describe("failures", () => {
      it("keeps the other tasks of a batch when some fail", async () => {
        const result = await run(
          batchOf(
            inline((x: number) => {
              if (x % 3 === 0) throw new Error(`bad ${x}`)
              return x
            }),
            [[1], [3], [4], [6], [7]]
          )
        )
        expect(result.failed).toEqual([1, 3])
        expect([0, 2, 4].map((i) => result.results[i])).toEqual([1, 4, 7])
        expect(errorOf(result, 3).message).toBe("bad 6")
      })

      it("keeps name, message, own properties, cause and the worker's stack", async () => {
        const result = await run(
          batchOf(
            inline(function failing() {
              const cause = new Error("root cause")
              throw Object.assign(new Error("outer", { cause }), { code: "E_OUTER", details: { attempt: 2 } })
            }),
            [[]]
          )
        )
        const error = errorOf(result, 0)
        expect(error).toBeInstanceOf(Error)
        expect(error).toBeInstanceOf(TaskError)
        expect(error.name).toBe("Error")
        expect(error.message).toBe("outer")
        expect(error.code).toBe("E_OUTER")
        expect(error.details).toEqual({ attempt: 2 })
        expect((error.cause as Error).message).toBe("root cause")
        expect(error.cause).toBeInstanceOf(TaskError)
        expect(error.stack).toContain("failing")
        expect((error as unknown as Record<symbol, unknown>)[tracebackSymbol]).toBe(error.stack)
        expect(encodedOf(result, 0).kind).toBe("thrown")
      })

      it("restores built-in classes", async () => {
        const result = await run({
          fns: [
            inline(() => {
              throw new TypeError("wrong type")
            }),
            inline(() => {
              throw new RangeError("out of range")
            }),
            inline(() => {
              throw new AggregateError([new SyntaxError("one"), new URIError("two")], "several")
            })
          ],
          fn: [0, 1, 2],
          args: [[], [], []]
        })
        const type = errorOf(result, 0)
        expect(type).toBeInstanceOf(TypeError)
        expect(type).toBeInstanceOf(TaskError)
        expect(type.message).toBe("wrong type")
        expect(errorOf(result, 1)).toBeInstanceOf(RangeError)
        const aggregate = errorOf(result, 2) as unknown as AggregateError
        expect(aggregate).toBeInstanceOf(AggregateError)
        expect(aggregate.errors.map((e: Error) => [e.constructor, e.message])).toEqual([
          [SyntaxError, "one"],
          [URIError, "two"]
        ])
      })

      it("gives a custom class back as a TaskError with the original name and fields", async () => {
        const result = await run(
          batchOf(
            inline(() => {
              class QuotaExceeded extends Error {
                override readonly name = "QuotaExceeded"
                readonly limit = 10
              }
              throw new QuotaExceeded("too many")
            }),
            [[]]
          )
        )
        const error = errorOf(result, 0)
        expect(error).toBeInstanceOf(TaskError)
        expect(error.name).toBe("QuotaExceeded")
        expect(error.message).toBe("too many")
        expect(error.limit).toBe(10)
      })

      it("reports a thrown non-Error value", async () => {
        const result = await run(
          batchOf(
            inline(() => {
              throw "just a string"
            }),
            [[]]
          )
        )
        const error = errorOf(result, 0)
        expect(error).toBeInstanceOf(TaskError)
        expect(error.message).toBe("Task threw a non-Error value: just a string")
        expect(error.value).toBe("just a string")
      })

      it("reports a free identifier of an inline function as a definition error naming it", async () => {
        const result = await run(batchOf(inline("(x) => x + offset", "addOffset"), [[1]]))
        const error = errorOf(result, 0)
        expect(encodedOf(result, 0).kind).toBe("definition")
        expect(error).toBeInstanceOf(TaskDefinitionError)
        expect(error).toBeInstanceOf(TaskError)
        expect(error.message).toContain('"offset"')
        expect(error.message).toContain("task(import.meta, fn)")
        expect((error as unknown as TaskDefinitionError).details).toEqual({ task: "addOffset", identifier: "offset" })
      })

      it("reports source that does not compile as a definition error", async () => {
        const result = await run(batchOf(inline("(x) => { return x +", "broken"), [[1]]))
        const error = errorOf(result, 0)
        expect(error).toBeInstanceOf(TaskDefinitionError)
        expect(error.message).toContain('"broken"')
      })

      it("fails a result that cannot be cloned, naming its path", async () => {
        const result = await run({
          fns: [inline(() => ({ items: [1, 2, 3, { fn: () => 1 }] })), inline((x: number) => x)],
          fn: [0, 1],
          args: [[], [5]]
        })
        const error = errorOf(result, 0)
        expect(error).toBeInstanceOf(TypeError)
        expect(error.message).toBe("result.items[3].fn is a function, which cannot be sent back from a worker")
        expect(valueOf(result, 1)).toBe(5)
      })

      it("fails injected tasks after running them: the result is dropped, a real failure is kept", async () => {
        const result = await run(
          batchOf(
            inline((x: number) => {
              if (x === 4) throw new Error("task 4 failed for real")
              return x
            }),
            [[1], [2], [3], [4]],
            [false, true, false, true]
          )
        )
        expect(result.failed).toEqual([1, 3])
        expect(result.results[0]).toBe(1)
        expect(result.results[2]).toBe(3)
        expect(encodedOf(result, 1)).toMatchObject({
          kind: "thrown",
          name: "InjectedFault",
          message: "weft injected a transient failure (fault plan)"
        })
        // The function ran (it threw): its own error is what the attempt reports.
        expect(encodedOf(result, 3)).toMatchObject({ kind: "thrown", name: "Error", message: "task 4 failed for real" })
      })
    })

    describe("registered tasks", () => {
      it("imports the module and runs the task, closures over module scope included", async () => {
        const result = await run({
          fns: [registered("registered.ts", "double"), registered("registered.ts", "addOffset")],
          fn: [0, 1, 0],
          args: [[21], [1], [2]]
        })
        expect(result.failed).toEqual([])
        expect(result.results).toEqual([42, 101, 4])
      })

      it("keeps fields of errors from registered async tasks", async () => {
        const result = await run(batchOf(registered("registered.ts", "failsWithCode"), [["E_REG"]]))
        const error = errorOf(result, 0)
        expect(error.message).toBe("failed with E_REG")
        expect(error.code).toBe("E_REG")
      })

      it("fails a name that the module does not register", async () => {
        const result = await run(batchOf(registered("registered.ts", "missing"), [[1]]))
        const error = errorOf(result, 0)
        expect(error).toBeInstanceOf(TaskDefinitionError)
        expect(error.message).toContain('Task "missing" is not registered in')
        expect(error.message).toContain("task(import.meta, fn)")
      })

      it("fails the tasks of a module that throws at load, and runs the next batch", async () => {
        const result = await run({
          fns: [registered("throws-at-load.ts", "neverRegistered"), inline((x: number) => x + 1)],
          fn: [0, 1],
          args: [[], [1]]
        })
        const error = errorOf(result, 0)
        expect(encodedOf(result, 0).kind).toBe("definition")
        expect(error).toBeInstanceOf(TaskDefinitionError)
        expect(error.message).toContain("fixture module failed while loading")
        expect(valueOf(result, 1)).toBe(2)
        const next = await run(batchOf(registered("registered.ts", "double"), [[4]]))
        expect(valueOf(next, 0)).toBe(8)
        const again = await run(batchOf(registered("throws-at-load.ts", "neverRegistered"), [[]]))
        expect(errorOf(again, 0)).toBeInstanceOf(TaskDefinitionError)
      })
    })

    describe("Effect tasks", () => {
      it("runs a returned Effect to its value, also from a Promise", async () => {
        const result = await run({
          fns: [registered("effect-tasks.ts", "lookup"), registered("effect-tasks.ts", "lookupLater")],
          fn: [0, 1],
          args: [[7], [8]]
        })
        expect(result.failed).toEqual([])
        expect(result.results).toEqual([
          { id: 7, name: "item-7" },
          { id: 8, name: "item-8" }
        ])
      })

      it("reports a typed failure with its _tag and fields", async () => {
        const result = await run(batchOf(registered("effect-tasks.ts", "lookup"), [[-1]]))
        const encoded = encodedOf(result, 0)
        expect(encoded.kind).toBe("typed")
        const error = errorOf(result, 0)
        expect(error).toBeInstanceOf(TaskError)
        expect(error._tag).toBe("NotFound")
        expect(error.name).toBe("NotFound")
        expect(error.id).toBe(-1)
        expect(error.path).toBe("/items")
      })

      it("reports a defect as thrown and an interruption as interrupted", async () => {
        const result = await run({
          fns: [registered("effect-tasks.ts", "dies"), registered("effect-tasks.ts", "interrupted")],
          fn: [0, 1],
          args: [[], []]
        })
        expect(encodedOf(result, 0).kind).toBe("thrown")
        expect(errorOf(result, 0)).toBeInstanceOf(RangeError)
        expect(encodedOf(result, 1).kind).toBe("interrupted")
      })
    })

    describe("streamed results (run with onResults)", () => {
      const tasks = "stream-tasks.ts"
      const streaming = (batch: WireBatch, signal?: BatchAbort): Streaming => {
        const parts: PartialResults[] = []
        return { parts, done: executor.run(batch, signal, (part) => parts.push(part)) }
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
            await executor.run(
              batchOf(
                inline((x: number) => x + 1),
                [[1]]
              )
            )
          ).results
        ).toEqual([2])
      })

      if (capabilities.offThread !== false) {
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
              await executor.run(
                batchOf(
                  inline((x: number) => x + 1),
                  [[1]]
                )
              )
            ).results
          ).toEqual([2])
        })
      }
    })

    if (capabilities.interrupts === false) {
      it("has no interrupt(): cancelling a running task falls back to stopping its worker", () => {
        expect(executor.interrupt).toBeUndefined()
      })
    } else
      describe("interrupt (executors that implement it)", () => {
        const tasks = "interrupt-tasks.ts"

        it("interrupts a running Effect task: its acquireRelease finalizer runs and the rest of the batch returns", async () => {
          const marker = freshMarker()
          const ids = idsFor(2)
          const pending = run({
            fns: [registered(tasks, "guarded"), registered("registered.ts", "double")],
            fn: [0, 1],
            args: [[marker, 30_000], [21]],
            ids
          })
          await fileAppears(`${marker}.started`)
          expect(await executor.interrupt!(ids[0], 5_000)).toBe("interrupted")
          expect(existsSync(`${marker}.released`)).toBe(true) // the answer comes after the fiber exited
          const result = await pending
          expect(encodedOf(result, 0).kind).toBe("interrupted")
          expect(valueOf(result, 1)).toBe(42)
        })

        it("runs Effect.onInterrupt and Effect.ensuring finalizers", async () => {
          const marker = freshMarker()
          const ids = idsFor(1)
          const pending = run({ ...batchOf(registered(tasks, "ensured"), [[marker, 30_000]]), ids })
          await fileAppears(`${marker}.started`)
          expect(await executor.interrupt!(ids[0], 5_000)).toBe("interrupted")
          expect(existsSync(`${marker}.interrupted`)).toBe(true)
          expect(existsSync(`${marker}.released`)).toBe(true)
          expect(encodedOf(await pending, 0).kind).toBe("interrupted")
        })

        it("skips a task that has not started, runs the others, and reports a finished one", async () => {
          const running = freshMarker()
          const skipped = freshMarker()
          const ids = idsFor(4)
          const pending = run({
            fns: [registered("registered.ts", "double"), registered(tasks, "guarded"), registered(tasks, "touch")],
            fn: [0, 1, 2, 0],
            args: [[1], [running, 30_000], [skipped], [4]],
            ids
          })
          await fileAppears(`${running}.started`)
          expect(await executor.interrupt!(ids[2], 5_000)).toBe("not-started")
          expect(await executor.interrupt!(ids[0], 5_000)).toBe("finished")
          expect(await executor.interrupt!(ids[1], 5_000)).toBe("interrupted")
          const result = await pending
          expect(result.failed).toEqual([1, 2])
          expect(valueOf(result, 0)).toBe(2)
          expect(encodedOf(result, 1).kind).toBe("interrupted")
          expect(encodedOf(result, 2)).toMatchObject({ kind: "interrupted", name: "InterruptedError" })
          expect(existsSync(`${skipped}.ran`)).toBe(false)
          expect(valueOf(result, 3)).toBe(8)
        })

        it("skips an attempt of a batch still waiting for a worker", async () => {
          // Every worker busy with an Effect task until it is interrupted; then the queued batch runs.
          const busy = Array.from({ length: executor.workers }, () => {
            const marker = freshMarker()
            const ids = idsFor(1)
            return { marker, ids, done: run({ ...batchOf(registered(tasks, "guarded"), [[marker, 30_000]]), ids }) }
          })
          await Promise.all(busy.map(({ marker }) => fileAppears(`${marker}.started`)))
          const marker = freshMarker()
          const ids = idsFor(2)
          const queued = run({
            fns: [registered(tasks, "touch"), registered("registered.ts", "double")],
            fn: [0, 1],
            args: [[marker], [5]],
            ids
          })
          const skipped = executor.interrupt!(ids[0], 10_000)
          for (const { ids } of busy) expect(await executor.interrupt!(ids[0], 5_000)).toBe("interrupted")
          expect(await skipped).toBe("not-started")
          const result = await queued
          expect(encodedOf(result, 0).kind).toBe("interrupted")
          expect(existsSync(`${marker}.ran`)).toBe(false)
          expect(valueOf(result, 1)).toBe(10)
          for (const { done } of busy) expect(encodedOf(await done, 0).kind).toBe("interrupted")
        })

        it("reports a running plain async task as uninterruptible and lets it finish", async () => {
          const marker = freshMarker()
          const ids = idsFor(1)
          const pending = run({ ...batchOf(registered(tasks, "asleep"), [[marker, 300]]), ids })
          await fileAppears(`${marker}.started`)
          expect(await executor.interrupt!(ids[0], 5_000)).toBe("uninterruptible")
          expect(valueOf(await pending, 0)).toBe(300)
        })

        it("stops an uninterruptible task by aborting, and keeps working", async () => {
          const marker = freshMarker()
          const ids = idsFor(1)
          const controller = new BatchAbort()
          const pending = run({ ...batchOf(registered(tasks, "asleep"), [[marker, 30_000]]), ids }, controller)
          await fileAppears(`${marker}.started`)
          expect(await executor.interrupt!(ids[0], 5_000)).toBe("uninterruptible")
          controller.abort()
          expect((await rejectionOf(pending)).reason).toBe("aborted")
          expect(
            (
              await run({
                ...batchOf(
                  inline((x: number) => x + 1),
                  [[1]]
                ),
                ids: idsFor(1)
              })
            ).results
          ).toEqual([2])
        })

        it("answers unknown for an attempt it does not hold", async () => {
          expect(await executor.interrupt!(idsFor(1)[0], 50)).toBe("unknown")
        })
      })

    describe("abort and close", () => {
      it("rejects a batch whose signal is already aborted, and keeps working", async () => {
        const controller = new BatchAbort()
        controller.abort()
        const failure = await rejectionOf(
          run(
            batchOf(
              inline((x: number) => x),
              [[1]]
            ),
            controller
          )
        )
        expect(failure.reason).toBe("aborted")
        expect(
          (
            await run(
              batchOf(
                inline((x: number) => x + 1),
                [[1]]
              )
            )
          ).results
        ).toEqual([2])
      })

      it("rejects a running batch when its signal is aborted, and keeps working", async () => {
        const controller = new BatchAbort()
        const pending = run(
          batchOf(
            inline(() => new Promise((resolve) => setTimeout(resolve, 1_500))),
            [[]]
          ),
          controller
        )
        setTimeout(() => controller.abort(), 50)
        const failure = await rejectionOf(pending)
        expect(failure.reason).toBe("aborted")
        expect(
          (
            await run(
              batchOf(
                inline((x: number) => x + 1),
                [[2]]
              )
            )
          ).results
        ).toEqual([3])
      })

      it("rejects running and queued batches on close(), and close() is idempotent", async () => {
        const own = await make()
        const slow = inline(() => new Promise((resolve) => setTimeout(() => resolve("late"), 1_000)))
        const pending = Array.from({ length: own.workers + 2 }, () => rejectionOf(own.run(batchOf(slow, [[]]))))
        await new Promise((resolve) => setTimeout(resolve, 50))
        await own.close()
        for (const failure of await Promise.all(pending)) expect(failure.reason).toBe("closed")
        expect((await rejectionOf(own.run(batchOf(slow, [[]])))).reason).toBe("closed")
        await own.close()
      })
    })
  })
}
