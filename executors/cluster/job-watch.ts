/**
 * Batches whose BullMQ job vanished from Redis (a restart without persistence, FLUSHALL): no
 * worker will ever report them, so without this their Futures would wait forever. Every `everyMs`
 * the client checks that the job of each batch it waits for still exists; a job missing at two
 * checks in a row (so that one just finished, whose completion is on its way, is not taken for
 * lost) is reported to `onVanished`, and the client executor queues the batch again.
 *
 * @internal
 */
import type { Redis } from "ioredis"

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
    everyMs = 2_000
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
      if (ids.length === 0) {
        this.#missing.clear()
        return []
      }
      const pipeline = this.redis.pipeline()
      for (const id of ids) pipeline.exists(this.jobKey(id))
      const replies = (await pipeline.exec()) ?? []
      const missing = new Set(ids.filter((_, i) => replies[i]?.[0] === null && replies[i]?.[1] === 0))
      const vanished = [...missing].filter((id) => this.#missing.has(id))
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
