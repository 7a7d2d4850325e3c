/**
 * Running the tasks of one batch, one at a time: calling a task (its inputs linked first when it is
 * fused), awaiting what it returned (a thenable, or an Effect run to its exit), and recording its
 * value or encoded error. The loop over the tasks is `run-batch.ts`.
 *
 * Hot path: a synchronous task costs a call, a `typeof` check of its result and no microtask; only
 * thenables and Effects are awaited (`mustAwait`). Nothing is allocated per task: a batch has one
 * `BatchRun`, and a task's state is its index.
 *
 * @internal
 */
import type { EncodedError, StreamedResults, WireBatch, WireBatchResult } from "../../core/protocol.js"
import { awaitingEffect, awaitingPromise, notStarted, type BatchControl } from "../interrupt/worker.js"
import { effectTypeId, runEffect } from "./effect.js"
import { link, skip } from "./link.js"
import type { Resolved } from "./load.js"
import { encodeThrown, injectedFault, skippedTask, uncloneable } from "./outcomes.js"
import { uncloneableReason } from "./result-check.js"
import { openStream, type ResultStream } from "./stream.js"

/** What `BatchRun.start` and `settle` return when the task's outcome is already recorded (it failed). */
export const recorded: unique symbol = Symbol("recorded")

/** Whether a task's return value must be awaited: a thenable, or an Effect to run. */
export const mustAwait = (value: unknown): boolean =>
  typeof value === "object"
    ? value !== null && (typeof (value as Partial<PromiseLike<unknown>>).then === "function" || effectTypeId in value)
    : typeof value === "function" && typeof (value as Partial<PromiseLike<unknown>>).then === "function"

/** The outcomes of one batch's tasks as they run, index-aligned. */
export class BatchRun {
  readonly results: unknown[]
  /** The indices of the failed tasks, ascending. */
  readonly failed: number[] = []
  /** Streamed results (`stream.ts`), when the batch asks for them. */
  readonly stream: ResultStream | undefined

  constructor(
    readonly batch: WireBatch,
    readonly fns: ReadonlyArray<Resolved>,
    readonly control: BatchControl | undefined,
    post: ((message: StreamedResults) => void) | undefined
  ) {
    this.results = new Array<unknown>(batch.fn.length)
    this.stream = batch.stream === undefined ? undefined : openStream(batch, fns, this.results, this.failed, post)
  }

  /** Calls task `i`: what it returned (maybe to await), or `recorded` when it did not run or threw. */
  start(i: number): unknown {
    const batch = this.batch
    const f = batch.fn[i]
    const skipped = this.control?.skipped
    if (skipped !== undefined && skipped.has(i)) return this.fail(i, notStarted(batch.fns[f]))
    const fn = this.fns[f]
    if (typeof fn !== "function") return this.fail(i, fn)
    let args = batch.args[i]
    const linked = batch.linked
    if (linked !== undefined && linked[i]) {
      // Fusion: inputs computed earlier in this batch.
      const filled = link(args, batch.refKey!, this.results, this.failed)
      if (filled === skip) return this.fail(i, skippedTask)
      args = filled as ReadonlyArray<unknown>
    }
    this.stream?.next(i, f)
    try {
      return fn(...args)
    } catch (error) {
      return this.fail(i, encodeThrown(error, batch.fns[f], "thrown"))
    }
  }

  /**
   * Awaits what task `i` returned (`mustAwait`): a thenable, then an Effect (also one a Promise
   * resolved to). Its value, or `recorded` when it failed. The control and the stream hear of each
   * await first: a request or a flush can only be read then.
   */
  async settle(i: number, value: unknown): Promise<unknown> {
    const { control, stream } = this
    const ref = this.batch.fns[this.batch.fn[i]]
    const object = typeof value === "object"
    try {
      if (typeof (value as Partial<PromiseLike<unknown>>).then === "function") {
        control?.awaits(i, awaitingPromise)
        stream?.awaits(i)
        value = await value
      }
      if (object && typeof value === "object" && value !== null && effectTypeId in value) {
        control?.awaits(i, awaitingEffect)
        stream?.awaits(i)
        const exit = await runEffect(value, ref, control)
        if (exit.failure !== undefined) return this.fail(i, exit.failure)
        value = exit.value
      }
      return value
    } catch (error) {
      return this.fail(i, encodeThrown(error, ref, "thrown"))
    }
  }

  /** Records task `i`'s value; or why it cannot be sent back; or the fault the plan injected. */
  finish(i: number, value: unknown): void {
    if (typeof value === "object" || typeof value === "function" || typeof value === "symbol") {
      const reason = value === null ? undefined : uncloneableReason(value)
      if (reason !== undefined) {
        this.fail(i, uncloneable(reason))
        return
      }
    }
    // An injected fault strikes after the function ran, like a connection lost after the work was
    // done: the retry runs the function again, so side effects that retries duplicate show up.
    const inject = this.batch.inject
    if (inject !== undefined && inject[i] === true) this.fail(i, injectedFault)
    else this.results[i] = value
  }

  /** Records that task `i` failed with `error`. */
  fail(i: number, error: EncodedError): typeof recorded {
    this.results[i] = error
    this.failed.push(i)
    return recorded
  }

  /** The batch's reply, once every task ran: only what was not streamed (posted outcomes are not cloned twice). */
  end(start: number): WireBatchResult {
    const { results, stream } = this
    if (stream !== undefined && stream.flushed > 0) {
      return { results, failed: stream.end(), elapsedMs: performance.now() - start, streamed: stream.flushed }
    }
    stream?.end()
    return { results, failed: this.failed, elapsedMs: performance.now() - start }
  }
}
