/**
 * The messages between the client and an executor. Plain data that survives the structured clone
 * algorithm, shaped for the hot path: one batch carries many tasks (a thread wake-up costs ~86 µs,
 * so only many tasks per message get near the floor), parallel arrays instead of one object per
 * task, and each function's source or module reference once per batch.
 *
 * @internal
 */
import type { DeclaredEnv } from "./declared-env.js"

/** How a worker finds the function to run. */
export type FnRef =
  | {
      /** A self-contained function shipped as source text, compiled once per worker and cached by `id`. */
      readonly kind: "inline"
      /** sha256 of `source` (hex); the worker's compile cache key. */
      readonly id: string
      readonly source: string
      /** `fn.name`, or `"lambda"`; used in messages. */
      readonly name: string
    }
  | {
      /** A function registered with `task(import.meta, fn)`: the worker imports `module` and looks `name` up in the registry. */
      readonly kind: "registered"
      /** `module#name@hash`. */
      readonly id: string
      /** The module's URL (`import.meta.url` at registration). */
      readonly module: string
      readonly name: string
      /**
       * The order of its `task()` call among the module's registrations. The fallback lookup: a
       * transform may rename a function (vite turns \`function inc\` into \`inc2\` when it shadows
       * \`export const inc\`) while the worker's loader keeps the name; the order is the same in both.
       */
      readonly index: number
    }

/** Many task attempts for one executor call. */
export interface WireBatch {
  /** The functions this batch uses, each once. */
  readonly fns: ReadonlyArray<FnRef>
  /** For task i, the index in `fns` of its function. */
  readonly fn: ReadonlyArray<number>
  /** For task i, its arguments with every Future already replaced by its value. */
  readonly args: ReadonlyArray<ReadonlyArray<unknown>>
  /**
   * Injected transient failures (fault plans, section 11): for task i, when `inject[i]` is true the
   * worker runs the function, then fails that attempt with an injected error (its result is dropped).
   */
  readonly inject?: ReadonlyArray<boolean>
  /**
   * For task i, its attempt id: a number the engine gives each attempt it dispatches, unique per
   * client (a retry gets a new one). What `Executor.interrupt` names. Set only when the executor
   * can interrupt; one number per task, nothing else per task.
   */
  readonly ids?: ReadonlyArray<number>
  /**
   * Fusion: for task i, true when its arguments hold results of earlier tasks of this batch, as
   * plain objects `{ [refKey]: j }` (j the index of the task in the batch). The worker puts the
   * value in; when task j failed, task i is skipped (kind `"skipped"`).
   */
  readonly linked?: ReadonlyArray<boolean>
  /** The property name that marks such a reference: random per client process, so user data cannot match it. */
  readonly refKey?: string
  /**
   * The name of the `BroadcastChannel` on which the worker running this batch listens for
   * `InterruptRequest`s and posts `InterruptAnswer`s (one name per tinypool executor, worker
   * threads only). Set by the executor, not the engine; with `ids`.
   */
  readonly control?: string
  /**
   * Attempt ids (of `ids`) interrupted while the batch waited in the pool for a worker: skipped
   * without running, each answered `"not-started"` on `control`. Added by the executor to its own
   * copy of the batch, which the pool clones only when it hands the batch to a worker.
   */
  skip?: number[]
  /**
   * Streamed results (set by the executor, only when the engine listens: `Executor.run`'s
   * `onResults`): where the worker posts the outcomes of tasks that finished while later tasks of
   * the batch still run (`StreamedResults`), so that a finished task never waits for its batch.
   * `via` is `"ipc"` for a child process (`process.send`), `"call"` in the client's own thread (the
   * in-process executor), or the prefix of a worker thread's own `BroadcastChannel`
   * (`${via}-${threadId}`); `id` names the batch in those messages.
   */
  readonly stream?: { readonly via: string; readonly id: number }
  /**
   * Remote results (set by the engine only for an executor with `remote`): for task i, the key
   * its result is held under.
   */
  readonly keys?: ReadonlyArray<string>
  /**
   * Remote results: the keys of the held inputs that this batch's arguments reference as
   * `{ [refKey]: key }` (a string; `linked[i]` is true for a task that holds one), each once.
   */
  readonly inputs?: ReadonlyArray<string>
  /**
   * Record when each task starts (set by the engine only while a dashboard or a report listens):
   * the reply then carries `timing`. Absent, the worker records nothing.
   */
  readonly timing?: true
  /**
   * For task i, its span's W3C `traceparent` (set only while `weft/tracing` traces the client): an
   * Effect task runs with it as its parent span, so the spans it makes nest under its task's.
   */
  readonly trace?: ReadonlyArray<string | undefined>
  /**
   * For task i, the environment variables its cached result is keyed by and the client's digest
   * of their values (set only on a cluster with the cache on, for tasks that declare some): the
   * worker refuses the task when its own values differ (core/declared-env.ts).
   */
  readonly declared?: ReadonlyArray<DeclaredEnv | undefined>
}

/**
 * Outcomes of a running batch, posted before its reply: tasks `from` to `from + results.length - 1`,
 * in order (a worker runs its batch's tasks in order, so what has finished is always a prefix).
 */
export interface PartialResults {
  /** The index in the batch of the first task whose outcome this holds. */
  readonly from: number
  /** For task `from + k`: its value or, when `from + k` is in `failed`, its `EncodedError`. */
  readonly results: ReadonlyArray<unknown>
  /** The batch indices (not offsets) of the tasks here that failed, ascending. */
  readonly failed: ReadonlyArray<number>
}

/** A `PartialResults` as a worker posts it: `weftStream` is the batch's `stream.id`. */
export interface StreamedResults extends PartialResults {
  readonly weftStream: number
}

/**
 * What became of an interrupt request for one task attempt:
 * - `"interrupted"`: it was an Effect being run; its fiber was interrupted and has exited (its
 *   finalizers ran). Its outcome, an `"interrupted"` error, comes back with its batch, which goes
 *   on with its next task;
 * - `"not-started"`: it had not started; it will be skipped (reported as an `"interrupted"` error
 *   without running) and the rest of its batch runs;
 * - `"finished"`: it had already ended; its outcome comes back with its batch;
 * - `"uninterruptible"`: it is running and cannot be stopped from inside (a plain function's
 *   Promise): only replacing its worker stops it;
 * - `"unknown"`: no worker answered in time: the worker is blocked in synchronous code, or the batch
 *   has not reached a worker yet, or the executor cannot tell.
 */
export type InterruptOutcome = "interrupted" | "not-started" | "finished" | "uninterruptible" | "unknown"

/**
 * Posted by the client on a batch's `control` channel: interrupt these attempts. The requests made
 * in one tick travel together (cancelling a whole `map` is one message, not thousands).
 */
export interface InterruptRequest {
  readonly interrupt: ReadonlyArray<number>
  /**
   * How long the client waits for answers. A worker that does not hold an attempt remembers the
   * request that long: a batch that reaches it meanwhile (it was still queued in the pool) skips
   * the attempt and answers `"not-started"`.
   */
  readonly graceMs: number
}

/**
 * Posted back by the worker that holds the attempts, index-aligned: one message for the answers it
 * knows at once, one more per Effect task once its fiber has exited. Other workers stay silent.
 */
export interface InterruptAnswer {
  readonly ids: ReadonlyArray<number>
  readonly outcomes: ReadonlyArray<Exclude<InterruptOutcome, "unknown">>
}

/** An error as it crosses the worker boundary: whatever was thrown, as plain cloneable data. */
export interface EncodedError {
  /**
   * - `"thrown"`: the function threw or its Promise rejected (or an Effect died);
   * - `"typed"`: a task returning an Effect failed with a value in its error channel (`E`);
   * - `"definition"`: the function could not be found, compiled or used a free identifier;
   * - `"interrupted"`: an Effect task was interrupted.
   * - `"skipped"`: an input computed earlier in the same batch failed, so the task did not run.
   */
  readonly kind: "thrown" | "typed" | "definition" | "interrupted" | "skipped"
  /** The error's `name`, or `typeof` of a thrown non-Error value. */
  readonly name: string
  readonly message: string
  /** The stack as the worker saw it. */
  readonly stack?: string
  /** The built-in class to rebuild it with, when it was one (`TypeError`, `RangeError`, ...). */
  readonly builtin?: string
  /** Own enumerable properties that survive cloning (`code`, `_tag`, fields of a tagged error, ...). */
  readonly props: Record<string, unknown>
  /** `cause`, encoded the same way when it is an Error, as `{ value }` otherwise. */
  readonly cause?: EncodedError | { readonly value: unknown }
  /** The inner errors of an `AggregateError`. */
  readonly errors?: ReadonlyArray<EncodedError>
  /** A thrown value that is not an Error (a string, a plain object), when it can be cloned. */
  readonly value?: unknown
  /** True when the message or stack was cut to keep the error small. */
  readonly truncated?: boolean
}

/** What an executor gives back for one batch, index-aligned with the batch's tasks. */
export interface WireBatchResult {
  /** For task i: its value, or, when i is in `failed`, its `EncodedError`. */
  readonly results: ReadonlyArray<unknown>
  /** The indices of the tasks that failed, ascending; usually empty. */
  readonly failed: ReadonlyArray<number>
  /** Wall time the worker spent running the batch's functions, in milliseconds. */
  readonly elapsedMs: number
  /**
   * How many leading tasks' outcomes were already given to `onResults` (streamed): their entries
   * in `results` are empty, and `failed` lists none of them. Absent or 0 when nothing was streamed.
   */
  readonly streamed?: number
  /** When the batch asked for `timing`: which worker ran it and when each task started. */
  readonly timing?: BatchTiming
}

/**
 * Worker-side times of one batch, for the dashboard's task stream. Tasks run one after another,
 * so task i ran from `at[i]` to `at[i + 1]` (`at` has one more entry than the batch has tasks).
 */
export interface BatchTiming {
  /** The worker that ran the batch: `"thread 3"`, `"process 41234"` or `"in-process"`. */
  readonly worker: string
  /** That thread's `performance.timeOrigin` (ms since the epoch): `origin + at[i]` is comparable across workers. */
  readonly origin: number
  /** For task i, `performance.now()` in the worker when it started; the last entry, when the batch ended. */
  readonly at: ReadonlyArray<number>
  /** Every failed task's index, streamed or not, ascending. */
  readonly failed: ReadonlyArray<number>
  /** The worker's resources, sent at most every 500 ms per worker. */
  readonly stats?: WorkerStats
}

/** A worker's resources when it replied. */
export interface WorkerStats {
  /** Bytes of this worker's JavaScript heap in use. */
  readonly heapUsed: number
  /** Resident memory of the worker's process, in bytes (shared by the threads of one process). */
  readonly rss: number
  /** Percent of one core since the last report: process CPU time for a process, event-loop busy time for a thread. */
  readonly cpu: number
}
