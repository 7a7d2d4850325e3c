/**
 * Running the tasks of one batch, one at a time: calling a task (its inputs linked first when it is
 * fused), running an Effect it returned, and recording its value or encoded error. The loop over
 * the tasks, which awaits what a task returned, is `run-batch.ts`.
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
import { declaredEnvDigest } from "../../core/declared-env.js"
import { TaskDefinitionError } from "../../core/errors.js"
import { openStream, type ResultStream } from "./stream.js"

/** What `BatchRun.start` and `settle` return when the task's outcome is already recorded (it failed). */
export const recorded: unique symbol = Symbol("recorded")

/** A thenable: awaited (a task may return any PromiseLike, or a function with `then`). */
export const isThenable = (value: unknown): boolean =>
  ((typeof value === "object" && value !== null) || typeof value === "function") &&
  typeof (value as Partial<PromiseLike<unknown>>).then === "function"

/** An Effect, run to its exit (`effect.ts`), known without importing `effect`. */
export const isEffect = (value: unknown): value is object =>
  typeof value === "object" && value !== null && effectTypeId in value

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
    const declared = batch.declared?.[i]
    if (declared !== undefined && declaredEnvDigest(declared.names) !== declared.digest) {
      this.threw(i, declaredEnvDiffers(batch.fns[f].name, declared.names))
      return recorded
    }
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
      this.threw(i, error)
      return recorded
    }
  }

  /** Task `i` is about to await what it returned: the control and the stream hear of it first (a request or a flush can only be read then). */
  awaits(i: number, what: typeof awaitingPromise | typeof awaitingEffect): void {
    this.control?.awaits(i, what)
    this.stream?.awaits(i)
  }

  /** Runs the Effect task `i` returned (or a Promise it returned resolved to): its value, or `recorded` when it failed. */
  async runEffect(i: number, effect: object): Promise<unknown> {
    this.awaits(i, awaitingEffect)
    const exit = await runEffect(effect, this.batch.fns[this.batch.fn[i]], this.control, this.batch.trace?.[i])
    return exit.failure === undefined ? exit.value : this.fail(i, exit.failure)
  }

  /** Records that task `i` threw `error` (or a thenable it returned rejected with it). */
  threw(i: number, error: unknown): void {
    this.fail(i, encodeThrown(error, this.batch.fns[this.batch.fn[i]], "thrown"))
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

/** A cached task whose declared variables differ here from the client's (only names: values may be secrets). */
const declaredEnvDiffers = (task: string, names: ReadonlyArray<string>): TaskDefinitionError =>
  new TaskDefinitionError(
    `Task "${task}" declares ${names.join(", ")} as input${names.length === 1 ? "" : "s"} of its cached result ` +
      `(cacheInputs.env), and this worker's value${names.length === 1 ? "" : "s"} differ from the client's, ` +
      `so the cache key would not describe the result. Give the workers the same value${names.length === 1 ? "" : "s"} ` +
      `as the client, or turn the cache off for this task (cache: false).`,
    { task }
  )
