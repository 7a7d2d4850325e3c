/**
 * The errors weft raises. Each is a plain `Error` subclass with a `_tag`, so the same class serves
 * the Promise API (`instanceof CancelledError`) and the Effect API (`Effect.catchTag("Cancelled")`)
 * without this module loading `effect` (importing `effect` costs 120-470 ms at start-up).
 *
 * @module
 */

/** Marks an error that was rebuilt on the client from what a task threw in a worker. */
import { ValueTooLargeError } from "./value-size.js"

export const taskErrorMarker: unique symbol = Symbol.for("weft/TaskError") as never

/**
 * The class of errors that come back from tasks.
 *
 * weft does not wrap a task's error: `result()` rejects with the error the task threw, rebuilt
 * with its `name`, `message`, `cause`, own enumerable properties and the worker's `stack`.
 * Built-in classes (`TypeError`, `RangeError`, ...) keep their class; any other class comes back
 * as a `TaskError` whose `name` is the original class name. `err instanceof TaskError` is true for
 * every error that a task threw, built-in or not.
 */
export class TaskError extends Error {
  /** True for every error rebuilt from a task, whatever its class (`TypeError`, `TaskError`, ...). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && taskErrorMarker in value
  }
  /** Made by weft when it rebuilds a task's error; `name` is then set to the original class name. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    Object.defineProperty(this, taskErrorMarker, { value: true, enumerable: false })
  }
}

/** A future's task was cancelled (by `cancel()`, by a cancelled input, or by `close()`). */
export class CancelledError extends Error {
  /** For `Effect.catchTag("Cancelled")`. */
  readonly _tag = "Cancelled" as const
  /** `"CancelledError"`. */
  override readonly name = "CancelledError"
  constructor(
    /** The key of the cancelled task. */
    readonly key: string,
    /** Why it was cancelled: `"cancel"`, `"lost dependencies"`, `"released"`, ... (a close rejects with `ClientClosedError` instead). */
    readonly reason: string = "unknown"
  ) {
    super(`${key} cancelled for reason: ${reason}.`)
  }
}

/** Waiting took longer than the `timeout` given to `result()`, `wait()`, ..., or a task attempt ran past its `timeout` option. */
export class TimeoutError extends Error {
  /** For `Effect.catchTag("Timeout")`. */
  readonly _tag = "Timeout" as const
  /** `"TimeoutError"`. */
  override readonly name = "TimeoutError"
  constructor(
    message: string,
    /** The limit that was exceeded, in milliseconds. */
    readonly timeoutMs: number
  ) {
    super(message)
  }
}

/** A task whose workers died `allowedFailures` times while running it. */
export class KilledWorkerError extends Error {
  /** For `Effect.catchTag("KilledWorker")`. */
  readonly _tag = "KilledWorker" as const
  /** `"KilledWorkerError"`. */
  override readonly name = "KilledWorkerError"
  constructor(
    /** The key of the task. */
    readonly key: string,
    /** How many workers died while running it. */
    readonly failures: number,
    /** What the last death looked like, when known. */
    detail?: string
  ) {
    super(
      (failures === 1
        ? `Attempted to run task ${key} on a worker, but that worker died while running it.`
        : `Attempted to run task ${key} on ${failures} different workers, but all those workers died while running it.`) +
        (detail ? ` ${/[.!?]$/.test(detail) ? detail : `${detail}.`}` : "") +
        " The task may exhaust memory, call process.exit, or crash native code: run it on its own to see why."
    )
  }
}

/** The client was closed: thrown by every method after `close()`, and the rejection of every pending `result()`. */
export class ClientClosedError extends Error {
  /** For `Effect.catchTag("ClientClosed")`. */
  readonly _tag = "ClientClosed" as const
  /** `"ClientClosedError"`. */
  override readonly name = "ClientClosedError"
  constructor(message = "The weft client is closed: start a new one with Client.local().") {
    super(message)
  }
}

/** A function that cannot be a task: no source text, a free identifier, a bad registration. */
export class TaskDefinitionError extends Error {
  /** For `Effect.catchTag("TaskDefinitionError")`. */
  readonly _tag = "TaskDefinitionError" as const
  /** `"TaskDefinitionError"`. */
  override readonly name = "TaskDefinitionError"
  constructor(
    message: string,
    /** What the error is about. */
    readonly details: {
      /** The task's name, when known. */
      readonly task?: string
      /** The identifier that an inline function used but could not see, when that was the cause. */
      readonly identifier?: string
    } = {}
  ) {
    super(message)
  }
}

/**
 * A Future whose value is gone from the cluster for good: its result vanished from Redis (a
 * restart without persistence, `FLUSHALL`) and cannot be computed again, because it was scattered,
 * its task is impure (`pure: false`), or it needs such a value that vanished too. Its Futures read
 * `"lost"`; `result()`, `gather` and the pending tasks that needed it reject with it, and the
 * message names the key, why, and the fix. (A vanished result of a pure task is not lost: it is
 * computed again from its lineage when it is needed; docs/cluster.md.)
 */
export class LostResultError extends Error {
  /** For `Effect.catchTag("LostResult")`. */
  readonly _tag = "LostResult" as const
  /** `"LostResultError"`. */
  override readonly name = "LostResultError"
  constructor(
    /** The key whose value is lost. */
    readonly key: string,
    /** Why it is lost and why it cannot be recomputed, e.g. `"its result is no longer in Redis and it was scattered"`. */
    readonly reason: string
  ) {
    super(
      `The value of ${key} is lost: ${reason.replace(/[.]$/, "")}. ` +
        "Submit (or scatter) it again; turn on Redis persistence (appendonly yes) to keep results across a restart."
    )
  }
}

/** Why a connection to the cluster's Redis failed; see {@link ClusterConnectionError}. */
export type ClusterConnectionProblem =
  /** Nothing answered within the connect timeout (wrong host or port, firewall, Redis down). */
  | "unreachable"
  /** Redis refused the user name or password (or needs one and got none). */
  | "auth"
  /** The TLS handshake failed (certificate not trusted, `rediss://` to a plain port, ...). */
  | "tls"
  /** Redis answered but is configured in a way the cluster cannot use (`maxmemory-policy`, version). */
  | "config"

/**
 * The cluster's Redis cannot be used: unreachable within the connect timeout, credentials refused,
 * TLS failed, or a configuration BullMQ cannot work with (`maxmemory-policy` other than
 * `noeviction`). The message says what to change. It never contains the URL's credentials.
 */
export class ClusterConnectionError extends Error {
  /** For `Effect.catchTag("ClusterConnection")`. */
  readonly _tag = "ClusterConnection" as const
  /** `"ClusterConnectionError"`. */
  override readonly name = "ClusterConnectionError"
  constructor(
    message: string,
    /** The Redis it was about, without credentials (`redis://10.0.0.5:6379`). */
    readonly target: string,
    /** What kind of failure it was. */
    readonly problem: ClusterConnectionProblem
  ) {
    super(message)
  }
}

/**
 * The cluster's Redis is out of memory (`maxmemory` reached under `noeviction`): the task's result
 * (or its batch) could not be stored, so the task failed rather than wait. Free memory in Redis
 * (release Futures, raise `maxmemory`) and retry the task.
 */
export class ClusterMemoryError extends Error {
  /** For `Effect.catchTag("ClusterMemory")`. */
  readonly _tag = "ClusterMemory" as const
  /** `"ClusterMemoryError"`. */
  override readonly name = "ClusterMemoryError"
  constructor(
    /** The key of the task whose result could not be stored. */
    readonly key: string,
    /** Redis's own words (`OOM command not allowed when used memory > 'maxmemory'`). */
    readonly detail: string
  ) {
    super(
      `The result of ${key} could not be stored: the cluster's Redis is full (${detail.replace(/[.]$/, "")}). ` +
        "Release Futures you no longer need, or raise Redis's maxmemory (CONFIG SET maxmemory <bytes>), then retry."
    )
  }
}

/**
 * weft's own error classes that a worker may raise and the client rebuilds (`error-codec.ts`),
 * by `_tag`: an error that comes back with one of these tags and the class's name is rebuilt as
 * an instance of that class (and still `instanceof TaskError`, like every error from a worker),
 * so `err instanceof LostResultError` holds on the client whichever side raised it.
 *
 * @internal
 */
export const rebuiltClasses: Readonly<Record<string, { readonly prototype: Error; readonly name: string }>> =
  Object.freeze({
    LostResult: LostResultError,
    ClusterMemory: ClusterMemoryError,
    ClusterConnection: ClusterConnectionError,
    KilledWorker: KilledWorkerError,
    TaskDefinitionError: TaskDefinitionError,
    Timeout: TimeoutError,
    ValueTooLarge: ValueTooLargeError
  })
