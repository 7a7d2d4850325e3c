/**
 * The interrupt protocol, client end, for an executor whose workers are threads of this process
 * (the worker end, and the messages, are in `worker.ts`).
 *
 * Every batch with attempt `ids` is sent with the name of this end's control `BroadcastChannel`
 * (`name`, which the executor writes into the batch's `control`). `interrupt(id)` opens the
 * channel on first use; the ids asked in one tick are posted
 * together at its end, `{ interrupt: ids, graceMs }` with the largest grace asked, and each
 * attempt's promise settles with the answer of the worker holding it. A worker busy in synchronous
 * code cannot read the request, so no answer within `graceMs` is `"unknown"` (one timer per
 * request, not per id). A batch still waiting in the pool when a request is sent gets the ids it
 * holds in its `skip` list (the pool clones a batch only when it hands it to a worker), so an
 * attempt asked to stop never starts later: the executor says which batches wait (`queued`, the
 * pool's own queue), so a batch costs this end nothing unless it waits there.
 *
 * Child processes share no BroadcastChannel with this thread: their executor has no client end,
 * and a running task there is stopped by aborting its batch only. (tinypool's per-task `channel`
 * option could carry requests to a process, but only to a task it was given to at `run`; not worth
 * a second protocol for a rarely used isolation mode.)
 *
 * Cost: nothing per batch (no copy, no registration, no extra promise); the channel is touched on
 * interrupts only.
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { BroadcastChannel } from "node:worker_threads"
import type { InterruptAnswer, InterruptOutcome, InterruptRequest, WireBatch } from "../../core/protocol.js"

/** An attempt waiting for its answer, asked in request number `round`. */
interface Asked {
  readonly answered: Promise<InterruptOutcome>
  readonly resolve: (outcome: InterruptOutcome) => void
  readonly round: number
}

/** One executor's end of the control channel. */
export class InterruptClient {
  /** The channel's name, which the batches carry as `control`. */
  readonly name = `weft-control-${randomUUID()}`
  #channel: BroadcastChannel | undefined
  readonly #asked = new Map<number, Asked>()
  /** The ids asked in this tick, posted together at its end, and the grace they get. */
  #outgoing: number[] | undefined
  #outgoingGraceMs = 0
  #round = 0
  #closed = false

  /** `queued` lists the batches given to the pool that no worker has taken yet (the pool's queue). */
  constructor(private readonly queued: () => Iterable<WireBatch>) {}

  /** Asks the worker holding attempt `id` to stop it; `Executor.interrupt` says what comes back. */
  interrupt(id: number, graceMs: number): Promise<InterruptOutcome> {
    if (this.#closed) return Promise.resolve("unknown")
    const pending = this.#asked.get(id)
    if (pending !== undefined) return pending.answered
    this.#channel ??= this.#open()
    let resolve!: (outcome: InterruptOutcome) => void
    const answered = new Promise<InterruptOutcome>((r) => (resolve = r))
    this.#asked.set(id, { answered, resolve, round: this.#round })
    if (this.#outgoing === undefined) {
      this.#outgoing = []
      this.#outgoingGraceMs = 0
      queueMicrotask(this.#send)
    }
    this.#outgoing.push(id)
    this.#outgoingGraceMs = Math.max(this.#outgoingGraceMs, graceMs)
    return answered
  }

  /** Every attempt still waiting answers `"unknown"`; later requests too. */
  close(): void {
    this.#closed = true
    for (const id of [...this.#asked.keys()]) this.#settle(id, "unknown")
    this.#channel?.close()
  }

  #open(): BroadcastChannel {
    const channel = new BroadcastChannel(this.name)
    channel.onmessage = (event) => {
      const data = (event as MessageEvent).data as Partial<InterruptAnswer> | null
      const ids = data?.ids
      const outcomes = data?.outcomes
      if (!Array.isArray(ids) || !Array.isArray(outcomes)) return // a request, or not ours
      for (let i = 0; i < ids.length; i++) this.#settle(ids[i] as number, outcomes[i] as InterruptOutcome)
    }
    channel.unref() // never keeps the process alive
    return channel
  }

  #settle(id: number, outcome: InterruptOutcome, inRound?: number): void {
    const waiting = this.#asked.get(id)
    if (waiting === undefined || (inRound !== undefined && waiting.round !== inRound)) return
    this.#asked.delete(id)
    waiting.resolve(outcome)
  }

  readonly #send = (): void => {
    const ids = this.#outgoing!
    const graceMs = this.#outgoingGraceMs
    const sent = this.#round++
    this.#outgoing = undefined
    if (this.#closed || this.#channel === undefined) {
      for (const id of ids) this.#settle(id, "unknown")
      return
    }
    this.#skipQueued(ids)
    this.#channel.postMessage({ interrupt: ids, graceMs } satisfies InterruptRequest)
    // No answer in time: the worker is stuck in synchronous code, or the batch is still queued.
    setTimeout(() => {
      for (const id of ids) this.#settle(id, "unknown", sent)
    }, graceMs)
  }

  /**
   * A batch still queued in the pool is cloned when the pool hands it to a worker: marking the
   * attempts there skips them whenever it starts (a batch already handed over ignores the mark,
   * and its worker answers the request instead). Nothing that was asked to stop starts late.
   */
  #skipQueued(ids: ReadonlyArray<number>): void {
    const wanted = new Set(ids)
    for (const batch of this.queued()) {
      const batchIds = batch.ids
      if (batchIds === undefined) continue
      for (let i = 0; i < batchIds.length; i++) if (wanted.has(batchIds[i])) (batch.skip ??= []).push(batchIds[i])
    }
  }
}
