/**
 * The workers of one tinypool pool, each watched from its start to its exit (Piscina's
 * `WorkerInfo`, for a pool whose workers tinypool owns): `PoolWorker` is one worker's lifecycle,
 * `PoolWorkers` the set of them.
 *
 * What the watch adds to tinypool, each for a trap measured on tinypool 2.2:
 * - a worker thread that calls `process.exit` leaves its batch pending forever and `destroy()`
 *   hanging (tinypool does not listen to a thread's `exit`). An exit tinypool did not ask for is
 *   reported to tinypool as that worker's `error`, which rejects its batch and starts a
 *   replacement. tinypool asked for an exit when the worker has already left its pool: it removes a
 *   worker before it terminates it (after an abort, an `error`, a recycle, `destroy()`);
 * - tinypool reports a child process that died as "Worker exited unexpectedly", without saying
 *   how: the watch remembers the exit code or signal of each such death, for the batch's error.
 *
 * Threads announce themselves on `process` (replacements after an abort, a death or a recycle), so
 * they are watched from their start; child processes do not, and are looked for at each batch and
 * whenever one fails (`watchNew`).
 *
 * @internal
 */
import type { Tinypool, TinypoolWorker } from "tinypool"
import type { ResultStreams } from "./result-streams.js"

/** Raised into tinypool as the `error` of a worker thread that exited on its own. */
class WorkerExitedError extends Error {
  override readonly name = "WorkerExitedError"
}

/** How tinypool reports a child process that exited on its own. */
const unexpectedExit = "Worker exited unexpectedly"
/** tinypool rejects the batch in the tick of the exit: an older note is of a process that died idle. */
const noteLifetimeMs = 1_000

/** One worker, from its start to its exit. */
class PoolWorker {
  exited = false
  /** A child process whose exit tinypool reported as unexpected (its `error` comes just before its `exit`). */
  #reported = false

  constructor(
    readonly worker: TinypoolWorker,
    readonly owner: PoolWorkers
  ) {
    worker.once("exit", (code: unknown, signal?: unknown) => this.#exited(code, signal))
    if (owner.threads) owner.streams.listenTo(worker.threadId)
    else
      worker.on("error", (error: unknown) => {
        if (error instanceof Error && error.message === unexpectedExit) this.#reported = true
      })
  }

  #exited(code: unknown, signal: unknown): void {
    this.exited = true
    const { owner, worker } = this
    owner.forget(this)
    if (owner.closing) return
    if (!owner.threads) {
      if (this.#reported) {
        const how = signal ? `was killed by ${String(signal)}` : `exited with code ${String(code)}`
        owner.noteDeath(`child process ${worker.threadId} ${how}`)
      }
      return
    }
    if (!owner.inPool(worker)) return // tinypool stopped it
    try {
      worker.emit(
        "error",
        new WorkerExitedError(`Worker thread ${worker.threadId} exited with code ${String(code)} while running a batch`)
      )
    } catch {
      // tinypool always listens; never let the watch throw.
    }
  }
}

/** The workers of one pool. */
export class PoolWorkers {
  /** The executor is closing: exits are expected, and no worker is watched any more. */
  closing = false
  readonly #watched = new Map<TinypoolWorker, PoolWorker>()
  /** How the last child processes that died on their own ended, oldest first, for the batch errors. */
  readonly #deaths: Array<{ readonly at: number; readonly text: string }> = []

  constructor(
    readonly pool: Tinypool,
    readonly threads: boolean,
    readonly size: number,
    readonly streams: ResultStreams
  ) {
    if (threads) process.on("worker", this.#onWorker)
    this.watchNew()
  }

  /** Starts watching the pool's workers that are new since the last call. */
  watchNew(): void {
    if (this.closing) return
    for (const worker of this.pool.threads)
      if (!this.#watched.has(worker)) this.#watched.set(worker, new PoolWorker(worker, this))
  }

  /** Workers started and not yet exited. */
  live(): number {
    this.watchNew() // a replacement may not have announced itself yet
    let live = 0
    for (const watched of this.#watched.values()) if (!watched.exited) live++
    return live
  }

  /** Whether tinypool still counts `worker` as one of its own (it removes a worker before it stops it). */
  inPool(worker: TinypoolWorker): boolean {
    return this.pool.threads.includes(worker)
  }

  /** A watched worker exited. */
  forget(watched: PoolWorker): void {
    this.#watched.delete(watched.worker)
    if (this.threads) this.streams.forget(watched.worker.threadId)
  }

  /** Remembers how a child process died on its own. */
  noteDeath(text: string): void {
    this.#deaths.push({ at: performance.now(), text })
    if (this.#deaths.length > this.size) this.#deaths.shift()
  }

  /** How the child process behind a batch's "Worker exited unexpectedly" ended, when it is known. */
  deathOf(error: Error): string | undefined {
    if (this.threads || error.message !== unexpectedExit) return undefined
    const deaths = this.#deaths
    while (deaths.length > 0 && performance.now() - deaths[0].at > noteLifetimeMs) deaths.shift()
    return deaths.shift()?.text
  }

  /** Stops watching for new workers; every exit from now on is expected. */
  close(): void {
    this.watchNew() // child processes started since the last look
    this.closing = true
    if (this.threads) process.off("worker", this.#onWorker)
  }

  /** The workers that have not exited, watched or still in the pool (after a `destroy()` that hung or left some). */
  left(): TinypoolWorker[] {
    return [...new Set([...this.#watched.keys(), ...this.pool.threads])]
  }

  readonly #onWorker = (): void => this.watchNew()
}
