/**
 * The errors weft raises. Each is a plain `Error` subclass with a `_tag`, so the same class serves
 * the Promise API (`instanceof CancelledError`) and the Effect API (`Effect.catchTag("Cancelled")`)
 * without this module loading `effect` (importing `effect` costs 120-470 ms at start-up).
 *
 * @module
 */

/** Marks an error that was rebuilt on the client from what a task threw in a worker. */
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
