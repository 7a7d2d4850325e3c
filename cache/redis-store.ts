/**
 * The cluster's store: the result cache in the cluster's own Redis (`Client.connect(url, { cache })`).
 *
 * - **Own keys** under `{prefix}:cache:`: `e:{key}` a hash (`v` the bytes, `m` the description,
 *   `h` sha256 of the bytes, `n` their size), `lru` a sorted set (key -> last use, ms), `bytes` the
 *   total size, `ids` the identities with entries, `lock:{key}`, `last-run`. Nothing shares a key
 *   with BullMQ's queue or with the results of live clients.
 * - **Own cap and LRU**: the queue's Redis runs with `noeviction`, so the cache never relies on
 *   Redis evicting. A write is one Lua script: it stores the entry, counts its bytes and, past the
 *   cap, deletes the least recently used entries until the cache holds 90% of it. A hit updates
 *   the entry's use time (`ZADD XX`, in the same round trip as the read). An entry larger than the
 *   cap is not stored.
 * - **Integrity**: a value whose sha256 or size does not match, or whose description does not
 *   parse, is a miss and is deleted.
 * - **Lock by cache key**: `SET lock:{key} <token> NX PX 30000`, renewed every 10 s while held,
 *   deleted by a compare-and-delete script: one computation per cluster.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto"
import type { Redis } from "ioredis"
import { forEachKeyPage } from "../core/redis-scan.js"
import type { CacheStore, EntryInfo, EntryMeta, RunCounts, StoreLock, StoreStats, StoredEntry } from "./store.js"

const lockMs = 30_000
const renewMs = 10_000
const pollMs = 50
/** Evict down to this share of the cap. */
const evictTo = 0.9

/** KEYS: entry, lru, bytes, ids. ARGV: v, m, h, n, now, cap, entry prefix, key, identity. */
const putScript = `
local n = tonumber(ARGV[4])
local cap = tonumber(ARGV[6])
if n > cap then return 0 end
local old = redis.call('HGET', KEYS[1], 'n')
if old then redis.call('DECRBY', KEYS[3], old) end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'm', ARGV[2], 'h', ARGV[3], 'n', n)
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[8])
redis.call('SADD', KEYS[4], ARGV[9])
local total = redis.call('INCRBY', KEYS[3], n)
if total > cap then
  local target = cap * ${evictTo}
  while total > target do
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)
    if #oldest == 0 then break end
    local victim = ARGV[7] .. oldest[1]
    local size = redis.call('HGET', victim, 'n')
    redis.call('DEL', victim)
    redis.call('ZREM', KEYS[2], oldest[1])
    if size then total = redis.call('DECRBY', KEYS[3], size) end
  end
end
return 1`

/** KEYS: entry, lru, bytes. ARGV: key. */
const deleteScript = `
local n = redis.call('HGET', KEYS[1], 'n')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if n then redis.call('DECRBY', KEYS[3], n) end
return 1`

/** KEYS: lock. ARGV: token, ms (0: delete). */
const lockScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

const parseMeta = (text: string | null | undefined): EntryMeta | undefined => {
  if (text === null || text === undefined) return undefined
  try {
    const meta = JSON.parse(text) as EntryMeta
    return typeof meta === "object" && meta !== null && typeof meta.identity === "string" ? meta : undefined
  } catch {
    return undefined
  }
}

/** A store in the Redis of `redis`, under `{prefix}:cache:`, capped at `maxBytes`. */
export class RedisStore implements CacheStore {
  readonly location: string
  readonly syncLocks = false
  readonly #redis: Redis
  readonly #base: string
  readonly #token = randomBytes(12).toString("hex")
  readonly #ownsConnection: boolean

  constructor(
    redis: Redis,
    readonly options: {
      readonly prefix: string
      readonly maxBytes: number
      readonly display: string
      readonly owns?: boolean
    }
  ) {
    this.#redis = redis
    this.#base = `${options.prefix}:cache:`
    this.location = `${options.display} (keys ${this.#base}*)`
    this.#ownsConnection = options.owns ?? false
  }

  get maxBytes(): number {
    return this.options.maxBytes
  }

  #entry(key: string): string {
    return `${this.#base}e:${key}`
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    const replies = await this.#redis
      .multi()
      .hmgetBuffer(this.#entry(key), "v", "m", "h", "n")
      .zadd(`${this.#base}lru`, "XX", Date.now(), key)
      .exec()
    const [error, fields] = replies![0] as [Error | null, Array<Buffer | null>]
    if (error !== null) throw error
    const [v, m, h, n] = fields
    if (v === null && m === null) return undefined
    const meta = parseMeta(m?.toString())
    if (v === null || meta === undefined || h === null || sha256(v) !== h.toString() || Number(n) !== v.byteLength) {
      await this.delete(key)
      return undefined
    }
    return { bytes: v, meta }
  }

  async put(key: string, bytes: Uint8Array, meta: EntryMeta): Promise<void> {
    const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    await this.#redis.eval(
      putScript,
      4,
      this.#entry(key),
      `${this.#base}lru`,
      `${this.#base}bytes`,
      `${this.#base}ids`,
      value,
      JSON.stringify(meta),
      sha256(value),
      value.byteLength,
      Date.now(),
      this.options.maxBytes,
      `${this.#base}e:`,
      key,
      meta.identity
    )
  }

  async has(key: string): Promise<boolean> {
    return (await this.#redis.exists(this.#entry(key))) === 1
  }

  async info(key: string): Promise<EntryInfo | undefined> {
    const [[, fields], [, usedAt]] = (await this.#redis
      .multi()
      .hmget(this.#entry(key), "m", "n")
      .zscore(`${this.#base}lru`, key)
      .exec()) as [[Error | null, Array<string | null>], [Error | null, string | null]]
    if (fields[1] === null) return undefined
    return { key, size: Number(fields[1]), usedAt: Number(usedAt ?? 0), meta: parseMeta(fields[0]) }
  }

  async delete(key: string): Promise<void> {
    await this.#redis.eval(deleteScript, 3, this.#entry(key), `${this.#base}lru`, `${this.#base}bytes`, key)
  }

  async list(): Promise<EntryInfo[]> {
    const flat = await this.#redis.zrange(`${this.#base}lru`, 0, -1, "WITHSCORES")
    const out: EntryInfo[] = []
    for (let i = 0; i < flat.length; i += 1000) {
      const batch = this.#redis.pipeline()
      const keys: Array<[string, number]> = []
      for (let j = i; j < Math.min(flat.length, i + 1000); j += 2) {
        keys.push([flat[j], Number(flat[j + 1])])
        batch.hmget(this.#entry(flat[j]), "m", "n")
      }
      const replies = (await batch.exec()) ?? []
      keys.forEach(([key, usedAt], k) => {
        const fields = replies[k]?.[1] as Array<string | null> | undefined
        if (fields?.[1] != null) out.push({ key, size: Number(fields[1]), usedAt, meta: parseMeta(fields[0]) })
      })
    }
    return out
  }

  async stats(): Promise<StoreStats> {
    const [[, entries], [, bytes], [, lastRun]] = (await this.#redis
      .multi()
      .zcard(`${this.#base}lru`)
      .get(`${this.#base}bytes`)
      .get(`${this.#base}last-run`)
      .exec()) as Array<[Error | null, unknown]>
    let run: RunCounts | undefined
    try {
      run = typeof lastRun === "string" ? (JSON.parse(lastRun) as RunCounts) : undefined
    } catch {
      run = undefined
    }
    return { entries: Number(entries), bytes: Number(bytes ?? 0), maxBytes: this.options.maxBytes, lastRun: run }
  }

  async recordRun(counts: RunCounts): Promise<void> {
    await this.#redis.set(`${this.#base}last-run`, JSON.stringify(counts))
  }

  async identities(): Promise<Set<string>> {
    return new Set(await this.#redis.smembers(`${this.#base}ids`))
  }

  async tryLock(key: string): Promise<StoreLock | undefined> {
    const lock = `${this.#base}lock:${key}`
    const token = `${this.#token}:${key}`
    if ((await this.#redis.set(lock, token, "PX", lockMs, "NX")) !== "OK") return undefined
    const renew = setInterval(() => {
      this.#redis.eval(lockScript, 1, lock, token, lockMs).catch(() => {})
    }, renewMs)
    renew.unref()
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        clearInterval(renew)
        this.#redis.eval(lockScript, 1, lock, token, 0).catch(() => {})
      }
    }
  }

  async whenUnlocked(key: string, maxWaitMs: number, wanted: () => boolean): Promise<void> {
    const lock = `${this.#base}lock:${key}`
    const until = Date.now() + maxWaitMs
    while (Date.now() < until && wanted()) {
      if ((await this.#redis.exists(lock)) === 0) return
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
  }

  async clear(): Promise<void> {
    await forEachKeyPage(this.#redis, `${this.#base}*`, (keys) => this.#redis.del(...keys), 500)
  }

  /** Closes the connection when the store opened it (the client's cache connection). */
  async close(): Promise<void> {
    if (this.#ownsConnection) await this.#redis.quit().catch(() => this.#redis.disconnect())
  }
}
