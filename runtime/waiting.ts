/**
 * Waiting on many Futures: `wait` and `asCompleted` (spec section 7).
 *
 * @module
 */
import { engineOfFuture, recordOf } from "./internal/client-engine.js"
import { rejectUnknownOptions } from "../core/options.js"
import type { CancelledError, ClientClosedError } from "../core/errors.js"
import { Future } from "./Future.js"
import { isSettled, type TaskRecordOf } from "./internal/task-record.js"
import { futureList, waitInto, waitSettings, type DoneAndNotDone, type ReturnWhen } from "./internal/waiting.js"

export type { DoneAndNotDone, ReturnWhen } from "./internal/waiting.js"

/** The value type of a Future. */
export type FutureValue<F> = F extends Future<infer T, any> ? T : never

/**
 * What `asCompleted(..., { withResults: true })` pairs with a cancelled Future instead of a value:
 * a `CancelledError` (a `ClientClosedError` once the client closed). It is yielded, never thrown.
 */
export type CancelledOutcome = CancelledError | ClientClosedError

/**
 * Waits until every Future is done (finished, errored or cancelled), or the first one is
 * (`FIRST_COMPLETED`), or the first one errs (`FIRST_EXCEPTION`). Errored Futures land in `done`;
 * nothing rejects but the `timeout`, with `TimeoutError`.
 */
export function wait<F extends Future<any, any>>(
  futures: F | Iterable<F>,
  options?: { timeout?: number | string; returnWhen?: ReturnWhen }
): Promise<DoneAndNotDone<F>> {
  const list = futureList(futures, "wait") as F[]
  const settings = waitSettings(options)
  return new Promise((resolve, reject) => {
    waitInto(list, settings, (exit) => (exit.ok ? resolve(exit.value) : reject(exit.error)))
  })
}

/** Options of `asCompleted`. */
export interface AsCompletedOptions {
  /** Yield `[future, result]` instead of the Future. */
  readonly withResults?: boolean
  /**
   * With `withResults`: throw the first error of a Future with status `"error"` (default), or
   * yield `[future, error]` when false. A cancelled Future is always yielded, as
   * `[future, CancelledError]`, as in Dask.
   */
  readonly raiseErrors?: boolean
}

/**
 * Futures in the order they complete (finished, errored or cancelled alike), each once per time it
 * was given; `add` extends the iteration while it runs. Breaking out of the loop stops listening.
 */
export class AsCompleted<F extends Future<any, any>, Item = F> implements AsyncIterableIterator<Item> {
  readonly #withResults: boolean
  readonly #raiseErrors: boolean
  /** Completed, not yet yielded, in completion order. */
  #ready: F[] = []
  #head = 0
  /** Given and not yet completed. */
  #pending = 0
  #waiter: { resolve: (r: IteratorResult<Item>) => void; reject: (e: unknown) => void } | undefined
  #stopped = false
  readonly #listening: Array<[F, TaskRecordOf, (task: TaskRecordOf) => void]> = []

  /** Use `asCompleted(...)`. */
  constructor(futures: Iterable<F>, options: AsCompletedOptions = {}) {
    rejectUnknownOptions(options, ["withResults", "raiseErrors"], "asCompleted")
    this.#withResults = options.withResults === true
    this.#raiseErrors = options.raiseErrors !== false
    for (const future of futureList(futures, "asCompleted") as F[]) this.#track(future)
  }

  /** Adds a Future to the iteration, also while it runs. */
  add(future: F): void {
    this.#track(futureList(future, "asCompleted.add")[0] as F)
  }

  /** How many Futures are still to be yielded. */
  count(): number {
    return this.#pending + this.#ready.length - this.#head
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<Item>> {
    if (this.#head < this.#ready.length) return this.#yield(this.#take())
    if (this.#pending === 0 || this.#stopped) return Promise.resolve({ done: true, value: undefined })
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }))
  }

  /** Stops the iteration (a `break` out of `for await` calls it): no more listening. */
  return(): Promise<IteratorResult<Item>> {
    this.#stop()
    return Promise.resolve({ done: true, value: undefined })
  }

  #track(future: F): void {
    if (this.#stopped) return
    const record = recordOf(future)
    if (future.done() || isSettled(record)) {
      this.#push(future)
      return
    }
    this.#pending++
    const engine = engineOfFuture(future)
    const listener = () => {
      this.#pending--
      this.#push(future)
    }
    this.#listening.push([future, record, listener])
    engine.whenSettled(record, listener)
  }

  #push(future: F): void {
    const waiter = this.#waiter
    if (waiter !== undefined) {
      this.#waiter = undefined
      this.#deliver(future).then(waiter.resolve, waiter.reject)
      return
    }
    this.#ready.push(future)
  }

  #take(): F {
    const future = this.#ready[this.#head++]
    if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#head)
      this.#head = 0
    }
    return future
  }

  #yield(future: F): Promise<IteratorResult<Item>> {
    return this.#deliver(future)
  }

  #deliver(future: F): Promise<IteratorResult<Item>> {
    if (!this.#withResults) return Promise.resolve({ done: false, value: future as unknown as Item })
    const outcome = engineOfFuture(future).outcomeOf(recordOf(future))
    if (outcome.ok) return Promise.resolve({ done: false, value: [future, outcome.value] as Item })
    // Only status "error" throws; a cancelled Future is yielded with its CancelledError (Dask's
    // `_get_and_raise` checks `future.status == "error"`).
    if (this.#raiseErrors && !outcome.cancelled) {
      this.#stop()
      return Promise.reject(outcome.error)
    }
    return Promise.resolve({ done: false, value: [future, outcome.error] as Item })
  }

  #stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    for (const [future, record, listener] of this.#listening) engineOfFuture(future).unlisten(record, listener)
    this.#listening.length = 0
    this.#pending = 0
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.resolve({ done: true, value: undefined })
  }

  /** `<AsCompleted: waiting=3 done=1>`, as Dask shows it. */
  toString(): string {
    return `<AsCompleted: waiting=${this.#pending} done=${this.#ready.length - this.#head}>`
  }
}

/**
 * Iterates Futures as they complete: `for await (const f of asCompleted(futures))`. With
 * `withResults`, yields `[future, result]` and throws the first error, or yields
 * `[future, error]` for failed ones when `raiseErrors: false`. A cancelled Future is yielded as
 * `[future, CancelledError]` and never thrown, whatever `raiseErrors` says.
 */
export function asCompleted<F extends Future<any, any>>(
  futures: F | Iterable<F>,
  options?: { withResults?: false }
): AsCompleted<F>
export function asCompleted<F extends Future<any, any>>(
  futures: F | Iterable<F>,
  options: { withResults: true; raiseErrors?: true }
): AsCompleted<F, [F, FutureValue<F> | CancelledOutcome]>
export function asCompleted<F extends Future<any, any>>(
  futures: F | Iterable<F>,
  options: { withResults: true; raiseErrors: false }
): AsCompleted<F, [F, FutureValue<F> | Error]>
export function asCompleted<F extends Future<any, any>>(
  futures: F | Iterable<F>,
  options?: AsCompletedOptions
): AsCompleted<F, any> {
  return new AsCompleted<F, any>(futures instanceof Future ? [futures as F] : (futures as Iterable<F>), options)
}
