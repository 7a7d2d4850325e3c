/**
 * Streamed results, client side, for the tinypool executor: hands each `StreamedResults` a worker
 * posts to the `onResults` of its batch, and holds a batch's reply back until every outcome it
 * says was streamed has been handed over (the reply and the streamed messages travel on different
 * ports for worker threads, so the reply can overtake them).
 *
 * Transport:
 * - worker threads: each worker posts on a `BroadcastChannel` of its own, `${via}-${threadId}`,
 *   which this side opens when it sees the worker start (`listenTo`): only the client listens, so
 *   a message is cloned once, for this thread;
 * - child processes: `process.send`, which tinypool hands to the run's `channel` option (every
 *   message of the child that is not tinypool's own): `channel` below.
 *
 * Nothing here runs for a batch without `onResults` (the engine asks only for batches of two or
 * more tasks), and a stream costs a Map entry per batch plus one message per flush.
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { BroadcastChannel } from "node:worker_threads"
import type { PartialResults, WireBatchResult } from "../../core/protocol.js"
import { ExecutorFailure } from "../executor.js"

/** How long a reply waits for streamed outcomes it says were sent, before the batch fails as `transport`. They are already queued: this only guards against a hang. */
const lateResultsMs = 5_000
/** A dead worker's channel is closed this long after its exit: what it posted before dying is read first. */
const closeAfterExitMs = 1_000

interface Open {
  readonly onResults: (part: PartialResults) => void
  /** Tasks 0 to `received - 1` were handed over. */
  received: number
  /** The reply, when it came before its streamed outcomes. */
  waiting:
    | {
        readonly result: WireBatchResult
        readonly resolve: (result: WireBatchResult) => void
        readonly reject: (error: ExecutorFailure) => void
        readonly timer: NodeJS.Timeout
      }
    | undefined
}

/** The streams of one executor's batches. */
export class ResultStreams {
  /** `stream.via` of this executor's batches: a channel prefix for threads, `"ipc"` for processes. */
  readonly via: string
  /** For child processes: tinypool's per-run `channel` option, which gets the child's own messages. */
  readonly channel = { postMessage: (data: unknown): void => this.receive(data) }
  #next = 0
  readonly #open = new Map<number, Open>()
  readonly #channels = new Map<number, BroadcastChannel>()
  #closed = false

  constructor(threads: boolean) {
    this.via = threads ? `weft-results-${randomUUID()}` : "ipc"
  }

  /** Starts a batch's stream; its id goes in `batch.stream`. */
  open(onResults: (part: PartialResults) => void): number {
    const id = ++this.#next
    this.#open.set(id, { onResults, received: 0, waiting: undefined })
    return id
  }

  /** A message from a worker: streamed outcomes of an open batch are handed over; anything else is ignored. */
  receive(data: unknown): void {
    if (typeof data !== "object" || data === null) return
    const { weftStream, from, results, failed, times } = data as Partial<Record<string, unknown>>
    if (typeof weftStream !== "number" || typeof from !== "number" || !Array.isArray(results) || !Array.isArray(failed))
      return
    const open = this.#open.get(weftStream)
    if (open === undefined || from !== open.received) return // settled or dropped meanwhile
    open.received = from + results.length
    try {
      open.onResults({ from, results, failed: failed as number[], ...(Array.isArray(times) ? { times } : {}) })
    } finally {
      const waiting = open.waiting
      if (waiting !== undefined && open.received >= (waiting.result.streamed ?? 0)) {
        clearTimeout(waiting.timer)
        this.#open.delete(weftStream)
        waiting.resolve(waiting.result)
      }
    }
  }

  /** The batch's reply: returned once every outcome it says was streamed has been handed over. */
  settle(id: number, result: WireBatchResult): WireBatchResult | Promise<WireBatchResult> {
    const open = this.#open.get(id)
    if (open === undefined || (result.streamed ?? 0) <= open.received) {
      this.#open.delete(id)
      return result
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#open.delete(id)
        reject(
          new ExecutorFailure(
            "transport",
            `The results streamed by a batch did not arrive within ${lateResultsMs / 1000} s`
          )
        )
      }, lateResultsMs)
      open.waiting = { result, resolve, reject, timer }
    })
  }

  /** The batch failed: later messages of it are ignored (what it streamed before stands). */
  drop(id: number): void {
    this.#open.delete(id)
  }

  /** Listens for worker thread `threadId`'s streamed outcomes (call it when the worker starts, before it runs a batch). */
  listenTo(threadId: number): void {
    if (this.#closed || this.#channels.has(threadId)) return
    const channel = new BroadcastChannel(`${this.via}-${threadId}`)
    channel.onmessage = (event) => this.receive((event as MessageEvent).data)
    channel.unref() // never keeps the process alive
    this.#channels.set(threadId, channel)
  }

  /** Worker thread `threadId` exited: its channel is closed once what it posted is read. */
  forget(threadId: number): void {
    const channel = this.#channels.get(threadId)
    if (channel === undefined) return
    setTimeout(() => {
      channel.close()
      if (this.#channels.get(threadId) === channel) this.#channels.delete(threadId)
    }, closeAfterExitMs).unref()
  }

  /** Stops listening; a reply still waiting for its streamed outcomes rejects as `closed`. */
  close(): void {
    this.#closed = true
    for (const channel of this.#channels.values()) channel.close()
    this.#channels.clear()
    const open = [...this.#open.values()]
    this.#open.clear()
    for (const { waiting } of open) {
      if (waiting === undefined) continue
      clearTimeout(waiting.timer)
      waiting.reject(new ExecutorFailure("closed", "The executor was closed before the batch finished"))
    }
  }
}
