/**
 * What the dashboard of a cluster on Redis reads and writes (`weft dashboard redis://...`,
 * docs/dashboard.md "A cluster on Redis"): a watcher's flag, each client's published report, and
 * one stream of task events. Kept apart from the cluster's own protocol (executors/cluster/
 * protocol.ts): nothing here is needed to run tasks, and nothing is written while no dashboard
 * watches.
 *
 * @internal
 */
import type { ErrorEntry, GraphSnapshot, StatusSnapshot, TaskEvent } from "./types.js"

/** Redis keys, given the cluster's prefix (default `weft`). */
export const dashKeys = {
  /** Exists (with a TTL its dashboard renews) while a `weft dashboard` watches: clients publish only then. */
  watch: (prefix: string) => `${prefix}:dash:watch`,
  /** A client's latest `ClientReport` (JSON), with a TTL: a client that stopped publishing fades out. */
  report: (prefix: string, client: string) => `${prefix}:dash:c:${client}`,
  /** Pattern of every client's report. */
  reports: (prefix: string) => `${prefix}:dash:c:*`,
  /** A Stream of task events: one entry per publish, field `e` = JSON `TaskEvent[]` (seq 0), capped. */
  events: (prefix: string) => `${prefix}:dash:ev`
}

/** How long the watch flag lives unless renewed (ms). */
export const watchTtlMs = 10_000
/** How often a client looks for the watch flag (ms): one EXISTS, the whole cost of the feed while nobody watches. */
export const watchPollMs = 2_000
/** How often a watched client publishes (ms). */
export const publishEveryMs = 500
/** A client's report lives this long after its last publish (ms), so that a finished run still shows. */
export const reportTtlMs = 120_000
/** A report older than this is a client that stopped (closed or died): its counts by state no longer count (ms). */
export const liveReportMs = 5_000
/** Stream entries kept (each holds up to `eventsPerPublish` events). */
export const streamEntries = 2_000
/** Task events one publish carries at most; the rest of a burst is counted as dropped. */
export const eventsPerPublish = 5_000
/** Errors one report carries (the newest). */
export const errorsPerReport = 200

/** What a client publishes every `publishEveryMs` while watched. */
export interface ClientReport {
  readonly client: string
  readonly status: StatusSnapshot
  readonly errors: ReadonlyArray<ErrorEntry>
  /** The client's table grouped by task name (its graph page above a few thousand tasks). */
  readonly graph: GraphSnapshot
}

/** A task event as it travels (the reader numbers them). */
export type WireEvent = Omit<TaskEvent, "seq">
