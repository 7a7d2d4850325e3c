/**
 * Runs one `WireBatch` in the current thread: finds each function once (`load.ts`), runs the tasks
 * one after another in order (`task.ts`), and turns every failure into an `EncodedError`. Pure
 * JavaScript with no dependency on tinypool, so the worker entry, the in-process executor and
 * `weft/testing` share it.
 *
 * The parts, one concern each: finding functions (`load.ts`, `compile.ts`), linking fused inputs
 * (`link.ts`), running one task, sync, async or Effect (`task.ts`, `effect.ts`), checking that a
 * result can be sent back (`result-check.ts`), streaming finished outcomes early (`stream.ts`), and
 * interrupts (`../interrupt/worker.ts`).
 *
 * @internal
 */
import type { StreamedResults, WireBatch, WireBatchResult } from "../../core/protocol.js"
import { awaitingPromise, listenWhileRunning, type BatchControl } from "../interrupt/worker.js"
import { findFunctions, type Resolved } from "./load.js"
import { BatchRun, isEffect, isThenable, mustAwait, recorded } from "./task.js"
import { batchTiming } from "./timing.js"
import { prefixingTaskOutput, taskOutput } from "./task-output.js"

/**
 * Runs every task of `batch` and reports each value or encoded error, index-aligned. Never
 * rejects for a task's failure; a task never fails another.
 *
 * `control`, given by a caller that interrupts tasks itself (the in-process executor), is where
 * `interruptAttempt` finds the batch. Without it, a batch with `ids` and a `control` channel
 * name listens on that channel while it runs (a worker thread).
 *
 * A batch with `stream` posts its finished tasks' outcomes early (`stream.ts`): `post` is where,
 * for a caller in this thread (`stream.via` `"call"`).
 */
export function runBatch(
  batch: WireBatch,
  control?: BatchControl,
  post?: (message: StreamedResults) => void
): Promise<WireBatchResult> {
  try {
    return Promise.resolve(runBatchNow(batch, control, post))
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * `runBatch`, but a batch whose tasks all returned at once (no thenable, no Effect) and whose
 * functions were already loaded returns its result itself, not a Promise: the worker entry hands
 * it to tinypool, which sends it in the same turn. An awaited round trip (one quick task) then
 * costs the worker no Promise and no microtask of weft's. May throw where `runBatch` rejects.
 */
export function runBatchNow(
  batch: WireBatch,
  control?: BatchControl,
  post?: (message: StreamedResults) => void
): WireBatchResult | Promise<WireBatchResult> {
  if (control !== undefined || batch.control === undefined) return run(batch, control, post)
  return listenWhileRunning(batch, (own) => run(batch, own, post))
}

/** One batch's loop state. */
interface Loop {
  readonly tasks: BatchRun
  readonly n: number
  readonly start: number
  /** Task start times, only when asked (the dashboard): task i ran from at[i] to at[i + 1]. */
  readonly at: number[] | undefined
  /** A cluster worker's threads prefix each task's console output with its key (task-output.ts). */
  readonly keys: ReadonlyArray<string> | undefined
  /** What the task `runNow` stopped at returned: a thenable or an Effect, to await. */
  pending: unknown
}

/** Finds the functions (importing modules when needed), then runs the tasks. */
function run(
  batch: WireBatch,
  control: BatchControl | undefined,
  post: ((message: StreamedResults) => void) | undefined
): WireBatchResult | Promise<WireBatchResult> {
  const start = performance.now()
  const found = findFunctions(batch.fns)
  if (!Array.isArray(found)) return found.then((fns) => runFound(batch, fns, control, post, start))
  return runFound(batch, found, control, post, start)
}

function runFound(
  batch: WireBatch,
  fns: ReadonlyArray<Resolved>,
  control: BatchControl | undefined,
  post: ((message: StreamedResults) => void) | undefined,
  start: number
): WireBatchResult | Promise<WireBatchResult> {
  const n = batch.fn.length
  const loop: Loop = {
    tasks: new BatchRun(batch, fns, control, post),
    n,
    start,
    at: batch.timing === true ? new Array<number>(n + 1) : undefined,
    keys: prefixingTaskOutput ? batch.keys : undefined,
    pending: undefined
  }
  const stopped = runNow(loop, 0)
  return stopped === n ? end(loop) : runAwaiting(loop, stopped)
}

/**
 * Runs tasks `from` on while each returns at once (synchronous tasks back to back, no microtask
 * between them); returns the index of the first task whose value must be awaited (the value is in
 * `loop.pending`), or the task count when all ran.
 */
function runNow(loop: Loop, from: number): number {
  const { tasks, n, at, keys } = loop
  for (let i = from; i < n; i++) {
    if (keys !== undefined) taskOutput.key = keys[i]
    if (at !== undefined) at[i] = performance.now()
    const value = tasks.start(i)
    if (value === recorded) continue
    if (mustAwait(value)) {
      loop.pending = value
      return i
    }
    tasks.finish(i, value)
  }
  return n
}

/** The rest of a batch from task `i`, whose value must be awaited: one Promise for the whole rest. */
async function runAwaiting(loop: Loop, i: number): Promise<WireBatchResult> {
  const { tasks, n } = loop
  while (i < n) {
    let value = loop.pending
    loop.pending = undefined
    // Awaited here, not in a helper: an async helper would cost every async task a second promise.
    let threw = false
    try {
      const object = typeof value === "object"
      if (isThenable(value)) {
        tasks.awaits(i, awaitingPromise)
        value = await value
      }
      // An Effect, also one a Promise resolved to (not one a function-thenable resolved to, as ever).
      if (object && isEffect(value)) value = await tasks.runEffect(i, value)
    } catch (error) {
      tasks.threw(i, error)
      threw = true
    }
    if (!threw && value !== recorded) tasks.finish(i, value)
    i = runNow(loop, i + 1)
  }
  return end(loop)
}

/** The reply, once every task ran. */
function end(loop: Loop): WireBatchResult {
  const { tasks, n, at, keys } = loop
  if (tasks.control !== undefined) tasks.control.current = n
  if (keys !== undefined) taskOutput.key = undefined
  if (at === undefined) return tasks.end(loop.start)
  at[n] = performance.now()
  const timing = batchTiming(at, tasks.failed)
  return { ...tasks.end(loop.start), timing }
}
