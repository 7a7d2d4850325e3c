/**
 * The engine monitor behind the dashboard, `performanceReport` and `timeline`. What the engine
 * calls allocates nothing and keeps no task record alive: `transition` updates counters (by
 * state, by task name), `landed` writes one task event per task into a bounded column ring
 * (`event-ring.ts`) and the batch's worker figures. The reader (the server's tick, a report)
 * calls `drain()` at its own pace for what is costly: error details and result sizes (sampled).
 *
 * @internal
 */
import type { BatchTiming } from "../../core/protocol.js"
import type { TaskRecord } from "../../scheduler/scheduler.js"
import type { TaskState } from "../../scheduler/state.js"
import type { EngineMonitor } from "../internal/monitor-hook.js"
import { Ring } from "./ring.js"
import { TaskEventRing } from "./event-ring.js"
import { estimateBytes } from "./sizeof.js"
import { shownStates, type ErrorEntry, type ShownState } from "./types.js"

type Record_ = TaskRecord<unknown>

/** Per task name counters. */
interface NameCounts {
  /** Results of this name in memory now, and the mean estimated size of those sampled. */
  held: number
  sized: number
  meanBytes: number
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
  /** Task events kept for the task stream, `/json/tasks` and timelines. */
  readonly events: number
  /** Erred keys kept for the errors page. */
  readonly errors: number
}

/** New results sized per drain at most (every 500 ms, or when a page asks). */
const sampleSize = 256

const defaultLimits: RecorderLimits = { events: 200_000, errors: 1_000 }

/** Records what the engine reports; see the module comment. */
export class Recorder implements EngineMonitor {
  readonly counts: Record<ShownState, number> = emptyCounts()
  readonly names = new Map<string, NameCounts>()
  readonly workers = new Map<string, WorkerState>()
  readonly events: TaskEventRing
  readonly started = Date.now()
  deaths = 0
  readonly #errors: Ring<PendingError>
  /** Records that reached memory and are not sized yet. */
  #toSize: Record_[] = []
  /** The counters of the last name seen: tasks come in runs of one name, so this saves a Map lookup per transition. */
  #lastName = ""
  #last: NameCounts | undefined
  /** Errors pushed whose error was not read yet, by record. */
  readonly #unread = new Map<Record_, PendingError>()

  constructor(tasks: Iterable<Record_> = [], limits: RecorderLimits = defaultLimits) {
    this.events = new TaskEventRing(limits.events)
    this.#errors = new Ring(limits.errors)
    // Attached to a client that already has tasks: count them as they stand.
    for (const task of tasks) this.transition(task, "released", task.state)
  }

  /** Events and batches lost because nobody read them in time. */
  get dropped(): number {
    return this.events.overwritten
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
    const n = this.#counters(task.name)
    if (from === "released" && to !== "released") n.total++
    if (from === "processing") n.processing--
    else if (from === "erred") {
      // Read the error now: leaving erred (a retry, a cancel, forgotten) clears it.
      this.#readError(task)
      if (to !== "released" && to !== "cancelled") n.erred-- // retried
    } else if (from === "memory") n.held--
    if (to === "processing") n.processing++
    else if (to === "memory") {
      n.done++
      n.held++
      // A sample of new results to size: held bytes are estimated per name from it.
      if (this.#toSize.length < sampleSize) this.#toSize.push(task)
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
    let worker = this.workers.get(timing.worker)
    if (worker === undefined) this.workers.set(timing.worker, (worker = newWorker()))
    worker.tasks += tasks.length
    worker.lastSeen = Date.now()
    this.#record(tasks, timing, worker)
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

  /** Reads what the hot side left for later: the errors' details and a sample of new results' sizes. */
  drain(): void {
    this.#readErrors()
    for (const task of this.#toSize) {
      if (task.state !== "memory") continue
      const n = this.names.get(task.name)
      if (n === undefined) continue
      const bytes = estimateBytes(task.value)
      n.sized++
      // A running mean that follows changes: the last ~100 samples weigh most.
      n.meanBytes += (bytes - n.meanBytes) / Math.min(n.sized, 100)
    }
    this.#toSize = []
  }

  /** Estimated bytes of the results held: per name, results held times the mean size of a sample of them. */
  get heldBytes(): number {
    let sum = 0
    for (const n of this.names.values()) sum += n.held * n.meanBytes
    return sum
  }

  /** One task event per task of the batch, and its run time in its name's counters. */
  #record(tasks: ReadonlyArray<Record_>, timing: BatchTiming, state: WorkerState): void {
    const { at, origin, failed, worker } = timing
    let f = 0
    for (let i = 0; i < tasks.length; i++) {
      const isFailed = f < failed.length && failed[f] === i
      if (isFailed) f++
      const task = tasks[i]
      const start = origin + at[i]
      const ms = at[i + 1] - at[i]
      this.events.push(task.key, task.name, worker, start, start + ms, isFailed)
      addBusy(state, start, ms)
      const n = this.#counters(task.name)
      n.timed++
      n.totalMs += ms
      if (ms > n.maxMs) n.maxMs = ms
    }
  }

  /** The counters of a task name. */
  #counters(name: string): NameCounts {
    let n = this.#last
    if (n === undefined || name !== this.#lastName) {
      n = this.names.get(name)
      if (n === undefined) this.names.set(name, (n = emptyName()))
      this.#lastName = name
      this.#last = n
    }
    return n
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
  held: 0,
  sized: 0,
  meanBytes: 0,
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
