/**
 * The scheduler's table of records by key: a `Map` while small, split into 256 Maps by a hash of
 * the key once it first holds 32,768 records. A single Map of a million keys grows by rehashing
 * all of them in one step (measured: ~100 ms of main-thread CPU when the table of a 1,000,000-node
 * graph passes 524,288 records, inside one 12 ms slice of adding it); 256 smaller Maps rehash
 * ~4,000 keys at a time.
 *
 * Iteration follows insertion order while the table has never been split (every small table),
 * and Map by Map after (only shutdown, diagnostics and the dashboard iterate, none by order).
 *
 * @internal
 * @module
 */

const defaultSplitAt = 32_768
const shardBits = 8
const shardMask = (1 << shardBits) - 1

/** The shard of `key`: a hash of its last three characters and its length (keys end in a hex token, or a user's name or number). */
const shardOf = (key: string): number => {
  const n = key.length
  const h =
    n < 3
      ? n * 31 + key.charCodeAt(0)
      : key.charCodeAt(n - 1) + 31 * key.charCodeAt(n - 2) + 961 * key.charCodeAt(n - 3) + n
  return (h ^ (h >>> shardBits)) & shardMask
}

/** A Map-like table from key to value (get, set, delete, size, iteration) that never rehashes more than 1/256 of a big table at once. */
export class KeyTable<V> {
  #map: Map<string, V> | undefined = new Map()
  #shards: Array<Map<string, V>> | undefined = undefined
  #size = 0
  readonly #splitAt: number

  /** `splitAt`: the size at which the one Map is split (32,768; tests pass less). */
  constructor(splitAt = defaultSplitAt) {
    this.#splitAt = splitAt
  }

  get size(): number {
    return this.#map !== undefined ? this.#map.size : this.#size
  }

  get(key: string): V | undefined {
    const map = this.#map
    return map !== undefined ? map.get(key) : this.#shards![shardOf(key)].get(key)
  }

  has(key: string): boolean {
    return this.get(key) !== undefined
  }

  set(key: string, value: V): this {
    const map = this.#map
    if (map !== undefined) {
      map.set(key, value)
      if (map.size >= this.#splitAt) this.#split(map)
      return this
    }
    const shard = this.#shards![shardOf(key)]
    const before = shard.size
    shard.set(key, value)
    this.#size += shard.size - before
    return this
  }

  delete(key: string): boolean {
    const map = this.#map
    if (map !== undefined) return map.delete(key)
    const deleted = this.#shards![shardOf(key)].delete(key)
    if (deleted) this.#size--
    return deleted
  }

  *values(): IterableIterator<V> {
    if (this.#map !== undefined) yield* this.#map.values()
    else for (const shard of this.#shards!) yield* shard.values()
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    if (this.#map !== undefined) yield* this.#map
    else for (const shard of this.#shards!) yield* shard
  }

  /** Moves the entries of the one Map into the shards (once, at 32,768 entries: a few milliseconds). */
  #split(map: Map<string, V>): void {
    const shards: Array<Map<string, V>> = []
    for (let i = 0; i <= shardMask; i++) shards.push(new Map())
    for (const [key, value] of map) shards[shardOf(key)].set(key, value)
    this.#shards = shards
    this.#size = map.size
    this.#map = undefined
  }
}
