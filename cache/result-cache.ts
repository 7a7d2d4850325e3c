/**
 * The result cache as the engine uses it: three calls on the task path and one at close.
 *
 * - `intercept(task)`, for a task just popped to run: false to run it now (nothing to look up, or
 *   its lock taken at once); true when it took the task for an asynchronous lookup, after which
 *   it calls the engine's `hit` (the Future settles without running) or `resume` (run it).
 * - `succeeded(task, value, computeMs)`: writes the result when it pays (the write rule below).
 * - `settled(task)`: a task that ended otherwise gives its lock back.
 * - `close()`: resolves once every pending write has finished, and records the run's counts.
 *
 * The write rule (docs/cache.md): a result that took `alwaysWriteMs` (10 ms) or more is written.
 * A quicker one is written only when computing it took longer than loading it would: load time is
 * estimated as a fixed cost per entry (refined by this process's hits, from `initialFixedMs`) plus
 * a cost per byte of its `node:v8` serialization (`initialMsPerByte`). A function whose average
 * run time here is below the fixed cost is neither locked nor looked up, which keeps a trivial map
 * at full speed.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8"
import type { FnInfo } from "../dsl/function-ref.js"
import {
  KeyMaker,
  newSlot,
  type CachePayload,
  type CacheRecord,
  type CacheSlot,
  type FnCacheInfo,
  type ProjectParts
} from "./key.js"
import { Demand } from "./demand.js"
import { cacheable } from "./cacheable.js"
import type { CacheStore, RunCounts, StoreLock } from "./store.js"

/** A result that took this long or more (ms) is always written. */
export const alwaysWriteMs = 10
/** Starting estimate of the fixed cost of loading one entry, in ms (cacache: index read + content read + integrity check). */
const initialFixedMs = 0.5
/** Starting estimate of the load cost per byte, in ms (about 300 MB/s: read, sha512 check, v8 deserialize). */
const initialMsPerByte = 1 / 300_000
/**
 * A function whose average run is at most this (ms, and at most the estimated fixed load cost) is
 * never looked up or locked. A bound of its own, not the measured load cost alone: on a loaded
 * machine a lookup's wall time grows, and a 12 ms task must not start being skipped.
 */
const cheapMs = 1
/** Lookups running at once; the rest wait in a queue (a warm `map` of 20,000 must not open 20,000 files at once). */
const maxLookups = 32
/** How long a task waits for another process holding its key's lock before computing it anyway. */
const maxLockWaitMs = 10 * 60_000

/** What the result cache calls back in the engine. */
export interface CacheHooks<R> {
  /**
   * The task's result was found: settle it with `value`. It is processing (popped), or waiting
   * for its inputs (a top-down lookup: the engine then claims it first, and its inputs that nobody
   * else wants are released).
   */
  hit(task: R, value: unknown): void
  /** Not found (and locked, when it needed a lock): run it. */
  resume(task: R): void
}

/** The result cache of one client. */
export class ResultCache<R extends CacheRecord> {
  readonly store: CacheStore
  readonly keys: KeyMaker
  #hooks: CacheHooks<R> | undefined
  readonly #pending = new Set<Promise<unknown>>()
  readonly #locks = new Set<StoreLock>()
  /** Tasks of a function not timed yet, waiting for its probe (`#begin`). */
  readonly #probing = new Map<FnCacheInfo, R[]>()
  /** Tasks waiting for a lookup slot. */
  readonly #queue: Array<{ task: R; key: string; info: FnCacheInfo; before: boolean }> = []
  #lookups = 0
  #closed = false
  #fixedMs = initialFixedMs
  #counts = { hits: 0, misses: 0, written: 0, notWorthWriting: 0, lookups: 0 }
  #warned = false
  readonly #demand: Demand<R>
  /** Keys this client wrote: found again if asked for after their records were released. */
  readonly #written = new Set<string>()

  private constructor(store: CacheStore, keys: KeyMaker) {
    this.store = store
    this.keys = keys
    this.#demand = new Demand<R>({
      cacheable: (payload) => ResultCache.cacheable(payload),
      alwaysRuns: (task) => this.#cheap(this.keys.fnInfo(task.payload.fn!)) || this.#keyOrNothing(task) === undefined,
      present: (task) => this.#present(task),
      preLookUp: (task) => {
        this.#queue.push({ task, key: this.keys.keyOf(task), info: this.keys.fnInfo(task.payload.fn!), before: true })
        this.#drain()
      },
      unparked: (task) => {
        if (!this.#begin(task)) this.#hooks?.resume(task)
      }
    })
  }

  /** Opens the cache over `store` (reads which task identities it holds). */
  static async open<R extends CacheRecord>(store: CacheStore, project: ProjectParts): Promise<ResultCache<R>> {
    const identities = await store.identities().catch(() => new Set<string>())
    return new ResultCache<R>(store, new KeyMaker(project, identities))
  }

  /** Connects the engine: what a lookup calls back. */
  connect(hooks: CacheHooks<R>): void {
    this.#hooks = hooks
  }

  /** Counts so far: hits, misses (cacheable tasks computed), results written and not worth writing. */
  get counts(): Omit<RunCounts, "endedAt"> {
    return { ...this.#counts }
  }

  /** Whether a record's result may be cached: a pure task not marked `cache: false`. */
  static cacheable(payload: CachePayload): payload is CachePayload & { fn: FnInfo } {
    return cacheable(payload)
  }

  /**
   * A task popped to run: false to run it now, true when the cache took it (see the module
   * comment): for a lookup, or parked until its dependents are decided (`demand.ts`).
   */
  intercept(task: R): boolean {
    const payload = task.payload
    if (!ResultCache.cacheable(payload)) return false
    let slot = payload.cache
    if (slot === undefined) {
      // The hot path of a trivial map: nothing waits on it and its function is quicker than a
      // lookup, so it just runs, and no slot is made for it (`succeeded` counts it without one).
      if (task.pendingDependents === 0 && this.#cheap(this.keys.fnInfo(payload.fn))) return false
      slot = payload.cache = newSlot()
    }
    if (slot.checked) return false
    if (task.pendingDependents > 0 && slot.lookup === undefined && !this.#demand.popped(task, slot)) return true
    return this.#begin(task)
  }

  /** A submitted record (new or taken again): what the top-down lookups wait for may have changed. */
  submitted(task: R): void {
    this.#demand.touched(task)
  }

  /** A needed popped task: false to run it now, true when queued for a lookup or waiting for its function's probe. */
  #begin(task: R): boolean {
    const slot = task.payload.cache!
    const info = this.keys.fnInfo(task.payload.fn!)
    if (this.#cheap(info)) {
      slot.checked = true
      return false
    }
    if (info.avgMs < 0 && !info.present) {
      // Not timed yet, and nothing of it in the store: its first task (the probe) runs first, and
      // the others wait to learn whether the function is too quick to be worth a key and a lock.
      const waiting = this.#probing.get(info)
      if (waiting !== undefined) {
        waiting.push(task)
        return true
      }
      this.#probing.set(info, [])
      slot.probe = true
    }
    const key = this.#keyOrNothing(task)
    if (key === undefined) {
      slot.checked = true
      return false
    }
    // Known to be absent (no entries of its function, or looked up before it could run): lock only.
    if (this.store.syncLocks && (slot.lookup === "miss" || !this.#present(task))) {
      const lock = this.store.tryLock(key) as StoreLock | undefined
      if (lock !== undefined) {
        this.#hold(task, lock)
        return false
      }
    }
    this.#queue.push({ task, key, info, before: false })
    this.#drain()
    return true
  }

  /** Starts queued lookups while fewer than `maxLookups` run; a task of a function now known to be cheap just runs. */
  #drain(): void {
    while (this.#lookups < maxLookups && this.#queue.length > 0) {
      const { task, key, info, before } = this.#queue.shift()!
      if (before) {
        if (this.#closed || task.state !== "waiting") continue
        this.#lookups++
        this.#track(this.#preLookUp(task, key).finally(this.#lookupDone))
        continue
      }
      if (this.#closed || task.state !== "processing") continue
      if (this.#cheap(info)) {
        task.payload.cache!.checked = true
        this.#hooks?.resume(task)
        continue
      }
      this.#lookups++
      this.#track(this.#lookUp(task, key, info).finally(this.#lookupDone))
    }
  }

  readonly #lookupDone = (): void => {
    this.#lookups--
    this.#drain()
  }

  /** Like `intercept` for a task about to be fused into a batch: true when it may run now without a lookup. */
  claimable(task: R): boolean {
    const payload = task.payload
    if (!ResultCache.cacheable(payload) || payload.cache?.checked === true) return true
    if (this.#cheap(this.keys.fnInfo(payload.fn))) {
      if (payload.cache !== undefined) payload.cache.checked = true
      return true
    }
    const slot = (payload.cache ??= newSlot())
    // Known to be absent and needed: it may run in this batch once its key's lock is taken.
    if (!this.store.syncLocks || slot.parked || slot.lookup === "pending") return false
    if (slot.lookup !== "miss" && (this.#present(task) || !this.#demand.needed(task))) return false
    const key = this.#keyOrNothing(task)
    const lock = key === undefined ? undefined : (this.store.tryLock(key) as StoreLock | undefined)
    if (lock === undefined) return false
    this.#hold(task, lock)
    return true
  }

  /** The store may hold the task's result: its function had entries when the client started, or this client wrote its key. */
  #present(task: R): boolean {
    if (this.keys.fnInfo(task.payload.fn!).present) return true
    const key = this.#keyOrNothing(task)
    return key !== undefined && this.#written.has(key)
  }

  /** A function known to run quicker than a lookup costs: it just runs (no lookup, no lock). */
  #cheap(info: FnCacheInfo): boolean {
    return info.avgMs >= 0 && info.avgMs <= Math.min(this.#fixedMs, cheapMs)
  }

  /** A cacheable task computed `value` in `computeMs`: written when it pays. */
  succeeded(task: R, value: unknown, computeMs: number): void {
    const payload = task.payload
    let slot = payload.cache
    if (!ResultCache.cacheable(payload) || slot?.hit === true) return
    this.#counts.misses++
    const info = this.keys.fnInfo(payload.fn)
    // The rule weighs what a miss costs: this run and its cached inputs' (a quick aggregate of slow inputs pays).
    const costMs = costOf(task, computeMs)
    info.avgMs = nextAverage(info.avgMs, costMs)
    if (slot?.probe === true) this.#probed(slot, info)
    // Quicker than a lookup, or a quick function's outlier (a GC pause): not worth writing.
    if (costMs < alwaysWriteMs && (costMs <= this.#fixedMs || this.#cheap(info))) {
      if (slot === undefined) return void this.#counts.notWorthWriting++ // the trivial map's path: no slot, no lock
      slot.costMs = costMs
      return this.#notWorth(slot)
    }
    const own = (slot ??= task.payload.cache = newSlot())
    own.costMs = costMs
    const remote = this.fetchValue?.(value)
    if (remote === undefined) return this.#write(task, value, costMs)
    // Held where it ran (the cluster's Redis): fetched for the write; the lock is held until it ends.
    this.#track(
      remote.then(
        (fetched) => this.#write(task, fetched, costMs),
        (error: unknown) => {
          this.#warn(error)
          this.#release(own)
        }
      )
    )
  }

  /**
   * Set by the engine of a cluster: the value behind a result held remotely (a Promise), or
   * undefined for a value that is here. A remote result worth writing is fetched for the write.
   */
  fetchValue: ((value: unknown) => Promise<unknown> | undefined) | undefined = undefined

  #write(task: R, value: unknown, computeMs: number): void {
    const slot = task.payload.cache!
    const info = this.keys.fnInfo(task.payload.fn!)
    let bytes: Uint8Array
    try {
      bytes = serialize(value)
    } catch {
      return this.#notWorth(slot) // not serializable by node:v8 (it crossed as a structured clone, so rare)
    }
    if (computeMs < alwaysWriteMs && computeMs <= this.#fixedMs + bytes.byteLength * initialMsPerByte) {
      return this.#notWorth(slot)
    }
    const key = this.#keyOrNothing(task)
    if (key === undefined) return this.#release(slot)
    this.#written.add(key)
    const meta = { parts: slot.parts!, computeMs, identity: info.identity }
    this.#track(
      this.store
        .put(key, bytes, meta)
        .then(
          () => void this.#counts.written++,
          (error: unknown) => this.#warn(error)
        )
        .finally(() => this.#release(slot))
    )
  }

  /** A task settled: one that did not succeed gives its lock back and will be looked up again if retried. */
  settled(task: R): void {
    const slot = task.payload.cache
    if (slot === undefined) return
    this.#demand.left(slot)
    // A probe that failed or was cancelled: the tasks waiting for it go on (one of them probes next).
    if (slot.probe && (task.state !== "memory" || slot.hit)) this.#probed(slot, this.keys.fnInfo(task.payload.fn!))
    if (task.state === "memory") return
    slot.checked = false
    slot.lookup = undefined
    this.#release(slot)
  }

  /** Waits for pending writes and lookups, gives back every lock, records the run's counts. */
  async close(): Promise<void> {
    this.#closed = true
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    await this.store.flush?.().catch((error: unknown) => this.#warn(error))
    for (const lock of this.#locks) lock.release()
    this.#locks.clear()
    const run: RunCounts = { ...this.#counts, endedAt: Date.now() }
    await this.store.recordRun(run).catch((error: unknown) => this.#warn(error))
    await this.store.close?.().catch(() => {})
  }

  /** Reads and deserializes the entry of `key`; undefined on a miss (a damaged entry is deleted: a miss). */
  async #read(key: string, info: FnCacheInfo): Promise<{ value: unknown; costMs: number } | undefined> {
    const started = performance.now()
    this.#counts.lookups++
    const entry = await this.store.get(key).catch((error: unknown) => void this.#warn(error))
    if (entry === undefined) return undefined
    let value: unknown
    try {
      value = deserialize(entry.bytes)
    } catch {
      // Written by another Node major or damaged past the integrity check: a miss.
      await this.store.delete(key).catch(() => {})
      return undefined
    }
    this.#learn(performance.now() - started, entry.bytes.byteLength)
    if (info.avgMs < 0) info.avgMs = entry.meta.computeMs
    return { value, costMs: entry.meta.computeMs }
  }

  /** Marks a found result and hands it to the engine, which settles the task without running it. */
  #found(task: R, found: { value: unknown; costMs: number }): void {
    const slot = task.payload.cache!
    slot.costMs = found.costMs
    slot.hit = true
    slot.checked = true
    this.#counts.hits++
    this.#hooks?.hit(task, found.value)
  }

  async #lookUp(task: R, key: string, info: FnCacheInfo): Promise<void> {
    const slot = task.payload.cache!
    const wanted = () => !this.#closed && task.state === "processing"
    for (;;) {
      const found = await this.#read(key, info)
      if (!wanted()) return
      if (found !== undefined) return this.#found(task, found)
      if (this.#cheap(info)) break
      const lock = await this.store.tryLock(key)
      if (!wanted()) return lock?.release()
      if (lock !== undefined) {
        this.#hold(task, lock)
        break
      }
      // Another process computes it: wait until it is done, then look again.
      await this.store.whenUnlocked(key, maxLockWaitMs, wanted)
      if (!wanted()) return
    }
    slot.checked = true
    this.#hooks?.resume(task)
  }

  /**
   * The lookup of a task still waiting for its inputs (top-down, `demand.ts`): a hit settles it
   * (its inputs then need not run); a miss makes it demand its inputs. No lock: it cannot run yet,
   * and holding its key while its inputs compute could make two processes wait on each other.
   */
  async #preLookUp(task: R, key: string): Promise<void> {
    const found = await this.#read(key, this.keys.fnInfo(task.payload.fn!))
    const slot = task.payload.cache!
    if (this.#closed) return
    if (task.state !== "waiting") {
      slot.lookup = undefined // popped meanwhile: looked up again the usual way
      return
    }
    if (found === undefined) return this.#demand.missed(task)
    slot.lookup = undefined
    this.#found(task, found)
    this.#demand.settled(task)
  }

  /** The probe of `info` ran (or ended otherwise): the tasks that waited for it are decided now. */
  #probed(slot: CacheSlot, info: FnCacheInfo): void {
    slot.probe = false
    const waiting = this.#probing.get(info)
    if (waiting === undefined) return
    this.#probing.delete(info)
    for (const task of waiting) {
      if (this.#closed || task.state !== "processing") continue
      if (!this.#begin(task)) this.#hooks?.resume(task)
    }
  }

  #hold(task: R, lock: StoreLock): void {
    const slot = task.payload.cache!
    slot.lock = lock
    slot.checked = true
    this.#locks.add(lock)
  }

  #release(slot: NonNullable<CachePayload["cache"]>): void {
    const lock = slot.lock
    if (lock === undefined) return
    slot.lock = undefined
    this.#locks.delete(lock)
    lock.release()
  }

  #notWorth(slot: NonNullable<CachePayload["cache"]>): void {
    this.#counts.notWorthWriting++
    this.#release(slot)
  }

  /** A hit's measured load time refines the fixed cost estimate (a moving average). */
  #learn(loadMs: number, bytes: number): void {
    const fixed = Math.min(alwaysWriteMs, Math.max(0.05, loadMs - bytes * initialMsPerByte))
    this.#fixedMs = this.#fixedMs * 0.8 + fixed * 0.2
  }

  /** The key, or undefined when it cannot be known (a scattered input no longer held). */
  #keyOrNothing(task: R): string | undefined {
    try {
      return this.keys.keyOf(task)
    } catch {
      return undefined
    }
  }

  #track(promise: Promise<unknown>): void {
    this.#pending.add(promise)
    void promise.finally(() => this.#pending.delete(promise))
  }

  #warn(error: unknown): undefined {
    if (this.#warned) return undefined
    this.#warned = true
    process.emitWarning(
      `weft cache at ${this.store.location}: ${error instanceof Error ? error.message : String(error)}; results are computed instead of cached.`
    )
    return undefined
  }
}

/**
 * A function's average run time after one more run of `ms`. A run is counted at most about four
 * times the average (plus 1 ms): on a shared machine a trivial task is now and then preempted or
 * caught by a GC pause for tens of milliseconds, and one such run must not make every later call
 * of a trivial function pay a key, a lock and a write. A function that is really slow still
 * reaches its average within a dozen runs (the bound grows with the average), and a run of 10 ms
 * or more is written whatever the average says (the write rule).
 */
export const nextAverage = (avgMs: number, ms: number): number =>
  avgMs < 0 ? ms : avgMs * 0.8 + Math.min(ms, avgMs * 4 + cheapMs) * 0.2

/** `ranMs` plus what the task's cached inputs cost (each its own run and its inputs', as recorded in their slots). */
const costOf = (task: CacheRecord, ranMs: number): number => {
  let cost = ranMs
  const inputs = task.dependencies
  for (let i = 0; i < inputs.length; i++) cost += inputs[i].payload.cache?.costMs ?? 0
  return cost
}
