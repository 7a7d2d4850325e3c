/**
 * `Client.connect` options and their validation.
 *
 * @internal
 */
import { describeGot, parseDuration } from "../../core/duration.js"
import {
  validateDashboard,
  validateFaultPlan,
  type ClientSettings,
  type DashboardOptions,
  type FaultPlan
} from "./client-options.js"
import type { TaskLogLine } from "../../executors/cluster/task-log-reader.js"
import { validateRedisCacheOption, type RedisCacheOptions } from "../../cache/options.js"

export type { TaskLogLine } from "../../executors/cluster/task-log-reader.js"

/** Options of `Client.connect` (and `Weft.connect`). */
export interface ConnectOptions {
  /** The BullMQ queue the workers take batches from; default `"weft"` (a worker's `--queue`). */
  readonly queue?: string
  /** The Redis key prefix, so that several clusters can share one Redis; default `"weft"` (a worker's `--prefix`). */
  readonly prefix?: string
  /**
   * How long the client's keys and queued work outlive it when it dies without `close()` (killed):
   * it renews a lease this long every third of it. Milliseconds or a duration such as `"10s"`;
   * default 30 s, at least 1 s.
   */
  readonly lease?: number | string
  /** Give up connecting to Redis after this long (ms or a duration); default 10 s. */
  readonly connectTimeout?: number | string
  /**
   * Batches in flight at once, in pairs (one running and one queued per worker thread): by default
   * the number of worker threads registered in the cluster, followed as workers come and go.
   */
  readonly concurrency?: number
  /** Worker deaths a task may cause before it fails with `KilledWorkerError`; default 3. */
  readonly allowedFailures?: number
  /** This project's root directory, which a worker's `--root` maps to its own copy; default `process.cwd()`. */
  readonly root?: string
  /** Inject transient failures, to test that retries make results unchanged. */
  readonly faults?: FaultPlan
  /**
   * Forward the tasks' console output from the workers to this client, as Dask's
   * `forward_logging`: `true` writes each line to this process's stdout or stderr as
   * `[key] text`; a function gets each line instead. Default off (lines stay in the workers'
   * output, where they are prefixed with the task's key too).
   */
  readonly forwardLogs?: boolean | ((line: TaskLogLine) => void)
  /** Keep pure tasks' results across runs in this cluster's Redis (docs/cache.md): `true` (256 MB cap) or `{ maxSize }`. */
  readonly cache?: boolean | RedisCacheOptions
  /**
   * Serve a live dashboard of this client's work (docs/dashboard.md), as `Client.local`'s: `true`
   * on 127.0.0.1:8787 or the next free port, a port, or `{ port, host }`. `weft dashboard URL`
   * serves one for every client and worker of the cluster.
   */
  readonly dashboard?: boolean | number | DashboardOptions
}

/** Validated `ConnectOptions`. */
export interface ConnectSettings {
  readonly queue: string
  readonly prefix: string
  readonly leaseMs: number
  readonly connectTimeoutMs: number
  /** Undefined: follow the registered workers' threads. */
  readonly concurrency: number | undefined
  readonly allowedFailures: number
  readonly root: string
  readonly faults: ClientSettings["faults"]
  /** Where forwarded log lines go; undefined when not forwarded. */
  readonly forwardLogs: ((line: TaskLogLine) => void) | undefined
  /** The result cache's cap in bytes; undefined when off. */
  readonly cacheMaxBytes: number | undefined
  readonly dashboard: ClientSettings["dashboard"]
}

const known = [
  "queue",
  "prefix",
  "lease",
  "connectTimeout",
  "concurrency",
  "allowedFailures",
  "root",
  "faults",
  "forwardLogs",
  "cache",
  "dashboard"
]

const bad = (what: string, fix: string) => new TypeError(`Client.connect: ${what}. ${fix}`)

const name = (value: unknown, what: string, fallback: string): string => {
  if (value === undefined) return fallback
  if (typeof value !== "string" || !/^[A-Za-z0-9_.-]+$/.test(value))
    throw bad(
      `${what} must be a name of letters, digits, _ . -, got ${describeGot(value)}`,
      `e.g. { ${what}: "weft" }.`
    )
  return value
}

const count = (value: unknown, what: string, fallback: number, min: number): number => {
  if (value === undefined) return fallback
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    throw bad(`${what} must be a whole number >= ${min}, got ${describeGot(value)}`, `Omit it for ${fallback}.`)
  return value
}

const concurrency = (value: unknown): number | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw bad(
      `concurrency must be a whole number >= 1, got ${describeGot(value)}`,
      "Omit it to follow the worker threads registered in the cluster."
    )
  return value
}

const forwardLogs = (value: unknown): ConnectSettings["forwardLogs"] => {
  if (value === undefined || value === false) return undefined
  if (value === true) return writeLogLine
  if (typeof value === "function") return value as (line: TaskLogLine) => void
  throw bad(
    `forwardLogs must be true, false or a function of each line, got ${describeGot(value)}`,
    "e.g. { forwardLogs: true }."
  )
}

/** The default log sink: the line on this process's stdout or stderr, prefixed with the task's key. */
const writeLogLine = (line: TaskLogLine): void => {
  ;(line.stream === "stdout" ? process.stdout : process.stderr).write(`[${line.key}] ${line.text}\n`)
}

/** Validates `Client.connect` options; throws `TypeError` naming what is wrong and how to fix it. */
export function validateConnectOptions(options: unknown): ConnectSettings {
  if (options === undefined) options = {}
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw bad(`options must be an object, got ${describeGot(options)}`, 'Pass e.g. { queue: "weft" }.')
  for (const key of Object.keys(options))
    if (!known.includes(key)) throw bad(`unknown option "${key}"`, `Valid options: ${known.join(", ")}.`)
  const o = options as ConnectOptions
  const leaseMs = o.lease === undefined ? 30_000 : parseDuration(o.lease, "Client.connect lease")
  if (leaseMs < 1_000) throw bad(`lease must be at least 1 s, got ${describeGot(o.lease)}`, "Omit it for 30 s.")
  if (o.root !== undefined && typeof o.root !== "string")
    throw bad(`root must be a directory path, got ${describeGot(o.root)}`, "Omit it for process.cwd().")
  return {
    queue: name(o.queue, "queue", "weft"),
    prefix: name(o.prefix, "prefix", "weft"),
    leaseMs,
    connectTimeoutMs:
      o.connectTimeout === undefined ? 10_000 : parseDuration(o.connectTimeout, "Client.connect connectTimeout"),
    concurrency: concurrency(o.concurrency),
    allowedFailures: count(o.allowedFailures, "allowedFailures", 3, 0),
    root: o.root ?? process.cwd(),
    faults: o.faults === undefined ? undefined : validateFaultPlan(o.faults, "Client.connect faults"),
    forwardLogs: forwardLogs(o.forwardLogs),
    cacheMaxBytes: validateRedisCacheOption(o.cache, "Client.connect"),
    dashboard: validateDashboard(o.dashboard, "Client.connect")
  }
}
