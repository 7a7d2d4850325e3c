/**
 * The local store: cacache (npm's content-addressed cache) in a folder, plus weft's own
 * bookkeeping in `<dir>/weft/`: lock files (`locks/`), identity markers (`ids/`) and the last
 * run's counts (`last-run.json`).
 *
 * - cacache writes atomically and checks each entry's sha512 integrity and size on read; an entry
 *   that fails (corrupted, truncated, its content gone) is removed and reads as a miss.
 * - LRU: a read re-inserts the entry's index line with the current time (cacache's index is an
 *   append-only log; the newest line wins), and eviction removes the oldest entries first.
 * - Size cap: this process tracks the bytes it believes the folder holds (read once with `ls`,
 *   then added to on each write); past `maxBytes` it evicts down to 90% of it. Several processes
 *   each evict by their own count, so the folder can exceed the cap by what the others wrote since
 *   their last `ls`, until one of them evicts.
 * - Locks: `locks/<key>` created with O_EXCL, holding `pid host`. A lock of a process that no
 *   longer runs on this host is taken over.
 *
 * @module
 */
import cacache from "cacache"
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs"
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import * as path from "node:path"
import type { CacheStore, EntryInfo, EntryMeta, RunCounts, StoreLock, StoreStats, StoredEntry } from "./store.js"

/** Evict down to this share of the cap, so that the next writes do not evict again at once. */
const evictTo = 0.9
/** How often a waiter checks a lock held by another process. */
const lockPollMs = 20

const isMeta = (value: unknown): value is EntryMeta =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as EntryMeta).identity === "string" &&
  typeof (value as EntryMeta).parts === "object"

/** A store in the folder `dir`, capped at `maxBytes`. */
export class DiskStore implements CacheStore {
  readonly location: string
  readonly syncLocks = true
  readonly maxBytes: number
  readonly #own: string
  readonly #locks: string
  readonly #ids: string
  #knownIds: Set<string> | undefined
  /** Bytes the folder holds, as this process believes; undefined until first needed. */
  #bytes: number | undefined
  #evicting: Promise<void> | undefined
  /** LRU touches not yet written (`flush`). */
  readonly #touches = new Set<Promise<void>>()

  constructor(dir: string, maxBytes: number) {
    this.location = path.resolve(dir)
    this.maxBytes = maxBytes
    this.#own = path.join(this.location, "weft")
    this.#locks = path.join(this.#own, "locks")
    this.#ids = path.join(this.#own, "ids")
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    let found: cacache.GetCacheObject
    try {
      found = await cacache.get(this.location, key)
    } catch (error) {
      // Not there: a miss. Anything else (EINTEGRITY, EBADSIZE, content gone, unreadable): the
      // entry is broken; remove it so that the next run does not trip over it again.
      if ((error as { code?: string }).code !== "ENOENT" || !/No cache entry/.test(String(error))) {
        await this.delete(key).catch(() => {})
      }
      return undefined
    }
    if (!isMeta(found.metadata)) {
      await this.delete(key).catch(() => {})
      return undefined
    }
    // LRU: this entry was used now (an index line appended; the newest wins). Off the lookup's
    // path: the hit is answered now, the line is appended meanwhile, and `flush` (at close) waits.
    const touch = cacache.index
      .insert(this.location, key, found.integrity, { size: found.size, metadata: found.metadata })
      .then(
        () => {},
        () => {}
      )
    this.#touches.add(touch)
    void touch.finally(() => this.#touches.delete(touch))
    return { bytes: found.data, meta: found.metadata }
  }

  /** Waits for the LRU touches of earlier hits. */
  async flush(): Promise<void> {
    while (this.#touches.size > 0) await Promise.all([...this.#touches])
  }

  async put(key: string, bytes: Uint8Array, meta: EntryMeta): Promise<void> {
    this.#bytes ??= await this.#measure()
    await cacache.put(this.location, key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      metadata: meta
    })
    await this.#markIdentity(meta.identity)
    this.#bytes += bytes.byteLength
    if (this.#bytes > this.maxBytes) await this.#evict()
  }

  async has(key: string): Promise<boolean> {
    return (await this.info(key)) !== undefined
  }

  async info(key: string): Promise<EntryInfo | undefined> {
    const entry = await cacache.get.info(this.location, key).catch(() => null)
    if (entry === null || entry === undefined) return undefined
    return { key, size: entry.size ?? 0, usedAt: entry.time, meta: isMeta(entry.metadata) ? entry.metadata : undefined }
  }

  async delete(key: string): Promise<void> {
    const entry = await cacache.get.info(this.location, key).catch(() => null)
    // removeFully: drop the key's index bucket, not just append a deletion line (@types/cacache omits the option).
    await (cacache.rm.entry as (cache: string, key: string, options: object) => Promise<unknown>)(this.location, key, {
      removeFully: true
    })
    if (entry?.integrity !== undefined) await cacache.rm.content(this.location, entry.integrity).catch(() => {})
  }

  async stats(): Promise<StoreStats> {
    const entries = await this.list()
    let bytes = 0
    for (const entry of entries) bytes += entry.size
    return { entries: entries.length, bytes, maxBytes: this.maxBytes, lastRun: await this.#lastRun() }
  }

  async recordRun(counts: RunCounts): Promise<void> {
    await mkdir(this.#own, { recursive: true })
    const file = path.join(this.#own, "last-run.json")
    const temporary = `${file}.${process.pid}.tmp`
    await writeFile(temporary, JSON.stringify(counts))
    await rename(temporary, file)
  }

  async identities(): Promise<Set<string>> {
    if (this.#knownIds === undefined) this.#knownIds = new Set(await readdir(this.#ids).catch(() => []))
    return this.#knownIds
  }

  tryLock(key: string): StoreLock | undefined {
    const file = path.join(this.#locks, key)
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, "wx")
        writeSync(fd, `${process.pid} ${hostname()}`)
        closeSync(fd)
        let held = true
        return {
          release: () => {
            if (!held) return
            held = false
            try {
              unlinkSync(file)
            } catch {
              // Cleared meanwhile (weft cache clear): nothing to release.
            }
          }
        }
      } catch (error) {
        const code = (error as { code?: string }).code
        if (code === "ENOENT") mkdirSync(this.#locks, { recursive: true })
        else if (code !== "EEXIST" || !this.#takeOverStale(file)) return undefined
      }
    }
    return undefined
  }

  async whenUnlocked(key: string, maxWaitMs: number, wanted: () => boolean): Promise<void> {
    const file = path.join(this.#locks, key)
    const until = Date.now() + maxWaitMs
    while (Date.now() < until && wanted()) {
      try {
        readFileSync(file)
      } catch {
        return
      }
      if (this.#takeOverStale(file)) return
      await new Promise((resolve) => setTimeout(resolve, lockPollMs))
    }
  }

  async clear(): Promise<void> {
    await cacache.rm.all(this.location)
    await rm(this.#own, { recursive: true, force: true })
    this.#knownIds = undefined
    this.#bytes = 0
  }

  /** Removes the lock file of a holder that is gone (same host, no such process). True when it did. */
  #takeOverStale(file: string): boolean {
    let holder: string
    try {
      holder = readFileSync(file, "utf8")
    } catch {
      return true // released meanwhile
    }
    const [pidText, host] = holder.split(" ")
    const pid = Number(pidText)
    // Just created, not yet written: its holder is alive.
    if (holder === "" || host !== hostname() || !Number.isInteger(pid)) return false
    try {
      process.kill(pid, 0)
      return false
    } catch (error) {
      if ((error as { code?: string }).code !== "ESRCH") return false
    }
    try {
      unlinkSync(file)
    } catch {
      // Another waiter took it over first.
    }
    return true
  }

  async #markIdentity(identity: string): Promise<void> {
    const known = await this.identities()
    if (known.has(identity)) return
    await mkdir(this.#ids, { recursive: true })
    await writeFile(path.join(this.#ids, identity), "")
    known.add(identity)
  }

  async #lastRun(): Promise<RunCounts | undefined> {
    try {
      return JSON.parse(await readFile(path.join(this.#own, "last-run.json"), "utf8")) as RunCounts
    } catch {
      return undefined
    }
  }

  async list(): Promise<EntryInfo[]> {
    const all = await cacache.ls(this.location).catch(() => ({}) as Record<string, cacache.CacheObject>)
    return Object.values(all).map((entry) => ({
      key: entry.key,
      size: entry.size ?? 0,
      usedAt: entry.time,
      meta: isMeta(entry.metadata) ? entry.metadata : undefined
    }))
  }

  async #measure(): Promise<number> {
    let bytes = 0
    for (const entry of await this.list()) bytes += entry.size
    return bytes
  }

  /** Removes the least recently used entries until the folder holds at most 90% of the cap. */
  #evict(): Promise<void> {
    this.#evicting ??= (async () => {
      try {
        const entries = (await this.list()).sort((a, b) => a.usedAt - b.usedAt)
        let bytes = entries.reduce((sum, entry) => sum + entry.size, 0)
        for (const entry of entries) {
          if (bytes <= this.maxBytes * evictTo) break
          await this.delete(entry.key).catch(() => {})
          bytes -= entry.size
        }
        this.#bytes = bytes
      } finally {
        this.#evicting = undefined
      }
    })()
    return this.#evicting
  }
}
