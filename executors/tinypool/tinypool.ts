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
 * - tinypool starts a replacement whenever it drops a worker, even while or after it is
 *   destroyed, and never stops that one: `close()` first sets the pool's `minThreads` and
 *   `maxThreads` to 0, so that no worker starts once it began;
 * - child processes get the parent's environment and the `advanced` serialization, so that they
 *   clone values as worker threads do (tinypool's defaults: an empty environment and JSON);
 * - tinypool reports a child process that died as "Worker exited unexpectedly": the exit code or
 *   signal is added (`SIGABRT` is V8 out of memory, or a native crash);
 * - `memoryLimit` only recycles in tinypool (`maxMemoryLimitBeforeRecycle`, read after a batch):
 *   here it also caps each worker's heap (`heapLimits`: `resourceLimits` for threads, V8 flags for
 *   processes), so that a task allocating past it kills its worker, which tinypool reports as that
 *   batch's error (`ERR_WORKER_OUT_OF_MEMORY`, or the child's exit), a `"worker-died"` failure.
 *
 * Interrupts (worker threads only): every batch with attempt `ids` also carries the name of this
 * executor's control `BroadcastChannel` (worker threads of one process share BroadcastChannels by
 * name). `interrupt(id)` opens it on first use; the ids asked in one tick are posted together
 * at its end, `{ interrupt: ids, graceMs }`, and the worker holding an attempt answers
 * `{ ids, outcomes }`; other workers stay silent, but remember the request for `graceMs`: a batch
 * still queued in the pool that reaches one of them meanwhile skips the attempt and answers
 * `"not-started"`. A worker busy in synchronous code cannot read the request, so no answer within
 * `graceMs` is `"unknown"` (one timer per request, not per id). A batch still waiting in the pool
 * when a request is sent gets the ids it holds in its `skip` list (the pool clones a batch only
 * when it hands it to a worker), so an attempt asked to stop never starts later.
 * Child processes (`isolation: "process"`) share no BroadcastChannel with this thread: that
 * executor has no `interrupt`, and a running task there is stopped by aborting its batch only.
 * (tinypool's per-task `channel` option could carry requests to a process, but only to a task it
 * was given to at `run`; not worth a second protocol for a rarely used isolation mode.)
 *
 * Streamed results (`result-streams.ts`): with `onResults`, the batch also names where its worker
 * posts the outcomes of tasks that finish early (a thread's own `BroadcastChannel`, or the child's
 * IPC channel), and its reply is held until they have all been handed over.
 *
 * Hot path: `run` is one `pool.run` and one shared rejection mapper per batch, nothing per task
 * (with `ids` or `onResults`, one shallow copy of the batch to add the channel's name). The
 * control channel is touched on interrupts only.
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { BroadcastChannel } from "node:worker_threads"
import { Tinypool, type TinypoolWorker } from "tinypool"
import type {
  InterruptAnswer,
  InterruptOutcome,
  InterruptRequest,
  PartialResults,
  WireBatch,
  WireBatchResult
} from "../../core/protocol.js"
import { ExecutorFailure, type BatchSignal, type Executor } from "../executor.js"
import { splitTsxLoaders, tsxArgvPrefix } from "../../core/tsx-flags.js"
import { ResultStreams } from "./result-streams.js"

/** How a tinypool executor is started. */
export interface TinypoolExecutorOptions {
  /** How many workers; all are started before the executor is returned. */
  readonly workers: number
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
  if (!Number.isInteger(workers) || workers < 1)
    throw new TypeError(`workers must be a positive integer, got ${String(workers)}`)
  if (isolation !== "thread" && isolation !== "process") {
    throw new TypeError(`isolation must be "thread" or "process", got ${String(isolation)}`)
  }
  if (memoryLimitBytes !== undefined && !(memoryLimitBytes > 0)) {
    throw new TypeError(`memoryLimitBytes must be a positive number, got ${String(memoryLimitBytes)}`)
  }
  const threads = isolation === "thread"
  const heap = memoryLimitBytes === undefined ? undefined : heapLimits(memoryLimitBytes)
  const caps = heap?.caps
  // Worker threads do not load tsx at start: tsx registers no hooks in a worker (it checks
  // `isMainThread`) but still loads itself and esbuild there, 25.8 ms for a thread start without it
  // and 71.8 ms with it, at every start and replacement. They are told where it is (`--weft-tsx=`)
  // and register it themselves before importing a `.ts` task module (run-batch.ts).
  const inherited = workerExecArgv(process.execArgv)
  const { kept: execArgv, tsx } = threads ? splitTsxLoaders(inherited) : { kept: inherited, tsx: [] }
  // A child process takes the heap caps as V8 flags; a worker thread as `resourceLimits` (Node
  // refuses V8 heap flags in a worker's execArgv).
  if (caps !== undefined && !threads)
    execArgv.push(
      `--max-old-space-size=${caps.maxOldGenerationSizeMb}`,
      `--max-semi-space-size=${caps.maxSemiSpaceSizeMb}`
    )
  const started = performance.now()
  const pool = new Tinypool({
    filename: entry,
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
  })
  // Each such error belongs to a worker with no batch (tinypool hands a busy worker's error to its
  // batch) and that worker is replaced; without a listener it would crash the process.
  pool.on("error", () => {})

  let closing = false
  let closed: Promise<void> | undefined
  /** Streamed results (`result-streams.ts`): outcomes of a batch's finished tasks, before its reply. */
  const streams = new ResultStreams(threads)
  const watched = new Map<TinypoolWorker, Watched>()
  /** How the last child processes that died on their own ended, oldest first, for the batch errors. */
  const exitNotes: Array<{ readonly at: number; readonly text: string }> = []

  /** Starts watching the pool's workers that are new since the last call. */
  const watchNew = () => {
    for (const worker of pool.threads) {
      if (watched.has(worker)) continue
      const state: Watched = { stopping: false, exited: false }
      watched.set(worker, state)
      if (threads) streams.listenTo(worker.threadId)
      const terminate = worker.terminate.bind(worker)
      worker.terminate = () => {
        // tinypool also "terminates" a child process that has already died, from its exit handler.
        if (threads || !hasExited(worker)) state.stopping = true
        return terminate()
      }
      worker.once("exit", (code: unknown, signal?: unknown) => {
        state.exited = true
        watched.delete(worker)
        if (threads) streams.forget(worker.threadId)
        if (state.stopping || closing) return
        if (!threads) {
          // tinypool already turns it into an error, "Worker exited unexpectedly", without saying how.
          const text = `child process ${worker.threadId} ${signal ? `was killed by ${String(signal)}` : `exited with code ${String(code)}`}`
          exitNotes.push({ at: performance.now(), text })
          if (exitNotes.length > workers) exitNotes.shift()
          return
        }
        try {
          worker.emit(
            "error",
            new WorkerExitedError(
              `Worker thread ${worker.threadId} exited with code ${String(code)} while running a batch`
            )
          )
        } catch {
          // tinypool always listens; never let the watchdog throw.
        }
      })
    }
  }
  // Threads announce themselves on `process` (replacements after an abort, a death or a recycle),
  // so there is nothing to do per batch; child processes are looked for at each batch and when one
  // fails.
  const onWorker = () => {
    if (!closing) watchNew()
  }
  if (threads) process.on("worker", onWorker)
  watchNew()

  const toFailure = (error: unknown): ExecutorFailure => {
    if (!threads && !closing) watchNew()
    if (closing)
      return new ExecutorFailure("closed", "The executor was closed before the batch finished", { cause: error })
    const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined
    if (name === "AbortError")
      return new ExecutorFailure("aborted", "The batch was aborted; its worker was replaced", { cause: error })
    if (name === "DataCloneError" || !(error instanceof Error)) {
      return new ExecutorFailure(
        "transport",
        `The batch or its results could not be sent between threads: ${describe(error)}`,
        {
          cause: error
        }
      )
    }
    // tinypool rejects the batch in the tick of the exit: an older note is of a process that died idle.
    while (exitNotes.length > 0 && performance.now() - exitNotes[0].at > 1_000) exitNotes.shift()
    const how = !threads && error.message === "Worker exited unexpectedly" ? exitNotes.shift()?.text : undefined
    const what =
      how === undefined
        ? error.message
        : `${error.message} (${how}${how.includes("SIGABRT") ? ": out of memory, or a native crash" : ""})`
    return new ExecutorFailure("worker-died", `The worker running the batch died: ${what}`, { cause: error })
  }
  const rethrow = (error: unknown): never => {
    throw toFailure(error)
  }

  // Interrupts: the control channel, opened on the first interrupt; the attempts waiting for an
  // answer; the ids asked in this tick, posted together in one request at its end.
  const controlName = `weft-control-${randomUUID()}`
  let control: BroadcastChannel | undefined
  const asked = new Map<
    number,
    {
      readonly answered: Promise<InterruptOutcome>
      readonly resolve: (outcome: InterruptOutcome) => void
      readonly round: number
    }
  >()
  let outgoing: number[] | undefined
  let outgoingGraceMs = 0
  let round = 0
  /** The batches with `ids` given to the pool and not settled: running, or queued for a worker. */
  const unsettled = new Set<WireBatch>()

  const settle = (id: number, outcome: InterruptOutcome, inRound?: number): void => {
    const waiting = asked.get(id)
    if (waiting === undefined || (inRound !== undefined && waiting.round !== inRound)) return
    asked.delete(id)
    waiting.resolve(outcome)
  }

  const send = (): void => {
    const ids = outgoing!
    const graceMs = outgoingGraceMs
    const sent = round++
    outgoing = undefined
    if (closing || control === undefined) {
      for (const id of ids) settle(id, "unknown")
      return
    }
    // A batch still queued in the pool is cloned when the pool hands it to a worker: marking the
    // attempts there skips them whenever it starts (a batch already handed over ignores the mark,
    // and its worker answers the request instead). Nothing that was asked to stop starts late.
    const wanted = new Set(ids)
    for (const batch of unsettled) {
      const batchIds = batch.ids!
      for (let i = 0; i < batchIds.length; i++) if (wanted.has(batchIds[i])) (batch.skip ??= []).push(batchIds[i])
    }
    control.postMessage({ interrupt: ids, graceMs } satisfies InterruptRequest)
    // No answer in time: the worker is stuck in synchronous code, or the batch is still queued.
    setTimeout(() => {
      for (const id of ids) settle(id, "unknown", sent)
    }, graceMs)
  }

  const interrupt = (id: number, graceMs: number): Promise<InterruptOutcome> => {
    if (closing) return Promise.resolve("unknown")
    const pending = asked.get(id)
    if (pending !== undefined) return pending.answered
    if (control === undefined) {
      const channel = new BroadcastChannel(controlName)
      channel.onmessage = (event) => {
        const data = (event as MessageEvent).data as Partial<InterruptAnswer> | null
        const ids = data?.ids
        const outcomes = data?.outcomes
        if (!Array.isArray(ids) || !Array.isArray(outcomes)) return // a request, or not ours
        for (let i = 0; i < ids.length; i++) settle(ids[i] as number, outcomes[i] as InterruptOutcome)
      }
      channel.unref() // never keeps the process alive
      control = channel
    }
    let resolve!: (outcome: InterruptOutcome) => void
    const answered = new Promise<InterruptOutcome>((r) => (resolve = r))
    asked.set(id, { answered, resolve, round })
    if (outgoing === undefined) {
      outgoing = []
      outgoingGraceMs = 0
      queueMicrotask(send)
    }
    outgoing.push(id)
    outgoingGraceMs = Math.max(outgoingGraceMs, graceMs)
    return answered
  }

  const stop = async (): Promise<void> => {
    closing = true
    // tinypool tops the pool up to `minThreads` whenever it drops a worker: a batch aborted, a
    // worker's `error`, a recycle. That also happens during and after `destroy()`, which then
    // neither waits for nor stops the new workers: they would live for ever (a batch aborted
    // just after close() started left two threads behind). `options` is the pool's own object.
    const limits = pool.options as { minThreads: number; maxThreads: number }
    limits.minThreads = 0
    limits.maxThreads = 0
    for (const id of [...asked.keys()]) settle(id, "unknown")
    control?.close()
    streams.close()
    process.off("worker", onWorker)
    watchNew() // child processes started since the last look
    const destroyed = await within(
      pool.destroy().then(
        () => true,
        () => true
      ),
      destroyGraceMs
    )
    const left = new Set([...watched.keys(), ...pool.threads])
    if (destroyed === true && left.size === 0) return
    // destroy() hung, or left workers behind: stop them ourselves.
    await Promise.all(
      [...left].map((worker) =>
        within(
          Promise.resolve()
            .then(() => worker.terminate())
            .catch(() => {}),
          destroyGraceMs
        )
      )
    )
  }

  /** `run` for a batch whose finished tasks' outcomes go to `onResults` as they come (`streams`). */
  const runStreamed = (
    batch: WireBatch,
    signal: BatchSignal | undefined,
    onResults: (part: PartialResults) => void
  ): Promise<WireBatchResult> => {
    const id = streams.open(onResults)
    const interruptible = threads && batch.ids !== undefined
    const sent: WireBatch = {
      ...batch,
      stream: { via: streams.via, id },
      ...(interruptible ? { control: controlName } : {})
    }
    if (interruptible) unsettled.add(sent)
    if (!threads) watchNew()
    const aborts = signal === undefined ? noOptions : { signal: signal as unknown as AbortSignal }
    // A child process's own messages reach the run's `channel` (tinypool hands it every message that is not its own).
    const options = threads ? aborts : { ...aborts, channel: streams.channel }
    return pool.run(sent, options).then(
      (result: WireBatchResult) => {
        unsettled.delete(sent)
        return streams.settle(id, result)
      },
      (error: unknown) => {
        unsettled.delete(sent)
        streams.drop(id)
        return rethrow(error)
      }
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
    run(batch: WireBatch, signal?: BatchSignal, onResults?: (part: PartialResults) => void): Promise<WireBatchResult> {
      if (closing) return Promise.reject(new ExecutorFailure("closed", "The executor is closed"))
      if (onResults !== undefined) return runStreamed(batch, signal, onResults)
      // tinypool takes an EventEmitter-like signal (`once`/`off`) as well as an AbortSignal.
      const options = signal === undefined ? noOptions : { signal: signal as unknown as AbortSignal }
      if (!threads) {
        watchNew() // a replacement after a recycle: child processes do not announce themselves
        return pool.run(batch, options).catch(rethrow)
      }
      if (batch.ids === undefined) return pool.run(batch, options).catch(rethrow)
      const sent: WireBatch = { ...batch, control: controlName }
      unsettled.add(sent)
      const done = () => unsettled.delete(sent)
      return pool.run(sent, options).then(
        (result: WireBatchResult) => (done(), result),
        (error: unknown) => (done(), rethrow(error))
      )
    },
    ...(threads ? { interrupt } : {}),
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
    throw new ExecutorFailure("worker-died", `weft could not start its tinypool workers: ${describe(error)}`, {
      cause: error
    })
  }
  return { ...executor, startupMs: performance.now() - started }
}

/** A child process worker that has exited (its `exit` event is being or has been emitted). */
const hasExited = (worker: TinypoolWorker): boolean => {
  const child = (worker as { process?: { exitCode: number | null; signalCode: string | null } }).process
  return child !== undefined && (child.exitCode !== null || child.signalCode !== null)
}

const describe = (error: unknown): string =>
  error instanceof Error
    ? error.message
    : typeof error === "object"
      ? (JSON.stringify(error) ?? String(error))
      : String(error)

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
