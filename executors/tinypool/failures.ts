/**
 * How the tinypool executor reports a batch that did not run to the end: what tinypool rejected a
 * batch with, as an `ExecutorFailure` whose reason the engine acts on.
 *
 * @internal
 */
import { ExecutorFailure } from "../executor.js"

/**
 * The failure of a batch tinypool rejected with `error`. `closing`: the executor was closing.
 * `deathOf` says how the child process behind a "Worker exited unexpectedly" ended (`SIGABRT` is V8
 * out of memory, or a native crash), when it is known.
 */
export function batchFailure(
  error: unknown,
  closing: boolean,
  deathOf: (error: Error) => string | undefined
): ExecutorFailure {
  if (closing)
    return new ExecutorFailure("closed", "The executor was closed before the batch finished", { cause: error })
  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined
  if (name === "AbortError")
    return new ExecutorFailure("aborted", "The batch was aborted; its worker was replaced", { cause: error })
  if (name === "DataCloneError" || !(error instanceof Error)) {
    return new ExecutorFailure(
      "transport",
      `The batch or its results could not be sent between threads: ${describe(error)}`,
      { cause: error }
    )
  }
  const how = deathOf(error)
  const what =
    how === undefined
      ? error.message
      : `${error.message} (${how}${how.includes("SIGABRT") ? ": out of memory, or a native crash" : ""})`
  return new ExecutorFailure("worker-died", `The worker running the batch died: ${what}`, { cause: error })
}

/** A message for anything thrown. */
export const describe = (error: unknown): string =>
  error instanceof Error
    ? error.message
    : typeof error === "object"
      ? (JSON.stringify(error) ?? String(error))
      : String(error)

/**
 * `promise`'s value, or `undefined` after `ms`. The timer keeps the process alive on purpose: a
 * hung `destroy()` holds nothing else, and the caller's `await close()` must still return.
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
