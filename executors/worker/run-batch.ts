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
import { findFunctions } from "./load.js"
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
  if (control !== undefined || batch.control === undefined) return run(batch, control, post)
  return listenWhileRunning(batch, (own) => run(batch, own, post))
}

/** The batch loop: synchronous tasks run back to back, with no microtask between them. */
async function run(
  batch: WireBatch,
  control: BatchControl | undefined,
  post: ((message: StreamedResults) => void) | undefined
): Promise<WireBatchResult> {
  const start = performance.now()
  const found = findFunctions(batch.fns)
  const tasks = new BatchRun(batch, Array.isArray(found) ? found : await found, control, post)
  const n = batch.fn.length
  // Task start times, only when asked (the dashboard): task i ran from at[i] to at[i + 1].
  const at = batch.timing === true ? new Array<number>(n + 1) : undefined
  // A cluster worker's threads prefix each task's console output with its key (task-output.ts).
  const keys = prefixingTaskOutput ? batch.keys : undefined
  for (let i = 0; i < n; i++) {
    if (keys !== undefined) taskOutput.key = keys[i]
    if (at !== undefined) at[i] = performance.now()
    let value = tasks.start(i)
    if (value === recorded) continue
    if (mustAwait(value)) {
      // Awaited here, not in a helper: an async helper would cost every async task a second promise.
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
        continue
      }
      if (value === recorded) continue
    }
    tasks.finish(i, value)
  }
  if (control !== undefined) control.current = n
  if (keys !== undefined) taskOutput.key = undefined
  if (at === undefined) return tasks.end(start)
  at[n] = performance.now()
  const timing = batchTiming(at, tasks.failed)
  return { ...tasks.end(start), timing }
}
