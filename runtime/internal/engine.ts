/**
 * The engine: one implementation under both the Promise API and the Effect API. It owns the
 * scheduler (task table, states, release) and an executor, turns ready tasks into batches, and
 * turns batch results back into state changes.
 *
 * Everything per task here is plain data and plain callbacks: no fiber, Deferred or Promise per
 * task (each costs 8-10 µs in Effect, the whole per-task budget). Promises are made only when a
 * user asks for one (`result()`, `gather`).
 *
 * @internal
 */
import { randomKeyToken } from "../../dsl/keys.js"
import type { NormalizedTaskOptions } from "../../dsl/options.js"
import { tokenize } from "../../dsl/tokenize.js"
import { CancelledError, ClientClosedError, KilledWorkerError, TimeoutError } from "../../core/errors.js"
import { fillTemplate, withClassHint, type ScannedArgs } from "../../core/args.js"
import { decodeError } from "../../core/error-codec.js"
import { BatchAbort, ExecutorFailure, type Executor } from "../../executors/executor.js"
import type { FnInfo } from "../../dsl/function-ref.js"
import type {
  EncodedError,
  FnRef,
  InterruptOutcome,
  PartialResults,
  WireBatch,
  WireBatchResult
} from "../../core/protocol.js"
import type { ClientSettings } from "./client-options.js"
import { retryDelay } from "./retry.js"
import { Scheduler, type TaskRecord } from "../../scheduler/scheduler.js"
import type { CacheSlot } from "../../cache/key.js"
import type { ResultCache } from "../../cache/result-cache.js"

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
  /** Callbacks waiting for the task to settle. */
  listeners: Array<(task: TaskRecordOf) => void> | undefined
  /** The batch running it, while processing. */
  flight: Flight | undefined
  /** Pending retry timer. */
  retryTimer: NodeJS.Timeout | undefined
  /** Worker deaths while running it. */
  deaths: number
  /** Run alone in a batch (after a worker death, or because of a timeout). */
  alone: boolean
  /** Per-task retry state of an Effect Schedule. */
  retryState: unknown
  /** Failures injected by a fault plan so far. */
  injected: number
  /** Attempts that failed (threw, rejected or timed out): what retries count. Worker deaths and aborts do not. */
  failures: number
  /** The batch being built that holds it (a stamp), and its index there: for fusion. */
  batchStamp: number
  batchIndex: number
  /** The result cache's state of this task (its cache key, lock, hit), when a cache is on. */
  cache: CacheSlot | undefined
}

/** A task record as the engine uses it. */
export type TaskRecordOf = TaskRecord<Payload>

/** How a task ended, for the user. */
export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown; readonly cancelled: boolean }

/** A batch on its way through the executor. */
interface Flight {
  readonly tasks: TaskRecordOf[]
  /** For task i, its attempt id (`WireBatch.ids`); undefined when the executor cannot interrupt. */
  readonly ids: number[] | undefined
  readonly controller: BatchAbort
  timer: NodeJS.Timeout | undefined
  timedOut: boolean
  /** Its batch settled: aborting it would do nothing. */
  done: boolean
}

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

/*
 * Batch caps are one less than a power of two: a complete binary subtree has 2^k - 1 tasks, so
 * batches of a tree reduction end at subtree edges and leave fewer partial results waiting for
 * their siblings (bench: peak held results on an 8,192-leaf tree, 64 with caps of 1,024).
 */
/** Largest batch: bounds the latency of the first results of a long map. */
const maxBatch = 1023
/** Batch size while task durations are unknown: small, so that slow tasks are not piled on one worker. */
const firstBatch = 31
/** Marks a reference to an earlier task's result inside a fused batch (random: user data cannot match it). */
const refKey = `__weftBatchRef_${randomKeyToken().slice(0, 12)}`
/** Aim for batches that keep a worker busy this long, once task durations are known. */
const targetBatchMs = 4
/** Batches in flight per worker: one running, one waiting in the worker's queue. */
const depth = 2
/**
 * How long a worker has to answer an interrupt before the engine aborts the task's batch
 * (replacing the worker). A worker that can answer does so within a millisecond or two, at its
 * next await; no answer means it is stuck in synchronous code (a busy loop) or the batch is still
 * waiting for a worker. 150 ms tolerates a GC pause or a short synchronous stretch, yet a
 * cancelled busy loop stops within ~200 ms (grace plus the ~30 ms of a worker replacement).
 */
const interruptGraceMs = 150

const noListeners = undefined

/** The engine: submit, dispatch, collect. */
export class Engine {
  readonly scheduler: Scheduler<Payload>
  readonly executor: Executor
  readonly allowedFailures: number
  readonly #faults: ClientSettings["faults"]
  #closed = false
  /** `close()` started: no batch is aborted from then on (closing the executor stops them all). */
  #closing = false
  #inFlight = 0
  /** The last attempt id given (`WireBatch.ids`), when the executor can interrupt. */
  #lastAttempt = 0
  readonly #maxInFlight: number
  #pumpScheduled = false
  /** Stamps the batch being built, for fusion. */
  #stamp = 0
  /** Moving average of task run time in ms; -1 until the first batch returns. */
  #avgTaskMs = -1
  readonly #timers = new Set<NodeJS.Timeout>()
  /** Tasks with a timeout, popped and waiting for an idle worker so that their clock starts when they start. */
  readonly #waitingForIdle: TaskRecordOf[] = []
  readonly #flights = new Set<Flight>()
  /** Releases the record of a Future that was garbage-collected without `release()`. */
  readonly #collected = new FinalizationRegistry<TaskRecordOf>((record) => {
    if (!this.#closed) this.scheduler.release(record)
  })
  /** Observers of every settled task (asCompleted, progress). */
  readonly #observers = new Set<(task: TaskRecordOf) => void>()
  /** The result cache, when on: looked up before dispatch, written after success (`cache/`). */
  readonly #cache: ResultCache<TaskRecordOf> | undefined

  constructor(options: EngineOptions) {
    this.executor = options.executor
    this.allowedFailures = options.allowedFailures
    this.#faults = options.faults
    this.#cache = options.cache
    this.#cache?.connect({ hit: (task, value) => this.#cacheHit(task, value), resume: (task) => this.#cacheMiss(task) })
    this.#maxInFlight = Math.max(1, options.executor.workers * depth)
    this.scheduler = new Scheduler<Payload>({
      onSettled: (task) => this.#settled(task),
      onAbort: (task) => this.#abort(task),
      onTransition: (task, from) => {
        // retry(): a fresh budget of retries and worker deaths, as for a new task.
        if (from === "erred") resetCounters(task.payload)
      }
    })
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
   * Adds one call. `inputs` are the records of the Futures in its arguments (in `InputRef` order).
   * Returns the record of its key: an existing one when the same pure call is already known.
   */
  submitCall(
    fn: FnInfo,
    args: ReadonlyArray<unknown>,
    scanned: ScannedArgs,
    inputs: ReadonlyArray<TaskRecordOf>,
    options: NormalizedTaskOptions
  ): TaskRecordOf {
    const key =
      options.key ?? (options.pure ? `${fn.name}-${tokenize(fn.identity, ...args)}` : `${fn.name}-${randomHex()}`)
    return this.submitKeyed(key, fn, scanned.template, inputs, options)
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
    if (existing !== undefined && existing.state !== "cancelled") return existing
    const dependencies = distinct(inputs)
    const payload: Payload = {
      fn,
      template,
      inputSlots:
        dependencies === inputs ? identitySlots(inputs.length) : inputs.map((record) => dependencies.indexOf(record)),
      options,
      listeners: noListeners,
      flight: undefined,
      retryTimer: undefined,
      deaths: 0,
      alone: options.timeoutMs !== undefined,
      retryState: undefined,
      injected: 0,
      failures: 0,
      batchStamp: 0,
      batchIndex: -1,
      cache: undefined
    }
    const record = this.scheduler.add(key, fn.name, payload, dependencies as TaskRecordOf[], options.priority)
    this.#schedulePump()
    return record
  }

  /** Adds a value that is already known (scatter). */
  addValue(key: string, name: string, value: unknown, options: NormalizedTaskOptions): TaskRecordOf {
    const payload: Payload = {
      fn: undefined,
      template: [],
      inputSlots: [],
      options,
      listeners: noListeners,
      flight: undefined,
      retryTimer: undefined,
      deaths: 0,
      alone: false,
      retryState: undefined,
      injected: 0,
      failures: 0,
      batchStamp: 0,
      batchIndex: -1,
      cache: undefined
    }
    return this.scheduler.addValue(key, name, payload, value)
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
    this.#schedulePump()
  }

  /** Runs errored tasks again. */
  retry(records: Iterable<TaskRecordOf>): void {
    this.assertOpen()
    for (const record of records) if (record.state === "erred") this.scheduler.retry(record)
    this.#schedulePump()
  }

  // ---------------------------------------------------------------------------------------------
  // Waiting

  /** Calls `callback` once the record settles; at once when it already has. */
  whenSettled(record: TaskRecordOf, callback: (task: TaskRecordOf) => void): void {
    if (isSettled(record)) {
      callback(record)
      return
    }
    ;(record.payload.listeners ??= []).push(callback)
  }

  /** Stops waiting: removes a callback given to `whenSettled`. */
  unlisten(record: TaskRecordOf, callback: (task: TaskRecordOf) => void): void {
    const listeners = record.payload.listeners
    if (listeners === undefined) return
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
      default:
        return { ok: false, error: new CancelledError(record.key, "lost"), cancelled: true }
    }
  }

  /** A Promise of the outcome, optionally bounded by a timeout. */
  outcome(record: TaskRecordOf, timeout?: { ms: number; error: () => Error }): Promise<Outcome> {
    if (isSettled(record)) return Promise.resolve(this.outcomeOf(record))
    return new Promise<Outcome>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const done = (task: TaskRecordOf) => {
        if (timer !== undefined) clearTimeout(timer)
        resolve(this.outcomeOf(task))
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
  // Dispatch

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return
    this.#pumpScheduled = true
    // A microtask: a synchronous loop of submits (client.map) finishes first, so that the ready
    // tasks go out in a few large batches instead of one message per task.
    queueMicrotask(this.#pump)
  }

  readonly #pump = (): void => {
    this.#pumpScheduled = false
    if (this.#closed) return
    this.#startTimed()
    const scheduler = this.scheduler
    // While a task with a timeout waits for an idle worker, start nothing else: otherwise a steady
    // supply of ready tasks keeps every worker busy and the timed task waits for the whole queue
    // (it was popped first: it goes first). Batches in flight land, and the next pump starts it.
    while (
      !this.#closed &&
      this.#inFlight < this.#maxInFlight &&
      scheduler.readyCount > 0 &&
      this.#waitingForIdle.length === 0
    ) {
      const cap = this.#batchCap()
      // Spread the ready tasks over the batches in flight; fused dependents fill up to the cap.
      const share = Math.min(cap, Math.ceil(scheduler.readyCount / this.#maxInFlight))
      const tasks: TaskRecordOf[] = []
      const stamp = ++this.#stamp
      let taken = 0
      while (taken < share && tasks.length < cap) {
        const task = scheduler.popReady()
        if (task === undefined) break
        if (this.#cache !== undefined && this.#cache.intercept(task)) continue // looked up first
        if (task.payload.options.timeoutMs !== undefined) this.#waitingForIdle.push(task)
        else if (task.payload.alone) this.#dispatch([task])
        else {
          taken++
          this.#place(task, tasks, stamp)
          if (task.dependents.length > 0) this.#fuse(task, tasks, cap, stamp)
        }
      }
      if (tasks.length > 0) this.#dispatch(tasks)
      this.#startTimed()
    }
  }

  /**
   * Sends tasks that have a timeout, one per batch, only while some worker is idle: a batch handed
   * to a busy pool waits in its queue, and the timeout must not run while the task has not started.
   */
  #startTimed(): void {
    const waiting = this.#waitingForIdle
    while (waiting.length > 0) {
      const task = waiting[0]
      // Cancelled or released meanwhile: drop it, so that it holds nothing back.
      if (task.state !== "processing" || task.payload.flight !== undefined || task.payload.retryTimer !== undefined)
        waiting.shift()
      else if (this.#inFlight < this.executor.workers) this.#dispatch([waiting.shift()!])
      else return
    }
  }

  /** Tasks per batch: about `targetBatchMs` of work once durations are known, a few until then. */
  #batchCap(): number {
    if (this.#avgTaskMs < 0) return firstBatch
    if (this.#avgTaskMs === 0) return maxBatch
    const cap = Math.max(1, Math.min(maxBatch, Math.floor(targetBatchMs / this.#avgTaskMs)))
    return 2 ** Math.floor(Math.log2(cap + 1)) - 1 // 2^k - 1, as above
  }

  #place(task: TaskRecordOf, tasks: TaskRecordOf[], stamp: number): void {
    task.payload.batchStamp = stamp
    task.payload.batchIndex = tasks.length
    tasks.push(task)
  }

  /**
   * Fusion: claims the dependents of `root` whose inputs are all in memory or in this batch, and
   * theirs in turn, so that a worker computes a whole branch (a chain, a subtree of a reduction)
   * in one message and only its results come back. Ready tasks pop in depth-first order, so a
   * batch fills with complete branches.
   */
  #fuse(root: TaskRecordOf, tasks: TaskRecordOf[], cap: number, stamp: number): void {
    const stack = [root]
    while (stack.length > 0 && tasks.length < cap) {
      const dependents = stack.pop()!.dependents
      for (let i = 0; i < dependents.length && tasks.length < cap; i++) {
        const d = dependents[i]
        if (d.state !== "waiting" || d.payload.alone || d.payload.options.timeoutMs !== undefined) continue
        const inputs = d.dependencies
        let ready = true
        for (let j = 0; j < inputs.length && ready; j++) {
          const input = inputs[j]
          ready = input.state === "memory" || (input.state === "processing" && input.payload.batchStamp === stamp)
        }
        if (!ready || (this.#cache !== undefined && !this.#cache.claimable(d))) continue
        this.scheduler.claim(d)
        this.#place(d, tasks, stamp)
        stack.push(d)
      }
    }
  }

  #dispatch(tasks: TaskRecordOf[]): void {
    const fns: FnRef[] = []
    const fnIndex: number[] = new Array(tasks.length)
    const args: unknown[][] = new Array(tasks.length)
    let lastFn: FnInfo | undefined
    let lastIndex = -1
    let linked: boolean[] | undefined
    for (let i = 0; i < tasks.length; i++) {
      const payload = tasks[i].payload
      const fn = payload.fn as FnInfo
      if (fn !== lastFn) {
        lastFn = fn
        lastIndex = fns.indexOf(fn.ref)
        if (lastIndex < 0) lastIndex = fns.push(fn.ref) - 1
      }
      fnIndex[i] = lastIndex
      const slots = payload.inputSlots
      if (slots.length === 0) args[i] = payload.template as unknown[]
      else {
        const dependencies = tasks[i].dependencies
        const values = new Array(slots.length)
        for (let j = 0; j < slots.length; j++) {
          const input = dependencies[slots[j]]
          if (input.state === "memory") values[j] = input.value
          else {
            // Computed earlier in this batch: the worker puts the value in.
            values[j] = { [refKey]: input.payload.batchIndex }
            ;(linked ??= new Array<boolean>(tasks.length).fill(false))[i] = true
          }
        }
        args[i] = fillTemplate(payload.template, values)
      }
    }
    let ids: number[] | undefined
    if (this.executor.interrupt !== undefined) {
      ids = new Array<number>(tasks.length)
      for (let i = 0; i < tasks.length; i++) ids[i] = ++this.#lastAttempt
    }
    const batch: WireBatch = {
      fns,
      fn: fnIndex,
      args,
      ...(this.#faults === undefined ? {} : { inject: this.#injections(tasks) }),
      ...(ids === undefined ? {} : { ids }),
      ...(linked === undefined ? {} : { linked, refKey }),
      ...(this.#cache === undefined ? {} : { timed: true })
    }
    const flight: Flight = { tasks, ids, controller: new BatchAbort(), timer: undefined, timedOut: false, done: false }
    for (const task of tasks) task.payload.flight = flight
    if (tasks.length === 1 && tasks[0].payload.options.timeoutMs !== undefined) {
      flight.timer = setTimeout(() => {
        flight.timedOut = true
        flight.controller.abort()
      }, tasks[0].payload.options.timeoutMs)
    }
    this.#inFlight++
    this.#flights.add(flight)
    // Two or more tasks: the outcomes of those that finish early come before the batch ends
    // (`#streamed`), so that none waits for a slow or blocked batch-mate. A lone task has none to wait for.
    const onResults = tasks.length > 1 ? (part: PartialResults) => this.#streamed(flight, part) : undefined
    this.executor.run(batch, flight.controller, onResults).then(
      (result) => this.#landed(flight, result),
      (error: unknown) => this.#crashed(flight, error)
    )
  }

  /** Which attempts of a batch fail by the fault plan: a hash of (seed, key, attempt), so the same seed injects the same faults whatever the timing. */
  #injections(tasks: TaskRecordOf[]): boolean[] {
    const plan = this.#faults!
    return tasks.map((task) => {
      const payload = task.payload
      const times = payload.options.retries?.times ?? 0
      const limit = plan.maxPerTask ?? times
      // Never on an attempt after which no retry is left: an injected fault must not become the
      // task's final error (a task that fails for real still reports its own error).
      if (payload.injected >= limit || payload.failures >= times) return false
      if (chance(`${plan.seed}:${task.key}:${task.attempts}`) >= plan.rate) return false
      payload.injected++
      return true
    })
  }

  #landed(flight: Flight, result: WireBatchResult): void {
    this.#finishFlight(flight)
    // The first `streamed` tasks' outcomes came early (`#streamed`); the reply holds the rest.
    this.#outcomes(
      flight,
      result.results,
      result.failed,
      result.streamed ?? 0,
      flight.tasks.length,
      0,
      result.elapsedMs,
      result.times
    )
    const perTask = result.elapsedMs / flight.tasks.length
    this.#avgTaskMs = this.#avgTaskMs < 0 ? perTask : this.#avgTaskMs * 0.7 + perTask * 0.3
    this.#pump()
  }

  /** Outcomes of a batch's tasks that finished while others of it still run: they settle now, and their dependents may start. */
  #streamed(flight: Flight, part: PartialResults): void {
    if (flight.done) return
    const from = part.from
    this.#outcomes(flight, part.results, part.failed, from, from + part.results.length, from, 0, part.times)
    this.#pump()
  }

  /**
   * Applies the outcomes of tasks `from` to `to - 1` of `flight`: task i's is `results[i - offset]`,
   * failed when i is in `failed` (ascending). A task no longer processing in this flight is left
   * alone: cancelled or released meanwhile, or already retried in another batch.
   */
  #outcomes(
    flight: Flight,
    results: ReadonlyArray<unknown>,
    failed: ReadonlyArray<number>,
    from: number,
    to: number,
    offset: number,
    elapsedMs: number,
    times?: ReadonlyArray<number>
  ): void {
    const { tasks } = flight
    const scheduler = this.scheduler
    let f = 0
    while (f < failed.length && failed[f] < from) f++
    let nextFailed = f < failed.length ? failed[f] : -1
    for (let i = from; i < to; i++) {
      const task = tasks[i]
      const failedHere = i === nextFailed
      if (failedHere) nextFailed = ++f < failed.length ? failed[f] : -1
      if (task.payload.flight !== flight) continue
      task.payload.flight = undefined
      if (failedHere) {
        if (task.state !== "processing") continue
        const encoded = results[i - offset] as EncodedError
        // An input earlier in the batch failed and will be retried: wait for it again.
        if (encoded.kind === "skipped") this.scheduler.unclaim(task)
        else this.#attemptFailed(task, withClassHint(decodeError(encoded), task.payload.template))
      } else if (task.state !== "processing") continue
      else if (flight.timer !== undefined && elapsedMs > (task.payload.options.timeoutMs ?? Infinity)) {
        // It finished, but later than its timeout: synchronous code the timer could not interrupt
        // (in this thread with `workers: 0`), or a result that landed before the timer's turn.
        this.#attemptFailed(task, this.#timeoutError(task, false))
      } else {
        if (this.#cache !== undefined)
          this.#cacheWrite(task, results[i - offset], times?.[i - offset], elapsedMs, flight)
        scheduler.succeed(task, results[i - offset])
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Result cache hooks (issue 17; the cache itself is in cache/)

  /** The cache found a popped task's result: it settles without running. */
  #cacheHit(task: TaskRecordOf, value: unknown): void {
    if (task.state !== "processing" || this.#closed) return
    this.scheduler.succeed(task, value)
    this.#schedulePump()
  }

  /** The cache did not find it (and holds its lock, when it needed one): it runs. */
  #cacheMiss(task: TaskRecordOf): void {
    if (task.state !== "processing" || this.#closed) return
    this.scheduler.requeue(task)
    this.#schedulePump()
  }

  /** A task computed `value`: the cache writes it when it pays (by the worker's time for it, else the batch's average). */
  #cacheWrite(task: TaskRecordOf, value: unknown, ms: number | undefined, elapsedMs: number, flight: Flight): void {
    this.#cache!.succeeded(task, value, ms ?? (elapsedMs > 0 ? elapsedMs / flight.tasks.length : Infinity))
  }

  #crashed(flight: Flight, error: unknown): void {
    this.#finishFlight(flight)
    if (this.#closed) return
    const reason = error instanceof ExecutorFailure ? error.reason : "transport"
    for (const task of flight.tasks) {
      // Not in this flight any more: its outcome was streamed (then it may be running again elsewhere, a retry).
      if (task.payload.flight !== flight) continue
      task.payload.flight = undefined
      if (task.state !== "processing") continue
      if (reason === "aborted") {
        if (flight.timedOut) this.#attemptFailed(task, this.#timeoutError(task, true))
        else this.scheduler.requeue(task) // aborted because another task of its batch was cancelled
      } else if (reason === "worker-died") {
        task.payload.deaths++
        task.payload.alone = true // find the culprit: run the batch's tasks one by one from now on
        if (task.payload.deaths > this.allowedFailures) {
          this.scheduler.fail(task, new KilledWorkerError(task.key, task.payload.deaths, errorMessage(error)))
        } else this.scheduler.requeue(task)
      } else if (flight.tasks.length > 1 && !task.payload.alone) {
        // Something in the batch could not cross the thread boundary: run each task alone to find which.
        task.payload.alone = true
        this.scheduler.requeue(task)
      } else {
        this.scheduler.fail(
          task,
          new TypeError(
            `Task ${task.key}: its arguments or its result could not be sent between threads (${errorMessage(error)}).`,
            { cause: error }
          )
        )
      }
    }
    this.#pump()
  }

  /** The error of an attempt that ran past its timeout: `stopped` when the timer ended it. */
  #timeoutError(task: TaskRecordOf, stopped: boolean): TimeoutError {
    const ms = task.payload.options.timeoutMs ?? 0
    const how = !stopped
      ? "; it finished, too late, and its result was dropped"
      : this.executor.kind === "in-process"
        ? "; its result will be dropped (a task in this thread cannot be stopped)"
        : "; its worker was replaced"
    return new TimeoutError(`Task ${task.key} ran longer than its timeout of ${ms / 1000} s${how}.`, ms)
  }

  #finishFlight(flight: Flight): void {
    flight.done = true
    this.#inFlight--
    this.#flights.delete(flight)
    if (flight.timer !== undefined) clearTimeout(flight.timer)
  }

  /** An attempt failed: retry it when its policy says so, else the task errs. */
  #attemptFailed(task: TaskRecordOf, error: unknown): void {
    task.payload.failures++
    const delay = retryDelay(task, error)
    if (delay === undefined) {
      this.scheduler.fail(task, error)
      return
    }
    if (delay <= 0) {
      this.scheduler.requeue(task)
      return
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      task.payload.retryTimer = undefined
      if (task.state === "processing" && !this.#closed) {
        this.scheduler.requeue(task)
        this.#pump()
      }
    }, delay)
    task.payload.retryTimer = timer
    this.#timers.add(timer)
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduler hooks

  #settled(task: TaskRecordOf): void {
    if (this.#cache !== undefined && task.payload.cache !== undefined) this.#cache.settled(task)
    const listeners = task.payload.listeners
    if (listeners !== undefined) {
      task.payload.listeners = undefined
      for (let i = 0; i < listeners.length; i++) listeners[i](task)
    }
    if (this.#observers.size > 0) for (const observer of this.#observers) observer(task)
  }

  /**
   * A running task was cancelled or released: stop it. First ask the executor to interrupt it in
   * its worker (an Effect task's fiber is interrupted and its finalizers run; a task that has not
   * started is skipped); its batch then goes on and returns, and the task's late outcome is
   * ignored (it is no longer processing). When that cannot work (no `interrupt`, a plain function
   * running, or no answer within `interruptGraceMs`: a synchronous function blocks its worker),
   * abort the batch: its worker is replaced and its other tasks are requeued.
   */
  #abort(task: TaskRecordOf): void {
    const payload = task.payload
    if (payload.retryTimer !== undefined) {
      clearTimeout(payload.retryTimer)
      this.#timers.delete(payload.retryTimer)
      payload.retryTimer = undefined
    }
    const flight = payload.flight
    if (flight === undefined) return
    // close() stops every batch by closing the executor, once the cancelled Futures' waiters have run.
    if (this.#closing) return
    if (flight.ids === undefined || this.executor.interrupt === undefined) {
      flight.controller.abort()
      return
    }
    const id = flight.ids[flight.tasks.indexOf(task)]
    // The answer may come after close() started (closing the executor answers every pending
    // interrupt "unknown"): the batch is then left to the executor's close, as above.
    this.executor.interrupt(id, interruptGraceMs).then(
      (outcome) => {
        if (!stoppedInside(outcome) && !flight.done && !this.#closing) flight.controller.abort()
      },
      () => {
        if (!flight.done && !this.#closing) flight.controller.abort()
      }
    )
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /** Cancels everything pending (their `result()` rejects with `ClientClosedError`) and stops the workers. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closing = true
    const pending: TaskRecordOf[] = []
    for (const task of this.scheduler.tasks()) if (!isSettled(task)) pending.push(task)
    // Pending only: a finished or erred dependent keeps its value or error (docs/semantics.md).
    for (const task of pending) if (task.inTable && !isSettled(task)) this.scheduler.cancel(task, closedReason, true)
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    // A batch's timeout would abort it, like a cancel: the executor's close stops it instead.
    for (const flight of this.#flights) if (flight.timer !== undefined) clearTimeout(flight.timer)
    // Let every cancelled Future's waiters run first (their rejections are promise jobs, queued
    // above): stopping the workers takes milliseconds of synchronous work. The batches in flight
    // are not aborted: closing the executor rejects them ("closed"), while an abort would make
    // tinypool start a replacement worker for each, only to stop it at once.
    await new Promise((resolve) => setImmediate(resolve))
    await this.executor.close()
    // Pending cache writes finish first, so that the next process finds them.
    await this.#cache?.close()
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

/** True when an interrupt left nothing to stop: the task was interrupted, skipped, or had ended. */
const stoppedInside = (outcome: InterruptOutcome): boolean =>
  outcome === "interrupted" || outcome === "not-started" || outcome === "finished"

const resetCounters = (payload: Payload): void => {
  payload.failures = 0
  payload.deaths = 0
  payload.injected = 0
  payload.retryState = undefined
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

/** A number in [0, 1) from a string (FNV-1a, then murmur3's finalizer). */
const chance = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  // FNV-1a alone barely moves the top bits for a change in the last character (the attempt), so
  // that a task failed on every attempt or on none: murmur3's finalizer spreads every bit.
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return (hash >>> 0) / 0x100000000
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))
