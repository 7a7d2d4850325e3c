/**
 * The dispatcher: the half of the engine between the scheduler's ready queue and the executor.
 * It pumps ready tasks into batches (batch.ts), sends them, and turns what comes back (results,
 * failures, a crashed or aborted batch, a worker death) into scheduler moves, with retries and
 * timeouts. The engine (engine.ts) owns submission, waiting and shutdown, and calls in here.
 *
 * Everything per task here is plain data and plain callbacks: no fiber, Deferred or Promise per
 * task (each costs 8-10 µs in Effect, the whole per-task budget).
 *
 * @internal
 * @module
 */
import type { ResultCache } from "../../cache/result-cache.js"
import { KilledWorkerError, TimeoutError } from "../../core/errors.js"
import { withClassHint } from "../../core/args.js"
import { decodeError } from "../../core/error-codec.js"
import { BatchAbort, ExecutorFailure, type Executor } from "../../executors/executor.js"
import type { EncodedError, InterruptOutcome, PartialResults, WireBatch, WireBatchResult } from "../../core/protocol.js"
import type { Scheduler } from "../../scheduler/scheduler.js"
import type { EngineMonitor } from "./monitor-hook.js"
import type { ClientSettings } from "./client-options.js"
import { CacheWrites } from "./cache-writes.js"
import { declaredEnvs } from "./declared-env.js"
import { batchCap, fuse, packCalls, place, refKey } from "./batch.js"
import { injections } from "./faults.js"
import { retryDelay } from "./retry.js"
import { retryState, type Flight, type Payload, type TaskRecordOf } from "./task-record.js"

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

/** Sends ready tasks in batches and applies their outcomes. */
export class Dispatcher {
  readonly #scheduler: Scheduler<Payload>
  readonly #executor: Executor
  readonly #allowedFailures: number
  readonly #faults: ClientSettings["faults"]
  /** Set through `Engine.monitor`: batches then ask for `timing`, and their outcomes are reported. */
  monitor: EngineMonitor | undefined = undefined
  #closed = false
  /** `close()` started: no batch is aborted from then on (closing the executor stops them all). */
  #closing = false
  #inFlight = 0
  /** The last attempt id given (`WireBatch.ids`), when the executor can interrupt. */
  #lastAttempt = 0
  #pumpScheduled = false
  /** Stamps the batch being built, for fusion. */
  #stamp = 0
  /** Moving average of task run time in ms; -1 until the first batch returns. */
  #avgTaskMs = -1
  readonly #timers = new Set<NodeJS.Timeout>()
  /** Tasks with a timeout, popped and waiting for an idle worker so that their clock starts when they start. */
  readonly #waitingForIdle: TaskRecordOf[] = []
  /** The flights of tasks with a timeout (their timers), until they settle. */
  readonly #timed = new Set<Flight>()
  /** The result cache, when on (issue 17): its hooks are the `#cache...` methods and four calls below. */
  readonly #cache: ResultCache<TaskRecordOf> | undefined
  /** The cache's writes, with each task's run time from its batch's `timing`. */
  readonly #writes: CacheWrites | undefined
  readonly #claimable = (task: TaskRecordOf): boolean => this.#cache!.claimable(task)

  constructor(
    scheduler: Scheduler<Payload>,
    executor: Executor,
    allowedFailures: number,
    faults: ClientSettings["faults"],
    cache?: ResultCache<TaskRecordOf>
  ) {
    this.#scheduler = scheduler
    this.#executor = executor
    this.#allowedFailures = allowedFailures
    this.#faults = faults
    this.#cache = cache
    this.#writes = cache === undefined ? undefined : new CacheWrites(cache)
    cache?.connect({ hit: (task, value) => this.#cacheHit(task, value), resume: (task) => this.#cacheMiss(task) })
  }

  /** Runs the pump once the current synchronous work is done. */
  schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return
    this.#pumpScheduled = true
    // A microtask: a synchronous loop of submits (client.map) finishes first, so that the ready
    // tasks go out in a few large batches instead of one message per task.
    queueMicrotask(this.#pump)
  }

  /** `close()` started: from now on a cancelled task's batch is left to the executor's close. */
  beginClose(): void {
    this.#closing = true
  }

  /** Sends nothing more and clears every timer (retries, batch timeouts): the executor's close stops the batches in flight. */
  stop(): void {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    // A batch's timeout would abort it, like a cancel: the executor's close stops it instead.
    for (const flight of this.#timed) if (flight.timer !== undefined) clearTimeout(flight.timer)
  }

  readonly #pump = (): void => {
    this.#pumpScheduled = false
    if (this.#closed) return
    this.#startTimed()
    const scheduler = this.#scheduler
    // Read per pump: a cluster's count of workers follows the workers that come and go.
    const maxInFlight = Math.max(1, this.#executor.workers * depth)
    // The cache's hooks, looked up once per pump: without a cache the loop below pays nothing for them.
    const cache = this.#cache
    const claimable = cache === undefined ? undefined : this.#claimable
    // While a task with a timeout waits for an idle worker, start nothing else: otherwise a steady
    // supply of ready tasks keeps every worker busy and the timed task waits for the whole queue
    // (it was popped first: it goes first). Batches in flight land, and the next pump starts it.
    while (
      !this.#closed &&
      this.#inFlight < maxInFlight &&
      scheduler.readyCount > 0 &&
      this.#waitingForIdle.length === 0
    ) {
      const cap = batchCap(this.#avgTaskMs, this.#executor.batchMs)
      // Spread the ready tasks over the batches in flight; fused dependents fill up to the cap.
      const share = Math.min(cap, Math.ceil(scheduler.readyCount / maxInFlight))
      const tasks: TaskRecordOf[] = []
      const stamp = ++this.#stamp
      let taken = 0
      while (taken < share && tasks.length < cap) {
        const task = scheduler.popReady()
        if (task === undefined) break
        if (cache !== undefined && cache.intercept(task)) continue // looked up first
        if (task.payload.options.timeoutMs !== undefined) this.#waitingForIdle.push(task)
        else if (task.payload.alone) this.#dispatch([task])
        else {
          taken++
          place(task, tasks, stamp)
          if (task.dependents.length > 0) fuse(scheduler, task, tasks, cap, stamp, claimable)
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
      if (task.state !== "processing" || task.payload.flight !== undefined || task.payload.retry?.timer !== undefined)
        waiting.shift()
      else if (this.#inFlight < this.#executor.workers) this.#dispatch([waiting.shift()!])
      else return
    }
  }

  #dispatch(tasks: TaskRecordOf[]): void {
    const { fns, fnIndex, args, linked, held } = packCalls(tasks, this.#executor.remote !== undefined)
    let ids: number[] | undefined
    if (this.#executor.interrupt !== undefined) {
      ids = new Array<number>(tasks.length)
      for (let i = 0; i < tasks.length; i++) ids[i] = ++this.#lastAttempt
    }
    // Optional fields assigned, not spread from `{}` literals: a third of the cost of building it.
    const batch: Mutable<WireBatch> = { fns, fn: fnIndex, args }
    if (this.#faults !== undefined) batch.inject = injections(this.#faults, tasks)
    if (ids !== undefined) batch.ids = ids
    if (linked !== undefined) {
      batch.linked = linked
      batch.refKey = refKey
    }
    if (this.#executor.remote !== undefined) Object.assign(batch, remoteFields(tasks, held, this.#cache !== undefined))
    // Task times for a monitor (the dashboard) and for the cache's write rule (cache-writes.ts).
    if (this.monitor !== undefined || this.#writes !== undefined) batch.timing = true
    if (this.monitor?.traceparents !== undefined) batch.trace = this.monitor.traceparents(tasks)
    const flight: Flight = { tasks, ids, controller: new BatchAbort(), timer: undefined, timedOut: false, done: false }
    for (const task of tasks) task.payload.flight = flight
    if (tasks.length === 1 && tasks[0].payload.options.timeoutMs !== undefined) {
      const arm = () => {
        if (flight.done || this.#closed) return
        flight.timer = setTimeout(() => {
          flight.timedOut = true
          flight.controller.abort()
        }, tasks[0].payload.options.timeoutMs)
      }
      // On a cluster the batch may wait in a queue first: the clock starts when a worker starts it.
      if (this.#executor.startsLate === true) flight.controller.onStart = arm
      else arm()
      this.#timed.add(flight) // only these have a timer for stop() to clear
    }
    this.#inFlight++
    if (this.#writes !== undefined) this.#writes.sent(flight)
    // Two or more tasks: the outcomes of those that finish early come before the batch ends
    // (`#streamed`), so that none waits for a slow or blocked batch-mate. A lone task has none to wait for.
    const onResults = tasks.length > 1 ? (part: PartialResults) => this.#streamed(flight, part) : undefined
    this.#executor.run(batch, flight.controller, onResults).then(
      (result) => this.#landed(flight, result),
      (error: unknown) => this.#crashed(flight, error)
    )
  }

  #landed(flight: Flight, result: WireBatchResult): void {
    this.#finishFlight(flight)
    if (this.monitor !== undefined) this.monitor.landed(flight.tasks, result.timing)
    if (this.#writes !== undefined) this.#writes.landed(flight, result)
    // The first `streamed` tasks' outcomes came early (`#streamed`); the reply holds the rest.
    this.#outcomes(flight, result.results, result.failed, result.streamed ?? 0, flight.tasks.length, 0, result)
    const perTask = result.elapsedMs / flight.tasks.length
    this.#avgTaskMs = this.#avgTaskMs < 0 ? perTask : this.#avgTaskMs * 0.7 + perTask * 0.3
    this.#pump()
  }

  /** Outcomes of a batch's tasks that finished while others of it still run: they settle now, and their dependents may start. */
  #streamed(flight: Flight, part: PartialResults): void {
    if (flight.done) return
    const from = part.from
    this.#outcomes(flight, part.results, part.failed, from, from + part.results.length, from, undefined)
    this.#pump()
  }

  /**
   * Applies the outcomes of tasks `from` to `to - 1` of `flight`: task i's is `results[i - offset]`,
   * failed when i is in `failed` (ascending). A task no longer processing in this flight is left
   * alone: cancelled or released meanwhile, or already retried in another batch. `landed` is the
   * batch's reply; undefined for outcomes streamed before it.
   */
  #outcomes(
    flight: Flight,
    results: ReadonlyArray<unknown>,
    failed: ReadonlyArray<number>,
    from: number,
    to: number,
    offset: number,
    landed: WireBatchResult | undefined
  ): void {
    const elapsedMs = landed === undefined ? 0 : landed.elapsedMs
    const { tasks } = flight
    const scheduler = this.#scheduler
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
        if (encoded.kind === "skipped") scheduler.unclaim(task)
        else this.#attemptFailed(task, withClassHint(decodeError(encoded), task.payload.template))
      } else if (task.state !== "processing") continue
      else if (flight.timer !== undefined && elapsedMs > (task.payload.options.timeoutMs ?? Infinity)) {
        // It finished, but later than its timeout: synchronous code the timer could not interrupt
        // (in this thread with `workers: 0`), or a result that landed before the timer's turn.
        this.#attemptFailed(task, this.#timeoutError(task, false))
      } else {
        if (this.#writes !== undefined) this.#writes.succeeded(flight, i, task, results[i - offset], landed)
        scheduler.succeed(task, results[i - offset])
      }
    }
  }

  /** The cache found a task's result: it settles without running (a waiting one is claimed first: top-down lookups). */
  #cacheHit(task: TaskRecordOf, value: unknown): void {
    if (task.state === "waiting" && !this.#closed) this.#scheduler.claim(task)
    if (task.state !== "processing" || this.#closed) return
    this.#scheduler.succeed(task, value)
    this.schedulePump()
  }

  /** The cache did not find it (and holds its lock, when it needed one): it runs. */
  #cacheMiss(task: TaskRecordOf): void {
    if (task.state !== "processing" || this.#closed) return
    this.#scheduler.requeue(task)
    this.schedulePump()
  }

  #crashed(flight: Flight, error: unknown): void {
    this.#finishFlight(flight)
    if (this.#writes !== undefined) this.#writes.crashed(flight)
    if (this.#closed) return
    const reason = error instanceof ExecutorFailure ? error.reason : "transport"
    if (this.monitor !== undefined) this.monitor.crashed(flight.tasks, reason)
    for (const task of flight.tasks) {
      // Not in this flight any more: its outcome was streamed (then it may be running again elsewhere, a retry).
      if (task.payload.flight !== flight) continue
      task.payload.flight = undefined
      if (task.state !== "processing") continue
      if (reason === "aborted") {
        if (flight.timedOut) this.#attemptFailed(task, this.#timeoutError(task, true))
        else this.#scheduler.requeue(task) // aborted because another task of its batch was cancelled
      } else if (reason === "worker-died") {
        task.payload.deaths++
        task.payload.alone = true // find the culprit: run the batch's tasks one by one from now on
        if (task.payload.deaths > this.#allowedFailures) {
          this.#scheduler.fail(task, new KilledWorkerError(task.key, task.payload.deaths, errorMessage(error)))
        } else this.#scheduler.requeue(task)
      } else if (flight.tasks.length > 1 && !task.payload.alone) {
        // Something in the batch could not cross the thread boundary: run each task alone to find which.
        task.payload.alone = true
        this.#scheduler.requeue(task)
      } else {
        this.#scheduler.fail(
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
      : this.#executor.abortLeavesRunning === true
        ? "; its result will be dropped (a task in this thread cannot be stopped)"
        : "; its worker was replaced"
    return new TimeoutError(`Task ${task.key} ran longer than its timeout of ${ms / 1000} s${how}.`, ms)
  }

  #finishFlight(flight: Flight): void {
    flight.done = true
    this.#inFlight--
    if (flight.timer !== undefined) clearTimeout(flight.timer)
    if (flight.tasks.length === 1) this.#timed.delete(flight)
  }

  /** An attempt failed: retry it when its policy says so, else the task errs. */
  #attemptFailed(task: TaskRecordOf, error: unknown): void {
    task.payload.failures++
    const delay = retryDelay(task, error)
    if (delay === undefined) {
      this.#scheduler.fail(task, error)
      return
    }
    if (delay <= 0) {
      this.#scheduler.requeue(task)
      return
    }
    const retry = retryState(task.payload)
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      retry.timer = undefined
      if (task.state === "processing" && !this.#closed) {
        this.#scheduler.requeue(task)
        this.#pump()
      }
    }, delay)
    retry.timer = timer
    this.#timers.add(timer)
  }

  /**
   * A running task was cancelled or released: stop it (the scheduler's `onAbort`). First ask the
   * executor to interrupt it in its worker (an Effect task's fiber is interrupted and its
   * finalizers run; a task that has not started is skipped); its batch then goes on and returns,
   * and the task's late outcome is ignored (it is no longer processing). When that cannot work (no
   * `interrupt`, a plain function running, or no answer within `interruptGraceMs`: a synchronous
   * function blocks its worker), abort the batch: its worker is replaced and its other tasks are requeued.
   */
  abort(task: TaskRecordOf): void {
    const payload = task.payload
    const retry = payload.retry
    if (retry?.timer !== undefined) {
      clearTimeout(retry.timer)
      this.#timers.delete(retry.timer)
      retry.timer = undefined
    }
    const flight = payload.flight
    if (flight === undefined) return
    // close() stops every batch by closing the executor, once the cancelled Futures' waiters have run.
    if (this.#closing) return
    if (flight.ids === undefined || this.#executor.interrupt === undefined) {
      flight.controller.abort()
      return
    }
    const id = flight.ids[flight.tasks.indexOf(task)]
    // The answer may come after close() started (closing the executor answers every pending
    // interrupt "unknown"): the batch is then left to the executor's close, as above.
    this.#executor.interrupt(id, interruptGraceMs).then(
      (outcome) => {
        if (!stoppedInside(outcome) && !flight.done && !this.#closing) flight.controller.abort()
      },
      () => {
        if (!flight.done && !this.#closing) flight.controller.abort()
      }
    )
  }
}

/** True when an interrupt left nothing to stop: the task was interrupted, skipped, or had ended. */
const stoppedInside = (outcome: InterruptOutcome): boolean =>
  outcome === "interrupted" || outcome === "not-started" || outcome === "finished"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** A batch's `keys` and `inputs`, for an executor whose results stay remote; with the cache on, `declared` (declared-env.ts). */
const remoteFields = (tasks: TaskRecordOf[], held: Set<string> | undefined, cached: boolean) => {
  const declared = cached ? declaredEnvs(tasks) : undefined
  return {
    keys: tasks.map((task) => task.key),
    inputs: held === undefined ? [] : [...held],
    ...(declared === undefined ? {} : { declared })
  }
}
