/**
 * What the tinypool executor asks of tinypool: its options checked, the workers' flags, and a
 * `memoryLimit` turned into heap caps. Pure functions; nothing here starts a worker.
 *
 * @internal
 */
import type { Options as TinypoolOptions } from "tinypool"
import { splitTsxLoaders, tsxArgvPrefix } from "../../core/tsx-flags.js"

/** How a tinypool executor is started. */
export interface TinypoolExecutorOptions {
  /** How many workers; all are started before the executor is returned, unless `readyWhen: "first"`. */
  readonly workers: number
  /**
   * `"all"` (default): the executor is returned once every worker ran an empty batch. `"first"`: once
   * one did (`Client.local`, for the time to a first result): the first batches run there while
   * the others finish starting. A worker that then fails to start fails every batch, in flight or
   * later, with `ExecutorFailure("worker-died")` naming why, and stops the pool; and while they
   * start the executor `startsLate`: a batch with a timeout waits for them all, its clock then.
   */
  readonly readyWhen?: "all" | "first"
  /** `"thread"` (default): worker threads; `"process"`: child processes, which survive `process.exit` and native crashes. */
  readonly isolation?: "thread" | "process"
  /**
   * Each worker's JavaScript heap, in bytes: a batch that needs more kills its worker (a death,
   * `"worker-died"`), and a worker whose heap is above `recycleFraction` of it after a batch is
   * replaced before its next one. Below `minMemoryLimitBytes` only the recycling applies. See
   * `heapLimits`.
   */
  readonly memoryLimitBytes?: number
}

/** Throws a `TypeError` naming the first option that is wrong. */
export function checkOptions(options: TinypoolExecutorOptions): void {
  const { workers, isolation = "thread", memoryLimitBytes } = options
  if (!Number.isInteger(workers) || workers < 1)
    throw new TypeError(`workers must be a positive integer, got ${String(workers)}`)
  if (isolation !== "thread" && isolation !== "process") {
    throw new TypeError(`isolation must be "thread" or "process", got ${String(isolation)}`)
  }
  if (options.readyWhen !== undefined && options.readyWhen !== "all" && options.readyWhen !== "first") {
    throw new TypeError(`readyWhen must be "all" or "first", got ${String(options.readyWhen)}`)
  }
  if (memoryLimitBytes !== undefined && !(memoryLimitBytes > 0)) {
    throw new TypeError(`memoryLimitBytes must be a positive number, got ${String(memoryLimitBytes)}`)
  }
}

/** Longer than any session; tinypool only uses it for workers above `minThreads`, which we never have. */
const idleTimeout = 2 ** 31 - 1

/**
 * tinypool's options for `options` (checked), with `filename` the worker module. Its fixes of
 * tinypool's defaults, each for a trap measured on tinypool 2.2:
 * - child processes get the parent's environment and the `advanced` serialization, so that they
 *   clone values as worker threads do (tinypool's defaults: an empty environment and JSON);
 * - `memoryLimit` only recycles in tinypool (`maxMemoryLimitBeforeRecycle`, read after a batch):
 *   here it also caps each worker's heap (`heapLimits`: `resourceLimits` for threads, V8 flags for
 *   processes), so that a task allocating past it kills its worker, which tinypool reports as that
 *   batch's error (`ERR_WORKER_OUT_OF_MEMORY`, or the child's exit), a `"worker-died"` failure.
 */
export function tinypoolOptions(options: TinypoolExecutorOptions, filename: string): TinypoolOptions {
  const { workers, isolation = "thread", memoryLimitBytes } = options
  const threads = isolation === "thread"
  const heap = memoryLimitBytes === undefined ? undefined : heapLimits(memoryLimitBytes)
  const caps = heap?.caps
  // Worker threads do not load tsx at start: tsx registers no hooks in a worker (it checks
  // `isMainThread`) but still loads itself and esbuild there, 25.8 ms for a thread start without it
  // and 71.8 ms with it, at every start and replacement. They are told where it is (`--weft-tsx=`)
  // and register it themselves before importing a `.ts` task module (worker/load.ts).
  const inherited = workerExecArgv(process.execArgv)
  const { kept: execArgv, tsx } = threads ? splitTsxLoaders(inherited) : { kept: inherited, tsx: [] }
  // A child process takes the heap caps as V8 flags; a worker thread as `resourceLimits` (Node
  // refuses V8 heap flags in a worker's execArgv).
  if (caps !== undefined && !threads)
    execArgv.push(
      `--max-old-space-size=${caps.maxOldGenerationSizeMb}`,
      `--max-semi-space-size=${caps.maxSemiSpaceSizeMb}`
    )
  return {
    filename,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout,
    runtime: threads ? "worker_threads" : "child_process",
    execArgv,
    ...(tsx.length > 0 ? { argv: tsx.map((specifier) => `${tsxArgvPrefix}${specifier}`) } : {}),
    ...(threads ? {} : { serialization: "advanced" as const, env: { ...process.env } as Record<string, string> }),
    ...(caps !== undefined && threads
      ? {
          resourceLimits: {
            maxOldGenerationSizeMb: caps.maxOldGenerationSizeMb,
            maxYoungGenerationSizeMb: caps.maxYoungGenerationSizeMb
          }
        }
      : {}),
    ...(heap !== undefined ? { maxMemoryLimitBeforeRecycle: heap.recycleAboveBytes } : {})
  }
}

/** A worker whose heap is above this fraction of `memoryLimit` after a batch is replaced. */
export const recycleFraction = 0.8
/**
 * The smallest `memoryLimit` that caps a worker's heap. A worker uses about 5 MB for itself, and
 * about 27 MB once tsx and Effect are loaded: under a smaller limit it would be over 80% after
 * every batch and be replaced after every batch. `Client.local` refuses less; the executor takes
 * less (tests use 1 byte to recycle every worker after every batch) but then only recycles.
 */
export const minMemoryLimitBytes = 64e6

/** How a worker's heap is capped for a `memoryLimit` (sizes in MiB, as V8 takes them). */
export interface HeapLimits {
  /** The heap caps, absent for a limit below `minMemoryLimitBytes`. */
  readonly caps:
    | {
        /** V8's young generation (new objects): three semi-spaces, about an eighth of the limit, from 3 to 48 MiB (V8's default). */
        readonly maxYoungGenerationSizeMb: number
        /** One semi-space, for `--max-semi-space-size` (child processes). */
        readonly maxSemiSpaceSizeMb: number
        /** V8's old generation (everything else): the rest of the limit. */
        readonly maxOldGenerationSizeMb: number
      }
    | undefined
  /** `recycleFraction` of the limit, in bytes: tinypool's `maxMemoryLimitBeforeRecycle`. */
  readonly recycleAboveBytes: number
}

/**
 * Splits `memoryLimit` between V8's young and old generations, so that a worker's whole heap
 * stays within the limit: the worker dies (`ERR_WORKER_OUT_OF_MEMORY` for a thread, a V8 fatal
 * error for a child process) when a task needs more.
 */
export function heapLimits(limitBytes: number): HeapLimits {
  const recycleAboveBytes = Math.floor(limitBytes * recycleFraction)
  if (!(limitBytes >= minMemoryLimitBytes)) return { caps: undefined, recycleAboveBytes }
  const mb = Math.floor(limitBytes / 2 ** 20)
  const semi = Math.min(16, Math.max(1, Math.floor(mb / 24)))
  const young = semi * 3 // V8 sizes the young generation as three semi-spaces
  return {
    caps: { maxYoungGenerationSizeMb: young, maxSemiSpaceSizeMb: semi, maxOldGenerationSizeMb: mb - young },
    recycleAboveBytes
  }
}

/** Flags a worker thread accepts and needs in order to load code as the main thread does (loaders, conditions). */
const keptWithValue = new Set([
  "--import",
  "--require",
  "-r",
  "--loader",
  "--experimental-loader",
  "--conditions",
  "-C",
  "--disable-warning"
])
const keptAlone = /^--(enable-source-maps|no-warnings|no-deprecation|(no-)?experimental-[\w-]+)$/

/**
 * The parent's Node flags that workers should inherit: those that decide how code loads (`--import
 * tsx`, `--conditions`, ...). Workers would inherit all of `execArgv`, but Node refuses many flags in a
 * worker (`--input-type`, `--expose-gc`, ...: `ERR_WORKER_INVALID_EXEC_ARGV`) and `--eval` would run
 * its code again, so the rest are dropped.
 */
export function workerExecArgv(execArgv: ReadonlyArray<string>): string[] {
  const out: string[] = []
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]
    const name = flag.split("=", 1)[0]
    if (keptWithValue.has(name)) {
      if (flag.includes("=")) out.push(flag)
      else if (i + 1 < execArgv.length) out.push(flag, execArgv[++i])
    } else if (keptAlone.test(flag)) out.push(flag)
  }
  return out
}
