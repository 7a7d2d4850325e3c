/**
 * The executor that runs batches on the calling thread: for `compute()` without a client, for
 * tests, and as the reference the tinypool executor is compared with.
 *
 * It behaves like a worker where a user could notice: submission is asynchronous (a batch starts
 * on a later macrotask), arguments and results are structured-cloned (prototypes are lost, a
 * function argument fails), and batches run one at a time.
 *
 * What it cannot do like a worker: stop a running batch. Aborting `signal` while a batch runs
 * rejects `run` at once and starts the next batch, but the task keeps running on this thread to
 * its end (a synchronous function cannot be interrupted) and its results are dropped.
 *
 * What it can do: `interrupt` a task attempt directly, with no channel: the running batch's
 * `BatchControl` (or a queued batch's) answers at once, with the same outcomes as a worker thread.
 * A synchronous task cannot be running while this thread calls `interrupt`, so `"unknown"` comes
 * only for an attempt it does not hold, or an Effect whose finalizers outlast `graceMs`.
 *
 * @internal
 */
import type { InterruptOutcome, PartialResults, StreamedResults, WireBatch, WireBatchResult } from "../core/protocol.js"
import { BatchControl, interruptAttempt } from "./interrupt/worker.js"
import { runBatch } from "./worker/run-batch.js"
import { ExecutorFailure, type BatchSignal, type Executor } from "./executor.js"

interface Queued {
  readonly batch: WireBatch
  readonly signal: BatchSignal | undefined
  readonly resolve: (result: WireBatchResult) => void
  readonly reject: (error: ExecutorFailure) => void
  /** Where streamed outcomes go (`Executor.run`'s `onResults`). */
  readonly onResults: ((part: PartialResults) => void) | undefined
  /** The abort listener, removed once the batch settles; set when there is a signal. */
  onAbort: (() => void) | undefined
  settled: boolean
  /** Where `interrupt` finds the batch's tasks; made when the batch has `ids` and starts, or is first interrupted. */
  control: BatchControl | undefined
}

/** `promise`'s outcome, or `"unknown"` after `ms`. */
const within = (promise: Promise<InterruptOutcome>, ms: number): Promise<InterruptOutcome> => {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<InterruptOutcome>((resolve) => {
    timer = setTimeout(resolve, ms, "unknown")
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** `batch.stream` for a batch run here: its outcomes are posted by a call (`streamTo`). */
const inThisThread = { via: "call", id: 0 } as const

/**
 * Where a batch run here posts its finished tasks' outcomes: cloned at once, as a worker's message
 * is (a value that cannot be cloned throws, and that batch stops streaming), then handed over on a
 * microtask, so that the engine never runs inside the batch's loop and a settled batch hears nothing.
 * Microtasks keep their order: every one reaches the engine before the batch's result.
 */
const streamTo = (item: Queued): ((message: StreamedResults) => void) | undefined => {
  const onResults = item.onResults
  if (onResults === undefined) return undefined
  return (message) => {
    const part: PartialResults = {
      from: message.from,
      results: structuredClone(message.results),
      failed: message.failed
    }
    queueMicrotask(() => {
      if (!item.settled) onResults(part)
    })
  }
}

const aborted = () => new ExecutorFailure("aborted", "The batch was aborted before it finished")
const closed = () => new ExecutorFailure("closed", "The executor is closed")

/** An executor that runs batches on this thread, one at a time (`kind: "in-process"`, `workers: 1`). */
export function makeInProcessExecutor(): Executor {
  return new InProcessExecutor()
}

class InProcessExecutor implements Executor {
  readonly kind = "in-process"
  /** An abort cannot stop a task running on this thread: it runs to its end (see `Executor.abortLeavesRunning`). */
  readonly abortLeavesRunning = true
  readonly workers = 1
  readonly #queue: Queued[] = []
  #current: Queued | undefined
  #scheduled = false
  #closed = false

  run(batch: WireBatch, signal?: BatchSignal, onResults?: (part: PartialResults) => void): Promise<WireBatchResult> {
    if (this.#closed) return Promise.reject(closed())
    if (signal?.aborted) return Promise.reject(aborted())
    return new Promise<WireBatchResult>((resolve, reject) => {
      const item: Queued = {
        batch,
        signal,
        resolve,
        reject,
        onResults,
        onAbort: undefined,
        settled: false,
        control: undefined
      }
      if (signal !== undefined) {
        item.onAbort = () => {
          const at = this.#queue.indexOf(item)
          if (at >= 0) this.#queue.splice(at, 1)
          this.#fail(item, aborted())
        }
        signal.once("abort", item.onAbort)
      }
      this.#queue.push(item)
      this.#schedule()
    })
  }

  interrupt(id: number, graceMs: number): Promise<InterruptOutcome> {
    const current = this.#current
    if (current !== undefined && current.control !== undefined && !current.settled) {
      const outcome = interruptAttempt(current.control, id)
      if (typeof outcome === "string") return Promise.resolve(outcome)
      // An Effect being interrupted: "unknown" when its finalizers outlast the grace period, as in a worker.
      if (outcome !== undefined) return within(outcome, graceMs)
    }
    for (const item of this.#queue) {
      const ids = item.batch.ids
      if (ids === undefined || !ids.includes(id)) continue
      // Not started: its control, made now, skips the task when the batch runs.
      return Promise.resolve(interruptAttempt((item.control ??= new BatchControl(ids)), id) ?? "unknown")
    }
    return Promise.resolve("unknown")
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    for (const item of this.#queue.splice(0)) this.#fail(item, closed())
    // The running batch cannot be stopped; its caller hears "closed" now and its results are dropped.
    if (this.#current !== undefined) this.#fail(this.#current, closed())
    return Promise.resolve()
  }

  #schedule(): void {
    if (this.#scheduled || this.#current !== undefined || this.#queue.length === 0 || this.#closed) return
    this.#scheduled = true
    setImmediate(this.#next)
  }

  /** Settles `item` once, whether it is queued, running or neither. */
  #settle(item: Queued, outcome: () => void): void {
    if (item.settled) return
    item.settled = true
    if (item.onAbort !== undefined) item.signal?.off("abort", item.onAbort)
    outcome()
    if (this.#current === item) this.#current = undefined
    this.#schedule()
  }

  #fail(item: Queued, error: ExecutorFailure): void {
    this.#settle(item, () => item.reject(error))
  }

  /** Starts the next queued batch: its arguments cloned in, its results cloned out, as a worker's are. */
  readonly #next = (): void => {
    this.#scheduled = false
    if (this.#closed) return
    const item = this.#queue.shift()
    if (item === undefined) return
    this.#current = item
    let args: WireBatch["args"]
    try {
      args = structuredClone(item.batch.args)
    } catch (error) {
      const message = `The batch's arguments cannot be cloned: ${String(error)}`
      this.#fail(item, new ExecutorFailure("transport", message, { cause: error }))
      return
    }
    if (item.batch.ids !== undefined) item.control ??= new BatchControl(item.batch.ids)
    const post = streamTo(item)
    runBatch({ ...item.batch, args, ...(post === undefined ? {} : { stream: inThisThread }) }, item.control, post).then(
      (result) => this.#finish(item, result),
      (error: unknown) =>
        this.#fail(
          item,
          new ExecutorFailure("transport", `The batch could not run: ${String(error)}`, { cause: error })
        )
    )
  }

  #finish(item: Queued, result: WireBatchResult): void {
    let results: WireBatchResult["results"]
    try {
      results = structuredClone(result.results)
    } catch (error) {
      const message = `The batch's results cannot be cloned: ${String(error)}`
      this.#fail(item, new ExecutorFailure("transport", message, { cause: error }))
      return
    }
    const streamed = result.streamed
    this.#settle(item, () =>
      item.resolve({
        results,
        failed: result.failed,
        elapsedMs: result.elapsedMs,
        ...(streamed ? { streamed } : {}),
        ...(result.timing === undefined ? {} : { timing: { ...result.timing, worker: "in-process" } })
      })
    )
  }
}
