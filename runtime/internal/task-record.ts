/**
 * What the engine keeps per task (`Payload`, in the scheduler's record), how a task ended for the
 * user (`Outcome`), and the batch a running task travels in (`Flight`). Shared by the engine's
 * parts (engine.ts: submission and waiting; dispatcher.ts: batches and their results; retry.ts),
 * which import this module and not each other.
 *
 * @internal
 * @module
 */
import type { NormalizedTaskOptions } from "../../dsl/options.js"
import type { FnInfo } from "../../dsl/function-ref.js"
import type { BatchAbort } from "../../executors/executor.js"
import type { TaskRecord } from "../../scheduler/scheduler.js"
import type { CacheSlot } from "../../cache/key.js"

/** What the engine keeps per task, next to the scheduler's fields. */
export interface Payload {
  /** The function; undefined for a scattered value. */
  readonly fn: FnInfo | undefined
  /** The arguments, Futures replaced by `InputRef`s. */
  readonly template: ReadonlyArray<unknown>
  /**
   * For input i (`InputRef.index`), its position in the record's `dependencies`. Values are read
   * through `dependencies`, never through the Futures' records: a retry may point a dependency at
   * a newer record of the same key.
   */
  readonly inputSlots: ReadonlyArray<number>
  readonly options: NormalizedTaskOptions
  /** Callbacks waiting for the task to settle: the one callback itself, or an array of two or more. */
  listeners: ((task: TaskRecordOf) => void) | Array<(task: TaskRecordOf) => void> | undefined
  /** The batch running it, while processing. */
  flight: Flight | undefined
  /** Worker deaths while running it. */
  deaths: number
  /** Run alone in a batch (after a worker death, or because of a timeout). */
  alone: boolean
  /** Attempts that failed (threw, rejected or timed out): what retries count. Worker deaths and aborts do not. */
  failures: number
  /** What only a task that failed (or met a fault plan) needs: made by `retryState(payload)` then, undefined before. */
  retry: RetryState | undefined
  /** The batch being built that holds it (a stamp), and its index there: for fusion. */
  batchStamp: number
  batchIndex: number
  /** The result cache's state of this task (its cache key, lock, hit), when a cache is on. */
  cache: CacheSlot | undefined
}

/**
 * A task's retry bookkeeping. Kept out of the payload (one object per task at submit, and the
 * fewer fields the less a `map` of 20,000 allocates): most tasks never fail.
 */
export interface RetryState {
  /** Pending retry timer. */
  timer: NodeJS.Timeout | undefined
  /** Per-task retry state of an Effect Schedule. */
  schedule: unknown
  /** Failures injected by a fault plan so far. */
  injected: number
}

/** The payload's retry bookkeeping, made on first use. */
export const retryState = (payload: Payload): RetryState =>
  (payload.retry ??= { timer: undefined, schedule: undefined, injected: 0 })

/** A task record as the engine uses it. */
export type TaskRecordOf = TaskRecord<Payload>

/** How a task ended, for the user. */
export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown; readonly cancelled: boolean }

/** A batch on its way through the executor. */
export interface Flight {
  readonly tasks: TaskRecordOf[]
  /** For task i, its attempt id (`WireBatch.ids`); undefined when the executor cannot interrupt. */
  readonly ids: number[] | undefined
  readonly controller: BatchAbort
  timer: NodeJS.Timeout | undefined
  timedOut: boolean
  /** Its batch settled: aborting it would do nothing. */
  done: boolean
}

/** A new payload (one shape for every record: the hot path reads them all alike). */
export const newPayload = (
  fn: FnInfo | undefined,
  template: ReadonlyArray<unknown>,
  inputSlots: ReadonlyArray<number>,
  options: NormalizedTaskOptions,
  alone: boolean
): Payload => ({
  fn,
  template,
  inputSlots,
  options,
  listeners: undefined,
  flight: undefined,
  deaths: 0,
  alone,
  failures: 0,
  retry: undefined,
  batchStamp: 0,
  batchIndex: -1,
  cache: undefined
})

/** retry(): a fresh budget of retries and worker deaths, as for a new task. */
export const resetCounters = (payload: Payload): void => {
  payload.deaths = 0
  payload.failures = 0
  const retry = payload.retry
  if (retry === undefined) return
  retry.injected = 0
  retry.schedule = undefined
}

/** The cancel reason of tasks cancelled by `close()`: their `result()` rejects with `ClientClosedError`. */
export const closedReason = "client closed"

/** True when a record will not change state on its own any more. */
export const isSettled = (record: TaskRecordOf): boolean => {
  const state = record.state
  return (
    state === "memory" ||
    state === "erred" ||
    state === "cancelled" ||
    state === "lost" ||
    (state === "released" && !record.inTable)
  )
}
