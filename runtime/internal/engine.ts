/**
 * The engine: one implementation under both the Promise API and the Effect API. It owns the
 * scheduler (task table, states, release) and an executor. This file holds submission, waiting
 * and shutdown; the dispatcher (dispatcher.ts) turns ready tasks into batches (batch.ts) and
 * batch results back into state changes; task-record.ts holds what both keep per task.
 *
 * Everything per task here is plain data and plain callbacks: no fiber, Deferred or Promise per
 * task (each costs 8-10 µs in Effect, the whole per-task budget). Promises are made only when a
 * user asks for one (`result()`, `gather`).
 *
 * @internal
 */
import type { ResultCache } from "../../cache/result-cache.js"
import { randomKeyToken } from "../../dsl/keys.js"
import type { NormalizedTaskOptions } from "../../dsl/options.js"
import { tokenizeCall } from "../../dsl/tokenize.js"
import { CancelledError, ClientClosedError } from "../../core/errors.js"
import type { Executor } from "../../executors/executor.js"
import { fetchOutcome, HeldReleases } from "./remote.js"
import { holdScattered, watchLineage } from "./lineage.js"
import type { FnInfo } from "../../dsl/function-ref.js"
import type { ClientSettings } from "./client-options.js"
import { Scheduler } from "../../scheduler/scheduler.js"
import { Dispatcher } from "./dispatcher.js"
import type { EngineMonitor } from "./monitor-hook.js"
import {
  closedReason,
  isSettled,
  newPayload,
  resetCounters,
  type Outcome,
  type Payload,
  type TaskRecordOf
} from "./task-record.js"

export { closedReason, isSettled, type Outcome, type Payload, type TaskRecordOf } from "./task-record.js"

/** The engine's settings. */
export interface EngineOptions {
  readonly executor: Executor
  /** Worker deaths a task may cause before it fails with `KilledWorkerError`. */
  readonly allowedFailures: number
  /** Injected transient failures, when testing. */
  readonly faults?: ClientSettings["faults"]
  /** The persistent result cache (`Client.local({ cache })`), when on. */
  readonly cache?: ResultCache<TaskRecordOf>
}

/** The engine: submit, wait, close; the dispatcher sends and collects. */
export class Engine {
  readonly scheduler: Scheduler<Payload>
  readonly executor: Executor
  readonly allowedFailures: number
  readonly #dispatcher: Dispatcher
  #monitor: EngineMonitor | undefined = undefined
  #closed = false
  /** Releases the record of a Future that was garbage-collected without `release()`. */
  readonly #collected = new FinalizationRegistry<TaskRecordOf>((record) => {
    if (!this.#closed) this.scheduler.release(record)
  })
  /** Observers of every settled task (asCompleted, progress). */
  readonly #observers = new Set<(task: TaskRecordOf) => void>()
  /** Deletes held results (an executor with `remote`) that left memory. */
  readonly #held: HeldReleases
  /** The result cache, when on: looked up before dispatch, written after success (`cache/`, dispatcher.ts). */
  readonly #cache: ResultCache<TaskRecordOf> | undefined

  constructor(options: EngineOptions) {
    this.executor = options.executor
    this.allowedFailures = options.allowedFailures
    this.#held = new HeldReleases(options.executor)
    // Only an executor with `remote` holds results elsewhere: the others skip that check per transition.
    const remote = options.executor.remote !== undefined
    this.scheduler = new Scheduler<Payload>({
      onSettled: (task) => this.#settled(task),
      onAbort: (task) => this.#dispatcher.abort(task),
      onTransition: (task, from, to) => {
        // retry(): a fresh budget of retries and worker deaths, as for a new task.
        if (from === "erred") resetCounters(task.payload)
        // Released, cancelled or lost: a result held remotely is deleted there.
        else if (from === "memory" && remote) this.#held.drop(task.value)
        if (this.#monitor !== undefined) this.#monitor.transition(task, from, to)
      },
      // A long release cascade (a huge graph let go) goes on in later turns (scheduler/release.ts).
      later: (work) => setImmediate(work)
    })
    this.#cache = options.cache
    this.#dispatcher = new Dispatcher(
      this.scheduler,
      options.executor,
      options.allowedFailures,
      options.faults,
      options.cache
    )
    // Results that vanish from a cluster: computed again from their lineage, or lost (lineage.ts).
    watchLineage(options.executor, {
      scheduler: this.scheduler,
      whenSettled: (record, callback) => this.whenSettled(record, callback),
      pump: () => this.#dispatcher.schedulePump()
    })
  }

  /** The dashboard's or a report's observer, while one is attached (`monitor-hook.ts`); batches then carry `timing`. */
  get monitor(): EngineMonitor | undefined {
    return this.#monitor
  }

  set monitor(monitor: EngineMonitor | undefined) {
    this.#monitor = monitor
    this.#dispatcher.monitor = monitor
  }

  /** True after `close()` started. */
  get closed(): boolean {
    return this.#closed
  }

  /** Throws `ClientClosedError` after close: every client method calls it first. */
  assertOpen(): void {
    if (this.#closed) throw new ClientClosedError()
  }

  // ---------------------------------------------------------------------------------------------
  // Submission

  /**
   * Adds one call (`template`: its scanned arguments). `inputs` are the records of the Futures in its arguments (in `InputRef` order).
   * Returns the record of its key: an existing one when the same pure call is already known.
   */
  submitCall(
    fn: FnInfo,
    args: ReadonlyArray<unknown>,
    template: ReadonlyArray<unknown>,
    inputs: ReadonlyArray<TaskRecordOf>,
    options: NormalizedTaskOptions
  ): TaskRecordOf {
    const key =
      options.key ?? (options.pure ? `${fn.name}-${tokenizeCall(fn.identity, args)}` : `${fn.name}-${randomHex()}`)
    return this.submitKeyed(key, fn, template, inputs, options)
  }

  /** Adds one call whose key is known (a Delayed's): the record of that key, existing or new. */
  submitKeyed(
    key: string,
    fn: FnInfo,
    template: ReadonlyArray<unknown>,
    inputs: ReadonlyArray<TaskRecordOf>,
    options: NormalizedTaskOptions
  ): TaskRecordOf {
    const existing = this.scheduler.get(key)
    if (existing !== undefined && existing.state !== "cancelled") return this.#cacheSubmitted(existing)
    const dependencies = distinct(inputs)
    const inputSlots =
      dependencies === inputs ? identitySlots(inputs.length) : inputs.map((record) => dependencies.indexOf(record))
    const payload = newPayload(fn, template, inputSlots, options, options.timeoutMs !== undefined)
    // `existing` tells add what is in the table under the key already (null: nothing): one lookup less.
    const record = this.scheduler.add(
      key,
      fn.name,
      payload,
      dependencies as TaskRecordOf[],
      options.priority,
      existing ?? null
    )
    this.#dispatcher.schedulePump()
    return this.#cacheSubmitted(record)
  }

  /** The result cache's hook (issue 17): a record submitted may be what a task the cache holds back waits for. */
  #cacheSubmitted(record: TaskRecordOf): TaskRecordOf {
    if (this.#cache !== undefined) this.#cache.submitted(record)
    return record
  }

  /**
   * The hold of a graph being added in slices (graph.ts): processing until `succeed`/`fail` by the
   * engine, never sent to a worker. Its gated outputs (`gate`) wait on it.
   */
  holdGraph(options: NormalizedTaskOptions): TaskRecordOf {
    return this.scheduler.hold(`weft-graph-${randomHex()}`, "weft-graph", newPayload(undefined, [], [], options, false))
  }

  /** The record of `key`: the existing one, or a new one waiting on `hold` until `attach` gives it its inputs. */
  gate(key: string, fn: FnInfo, options: NormalizedTaskOptions, hold: TaskRecordOf): TaskRecordOf {
    const existing = this.scheduler.get(key)
    if (existing !== undefined && existing.state !== "cancelled") return existing
    const payload = newPayload(fn, [], [], options, false)
    return this.scheduler.add(key, fn.name, payload, [hold], options.priority)
  }

  /** Gives a record made by `gate` its call and inputs (as `submitKeyed` would have); no-op when it is not waiting any more. */
  attach(
    record: TaskRecordOf,
    fn: FnInfo,
    template: ReadonlyArray<unknown>,
    inputs: ReadonlyArray<TaskRecordOf>,
    options: NormalizedTaskOptions
  ): void {
    if (!record.inTable || record.state !== "waiting") return
    const dependencies = distinct(inputs)
    const inputSlots =
      dependencies === inputs ? identitySlots(inputs.length) : inputs.map((input) => dependencies.indexOf(input))
    const payload = newPayload(fn, template, inputSlots, options, options.timeoutMs !== undefined)
    payload.listeners = record.payload.listeners // whoever awaits the Future already
    record.payload = payload
    this.scheduler.attach(record, dependencies)
    this.#dispatcher.schedulePump()
  }

  /** Adds a value that is already known (scatter). */
  addValue(key: string, name: string, value: unknown, options: NormalizedTaskOptions): TaskRecordOf {
    const payload = newPayload(undefined, [], [], options, false)
    const existing = this.scheduler.get(key)
    // On a cluster the value is stored there (workers read it) and the client keeps a reference.
    const held =
      existing !== undefined && existing.state !== "cancelled" ? value : holdScattered(this.executor, key, value)
    return this.scheduler.addValue(key, name, payload, held)
  }

  /** Registers a Future object, so that its garbage collection releases its record. */
  track(future: object, record: TaskRecordOf): void {
    this.#collected.register(future, record, future)
  }

  /** A Future's explicit release. */
  release(future: object, record: TaskRecordOf): void {
    this.#collected.unregister(future)
    if (!this.#closed) this.scheduler.release(record)
  }

  /** Keeps tasks running to the end with no Future held (fireAndForget). */
  keep(records: Iterable<TaskRecordOf>): void {
    for (const record of records) if (record.inTable) this.scheduler.keep(record)
  }

  /** Cancels tasks and their dependents. */
  cancel(records: Iterable<TaskRecordOf>, reason = "cancel"): void {
    for (const record of records) if (record.inTable) this.scheduler.cancel(record, reason)
    this.#dispatcher.schedulePump()
  }

  /** Runs errored tasks again. */
  retry(records: Iterable<TaskRecordOf>): void {
    this.assertOpen()
    for (const record of records) if (record.state === "erred") this.scheduler.retry(record)
    this.#dispatcher.schedulePump()
  }

  // ---------------------------------------------------------------------------------------------
  // Waiting

  /** Calls `callback` once the record settles; at once when it already has. */
  whenSettled(record: TaskRecordOf, callback: (task: TaskRecordOf) => void): void {
    if (isSettled(record)) {
      callback(record)
      return
    }
    // One callback is kept as it is (gather, result()): an array only for a second one.
    const listeners = record.payload.listeners
    if (listeners === undefined) record.payload.listeners = callback
    else if (typeof listeners === "function") record.payload.listeners = [listeners, callback]
    else listeners.push(callback)
  }

  /** Stops waiting: removes a callback given to `whenSettled`. */
  unlisten(record: TaskRecordOf, callback: (task: TaskRecordOf) => void): void {
    const listeners = record.payload.listeners
    if (listeners === undefined) return
    if (typeof listeners === "function") {
      if (listeners === callback) record.payload.listeners = undefined
      return
    }
    const index = listeners.indexOf(callback)
    if (index >= 0) listeners.splice(index, 1)
  }

  /** Watches every task that settles from now on; returns the function that stops watching. */
  observe(observer: (task: TaskRecordOf) => void): () => void {
    this.#observers.add(observer)
    return () => this.#observers.delete(observer)
  }

  /** The outcome of a settled record. */
  outcomeOf(record: TaskRecordOf): Outcome {
    switch (record.state) {
      case "memory":
        return { ok: true, value: record.value }
      case "erred":
        return { ok: false, error: record.error, cancelled: false }
      case "cancelled":
        return {
          ok: false,
          error:
            record.cancelReason === closedReason
              ? this.#closedError()
              : new CancelledError(record.key, record.cancelReason),
          cancelled: true
        }
      case "lost":
        return { ok: false, error: record.error, cancelled: false }
      default:
        return { ok: false, error: new CancelledError(record.key, "lost"), cancelled: true }
    }
  }

  /** A Promise of the outcome, optionally bounded by a timeout. */
  outcome(record: TaskRecordOf, timeout?: { ms: number; error: () => Error }): Promise<Outcome> {
    if (isSettled(record)) return Promise.resolve(fetchOutcome(this.executor, this.outcomeOf(record)))
    return new Promise<Outcome>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const done = (task: TaskRecordOf) => {
        if (timer !== undefined) clearTimeout(timer)
        resolve(fetchOutcome(this.executor, this.outcomeOf(task)))
      }
      this.whenSettled(record, done)
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          this.unlisten(record, done)
          reject(timeout.error())
        }, timeout.ms)
      }
    })
  }

  /** Keys whose results the cluster holds now. */
  heldKeys(): string[] {
    return this.scheduler.heldKeys()
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduler hooks

  #settled(task: TaskRecordOf): void {
    if (this.#cache !== undefined && task.payload.cache !== undefined) this.#cache.settled(task)
    const listeners = task.payload.listeners
    if (listeners !== undefined) {
      task.payload.listeners = undefined
      if (typeof listeners === "function") listeners(task)
      else for (let i = 0; i < listeners.length; i++) listeners[i](task)
    }
    if (this.#observers.size > 0) for (const observer of this.#observers) observer(task)
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /** Cancels everything pending (their `result()` rejects with `ClientClosedError`) and stops the workers. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#dispatcher.beginClose()
    const pending: TaskRecordOf[] = []
    for (const task of this.scheduler.tasks()) if (!isSettled(task)) pending.push(task)
    // Pending only: a finished or erred dependent keeps its value or error (docs/semantics.md).
    for (const task of pending) if (task.inTable && !isSettled(task)) this.scheduler.cancel(task, closedReason, true)
    this.#closed = true
    this.#dispatcher.stop()
    // Let every cancelled Future's waiters run first (their rejections are promise jobs, queued
    // above): stopping the workers takes milliseconds of synchronous work. The batches in flight
    // are not aborted: closing the executor rejects them ("closed"), while an abort would make
    // tinypool start a replacement worker for each, only to stop it at once.
    await new Promise((resolve) => setImmediate(resolve))
    // Pending cache writes finish before close resolves, so that the next process finds them; and
    // before the executor closes, as a cluster's results they write are fetched through it.
    await this.#cache?.close()
    await this.executor.close()
  }

  /**
   * The rejection of a Future that `close()` cancelled: a stack captured here would show weft's
   * own frames only, and capturing one cost ~7 µs per Future, most of the time it took to reject
   * 10,000 pending results. So it has none (`stack` is the name and message).
   */
  #closedError(): ClientClosedError {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      return new ClientClosedError()
    } finally {
      Error.stackTraceLimit = limit
    }
  }
}

/** The records without repeats; the same array when there are none. */
const distinct = (records: ReadonlyArray<TaskRecordOf>): ReadonlyArray<TaskRecordOf> => {
  if (records.length < 2) return records
  let repeats = false
  for (let i = 1; i < records.length && !repeats; i++) repeats = records.lastIndexOf(records[i], i - 1) >= 0
  if (!repeats) return records
  const out: TaskRecordOf[] = []
  for (const record of records) if (!out.includes(record)) out.push(record)
  return out
}

const slotCache: number[][] = []
/** [0, 1, ..., n - 1], shared. */
const identitySlots = (n: number): ReadonlyArray<number> => (slotCache[n] ??= Array.from({ length: n }, (_, i) => i))

/** 32 random lowercase hex characters: the token of an impure call. */
export const randomHex = randomKeyToken
