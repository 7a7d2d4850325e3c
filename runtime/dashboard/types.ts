/**
 * What the dashboard shows, as plain JSON-able data, and where it comes from: a
 * `DashboardSource`. The local cluster's source reads the engine's recorder (`local-source.ts`);
 * a cluster on Redis will provide another source over the same shapes (docs/dashboard.md), so
 * the server and the pages do not change.
 *
 * @module
 */

/** Task states shown, in life order (`released` is not shown: it means "not in the table"). */
export const shownStates = ["waiting", "queued", "processing", "memory", "erred", "cancelled", "lost"] as const

/** One of `shownStates`. */
export type ShownState = (typeof shownStates)[number]

/** One task attempt on the task stream: which worker ran it, from when to when (ms since the epoch). */
export interface TaskEvent {
  /** Order of arrival; `/json/tasks?since=seq` returns the events after it. */
  readonly seq: number
  readonly key: string
  /** The task name (key prefix): what the bar's colour and the progress row follow. */
  readonly name: string
  /** `"thread 3"`, `"process 41234"`, `"in-process"`. */
  readonly worker: string
  readonly start: number
  readonly end: number
  /** The attempt failed (threw, rejected, was skipped or interrupted). */
  readonly failed: boolean
}

/** Progress of one task name, as the terminal bar counts it. */
export interface ProgressRow {
  readonly name: string
  /** Tasks of this name added to the cluster since the monitor started. */
  readonly total: number
  /** Reached memory (finished). */
  readonly done: number
  /** Erred (and not retried since). */
  readonly erred: number
  readonly cancelled: number
  /** Running now. */
  readonly processing: number
  /** Attempts timed on a worker, and their summed and longest run time (ms). */
  readonly timed: number
  readonly totalMs: number
  readonly maxMs: number
}

/** One worker as last reported. */
export interface WorkerRow {
  readonly name: string
  /** Task attempts it ran (that the monitor saw). */
  readonly tasks: number
  /** Percent of the last 5 s spent running tasks. */
  readonly busy: number
  /** Bytes of its JavaScript heap in use; undefined until it reported. */
  readonly heapUsed: number | undefined
  /** Resident memory of its process, bytes. */
  readonly rss: number | undefined
  /** Percent of one core (see `WorkerStats.cpu`). */
  readonly cpu: number | undefined
  /** When it last returned a batch (ms since the epoch). */
  readonly lastSeen: number
}

/** The status page's numbers. */
export interface StatusSnapshot {
  /** ms since the epoch, when taken. */
  readonly time: number
  readonly cluster: {
    /** Workers the cluster was started with. */
    readonly workers: number
    /** `"threads"`, `"processes"` or `"in-process"`. */
    readonly kind: string
    /** Worker deaths seen (a worker that crashed or was killed mid-batch). */
    readonly deaths: number
  }
  /** Tasks in the table by state, now. */
  readonly counts: Readonly<Record<ShownState, number>>
  /** Estimated bytes of the results held in memory (measured on the client, at the page's pace). */
  readonly heldBytes: number
  readonly progress: ReadonlyArray<ProgressRow>
  readonly workers: ReadonlyArray<WorkerRow>
  /** The newest task event's `seq` (0: none yet). */
  readonly lastSeq: number
  /** Task events dropped because the page read them slower than they came (bounded buffers). */
  readonly dropped: number
  /** How many erred keys the errors page lists. */
  readonly errors: number
}

/** One erred key, for the errors page. */
export interface ErrorEntry {
  readonly key: string
  readonly name: string
  /** When it erred (ms since the epoch). */
  readonly time: number
  /** The error's class name and message. */
  readonly error: string
  readonly message: string
  /** Its stack as the worker saw it (the traceback). */
  readonly stack: string
  /** Attempts made (1 = no retry). */
  readonly attempts: number
  /** When it erred because an input erred: that input's key. */
  readonly cause: string | undefined
}

/** The graph page's data: tasks (or, above the threshold, task names) and their dependencies. */
export interface GraphSnapshot {
  /** True when nodes are task names (grouped), not tasks. */
  readonly grouped: boolean
  /** Tasks in the table (held, running and waiting). */
  readonly tasks: number
  readonly nodes: ReadonlyArray<GraphNode>
  /** Pairs of node indices: [input, dependent]. */
  readonly edges: ReadonlyArray<readonly [number, number]>
}

/** One node: a task (`count` 1) or a group of tasks of one name. */
export interface GraphNode {
  /** The key, or the name of a group. */
  readonly id: string
  readonly name: string
  /** A single task's state, or the group's most advanced unfinished state. */
  readonly state: ShownState
  readonly count: number
  /** A group's tasks by state. */
  readonly states?: Partial<Record<ShownState, number>>
}

/**
 * Where the dashboard reads from. Calls are cheap and synchronous or return a promise (a Redis
 * source answers from its own cache); the server calls them at a bounded rate, never per task.
 */
export interface DashboardSource {
  /** A short description for page titles: "local cluster", "redis://host:6379". No secrets. */
  readonly label: string
  status(): StatusSnapshot | Promise<StatusSnapshot>
  /** Task events with `seq > since`, oldest first, at most `limit`. */
  events(since: number, limit: number): ReadonlyArray<TaskEvent> | Promise<ReadonlyArray<TaskEvent>>
  /** Erred keys, newest first. */
  errors(limit: number): ReadonlyArray<ErrorEntry> | Promise<ReadonlyArray<ErrorEntry>>
  graph(): GraphSnapshot | Promise<GraphSnapshot>
  /**
   * Optional: retry erred keys or cancel pending ones, from the errors page (POST with the
   * server's per-session token). Resolves with how many keys it acted on. Absent: read-only.
   */
  act?(action: DashboardAction, keys: ReadonlyArray<string>): number | Promise<number>
}

/** What the errors page can ask for. */
export type DashboardAction = "retry" | "cancel"
