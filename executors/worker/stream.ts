/**
 * Streamed results, worker side: the outcomes of a batch's finished tasks leave before the batch
 * ends, so that a task never waits for a slow, blocked or fused batch-mate to reach its Future.
 *
 * The cost is one message per flush, so the rule keeps a fast synchronous batch in its one reply
 * (1,000 trivial tasks stay one message) and flushes only where waiting could be long. Before
 * task i starts (or awaits), the finished tasks not yet posted are posted when:
 * - task i's function is not known to be quick in this thread: it is new here, or its last call
 *   took `quickMs` or more (a slow or blocking function: its start is when a batch-mate would
 *   otherwise wait, and a message per slow task costs little next to it); or
 * - `flushEveryMs` of batch time have passed since the last flush (a long run of quick tasks).
 * While a task awaits, one timer per batch (armed at the first await that leaves something
 * unposted) posts them after `flushEveryMs`. What is left goes in the reply.
 *
 * What it cannot do: a function that was quick at its last call in this thread and now blocks
 * synchronously (a busy loop) holds back the tasks that finished less than `flushEveryMs` before
 * it; nothing can read a thread that is blocked. An await never holds them back for long (the timer).
 *
 * A post that fails (a value that cannot be cloned) stops streaming for the batch: those outcomes
 * go in the reply, which then fails as it did before streaming existed.
 *
 * @internal
 */
import { BroadcastChannel, threadId } from "node:worker_threads"
import type { StreamedResults, WireBatch } from "../../core/protocol.js"

/** Post the finished tasks at least this often, in milliseconds of batch time. */
export const flushEveryMs = 2
/** A call that takes this long (ms) or more makes its function slow: the next call of it flushes first. */
export const quickMs = 1

/** Functions whose last call in this thread was quick (shorter than `quickMs`). */
const quickFns = new WeakSet<Function>()
/** This thread's channels for streamed results, by the executor's prefix (worker threads). */
const channels = new Map<string, BroadcastChannel>()

const ignore = (): void => {}

/** How this thread posts a batch's streamed results, given its `stream.via`. */
function poster(
  via: string,
  call: ((message: StreamedResults) => void) | undefined
): ((message: StreamedResults) => void) | undefined {
  if (via === "call") return call
  if (via === "ipc") {
    if (process.send === undefined) return undefined
    // With a callback, a failed send (the parent gone) is reported there, not as an `error` event.
    return (message) => void process.send!(message, undefined, undefined, ignore)
  }
  let channel = channels.get(via)
  if (channel === undefined) {
    // Named for this thread: only the client listens on it (other workers post on their own).
    channel = new BroadcastChannel(`${via}-${threadId}`)
    channel.unref()
    channels.set(via, channel)
  }
  const open = channel
  return (message) => open.postMessage(message)
}

/** The streaming state of one running batch. */
export class ResultStream {
  /** Tasks 0 to `flushed - 1` were posted. */
  flushed = 0
  readonly #id: number
  readonly #post: (message: StreamedResults) => void
  readonly #results: unknown[]
  readonly #failed: number[]
  readonly #fns: ReadonlyArray<unknown>
  /** For each of the batch's functions: 1 when its last call was quick. */
  readonly #quick: Uint8Array
  /** Where in `#failed` the first failure not yet posted is. */
  #failedAt = 0
  #last: number
  /** The task running now and when it started; its function's index (-1 before the first). */
  #current = 0
  #start = 0
  #fn = -1
  #timer: NodeJS.Timeout | undefined
  #broken = false
  /** Per task run times, when the batch is `timed`. */
  readonly #times: number[] | undefined

  constructor(
    id: number,
    post: (message: StreamedResults) => void,
    fns: ReadonlyArray<unknown>,
    results: unknown[],
    failed: number[],
    times?: number[]
  ) {
    this.#id = id
    this.#times = times
    this.#post = post
    this.#fns = fns
    this.#results = results
    this.#failed = failed
    const quick = new Uint8Array(fns.length)
    for (let f = 0; f < fns.length; f++) {
      const fn = fns[f]
      if (typeof fn === "function" && quickFns.has(fn)) quick[f] = 1
    }
    this.#quick = quick
    this.#last = performance.now()
  }

  /** Task `i`, of function `f`, is about to be called: learn from the last call, and flush when the rule says so. */
  next(i: number, f: number): void {
    const now = performance.now()
    if (this.#fn >= 0) this.#quick[this.#fn] = now - this.#start < quickMs ? 1 : 0
    this.#fn = f
    this.#start = now
    this.#current = i
    if (this.flushed < i && (this.#quick[f] === 0 || now - this.#last >= flushEveryMs)) this.#flush(i, now)
  }

  /** Task `i` is about to await: flush now for a slow function, else within `flushEveryMs` by the batch's timer. */
  awaits(i: number): void {
    if (this.flushed >= i || this.#broken) return
    if (this.#quick[this.#fn] === 0) this.#flush(i, performance.now())
    else this.#timer ??= setTimeout(this.#onTimer, flushEveryMs)
  }

  /** Runs only while the batch is suspended at an await: every task before the current one has finished. */
  readonly #onTimer = (): void => {
    this.#timer = undefined
    if (this.flushed < this.#current) this.#flush(this.#current, performance.now())
  }

  /**
   * The batch ended: learns from the last call and stops the timer. Returns the reply's `failed`
   * (without the posted failures); the posted entries of `results` are emptied.
   */
  end(): number[] {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#fn >= 0) this.#quick[this.#fn] = performance.now() - this.#start < quickMs ? 1 : 0
    const fns = this.#fns
    for (let f = 0; f < fns.length; f++) {
      const fn = fns[f]
      if (typeof fn !== "function") continue
      if (this.#quick[f] === 1) quickFns.add(fn)
      else quickFns.delete(fn)
    }
    const flushed = this.flushed
    if (flushed === 0) return this.#failed
    this.#results.fill(undefined, 0, flushed)
    return this.#failed.slice(this.#failedAt)
  }

  #flush(upTo: number, now: number): void {
    if (this.#broken) return
    const from = this.flushed
    const failed = this.#failed
    let at = this.#failedAt
    const posted: number[] = []
    while (at < failed.length && failed[at] < upTo) posted.push(failed[at++])
    try {
      const times = this.#times === undefined ? undefined : { times: this.#times.slice(from, upTo) }
      this.#post({ weftStream: this.#id, from, results: this.#results.slice(from, upTo), failed: posted, ...times })
    } catch {
      this.#broken = true // they go in the reply
      return
    }
    this.flushed = upTo
    this.#failedAt = at
    this.#last = now
  }
}

/**
 * The stream of a batch that asks for one (`batch.stream`), or `undefined`. `call` posts in this
 * thread (the in-process executor). `fns` are the batch's functions, once found.
 */
export function openStream(
  batch: WireBatch,
  fns: ReadonlyArray<unknown>,
  results: unknown[],
  failed: number[],
  call: ((message: StreamedResults) => void) | undefined,
  times?: number[]
): ResultStream | undefined {
  const stream = batch.stream
  if (stream === undefined || batch.fn.length < 2) return undefined
  const post = poster(stream.via, call)
  return post === undefined ? undefined : new ResultStream(stream.id, post, fns, results, failed, times)
}
