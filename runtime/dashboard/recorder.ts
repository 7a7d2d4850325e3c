/**
 * The engine monitor behind the dashboard, `performanceReport` and `timeline`. What the engine
 * calls (`transition`, `landed`, `crashed`) does O(1) work: counters, and a push of the batch
 * onto a bounded ring. The reader (the server's tick, a report) calls `drain()` at its own pace,
 * which turns those batches into task events, durations and held bytes.
 *
 * @internal
 */
import type { BatchTiming } from "../../core/protocol.js"
import type { TaskRecord } from "../../scheduler/scheduler.js"
import type { TaskState } from "../../scheduler/state.js"
import type { EngineMonitor } from "../internal/monitor-hook.js"
import { Ring } from "./ring.js"
import { estimateBytes } from "./sizeof.js"
import { shownStates, type ErrorEntry, type ShownState, type TaskEvent } from "./types.js"

type Record_ = TaskRecord<unknown>

/** Per task name counters. */
interface NameCounts {
  total: number
  done: number
  erred: number
  cancelled: number
  processing: number
  timed: number
  totalMs: number
  maxMs: number
}

/** What the recorder knows of one worker. */
export interface WorkerState {
  tasks: number
  /** Busy ms per second of the clock, for the last `busySeconds` seconds: `busy[s % busySeconds]` for second `stamp[...]`. */
  readonly busy: Float64Array
  readonly stamp: Float64Array
  heapUsed: number | undefined
  rss: number | undefined
  cpu: number | undefined
  lastSeen: number
}

interface PendingBatch {
  readonly tasks: ReadonlyArray<Record_>
  readonly timing: BatchTiming
}

/**
 * An erred task. The scheduler sets the error just after the transition, so it is read at the
 * next `drain()` (`task` is then cleared): a retry may clear the record's error later.
 */
interface PendingError {
  task: Record_ | undefined
  readonly key: string
  readonly name: string
  readonly time: number
  error: unknown
  erredKey: string | undefined
  attempts: number
}

/** How much the recorder keeps. */
export interface RecorderLimits {
  /** Batches waiting for `drain()`; older ones are dropped (counted). */
  readonly batches: number
  /** Task events kept for the task stream, `/json/tasks` and timelines. */
  readonly events: number
  /** Erred keys kept for the errors page. */
  readonly errors: number
}

const defaultLimits: RecorderLimits = { batches: 16_384, events: 200_000, errors: 1_000 }

/** Records what the engine reports; see the module comment. */
export class Recorder implements EngineMonitor {
  readonly counts: Record<ShownState, number> = emptyCounts()
  readonly names = new Map<string, NameCounts>()
  readonly workers = new Map<string, WorkerState>()
  readonly events: Ring<TaskEvent>
  readonly started = Date.now()
  deaths = 0
  heldBytes = 0
  readonly #batches: Ring<PendingBatch>
  #drained = 0
  #droppedBatches = 0
  readonly #errors: Ring<PendingError>
  /** Records that reached memory and are not sized yet. */
  #toSize: Record_[] = []
  /** Errors pushed whose error was not read yet, by record. */
  readonly #unread = new Map<Record_, PendingError>()
  readonly #sizes = new WeakMap<Record_, number>()

  constructor(tasks: Iterable<Record_> = [], limits: RecorderLimits = defaultLimits) {
    this.events = new Ring(limits.events)
    this.#batches = new Ring(limits.batches)
    this.#errors = new Ring(limits.errors)
    // Attached to a client that already has tasks: count them as they stand.
    for (const task of tasks) this.transition(task, "released", task.state)
  }

  /** Events and batches lost because nobody read them in time. */
  get dropped(): number {
    return this.#droppedBatches + Math.max(0, this.events.pushed - this.events.capacity)
  }

  /** The newest erred keys, newest first. */
  errors(limit: number): ErrorEntry[] {
    this.#readErrors()
    return this.#errors.newest(limit).map(errorEntry)
  }

  get errorCount(): number {
    return this.#errors.size
  }

  // ------------------------------------------------------------------------- engine side (hot)

  transition(task: Record_, from: TaskState, to: TaskState): void {
    const counts = this.counts as Record<string, number>
    if (from !== "released") counts[from]--
    if (to !== "released") counts[to]++
    let n = this.names.get(task.name)
    if (n === undefined) this.names.set(task.name, (n = emptyName()))
    if (from === "released" && to !== "released") n.total++
    if (from === "processing") n.processing--
    else if (from === "erred") {
      // Read the error now: leaving erred (a retry, a cancel, forgotten) clears it.
      this.#readError(task)
      if (to !== "released" && to !== "cancelled") n.erred-- // retried
    } else if (from === "memory") this.#unsize(task)
    if (to === "processing") n.processing++
    else if (to === "memory") {
      n.done++
      this.#toSize.push(task)
    } else if (to === "erred") {
      n.erred++
      const { key, name, attempts } = task
      const entry: PendingError = { task, key, name, time: Date.now(), error: undefined, erredKey: undefined, attempts }
      this.#errors.push(entry)
      this.#unread.set(task, entry)
    } else if (to === "cancelled" && from !== "memory" && from !== "erred") n.cancelled++
  }

  landed(tasks: ReadonlyArray<Record_>, timing: BatchTiming | undefined): void {
    if (timing === undefined) return
    if (this.#batches.pushed - this.#drained >= this.#batches.capacity) this.#droppedBatches++
    this.#batches.push({ tasks, timing })
    let worker = this.workers.get(timing.worker)
    if (worker === undefined) this.workers.set(timing.worker, (worker = newWorker()))
    worker.tasks += tasks.length
    worker.lastSeen = Date.now()
    const stats = timing.stats
    if (stats !== undefined) {
      worker.heapUsed = stats.heapUsed
      worker.rss = stats.rss
      worker.cpu = stats.cpu
    }
  }

  crashed(_tasks: ReadonlyArray<Record_>, reason: string): void {
    if (reason === "worker-died") this.deaths++
  }

  // ------------------------------------------------------------------------- reader side

  /** Turns the batches reported since the last call into task events; sizes new results (up to `sizeBudget` of them). */
  drain(sizeBudget = 20_000): void {
    for (const batch of this.#batches.since(this.#drained)) this.#expand(batch)
    this.#drained = this.#batches.pushed
    this.#readErrors()
    const queue = this.#toSize
    const take = Math.min(queue.length, sizeBudget)
    for (let i = 0; i < take; i++) {
      const task = queue[i]
      if (task.state !== "memory" || this.#sizes.has(task)) continue
      const bytes = estimateBytes(task.value)
      this.#sizes.set(task, bytes)
      this.heldBytes += bytes
    }
    this.#toSize = take === queue.length ? [] : queue.slice(take)
  }

  #expand({ tasks, timing }: PendingBatch): void {
    const { at, origin, failed, worker } = timing
    let f = 0
    for (let i = 0; i < tasks.length; i++) {
      const isFailed = f < failed.length && failed[f] === i
      if (isFailed) f++
      const task = tasks[i]
      const ms = at[i + 1] - at[i]
      const event: TaskEvent = {
        seq: this.events.pushed + 1,
        key: task.key,
        name: task.name,
        worker,
        start: origin + at[i],
        end: origin + at[i + 1],
        failed: isFailed
      }
      this.events.push(event)
      addBusy(this.workers.get(worker), origin + at[i], ms)
      const n = this.names.get(task.name)
      if (n !== undefined) {
        n.timed++
        n.totalMs += ms
        if (ms > n.maxMs) n.maxMs = ms
      }
    }
  }

  #readErrors(): void {
    for (const task of this.#unread.keys()) this.#readError(task)
  }

  #readError(task: Record_): void {
    const entry = this.#unread.get(task)
    if (entry === undefined) return
    this.#unread.delete(task)
    entry.task = undefined
    entry.error = task.error
    entry.erredKey = task.erredKey
  }

  #unsize(task: Record_): void {
    const bytes = this.#sizes.get(task)
    if (bytes === undefined) return
    this.heldBytes -= bytes
    this.#sizes.delete(task)
  }
}

/** Seconds of history kept for a worker's busy share. */
const busySeconds = 8

const newWorker = (): WorkerState => ({
  tasks: 0,
  busy: new Float64Array(busySeconds),
  stamp: new Float64Array(busySeconds).fill(-1),
  heapUsed: undefined,
  rss: undefined,
  cpu: undefined,
  lastSeen: 0
})

/** Adds a task's run time to its worker's second(s). */
function addBusy(worker: WorkerState | undefined, start: number, ms: number): void {
  if (worker === undefined) return
  let at = start
  let left = ms
  while (left > 0) {
    const second = Math.floor(at / 1000)
    const slot = second % busySeconds
    if (worker.stamp[slot] !== second) {
      worker.stamp[slot] = second
      worker.busy[slot] = 0
    }
    const here = Math.min(left, (second + 1) * 1000 - at)
    worker.busy[slot] += here
    at += here
    left -= here
  }
}

/** Percent of the `seconds` whole seconds before `now` that the worker spent running tasks. */
export function busyPercent(worker: WorkerState, now: number, seconds = 5): number {
  const current = Math.floor(now / 1000)
  let sum = 0
  for (let s = current - seconds; s < current; s++) {
    const slot = ((s % busySeconds) + busySeconds) % busySeconds
    if (worker.stamp[slot] === s) sum += worker.busy[slot]
  }
  return Math.min(100, Math.round((sum / (seconds * 1000)) * 100))
}

const emptyCounts = (): Record<ShownState, number> =>
  Object.fromEntries(shownStates.map((state) => [state, 0])) as Record<ShownState, number>

const emptyName = (): NameCounts => ({
  total: 0,
  done: 0,
  erred: 0,
  cancelled: 0,
  processing: 0,
  timed: 0,
  totalMs: 0,
  maxMs: 0
})

/** An erred task as the errors page shows it. */
function errorEntry({ key, name, error, erredKey, attempts, time }: PendingError): ErrorEntry {
  const isError = error instanceof Error
  return {
    key,
    name,
    time,
    error: isError ? error.name : typeof error,
    message: isError ? error.message : String(error),
    stack: isError ? (error.stack ?? "") : "",
    attempts,
    cause: erredKey !== undefined && erredKey !== key ? erredKey : undefined
  }
}
