/**
 * Batches whose BullMQ job failed or vanished. Failed: its worker died (BullMQ's stalled check
 * fails it, `maxStalledCount` 0) or its processor threw; the job is kept (`removeOnFail` keeps it
 * for a while) so that its `failedReason` is read here: one look per job every half second, instead of
 * a `QueueEvents` reader that parses every event of the queue for the one kind it needs.
 * Vanished (a restart without persistence, FLUSHALL): no
 * worker will ever report them, so without this their Futures would wait forever. Every `everyMs`
 * the client checks that the job of each batch it waits for still exists; a job missing at two
 * checks in a row (so that one just finished, whose completion is on its way, is not taken for
 * lost) is reported to `onVanished`, and the client executor queues the batch again.
 *
 * The same check looks at the client's lease: after a FLUSHALL or a restart without persistence
 * it is gone too, and until it is back workers drop this client's jobs and refuse its results, so
 * `onGone` renews it at once instead of at the next renewal (up to a third of the lease later). A
 * lease gone also says that Redis lost its data, so a job missing at that check is taken as
 * vanished at once (a job that had just finished then runs again: harmless, its late completion is
 * ignored).
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { keys } from "./protocol.js"

/** Watches the jobs of pending batches; `stop()` ends it. */
export class JobWatch {
  readonly #timer: NodeJS.Timeout
  /** Jobs found missing at the last check. */
  #missing = new Set<string>()
  #checking = false

  constructor(
    readonly redis: Redis,
    /** The Redis key of a job's hash (`{prefix}:{queue}:{id}`). */
    readonly jobKey: (id: string) => string,
    /** The ids of the jobs the client waits for now. */
    readonly pending: () => ReadonlyArray<string>,
    readonly onVanished: (id: string) => void,
    /** A job BullMQ failed, with its `failedReason`. */
    readonly onFailed: (id: string, reason: string) => void,
    /** The client's lease key, and what to do when it is missing. */
    readonly lease?: { readonly key: string; readonly onGone: () => void },
    everyMs = 500
  ) {
    this.#timer = setInterval(() => void this.check().catch(() => {}), everyMs)
    this.#timer.unref()
  }

  /** One check (also run by the timer); resolves with the ids reported as vanished. */
  async check(): Promise<string[]> {
    if (this.#checking) return []
    this.#checking = true
    try {
      const ids = this.pending()
      if (ids.length === 0) this.#missing.clear()
      if (ids.length === 0 && this.lease === undefined) return []
      const pipeline = this.redis.pipeline()
      for (const id of ids) pipeline.exists(this.jobKey(id)).hget(this.jobKey(id), "failedReason")
      if (this.lease !== undefined) pipeline.exists(this.lease.key)
      const replies = (await pipeline.exec()) ?? []
      const leaseGone = this.lease !== undefined && isZero(replies[2 * ids.length])
      if (leaseGone) this.lease!.onGone()
      if (ids.length === 0) return []
      // A failed job (its worker died: BullMQ's stalled check; or its processor threw) says why.
      ids.forEach((id, i) => {
        const reason = replies[2 * i + 1]
        if (reason?.[0] === null && typeof reason[1] === "string") this.onFailed(id, reason[1])
      })
      const missing = new Set(ids.filter((_, i) => isZero(replies[2 * i])))
      // With the lease gone too, Redis lost its data: a missing job vanished, no second look needed.
      const vanished = [...missing].filter((id) => leaseGone || this.#missing.has(id))
      this.#missing = new Set([...missing].filter((id) => !vanished.includes(id)))
      for (const id of vanished) this.onVanished(id)
      return vanished
    } finally {
      this.#checking = false
    }
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}

/** A pipeline reply of 0 (EXISTS: the key is missing), not an error. */
const isZero = (reply: [Error | null, unknown] | undefined): boolean => reply?.[0] === null && reply[1] === 0

/**
 * Which of a client's results are in Redis now, index-aligned (lineage recovery asks before
 * deciding what to recompute). A key Redis could not answer for counts as there.
 */
export async function resultsExist(
  redis: Redis,
  prefix: string,
  client: string,
  list: ReadonlyArray<string>
): Promise<boolean[]> {
  if (list.length === 0) return []
  const pipeline = redis.pipeline()
  for (const key of list) pipeline.exists(keys.result(prefix, client, key))
  const replies = (await pipeline.exec()) ?? []
  return list.map((_, i) => !isZero(replies[i]))
}
