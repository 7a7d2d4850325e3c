/**
 * The executor that runs batches on tinypool workers (threads, or child processes for
 * `isolation: "process"`).
 *
 * What it adds to tinypool, each for a trap measured on tinypool 2.2:
 * - a worker thread that calls `process.exit` leaves its task pending forever and `destroy()`
 *   hanging. Every thread's `exit` is watched; an exit tinypool did not ask for is reported to
 *   tinypool as that worker's `error`, which rejects its batch and starts a replacement;
 * - an `error` event without a listener crashes the process, so there is always one;
 * - `destroy()` can still hang, so `close()` gives it 2 s and then terminates what is left;
 * - child processes get the parent's environment and the `advanced` serialization, so that they
 *   clone values as worker threads do (tinypool's defaults: an empty environment and JSON).
 *
 * Hot path: `run` is one `pool.run` and one shared rejection mapper per batch, nothing per task.
 *
 * @internal
 */
import { Tinypool, type TinypoolWorker } from "tinypool"
import type { WireBatch, WireBatchResult } from "../protocol.js"
import { ExecutorFailure, type Executor } from "./executor.js"

/** How a tinypool executor is started. */
export interface TinypoolExecutorOptions {
  /** How many workers; all are started before the executor is returned. */
  readonly workers: number
  /** `"thread"` (default): worker threads; `"process"`: child processes, which survive `process.exit` and native crashes. */
  readonly isolation?: "thread" | "process"
  /** A worker whose heap grows past this many bytes after a batch is replaced. */
  readonly memoryLimitBytes?: number
}

/** A running tinypool executor. */
export interface TinypoolExecutor extends Executor {
  readonly kind: "tinypool"
  /** Milliseconds from creating the pool until every worker had run an empty batch. */
  readonly startupMs: number
  /** Workers started and not yet exited (for tests and diagnostics). */
  liveWorkers(): number
}

/** The worker module, next to this file once built. */
const entry = new URL("../worker/entry.js", import.meta.url).href

/** Longer than any session; tinypool only uses it for workers above `minThreads`, which we never have. */
const idleTimeout = 2 ** 31 - 1
/** How long `close()` lets `pool.destroy()` run before terminating workers itself. */
const destroyGraceMs = 2_000
/** How long start-up may take before the executor gives up (a worker that never comes up). */
const startTimeoutMs = 60_000

const emptyBatch: WireBatch = { fns: [], fn: [], args: [] }
const noOptions = {}

/** Raised into tinypool as the `error` of a worker thread that exited on its own. */
class WorkerExitedError extends Error {
  override readonly name = "WorkerExitedError"
}

/** Per-worker bookkeeping for the exit watchdog. */
interface Watched {
  /** tinypool (or `close()`) asked it to stop: its exit is expected. */
  stopping: boolean
  exited: boolean
}

/**
 * Starts `options.workers` tinypool workers and resolves when each has run an empty batch, so
 * that the first real batch does not pay for start-up. Rejects (and stops the pool) when a worker
 * cannot start.
 */
export async function makeTinypoolExecutor(options: TinypoolExecutorOptions): Promise<TinypoolExecutor> {
  const { workers, isolation = "thread", memoryLimitBytes } = options
  if (!Number.isInteger(workers) || workers < 1) throw new TypeError(`workers must be a positive integer, got ${String(workers)}`)
  if (isolation !== "thread" && isolation !== "process") {
    throw new TypeError(`isolation must be "thread" or "process", got ${String(isolation)}`)
  }
  if (memoryLimitBytes !== undefined && !(memoryLimitBytes > 0)) {
    throw new TypeError(`memoryLimitBytes must be a positive number, got ${String(memoryLimitBytes)}`)
  }
  const threads = isolation === "thread"
  const started = performance.now()
  const pool = new Tinypool({
    filename: entry,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout,
    runtime: threads ? "worker_threads" : "child_process",
    execArgv: workerExecArgv(process.execArgv),
    ...(threads ? {} : { serialization: "advanced" as const, env: { ...process.env } as Record<string, string> }),
    ...(memoryLimitBytes !== undefined ? { maxMemoryLimitBeforeRecycle: memoryLimitBytes } : {})
  })
  // Each such error belongs to a worker with no batch (tinypool hands a busy worker's error to its
  // batch) and that worker is replaced; without a listener it would crash the process.
  pool.on("error", () => {})

  let closing = false
  let closed: Promise<void> | undefined
  const watched = new Map<TinypoolWorker, Watched>()

  /** Starts watching the pool's workers that are new since the last call. */
  const watchNew = () => {
    for (const worker of pool.threads) {
      if (watched.has(worker)) continue
      const state: Watched = { stopping: false, exited: false }
      watched.set(worker, state)
      const terminate = worker.terminate.bind(worker)
      worker.terminate = () => {
        state.stopping = true
        return terminate()
      }
      worker.once("exit", (code: unknown) => {
        state.exited = true
        watched.delete(worker)
        // Child processes: tinypool already turns an unexpected exit into an error.
        if (!threads || state.stopping || closing) return
        try {
          worker.emit(
            "error",
            new WorkerExitedError(`Worker thread ${worker.threadId} exited with code ${String(code)} while running a batch`)
          )
        } catch {
          // tinypool always listens; never let the watchdog throw.
        }
      })
    }
  }
  // Threads announce themselves on `process` (replacements after an abort, a death or a recycle),
  // so there is nothing to do per batch; child processes are looked for when a batch fails.
  const onWorker = () => {
    if (!closing) watchNew()
  }
  if (threads) process.on("worker", onWorker)
  watchNew()

  const toFailure = (error: unknown): ExecutorFailure => {
    if (!threads && !closing) watchNew()
    if (closing) return new ExecutorFailure("closed", "The executor was closed before the batch finished", { cause: error })
    const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined
    if (name === "AbortError") return new ExecutorFailure("aborted", "The batch was aborted; its worker was replaced", { cause: error })
    if (name === "DataCloneError" || !(error instanceof Error)) {
      return new ExecutorFailure("transport", `The batch or its results could not be sent between threads: ${describe(error)}`, {
        cause: error
      })
    }
    return new ExecutorFailure("worker-died", `The worker running the batch died: ${error.message}`, { cause: error })
  }
  const rethrow = (error: unknown): never => {
    throw toFailure(error)
  }

  const stop = async (): Promise<void> => {
    closing = true
    process.off("worker", onWorker)
    watchNew() // child processes started since the last look
    const destroyed = await within(pool.destroy().then(() => true, () => true), destroyGraceMs)
    if (destroyed === true && watched.size === 0) return
    // destroy() hung, or left workers behind: stop them ourselves.
    await Promise.all(
      [...watched.keys()].map((worker) => within(Promise.resolve().then(() => worker.terminate()).catch(() => {}), destroyGraceMs))
    )
  }

  const executor: TinypoolExecutor = {
    kind: "tinypool",
    workers,
    startupMs: 0,
    liveWorkers: () => {
      if (!closing) watchNew() // a replacement may not have announced itself yet
      let live = 0
      for (const state of watched.values()) if (!state.exited) live++
      return live
    },
    run(batch: WireBatch, signal?: AbortSignal): Promise<WireBatchResult> {
      if (closing) return Promise.reject(new ExecutorFailure("closed", "The executor is closed"))
      return pool.run(batch, signal === undefined ? noOptions : { signal }).catch(rethrow)
    },
    close(): Promise<void> {
      return (closed ??= stop())
    }
  }

  try {
    const warmups = Array.from({ length: workers }, () => executor.run(emptyBatch))
    const ready = await within(Promise.all(warmups), startTimeoutMs)
    if (ready === undefined) throw new Error(`the workers did not start within ${startTimeoutMs / 1000} s`)
  } catch (error) {
    await executor.close()
    throw new ExecutorFailure("worker-died", `weft could not start its tinypool workers: ${describe(error)}`, { cause: error })
  }
  return { ...executor, startupMs: performance.now() - started }
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "object" ? JSON.stringify(error) ?? String(error) : String(error)

/**
 * `promise`'s value, or `undefined` after `ms`. The timer keeps the process alive on purpose: a
 * hung `destroy()` holds nothing else, and the caller's `await close()` must still return.
 */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Flags a worker thread accepts and needs in order to load code as the main thread does (loaders, conditions). */
const keptWithValue = new Set(["--import", "--require", "-r", "--loader", "--experimental-loader", "--conditions", "-C", "--disable-warning"])
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
