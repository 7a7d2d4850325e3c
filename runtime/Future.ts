/**
 * A Future: a handle on a task's result held by the cluster (spec section 5).
 *
 * All Futures of one key share one task record, so finishing, failing, retrying or cancelling is
 * seen by each of them. A Future is deliberately not thenable: it is a value to pass to other
 * tasks; `await future.result()` fetches the value.
 *
 * @module
 */
import { inspect } from "node:util"
import { tokenizeSymbol, typeName } from "../dsl/tokenize.js"
import { futureBrand } from "../core/brand.js"
import type { Engine } from "./internal/engine.js"
import type { Outcome, TaskRecordOf } from "./internal/task-record.js"
import { registerFuture } from "./internal/client-engine.js"
import { futureStatus } from "../scheduler/state.js"
import { parseDuration } from "../core/duration.js"
import { TimeoutError } from "../core/errors.js"
import { HeldResult } from "../executors/executor.js"

/** The status of a Future, as in Dask. */
export type FutureStatus = "pending" | "finished" | "error" | "cancelled" | "lost"

const tracebackSymbol = Symbol.for("weft/traceback")

/**
 * A handle on the result of a task running, or finished, on the cluster.
 *
 * `T` is the task's value; `E` is the typed error of a task that returns an `Effect<T, E>`.
 */
export class Future<T, E = never> {
  /** Marks Futures (`isFuture`). */
  readonly [futureBrand] = true as const
  readonly #engine: Engine
  readonly #record: TaskRecordOf
  #released = false
  /** Phantom: the typed error channel, for the Effect API. */
  declare readonly _E: E

  static {
    // weft's own layers reach a Future's engine and record through runtime/internal/client-engine.ts.
    registerFuture({
      make: (engine, record) => new Future(engine, record),
      engine: (future) => (future as Future<unknown, unknown>).#engine,
      record: (future) => (future as Future<unknown, unknown>).#record,
      released: (future) => (future as Future<unknown, unknown>).#released
    })
  }

  /** Futures are made by a Client. */
  private constructor(engine: Engine, record: TaskRecordOf) {
    this.#engine = engine
    this.#record = record
    engine.scheduler.acquire(record)
    engine.track(this, record)
  }

  /** The task's key: `${name}-${token}` for a pure call (spec section 4). */
  get key(): string {
    return this.#record.key
  }

  /** `"pending"`, `"finished"`, `"error"`, `"cancelled"` or `"lost"`. A released Future reads `"cancelled"`. */
  get status(): FutureStatus {
    if (this.#released) return "cancelled"
    return futureStatus(this.#record.state)
  }

  /** True once the task finished, failed, was cancelled or its result was lost. */
  done(): boolean {
    return this.status !== "pending"
  }

  /**
   * The task's value. Rejects with the task's own error (rebuilt from the worker), with
   * `CancelledError`, with `ClientClosedError`, or with `TimeoutError` when `timeout` passes first
   * (which only stops waiting: the task goes on).
   */
  result(options?: { timeout?: number | string }): Promise<T> {
    // The callback holds `this`: a Future being awaited must not be garbage-collected (and so
    // released, cancelling its task) while nothing else references it.
    return this.#wait(options, "result").then((outcome) => unwrap(outcome, this)) as Promise<T>
  }

  /** The task's error once it is done: `undefined` when it succeeded or was cancelled. */
  exception(options?: { timeout?: number | string }): Promise<Error | undefined> {
    return this.#wait(options, "exception").then((outcome) => exceptionOf(outcome, this))
  }

  /** The worker-side stack of the task's error, or `undefined` when it did not fail. */
  traceback(options?: { timeout?: number | string }): Promise<string | undefined> {
    return this.exception(options).then((error) => {
      if (error === undefined) return undefined
      const traced = (error as unknown as Record<symbol, unknown>)[tracebackSymbol]
      return typeof traced === "string" ? traced : error.stack
    })
  }

  /**
   * Cancels the task and every task that depends on it, as Dask does: a running task is stopped,
   * and a finished or erred one is cancelled too (its result is forgotten; every Future of the
   * key, and of its dependents, reads `"cancelled"`).
   */
  cancel(): Promise<void> {
    this.#engine.cancel([this.#record])
    return Promise.resolve()
  }

  /** Runs an errored task again, with its errored inputs. */
  retry(): Promise<void> {
    this.#engine.retry([this.#record])
    return Promise.resolve()
  }

  /** Lets go of the result: when every Future of a key is released and no pending task needs it, the cluster forgets it. */
  release(): void {
    if (this.#released) return
    this.#released = true
    this.#engine.release(this, this.#record)
  }

  /** `using f = client.submit(...)` releases it at the end of the block. */
  [Symbol.dispose](): void {
    this.release()
  }

  /** Calls `callback(this)` once the task is done (finished, failed or cancelled), also when it already is. */
  onDone(callback: (future: Future<T, E>) => void): void {
    this.#engine.whenSettled(this.#record, () => callback(this))
  }

  /** Futures tokenize by key: a task taking a Future as argument gets a key that names it. */
  [tokenizeSymbol](): unknown {
    return ["weft.Future", this.#record.key]
  }

  /** `<Future: pending, key: inc-...>`, and `<Future: finished, type: number, key: inc-...>` once done, as in Dask. */
  toString(): string {
    const status = this.status
    const value = this.#record.value
    // A result held on a cluster is described by its reference (its value is not here).
    const type = status === "finished" ? `type: ${value instanceof HeldResult ? value.type : typeName(value)}, ` : ""
    return `<Future: ${status}, ${type}key: ${this.key}>`
  }

  /** Node's `util.inspect` shows the same as `toString()`. */
  [inspect.custom](): string {
    return this.toString()
  }

  #wait(options: { timeout?: number | string } | undefined, method: string): Promise<Outcome> {
    const timeoutMs =
      options?.timeout === undefined ? undefined : parseDuration(options.timeout, `${method}({ timeout })`)
    return this.#engine.outcome(
      this.#record,
      timeoutMs === undefined
        ? undefined
        : {
            ms: timeoutMs,
            error: () =>
              new TimeoutError(`${method}() of ${this.key} timed out after ${timeoutMs / 1000} s.`, timeoutMs)
          }
    )
  }
}

/** The error of a failed outcome; undefined for success and cancellation. Takes the Future to keep it reachable while awaited. */
const exceptionOf = (outcome: Outcome, _keepAlive: Future<unknown, unknown>): Error | undefined =>
  outcome.ok || outcome.cancelled ? undefined : (outcome.error as Error)

/** The value of an outcome, or its error thrown. Takes the Future to keep it reachable while awaited. */
const unwrap = (outcome: Outcome, _keepAlive: Future<unknown, unknown>): unknown => {
  if (outcome.ok) return outcome.value
  throw outcome.error
}

/** True for Futures (of any client). */
export const isFuture = (value: unknown): value is Future<unknown, unknown> =>
  typeof value === "object" && value !== null && futureBrand in value
