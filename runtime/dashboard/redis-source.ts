/**
 * The dashboard's source for a whole cluster on Redis (`weft dashboard redis://...`): it keeps the
 * watch flag alive (so that clients publish, cluster-feed.ts), and twice a second reads, in one
 * round of commands, the workers' registrations, every client's report and the new task events.
 * The server's calls answer from what the last read found: the page's rate never reaches Redis.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { scanKeys } from "../../core/redis-scan.js"
import { keys, type WorkerInfo } from "../../executors/cluster/protocol.js"
import type { RedisTarget } from "../../executors/cluster/connection.js"
import {
  dashKeys,
  liveReportMs,
  publishEveryMs,
  watchTtlMs,
  type ClientReport,
  type WireEvent
} from "./cluster-keys.js"
import { TaskEventRing } from "./event-ring.js"
import { mergeGraphs, mergeStatus } from "./merge.js"
import type { DashboardSource, ErrorEntry, GraphSnapshot, StatusSnapshot, TaskEvent } from "./types.js"

/** How the source reaches the cluster. */
export interface RedisSourceOptions {
  readonly target: RedisTarget
  /** The cluster's key prefix (a worker's `--prefix`); default `weft`. */
  readonly prefix?: string
  readonly connectTimeoutMs?: number
}

/** A `DashboardSource` over the reports the cluster's clients publish. */
export class RedisSource implements DashboardSource {
  readonly label: string
  readonly #ring = new TaskEventRing(200_000)
  #lastId = "$"
  #reports: ClientReport[] = []
  #workers: WorkerInfo[] = []
  #timer: NodeJS.Timeout | undefined
  #reading: Promise<void> | undefined
  #stopped = false

  private constructor(
    readonly redis: Redis,
    readonly prefix: string,
    display: string
  ) {
    this.label = display
  }

  /** Connects (rejects with `ClusterConnectionError` when Redis is unreachable) and starts reading. */
  static async open(options: RedisSourceOptions): Promise<RedisSource> {
    const { openRedis } = await import("../../executors/cluster/connection.js")
    const redis = await openRedis(options.target, {
      connectTimeoutMs: options.connectTimeoutMs,
      name: "weft-dashboard"
    })
    const source = new RedisSource(redis, options.prefix ?? "weft", options.target.display)
    // Only events published from now on: older ones belong to runs nobody watched live.
    await source.#read()
    source.#timer = setInterval(() => void source.refresh(), publishEveryMs)
    return source
  }

  /** Reads Redis now (the timer does so every 500 ms); one read at a time. */
  refresh(): Promise<void> {
    return (this.#reading ??= this.#read().finally(() => (this.#reading = undefined)))
  }

  async #read(): Promise<void> {
    if (this.#stopped) return
    const redis = this.redis
    try {
      await redis.set(dashKeys.watch(this.prefix), "1", "PX", watchTtlMs)
      const [workerKeys, reportKeys] = await Promise.all([
        scanKeys(redis, keys.workers(this.prefix)),
        scanKeys(redis, dashKeys.reports(this.prefix))
      ])
      const [workers, reports] = await Promise.all([mget(redis, workerKeys), mget(redis, reportKeys)])
      this.#workers = parseAll<WorkerInfo>(workers)
      this.#reports = parseAll<ClientReport>(reports)
      await this.#readEvents()
    } catch {
      // Redis away: the pages show the last read; ioredis reconnects.
    }
  }

  async #readEvents(): Promise<void> {
    const stream = dashKeys.events(this.prefix)
    if (this.#lastId === "$") {
      const last = await this.redis.xrevrange(stream, "+", "-", "COUNT", 1)
      this.#lastId = last[0]?.[0] ?? "0"
      return
    }
    for (let round = 0; round < 8; round++) {
      const entries = await this.redis.xrange(stream, `(${this.#lastId}`, "+", "COUNT", 100)
      for (const [id, fields] of entries) {
        this.#lastId = id
        const json = fields[1]
        if (json === undefined) continue
        for (const e of JSON.parse(json) as WireEvent[])
          this.#ring.push(e.key, e.name, e.worker, e.start, e.end, e.failed)
      }
      if (entries.length < 100) return
    }
  }

  status(): StatusSnapshot {
    return mergeStatus(this.#reports, this.#workers, Date.now() - liveReportMs, this.#ring.pushed)
  }

  events(since: number, limit: number): ReadonlyArray<TaskEvent> {
    return this.#ring.since(since, limit)
  }

  errors(limit: number): ReadonlyArray<ErrorEntry> {
    return this.#reports
      .flatMap((report) => report.errors)
      .sort((a, b) => b.time - a.time)
      .slice(0, limit)
  }

  graph(): GraphSnapshot {
    return mergeGraphs(this.#reports.map((report) => report.graph))
  }

  /**
   * Stops reading and disconnects. The watch flag lapses by itself within 10 s (not deleted:
   * another dashboard may be watching the same cluster).
   */
  async close(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#reading
    this.redis.disconnect()
  }
}

const mget = (redis: Redis, list: string[]): Promise<Array<string | null>> =>
  list.length === 0 ? Promise.resolve([]) : redis.mget(...list)

function parseAll<T>(texts: ReadonlyArray<string | null>): T[] {
  const out: T[] = []
  for (const text of texts) {
    if (text === null) continue
    try {
      out.push(JSON.parse(text) as T)
    } catch {
      // Not ours (another version's): skip it.
    }
  }
  return out
}
