/**
 * What the cases of the executor conformance suite (`../conformance.case.ts`) share: batch
 * builders, readers of a batch's outcomes, marker files and gates that tasks in any thread or
 * process can see, and the `Suite` each group of cases is given.
 *
 * Test code: excluded from the build (`*.case.ts`), never in `dist/`.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, it } from "vitest"
import { decodeError } from "../../core/error-codec.js"
import type { EncodedError, FnRef, PartialResults, WireBatch, WireBatchResult } from "../../core/protocol.js"
import { ExecutorFailure, type BatchAbort, type Executor } from "../executor.js"

/**
 * What an executor cannot do, each with the reason: the cases that need it are skipped with that
 * reason as their note (as Hono's router suite skips the cases a router does not support).
 */
export interface Skips {
  /** It has no `interrupt`: cancelling a running task falls back to aborting its batch. */
  readonly interrupt?: string
  /** Its tasks run on the client's thread: a task blocking in synchronous code blocks the test, and no worker can die. */
  readonly offThread?: string
}

/** What each group of cases is given. */
export interface Suite {
  /** The executor under test, started once for the whole suite (read it inside a case). */
  readonly executor: Executor
  /** Starts another executor like it, for the cases that close one. */
  readonly make: () => Promise<Executor>
  /** `executor.run` without streaming. */
  readonly run: (batch: WireBatch, signal?: BatchAbort) => Promise<WireBatchResult>
  readonly skip: Skips
}

/** `it`, for a case that needs `capability`: skipped, with the executor's reason, when it lacks it. */
export const itNeeds =
  (suite: Suite, capability: keyof Skips) =>
  (name: string, fn: () => Promise<void>): void =>
    it(name, async (context) => {
      const reason = suite.skip[capability]
      if (reason !== undefined) context.skip(reason)
      await fn()
    })

/** An inline reference to `fn`, as the client builds it. */
export const inline = (fn: Function | string, name?: string): FnRef => {
  const source = typeof fn === "string" ? fn : Function.prototype.toString.call(fn)
  const id = createHash("sha256").update(source).digest("hex")
  return { kind: "inline", id, source, name: name ?? (typeof fn === "function" && fn.name !== "" ? fn.name : "lambda") }
}

/** A registered reference to `name` in a fixture module. */
export const registered = (fixture: string, name: string): FnRef => {
  const module = new URL(`../../test/fixtures/${fixture}`, import.meta.url).href
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
export const valueOf = (result: WireBatchResult, i: number): unknown => {
  expect(result.failed, `task ${i} failed: ${JSON.stringify(result.results[i])}`).not.toContain(i)
  return result.results[i]
}

/** The rebuilt error of task `i`, which must have failed. */
export const errorOf = (result: WireBatchResult, i: number): Error & Record<string, unknown> => {
  expect(result.failed).toContain(i)
  return decodeError(result.results[i] as EncodedError) as Error & Record<string, unknown>
}

export const encodedOf = (result: WireBatchResult, i: number): EncodedError => {
  expect(result.failed).toContain(i)
  return result.results[i] as EncodedError
}

export const rejectionOf = async (promise: Promise<unknown>): Promise<ExecutorFailure> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ExecutorFailure)
  return error as ExecutorFailure
}

/** A fresh marker path for the tasks of `interrupt-tasks.ts`. */
export const freshMarker = (): string => join(mkdtempSync(join(tmpdir(), "weft-interrupt-")), "task")

/** Resolves once `path` exists; fails after `ms`. */
export const fileAppears = async (path: string, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A fresh gate for the tasks of `stream-tasks.ts`: they wait until this file exists. */
export const freshGate = (): string => join(mkdtempSync(join(tmpdir(), "weft-gate-")), "open")
export const openGate = (gate: string): void => writeFileSync(gate, "open")

/** A batch run with `onResults`: what was streamed so far, and the run. */
export interface Streaming {
  readonly parts: PartialResults[]
  readonly done: Promise<WireBatchResult>
}

/** How many leading tasks' outcomes were streamed, checking that the parts follow each other. */
export const streamedCount = (parts: ReadonlyArray<PartialResults>): number => {
  let next = 0
  for (const part of parts) {
    expect(part.from).toBe(next)
    next += part.results.length
  }
  return next
}

/** Resolves once the first `n` tasks' outcomes were streamed; fails after `ms` (the run goes on meanwhile). */
export const streamedAtLeast = async (streaming: Streaming, n: number, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (streamedCount(streaming.parts) < n) {
    if (Date.now() > deadline)
      throw new Error(`only ${streamedCount(streaming.parts)} of ${n} outcomes were streamed within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Every task's outcome, from the parts and the reply: `{ value }` or `{ error }` (encoded). */
export const outcomesOf = (
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
export const idsFor = (n: number): number[] => Array.from({ length: n }, () => ++lastId)

/** What tsx (esbuild `keepNames`) really emits for a function with inner named functions. */
export const tsxSource =
  'function scale(values,factor){const times=__name(v=>v*factor,"times");function label(v){return`${v}`}' +
  '__name(label,"label");return values.map(times).map(label).join(",")+"|"+times.name+","+label.name}'
