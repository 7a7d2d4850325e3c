/**
 * The plain core of `wait` and `asCompleted`: callbacks on task records, no Promise or fiber per
 * Future. The Promise API and the Effect API (`Weft.wait`, `Weft.asCompleted`) both wrap it.
 *
 * @internal
 */
import { engineOfFuture, recordOf } from "./client-engine.js"
import { rejectUnknownOptions } from "../../core/options.js"
import { parseDuration } from "../../core/duration.js"
import { TimeoutError } from "../../core/errors.js"
import { Future } from "../Future.js"
import type { TaskRecordOf } from "./task-record.js"

/** When `wait` returns. */
export type ReturnWhen = "ALL_COMPLETED" | "FIRST_COMPLETED" | "FIRST_EXCEPTION"

/** What `wait` gives back: the Futures done and not done, each in input order. */
export interface DoneAndNotDone<F> {
  readonly done: F[]
  readonly notDone: F[]
}

/** Checked options of `wait`. */
export interface WaitSettings {
  readonly timeoutMs: number | undefined
  readonly returnWhen: ReturnWhen
}

const returnWhens: ReadonlyArray<string> = ["ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION"]

/** Checks `wait` options; `TypeError` names the bad one. */
export function waitSettings(options: unknown): WaitSettings {
  if (options === undefined) return { timeoutMs: undefined, returnWhen: "ALL_COMPLETED" }
  if (typeof options !== "object" || options === null || isFutureLike(options) || Array.isArray(options)) {
    // Dask's `wait(x, y)` mistake: a second list or Future where the options go.
    throw new TypeError(
      "wait: the second argument is the options { timeout, returnWhen }; to wait for several Futures, pass one list: wait([x, y])."
    )
  }
  rejectUnknownOptions(options, ["timeout", "returnWhen"], "wait")
  const { timeout, returnWhen } = options as { timeout?: number | string; returnWhen?: string }
  if (returnWhen !== undefined && !returnWhens.includes(returnWhen)) {
    throw new TypeError(`wait: returnWhen must be one of ${returnWhens.join(", ")}, got ${JSON.stringify(returnWhen)}.`)
  }
  return {
    timeoutMs: timeout === undefined ? undefined : parseDuration(timeout, "wait({ timeout })"),
    returnWhen: (returnWhen ?? "ALL_COMPLETED") as ReturnWhen
  }
}

const isFutureLike = (value: unknown): boolean => value instanceof Future

/** The Futures of `futures` (one Future, or an iterable of them), checked. */
export function futureList(futures: unknown, where: string): Future<unknown, unknown>[] {
  if (futures instanceof Future) return [futures]
  if (
    futures === null ||
    typeof futures !== "object" ||
    typeof (futures as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(`${where}: expected a Future or a list of Futures, got ${describe(futures)}.`)
  }
  const list = Array.from(futures as Iterable<unknown>)
  for (const item of list) {
    if (!(item instanceof Future)) throw new TypeError(`${where}: input must be a Future, got ${describe(item)}.`)
  }
  return list as Future<unknown, unknown>[]
}

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : typeof value === "object"
      ? Array.isArray(value)
        ? "an array"
        : "an object"
      : `${typeof value} ${String(value)}`

/** A Future counts as done once its task settled, or once it was released (it then reads "cancelled"). */
const isDone = (future: Future<unknown, unknown>): boolean => future.done()

/**
 * Waits as `wait` does and calls `settle` once: with the split, or with a `TimeoutError`.
 * Returns a function that stops waiting.
 */
export function waitInto<F extends Future<unknown, unknown>>(
  futures: F[],
  settings: WaitSettings,
  settle: (exit: { ok: true; value: DoneAndNotDone<F> } | { ok: false; error: TimeoutError }) => void
): () => void {
  const { returnWhen, timeoutMs } = settings
  let remaining = 0
  let finished = false
  let timer: NodeJS.Timeout | undefined
  const listeners: Array<[Future<unknown, unknown>, TaskRecordOf, (task: TaskRecordOf) => void]> = []

  const stop = () => {
    finished = true
    if (timer !== undefined) clearTimeout(timer)
    for (const [future, record, listener] of listeners) engineOfFuture(future).unlisten(record, listener)
  }
  const split = (): DoneAndNotDone<F> => {
    const done: F[] = []
    const notDone: F[] = []
    for (const future of futures) (isDone(future) ? done : notDone).push(future)
    return { done, notDone }
  }
  const answer = () => {
    stop()
    settle({ ok: true, value: split() })
  }

  let anyDone = false
  let anyError = false
  for (const future of futures) {
    if (isDone(future)) {
      anyDone = true
      if (future.status === "error") anyError = true
    } else remaining++
  }
  if (
    remaining === 0 ||
    (returnWhen === "FIRST_COMPLETED" && anyDone) ||
    (returnWhen === "FIRST_EXCEPTION" && anyError)
  ) {
    settle({ ok: true, value: split() })
    return () => {}
  }

  // One listener per distinct record (Futures of one key settle together), one shared counter.
  let pendingRecords = 0
  const listener = (task: TaskRecordOf) => {
    if (finished) return
    pendingRecords--
    if (
      pendingRecords === 0 ||
      returnWhen === "FIRST_COMPLETED" ||
      (returnWhen === "FIRST_EXCEPTION" && task.state === "erred")
    ) {
      answer()
    }
  }
  const seen = new Set<TaskRecordOf>()
  for (const future of futures) {
    if (isDone(future)) continue
    const record = recordOf(future)
    if (seen.has(record)) continue
    seen.add(record)
    pendingRecords++
    listeners.push([future, record, listener])
  }
  for (const [future, record] of listeners) engineOfFuture(future).whenSettled(record, listener)
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      if (finished) return
      stop()
      settle({ ok: false, error: new TimeoutError(`wait() timed out after ${timeoutMs / 1000} s.`, timeoutMs) })
    }, timeoutMs)
  }
  return stop
}
