/**
 * `Client.local` options and their validation.
 *
 * @internal
 */
import { rejectUnknownOptions } from "../../core/options.js"
import { availableParallelism } from "node:os"
import { describeGot, parseBytes } from "../../core/duration.js"
import { minMemoryLimitBytes } from "../../executors/tinypool/tinypool.js"
import { validateCacheOption, type CacheOptions, type CacheSettings } from "../../cache/options.js"

/** Injected transient failures (spec section 11): the same seed injects the same faults. */
export interface FaultPlan {
  /** Seed of the pseudo-random choice; default 0. */
  readonly seed?: number
  /** Chance, from 0 to 1, that an attempt fails with an injected transient error. */
  readonly rate: number
  /** At most this many injected failures per task; default: the task's retries, so results never change. */
  readonly maxPerTask?: number
}

/** Options of `Client.local`. */
export interface ClientOptions {
  /** Worker threads (or processes); default `os.availableParallelism()`. `0` runs tasks in this thread. */
  readonly workers?: number
  /** `"thread"` (default): worker threads; `"process"`: child processes, which isolate native crashes and `process.exit`. */
  readonly isolation?: "thread" | "process"
  /**
   * Per worker, bytes or a size such as `"512 MB"` (at least 64 MB): the cap on a worker's
   * JavaScript heap. A task that needs more kills its worker (a death, counted against
   * `allowedFailures`); a worker over 80% of it after its task is recycled.
   */
  readonly memoryLimit?: number | string
  /** Worker deaths a task may cause before it fails with `KilledWorkerError`; default 3. */
  readonly allowedFailures?: number
  /** Inject transient failures, to test that retries make results unchanged. */
  readonly faults?: FaultPlan
  /**
   * Serve the live dashboard (docs/dashboard.md): `true` on 127.0.0.1:8787 (the next free port
   * when taken), a port number, or `{ port, host }`. A host other than loopback makes it
   * reachable from other machines (a warning says so). Off by default: then nothing is recorded.
   * `client.dashboardLink` tells where it is.
   */
  readonly dashboard?: boolean | number | DashboardOptions
  /**
   * Keep pure tasks' results across runs (docs/cache.md): `true` for `.weft/cache` under the
   * project root (the nearest folder with a package.json) capped at 2 GB, or `{ dir, maxSize }`.
   */
  readonly cache?: boolean | CacheOptions
}

/** Where the dashboard listens. */
export interface DashboardOptions {
  /** The first port to try; default 8787. `0`: any free port. */
  readonly port?: number
  /** Default `"127.0.0.1"`. */
  readonly host?: string
}

/** Client options after validation. */
export interface ClientSettings {
  readonly workers: number
  readonly isolation: "thread" | "process"
  readonly memoryLimitBytes: number | undefined
  readonly allowedFailures: number
  readonly faults: (Required<Omit<FaultPlan, "maxPerTask">> & { readonly maxPerTask: number | undefined }) | undefined
  /** Where to serve the dashboard; undefined: no dashboard. */
  readonly dashboard: { readonly port: number; readonly host: string | undefined } | undefined
  readonly cache: CacheSettings | undefined
}

const known = ["workers", "isolation", "memoryLimit", "allowedFailures", "faults", "dashboard", "cache"]

const bad = (what: string, fix: string) => new TypeError(`Client.local: ${what}. ${fix}`)

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0

/** Validates `Client.local` options; throws `TypeError` naming what is wrong and how to fix it. */
export function validateClientOptions(options: unknown): ClientSettings {
  if (options === undefined) options = {}
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw bad(`options must be an object, got ${describeGot(options)}`, "Pass e.g. { workers: 4 }.")
  }
  rejectUnknownOptions(options, known, "Client.local")
  const o = options as ClientOptions
  if (o.workers !== undefined && !isCount(o.workers)) {
    throw bad(
      `workers must be a whole number >= 0, got ${describeGot(o.workers)}`,
      "Use 0 to run tasks in this thread, or omit it for one worker per core."
    )
  }
  if (o.isolation !== undefined && o.isolation !== "thread" && o.isolation !== "process") {
    throw bad(
      `isolation must be "thread" or "process", got ${describeGot(o.isolation)}`,
      `"process" isolates native crashes and process.exit.`
    )
  }
  if (o.allowedFailures !== undefined && !isCount(o.allowedFailures)) {
    throw bad(
      `allowedFailures must be a whole number >= 0, got ${describeGot(o.allowedFailures)}`,
      "It is how many worker deaths a task may cause; default 3."
    )
  }
  const memoryLimitBytes =
    o.memoryLimit === undefined ? undefined : parseBytes(o.memoryLimit, "Client.local memoryLimit")
  if (memoryLimitBytes !== undefined && memoryLimitBytes < minMemoryLimitBytes) {
    throw bad(
      `memoryLimit must be at least ${minMemoryLimitBytes / 1e6} MB, got ${JSON.stringify(o.memoryLimit)} (${memoryLimitBytes} bytes)`,
      'A worker needs about 30 MB for itself with tsx and Effect loaded; give it room for your tasks, e.g. "512 MB".'
    )
  }
  return {
    workers: o.workers ?? availableParallelism(),
    isolation: o.isolation ?? "thread",
    memoryLimitBytes,
    allowedFailures: o.allowedFailures ?? 3,
    faults: o.faults === undefined ? undefined : validateFaultPlan(o.faults, "Client.local faults"),
    dashboard: validateDashboard(o.dashboard, "Client.local"),
    cache: validateCacheOption(o.cache, "Client.local", process.cwd())
  }
}

const isPort = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 65535

/** Validates the `dashboard` option: `true`, a port, or `{ port, host }`; `false`/undefined: none. */
export function validateDashboard(value: unknown, where: string): ClientSettings["dashboard"] {
  if (value === undefined || value === false) return undefined
  if (value === true) return { port: 8787, host: undefined }
  if (isPort(value)) return { port: value, host: undefined }
  const fix = 'Pass true (127.0.0.1:8787), a port such as 8790, or { port: 8790, host: "127.0.0.1" }.'
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TypeError(
      `${where}: dashboard must be a boolean, a port or { port, host }, got ${describeGot(value)}. ${fix}`
    )
  for (const key of Object.keys(value))
    if (key !== "port" && key !== "host") throw new TypeError(`${where}: unknown dashboard option "${key}". ${fix}`)
  const { port, host } = value as DashboardOptions
  if (port !== undefined && !isPort(port))
    throw new TypeError(
      `${where}: dashboard.port must be a whole number from 0 to 65535, got ${describeGot(port)}. ${fix}`
    )
  if (host !== undefined && (typeof host !== "string" || host.length === 0))
    throw new TypeError(`${where}: dashboard.host must be a host name or address, got ${describeGot(host)}. ${fix}`)
  return { port: port ?? 8787, host }
}

/** Validates a `FaultPlan`. */
export function validateFaultPlan(plan: unknown, where: string): NonNullable<ClientSettings["faults"]> {
  if (typeof plan !== "object" || plan === null)
    throw new TypeError(`${where}: a fault plan is an object such as { rate: 0.1, seed: 1 }.`)
  for (const key of Object.keys(plan)) {
    if (key !== "seed" && key !== "rate" && key !== "maxPerTask") {
      throw new TypeError(`${where}: unknown field "${key}"; a fault plan has seed, rate and maxPerTask.`)
    }
  }
  const { seed, rate, maxPerTask } = plan as FaultPlan
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1))
    throw new TypeError(`${where}: rate must be a number from 0 to 1, got ${describeGot(rate)}.`)
  if (seed !== undefined && (typeof seed !== "number" || !Number.isInteger(seed)))
    throw new TypeError(`${where}: seed must be an integer, got ${describeGot(seed)}.`)
  if (maxPerTask !== undefined && !isCount(maxPerTask))
    throw new TypeError(`${where}: maxPerTask must be a whole number >= 0, got ${describeGot(maxPerTask)}.`)
  return { seed: seed ?? 0, rate, maxPerTask }
}
