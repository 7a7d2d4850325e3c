/**
 * The interface every result-cache store implements: bytes by cache key, plus a lock per key.
 * The disk store (`disk-store.ts`, cacache) is the one built today; a Redis store for the cluster
 * implements the same methods (docs/cache.md says how).
 *
 * A store knows nothing of tasks or values: the result cache (`result-cache.ts`) serializes values
 * with `node:v8` and computes keys. Every method is safe to call from several processes at once.
 *
 * @module
 */

/** What went into a cache key, kept with the entry so that `weft cache explain KEY` can show it. */
export interface KeyParts {
  /** The task: `module path relative to the project root#name`, or `inline` for an inline function. */
  readonly task: string
  /** The hash of the task's code (see docs/cache.md for what each kind of task covers). */
  readonly code: string
  /** What `code` covers, in words: `compiler`, `module+local imports`, `inline source`. */
  readonly covers: string
  /** sha256 of the dependency versions in the lockfile; empty when the project has none. */
  readonly dependencies: string
  readonly weft: string
  readonly nodeMajor: string
  /** sha256 of the arguments' encoding, each Future argument as an `InputRef`. */
  readonly args: string
  /** The cache keys of the Future arguments, in order (the Merkle chain). */
  readonly inputs: ReadonlyArray<string>
  /** Declared inputs: `env:NAME=<sha256 of the value>` or `env:NAME unset`, `file:PATH=<sha256>` or `file:PATH missing`. */
  readonly declared: ReadonlyArray<string>
}

/** What a store keeps beside an entry's bytes. */
export interface EntryMeta {
  readonly parts: KeyParts
  /** How long the task ran when it was computed, in milliseconds. */
  readonly computeMs: number
  /** sha256 of the task identity part (task + code): which tasks have entries (`identities()`). */
  readonly identity: string
}

/** One entry read back. */
export interface StoredEntry {
  readonly bytes: Uint8Array
  readonly meta: EntryMeta
}

/** An entry's description, without its bytes. */
export interface EntryInfo {
  readonly key: string
  readonly size: number
  /** Last written or read, ms since the epoch (what LRU eviction orders by). */
  readonly usedAt: number
  readonly meta: EntryMeta | undefined
}

/** What `stats()` reports. */
export interface StoreStats {
  readonly entries: number
  readonly bytes: number
  readonly maxBytes: number
  /** Hits, misses and writes of the last run that closed a client on this store, when one did. */
  readonly lastRun: RunCounts | undefined
}

/** Counts of one client's run. */
export interface RunCounts {
  readonly hits: number
  readonly misses: number
  readonly written: number
  /** Results not written because loading them would cost about as much as computing them. */
  readonly notWorthWriting: number
  /** Reads of the store (each key looked up counts once per read); absent in records of older versions. */
  readonly lookups?: number
  readonly endedAt: number
}

/** A held lock on one cache key: whoever holds it computes that key; `release` lets the others look again. */
export interface StoreLock {
  release(): void
}

/** A result store. */
export interface CacheStore {
  /** Where it is, for messages (`/path/to/.weft/cache`). */
  readonly location: string
  /** `tryLock` answers at once (no Promise): the engine may take a lock while it builds a batch. */
  readonly syncLocks: boolean
  /** The entry of `key`, or undefined. A corrupted or truncated entry is removed and reads as undefined. */
  get(key: string): Promise<StoredEntry | undefined>
  put(key: string, bytes: Uint8Array, meta: EntryMeta): Promise<void>
  has(key: string): Promise<boolean>
  /** An entry's description without reading its bytes (`explain`). */
  info(key: string): Promise<EntryInfo | undefined>
  delete(key: string): Promise<void>
  /** Every entry's description (`weft cache ls`, eviction). */
  list(): Promise<EntryInfo[]>
  stats(): Promise<StoreStats>
  /** Records the counts of a run (`stats().lastRun`). */
  recordRun(counts: RunCounts): Promise<void>
  /** Identity hashes that have (or had) entries: a task whose identity is not here is not looked up. */
  identities(): Promise<Set<string>>
  /**
   * Takes the lock of `key`, or gives undefined when another process holds it. A lock whose
   * holder has died is taken over. A local store answers at once (no Promise: the engine then
   * dispatches the task in the same pump); a remote one answers with a Promise.
   */
  tryLock(key: string): StoreLock | undefined | Promise<StoreLock | undefined>
  /** Resolves when `key` is not locked, after `maxWaitMs`, or once `wanted()` says false, whichever comes first. */
  whenUnlocked(key: string, maxWaitMs: number, wanted: () => boolean): Promise<void>
  /** Removes every entry, lock and record. */
  clear(): Promise<void>
  /** Finishes bookkeeping deferred off the lookup path (the disk store's LRU touches); the result cache calls it at close. */
  flush?(): Promise<void>
  /** Lets go of what the store opened (the Redis store's connection); the result cache calls it last at close. */
  close?(): Promise<void>
}
