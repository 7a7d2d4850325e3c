/**
 * The executor that runs batches on tinypool workers (threads, or child processes for
 * `isolation: "process"`). It composes small parts, each with its own reasons written there:
 * - `pool-options.ts`: tinypool's options (heap caps for `memoryLimit`, the workers' flags);
 * - `pool-workers.ts`: each worker's lifecycle (`PoolWorker`): a thread that exits on its own
 *   fails its batch instead of hanging it, a dead child process's batch says how it died;
 * - `failures.ts`: what tinypool rejects a batch with, as an `ExecutorFailure`;
 * - `../interrupt/client.ts`: the client end of the interrupt channel (worker threads only: child
 *   processes share no BroadcastChannel with this thread, so that executor has no `interrupt`);
 * - `result-streams.ts`: streamed results, with `onResults`: the batch also names where its worker
 *   posts the outcomes of tasks that finish early, and its reply is held until they were all
 *   handed over.
 *
 * And, here, for traps measured on tinypool 2.2:
 * - an `error` event without a listener crashes the process, so there is always one;
 * - `destroy()` can hang, so `close()` gives it 2 s and then terminates what is left;
 * - tinypool starts a replacement whenever it drops a worker, even while or after it is
 *   destroyed, and never stops that one: `close()` first sets the pool's `minThreads` and
 *   `maxThreads` to 0, so that no worker starts once it began.
 *
 * Hot path: `run` is one `pool.run` and one shared rejection mapper per batch, nothing per task.
 * A batch with `ids` gets the control channel's name written into it (the batch is built for this
 * run alone: no copy); the batches that wait for a worker are the pool's own queue
 * (`batch-queue.ts`), so nothing tracks the others. The control channel is touched on interrupts
 * only. An awaited round trip (one lone task) costs this file one property write and one
 * rejection handler.
 *
 * @internal
 */
import { Tinypool } from "tinypool"
import type { InterruptOutcome, PartialResults, WireBatch, WireBatchResult } from "../../core/protocol.js"
import { ExecutorFailure, type BatchSignal, type Executor } from "../executor.js"
import { InterruptClient } from "../interrupt/client.js"
import { BatchQueue } from "./batch-queue.js"
import { batchFailure, describe, within } from "./failures.js"
import { checkOptions, tinypoolOptions, type TinypoolExecutorOptions } from "./pool-options.js"
import { PoolWorkers } from "./pool-workers.js"
import { ResultStreams } from "./result-streams.js"

export {
  heapLimits,
  minMemoryLimitBytes,
  recycleFraction,
  workerExecArgv,
  type HeapLimits,
  type TinypoolExecutorOptions
} from "./pool-options.js"

/** A running tinypool executor. */
export interface TinypoolExecutor extends Executor {
  readonly kind: "tinypool"
  /** Milliseconds from creating the pool until it was returned: every worker (one with `readyWhen: "first"`) had run an empty batch. */
  readonly startupMs: number
  /** Workers started and not yet exited (for tests and diagnostics). */
  liveWorkers(): number
}

/**
 * The worker module: `entry.js` next to this file once built. Run from the TypeScript sources
 * (unit tests import them), a worker cannot load `entry.ts` by itself (tsx registers no hooks in
 * worker threads): `entry-from-source.mjs` registers tsx in the worker first.
 */
const entry = import.meta.url.endsWith(".ts")
  ? new URL("../worker/entry-from-source.mjs", import.meta.url).href
  : new URL("../worker/entry.js", import.meta.url).href

/** How long `close()` lets `pool.destroy()` run before terminating workers itself. */
const destroyGraceMs = 2_000
/** How long start-up may take before the executor gives up (a worker that never comes up). */
const startTimeoutMs = 60_000

const emptyBatch: WireBatch = { fns: [], fn: [], args: [] }
const noOptions = {}

/** Resolves once `warmups` all resolved within `startTimeoutMs`; rejects with the first failure or the timeout. */
const allStarted = (warmups: ReadonlyArray<Promise<unknown>>): Promise<void> =>
  within(Promise.all(warmups), startTimeoutMs).then((ready) => {
    if (ready === undefined) throw new Error(`the workers did not start within ${startTimeoutMs / 1000} s`)
  })

const startFailure = (error: unknown): ExecutorFailure =>
  new ExecutorFailure("worker-died", `weft could not start its tinypool workers: ${describe(error)}`, { cause: error })

/**
 * Starts `options.workers` tinypool workers and resolves when each has run an empty batch (with
 * `readyWhen: "first"`, when one has), so that the first real batch does not pay for start-up.
 * Rejects (and stops the pool) when a worker cannot start before then.
 */
export async function makeTinypoolExecutor(options: TinypoolExecutorOptions): Promise<TinypoolExecutor> {
  checkOptions(options)
  const started = performance.now()
  const executor = new PoolExecutor(options)
  // tinypool counts the workers it starts with as ready at once, so each empty batch goes to its own worker.
  const warmups = Array.from({ length: options.workers }, () => executor.run(emptyBatch))
  const all = allStarted(warmups)
  all.catch(() => {}) // handled below, or by `starting`
  try {
    if (options.readyWhen === "first") {
      // The first empty batch back, or the first failure: a worker that failed before one was up fails the start.
      const first = await within(Promise.race(warmups), startTimeoutMs)
      if (first === undefined) throw new Error(`the workers did not start within ${startTimeoutMs / 1000} s`)
    } else await all
  } catch (error) {
    await executor.close()
    throw startFailure(error)
  }
  executor.startupMs = performance.now() - started
  if (options.readyWhen === "first") executor.starting(all)
  return executor
}

/** The tinypool executor: a pool, its watched workers, and the client ends of its channels. */
class PoolExecutor implements TinypoolExecutor {
  readonly kind = "tinypool"
  readonly workers: number
  startupMs = 0
  /** Worker threads only (see `../interrupt/client.ts`); absent, not `undefined`, for child processes. */
  declare readonly interrupt?: (id: number, graceMs: number) => Promise<InterruptOutcome>
  readonly #threads: boolean
  readonly #pool: Tinypool
  readonly #watch: PoolWorkers
  /** Streamed results: outcomes of a batch's finished tasks, before its reply. */
  readonly #streams: ResultStreams
  readonly #interrupts: InterruptClient | undefined
  /** The batches no worker has taken yet (tinypool's `taskQueue`). */
  readonly #queue = new BatchQueue()
  #closing = false
  #closed: Promise<void> | undefined
  /** While workers still start (`readyWhen: "first"`): settles once each ran its empty batch, or one could not start. */
  #starting: Promise<void> | undefined
  /** Why a worker could not start after the executor was returned: every batch fails with it. */
  #startFailed: ExecutorFailure | undefined

  constructor(options: TinypoolExecutorOptions) {
    this.workers = options.workers
    this.#threads = (options.isolation ?? "thread") === "thread"
    this.#pool = new Tinypool({ ...tinypoolOptions(options, entry), taskQueue: this.#queue })
    // Each such error belongs to a worker with no batch (tinypool hands a busy worker's error to its
    // batch) and that worker is replaced; without a listener it would crash the process.
    this.#pool.on("error", () => {})
    this.#streams = new ResultStreams(this.#threads)
    this.#watch = new PoolWorkers(this.#pool, this.#threads, this.workers, this.#streams)
    if (this.#threads) {
      const queue = this.#queue
      const interrupts = (this.#interrupts = new InterruptClient(() => queue.batches()))
      this.interrupt = (id, graceMs) => interrupts.interrupt(id, graceMs)
    }
  }

  liveWorkers(): number {
    return this.#watch.live()
  }

  /** While workers start, a batch's timeout starts when it is handed to tinypool after they did (`signal.onStart`). */
  get startsLate(): boolean {
    return this.#starting !== undefined
  }

  /** Watches the start of the workers not yet up (`readyWhen: "first"`); `all` settles once they are, or one failed. */
  starting(all: Promise<void>): void {
    this.#starting = all.then(
      () => {
        this.#starting = undefined
      },
      (error: unknown) => {
        this.#starting = undefined
        // A worker stopped by close() while it started did not fail to start.
        if (this.#closing) return
        this.#startFailed = startFailure(error)
        void this.close()
      }
    )
  }

  run(batch: WireBatch, signal?: BatchSignal, onResults?: (part: PartialResults) => void): Promise<WireBatchResult> {
    if (this.#closing)
      return Promise.reject(this.#startFailed ?? new ExecutorFailure("closed", "The executor is closed"))
    if (signal?.onStart !== undefined && this.#starting !== undefined)
      return this.#runAfterStart(batch, signal, onResults)
    if (!this.#threads) this.#watch.watchNew() // child processes do not announce themselves
    // tinypool takes an EventEmitter-like signal (`once`/`off`) as well as an AbortSignal.
    const options = signal === undefined ? noOptions : { signal: signal as unknown as AbortSignal }
    // The batch is built for this run: the channel's name is written into it, not into a copy.
    // One given again (a test's constant) is copied first, without what an earlier run wrote.
    if (batch.stream !== undefined || batch.skip !== undefined) batch = { ...batch, stream: undefined, skip: undefined }
    if (this.#interrupts !== undefined && batch.ids !== undefined)
      (batch as { control?: string }).control = this.#interrupts.name
    if (onResults !== undefined) return this.#runStreamed(batch, options, onResults)
    return this.#pool.run(batch, options).catch(this.#rethrow)
  }

  close(): Promise<void> {
    return (this.#closed ??= this.#stop())
  }

  /** `run` for a batch whose finished tasks' outcomes go to `onResults` as they come (`result-streams.ts`). */
  #runStreamed(
    batch: WireBatch,
    aborts: { signal?: AbortSignal },
    onResults: (part: PartialResults) => void
  ): Promise<WireBatchResult> {
    const streams = this.#streams
    const id = streams.open(onResults)
    ;(batch as { stream?: WireBatch["stream"] }).stream = { via: streams.via, id }
    // A child process's own messages reach the run's `channel` (tinypool hands it every message that is not its own).
    const options = this.#threads ? aborts : { ...aborts, channel: streams.channel }
    return this.#pool.run(batch, options).then(
      (result: WireBatchResult) => streams.settle(id, result),
      (error: unknown) => {
        streams.drop(id)
        return this.#rethrow(error)
      }
    )
  }

  /** A batch with a timeout, sent while workers start: handed over once they did, its clock started then. */
  async #runAfterStart(
    batch: WireBatch,
    signal: BatchSignal,
    onResults?: (part: PartialResults) => void
  ): Promise<WireBatchResult> {
    await this.#starting
    signal.onStart?.()
    return this.run(batch, signal, onResults)
  }

  readonly #rethrow = (error: unknown): never => {
    if (this.#startFailed !== undefined) throw this.#startFailed
    if (!this.#threads) this.#watch.watchNew() // the replacement of a child process that died
    throw batchFailure(error, this.#closing, (died) => this.#watch.deathOf(died))
  }

  async #stop(): Promise<void> {
    this.#closing = true
    // tinypool tops the pool up to `minThreads` whenever it drops a worker: a batch aborted, a
    // worker's `error`, a recycle. That also happens during and after `destroy()`, which then
    // neither waits for nor stops the new workers: they would live for ever (a batch aborted
    // just after close() started left two threads behind). `options` is the pool's own object.
    const limits = this.#pool.options as { minThreads: number; maxThreads: number }
    limits.minThreads = 0
    limits.maxThreads = 0
    this.#interrupts?.close()
    this.#streams.close()
    this.#watch.close()
    const destroyed = await within(
      this.#pool.destroy().then(
        () => true,
        () => true
      ),
      destroyGraceMs
    )
    const left = this.#watch.left()
    if (destroyed === true && left.length === 0) return
    // destroy() hung, or left workers behind: stop them ourselves.
    const terminate = (worker: (typeof left)[number]) =>
      within(
        Promise.resolve()
          .then(() => worker.terminate())
          .catch(() => {}),
        destroyGraceMs
      )
    await Promise.all(left.map(terminate))
  }
}
