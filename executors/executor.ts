/**
 * The one interface behind which tasks run. Every implementation passes the shared conformance
 * suite beside it, `conformance.case.ts` (what one cannot do is declared as a skip with its
 * reason): the in-process executor (the main thread), the tinypool executor (worker threads or
 * child processes) and, later, a distributed one.
 *
 * An executor knows nothing of keys, dependencies or retries: it runs batches of ready task
 * attempts and reports each attempt's value or encoded error. The scheduler and the engine above it
 * decide what runs, when and how often.
 *
 * @internal
 */
import type { InterruptOutcome, PartialResults, WireBatch, WireBatchResult } from "../core/protocol.js"

export type { InterruptOutcome } from "../core/protocol.js"

/** Why a whole batch failed to run (as opposed to a task in it failing). */
export type ExecutorFailureReason =
  /** The `signal` passed to `run` was aborted; the worker that ran the batch was replaced. */
  | "aborted"
  /** The worker died while running the batch (`process.exit`, out of memory, a native crash). */
  | "worker-died"
  /** The executor was closed before or while the batch ran. */
  | "closed"
  /** The batch or its results could not be sent between threads. */
  | "transport"

/** A batch that did not run to the end. Task errors never reject `run`: they come back in the result. */
export class ExecutorFailure extends Error {
  override readonly name = "ExecutorFailure"
  constructor(
    readonly reason: ExecutorFailureReason,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/**
 * What `run` listens to for an abort: the part of an EventEmitter that tinypool accepts as a
 * signal. Not an `AbortSignal`: one per batch cost 5-15 µs inside tinypool (EventTarget listeners
 * added and removed for every batch), measured by `npm run bench` on a chain of round trips.
 */
export interface BatchSignal {
  readonly aborted: boolean
  once(type: "abort", listener: () => void): void
  off(type: "abort", listener: () => void): void
  /**
   * Set by the engine when a timeout's clock waits for the batch to start; an executor whose
   * batches wait in a queue elsewhere (`startsLate`) calls it when the batch starts running.
   */
  readonly onStart?: (() => void) | undefined
}

/**
 * The engine's abort switch for one batch: a plain object with its listeners. The one listener a
 * batch has (tinypool's, added at `run` and removed when it settles) is kept as it is: an array
 * only for a second one, so an awaited round trip allocates nothing here.
 */
export class BatchAbort implements BatchSignal {
  aborted = false
  onStart: (() => void) | undefined = undefined
  #listeners: (() => void) | Array<() => void> | undefined

  once(_type: "abort", listener: () => void): void {
    const listeners = this.#listeners
    if (listeners === undefined) this.#listeners = listener
    else if (typeof listeners === "function") this.#listeners = [listeners, listener]
    else listeners.push(listener)
  }

  off(_type: "abort", listener: () => void): void {
    const listeners = this.#listeners
    if (listeners === undefined) return
    if (typeof listeners === "function") {
      if (listeners === listener) this.#listeners = undefined
      return
    }
    const at = listeners.indexOf(listener)
    if (at >= 0) listeners.splice(at, 1)
  }

  /** Aborts once: calls each listener, then forgets them. */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    const listeners = this.#listeners
    this.#listeners = undefined
    if (typeof listeners === "function") listeners()
    else if (listeners !== undefined) for (const listener of listeners) listener()
  }
}

/**
 * A result that stays where its task ran (a cluster's Redis): what an executor with `remote`
 * reports for a task that succeeded, instead of its value. The engine keeps it as the record's
 * value and asks `remote.fetch` for the value only when `result()` or `gather` wants it. Never a
 * user value: a worker's results are structured clones, which carry no class instances.
 */
export class HeldResult {
  constructor(
    /** Where the value is held: the task's key (`WireBatch.keys`). */
    readonly key: string,
    /** Its serialized size in bytes. */
    readonly size: number,
    /** The value's type name (`typeName`: "number", "Object", "Map", ...), for a Future's repr. */
    readonly type: string
  ) {}
}

/**
 * The capability of an executor whose results stay remote (`Executor.remote`). With it, the
 * engine sets `WireBatch.keys` (the key each task's result is stored under) and sends an input
 * held remotely as a reference `{ [refKey]: key }` (a string, where fused in-batch references are
 * numbers), listing those keys once in `WireBatch.inputs`: the executor puts the values in where
 * the task runs.
 */
export interface RemoteResults {
  /**
   * The values held under `keys`, index-aligned. Rejects with an Error naming the key when one is
   * no longer held.
   */
  fetch(keys: ReadonlyArray<string>): Promise<unknown[]>
  /** Deletes the values held under `keys`: nothing refers to them any more. Never throws. */
  release(keys: ReadonlyArray<string>): void
  /** Optional: which of `keys` are still held, index-aligned (what lineage recovery asks before deciding). */
  has?(keys: ReadonlyArray<string>): Promise<boolean[]>
  /**
   * Optional: holds `value` (a scattered value) under `key` from now on and returns the reference
   * the engine keeps instead of the value. A store that fails later is reported as missing.
   */
  store?(key: string, value: unknown): HeldResult
  /**
   * Optional: the engine gives the handler it wants called when held results are found missing
   * (by a fetch, or by a worker reading a task's inputs). See `MissingResults`.
   */
  onMissing?(handler: MissingResults): void
}

/**
 * The engine's handler of held results found missing: it computes them again from their lineage,
 * or marks them lost (runtime/internal/lineage.ts). `reason` says how they went missing (for
 * `LostResultError`). The Promise resolves once the engine has decided and moved the records
 * (`wait: false`), or once every one is back in memory (`wait: true`, for a fetch), and rejects
 * with the error of one that cannot be had (`LostResultError`). It never rejects for `wait: false`.
 */
export type MissingResults = (
  keys: ReadonlyArray<string>,
  options: { readonly wait: boolean; readonly reason: string }
) => Promise<void>

/** Runs batches of task attempts. */
export interface Executor {
  /** `"in-process"`, `"tinypool"`, ...: for messages and benchmarks. */
  readonly kind: string
  /** How many batches run at the same time (worker count; 1 in process). */
  readonly workers: number
  /**
   * Runs every task of the batch and resolves with one outcome per task, in order. Rejects only
   * with an `ExecutorFailure`, when the batch as a whole could not run to the end; then none of its
   * outcomes is known. Aborting `signal` stops the batch (a worker running it is replaced).
   *
   * With `onResults`, the outcomes of tasks that finish while later tasks of the batch still run
   * are given to it early, in order, in as few calls as the worker's flush rule allows (see
   * `worker/stream.ts`): a task that awaits or blocks never holds back the finished ones before
   * it. Every outcome reaches `onResults` or the resolved result, never both: the result's
   * `streamed` says how many leading tasks were streamed, and `run` resolves only after
   * `onResults` had all of them. A batch that rejects may have streamed some outcomes first;
   * those stand. Never called after `run` settled.
   *
   * The executor may write its own fields into `batch` (`control`, `stream`, `skip`: a copy per
   * batch cost an awaited round trip its share); a batch given again is copied without them.
   */
  run(batch: WireBatch, signal?: BatchSignal, onResults?: (part: PartialResults) => void): Promise<WireBatchResult>
  /**
   * Optional: stops one task attempt of a running or queued batch from inside its worker, without
   * stopping the batch or the worker. `id` is one of the batch's `ids` (the engine sets them only
   * for an executor that has this method). Resolves, never rejects, with (see `InterruptOutcome`):
   * - `"interrupted"` once an Effect task's fiber was interrupted and exited (finalizers ran);
   * - `"not-started"` when the attempt had not started: it is skipped;
   * - `"finished"` when it had already ended;
   * - `"uninterruptible"` when a plain function is running it (a Promise cannot be stopped);
   * - `"unknown"` when no answer came within `graceMs` (a worker blocked in synchronous code
   *   cannot read messages) or the attempt is not found.
   * In every case the batch's `run` still settles as usual: after `"interrupted"`,
   * `"not-started"` or `"finished"` it resolves with an outcome for every task (the interrupted
   * one an `"interrupted"` error); after `"uninterruptible"` or `"unknown"` the caller stops the
   * task by aborting the batch's `signal`. An executor without this method (child processes,
   * which share no channel with this thread) is only ever stopped by aborting.
   */
  interrupt?(id: number, graceMs: number): Promise<InterruptOutcome>
  /**
   * Optional: results stay where the tasks ran (see `RemoteResults`); `run` reports a
   * `HeldResult` for each task that succeeded, and values travel only when fetched.
   */
  readonly remote?: RemoteResults
  /**
   * True when aborting a batch cannot stop a task that is running (it runs in this thread): the
   * abort only drops its result. For the messages of timeouts.
   */
  readonly abortLeavesRunning?: boolean
  /**
   * True when a batch may wait in a queue elsewhere before it starts (the cluster): a task's
   * timeout then starts when the executor calls the signal's `onStart`, not at dispatch.
   */
  readonly startsLate?: boolean
  /**
   * How long one batch should keep a worker busy, in ms, once task durations are known (default
   * 4): longer where a batch itself costs more, such as a cluster's BullMQ job (about a
   * millisecond of CPU over client, worker and Redis, against ~86 µs for a thread's message).
   */
  readonly batchMs?: number
  /** Stops every worker. Batches still running reject with `ExecutorFailure("closed")`. Idempotent. */
  close(): Promise<void>
}
