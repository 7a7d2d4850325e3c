/**
 * The scheduler's table of records by key: a `Map` while small, split into 256 Maps by a hash of
 * the key once it first holds 32,768 records. A single Map of a million keys grows by rehashing
 * all of them in one step (measured: ~100 ms of main-thread CPU when the table of a 1,000,000-node
 * graph passes 524,288 records, inside one 12 ms slice of adding it); 256 smaller Maps rehash
 * ~4,000 keys at a time. The split itself moves the 32,768 entries a few at a time (`moveEvery`
 * per later set or delete): moved in one go, by code that runs once per table and so is never
 * optimized, it took 50-200 ms of main-thread CPU in one step.
 *
 * Iteration follows insertion order while the table has never been split (every small table),
 * and Map by Map after (only shutdown, diagnostics and the dashboard iterate, none by order).
 *
 * @internal
 * @module
 */

const defaultSplitAt = 32_768
/** Entries moved per set or delete during the split: 32,768 of them move within ~512 operations. */
const defaultMoveEvery = 64
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

/** A Map-like table from key to value (get, set, delete, size, iteration) that never rehashes or moves more than a few thousand entries at once. */
export class KeyTable<V> {
  #map: Map<string, V> | undefined = new Map()
  #shards: Array<Map<string, V>> | undefined = undefined
  /** While the split goes on: the entries of the one Map not moved to their shard yet, and the walk over them. */
  #unmoved: Map<string, V> | undefined = undefined
  #moving: Iterator<[string, V]> | undefined = undefined
  #size = 0
  readonly #splitAt: number
  readonly #moveEvery: number

  /** `splitAt`: the size at which the one Map is split (32,768; tests pass less). `moveEvery`: entries moved to their shard per set or delete after that (64). */
  constructor(splitAt = defaultSplitAt, moveEvery = defaultMoveEvery) {
    this.#splitAt = splitAt
    this.#moveEvery = moveEvery
  }

  get size(): number {
    return this.#map !== undefined ? this.#map.size : this.#size
  }

  /** Entries of the one Map still to move to their shard (0 before the split and once it is over). */
  get unmoved(): number {
    return this.#unmoved === undefined ? 0 : this.#unmoved.size
  }

  get(key: string): V | undefined {
    const map = this.#map
    if (map !== undefined) return map.get(key)
    const value = this.#shards![shardOf(key)].get(key)
    return value !== undefined || this.#unmoved === undefined ? value : this.#unmoved.get(key)
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
    const unmoved = this.#unmoved
    // A key not moved yet goes to its shard now: every key is in one place only.
    if (unmoved !== undefined && unmoved.delete(key)) this.#size--
    const shard = this.#shards![shardOf(key)]
    const before = shard.size
    shard.set(key, value)
    this.#size += shard.size - before
    if (unmoved !== undefined) this.#move()
    return this
  }

  delete(key: string): boolean {
    const map = this.#map
    if (map !== undefined) return map.delete(key)
    const unmoved = this.#unmoved
    const deleted = this.#shards![shardOf(key)].delete(key) || (unmoved !== undefined && unmoved.delete(key))
    if (deleted) this.#size--
    if (unmoved !== undefined) this.#move()
    return deleted
  }

  *values(): IterableIterator<V> {
    if (this.#map !== undefined) yield* this.#map.values()
    else {
      for (const shard of this.#shards!) yield* shard.values()
      if (this.#unmoved !== undefined) yield* this.#unmoved.values()
    }
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    if (this.#map !== undefined) yield* this.#map
    else {
      for (const shard of this.#shards!) yield* shard
      if (this.#unmoved !== undefined) yield* this.#unmoved
    }
  }

  /** Starts the split (once, at 32,768 entries): the shards are made, the entries move over later, `#move`. */
  #split(map: Map<string, V>): void {
    const shards: Array<Map<string, V>> = []
    for (let i = 0; i <= shardMask; i++) shards.push(new Map())
    this.#shards = shards
    this.#size = map.size
    this.#map = undefined
    this.#unmoved = map
    this.#moving = map.entries()
    this.#move()
  }

  /** Moves the next `moveEvery` entries of the one Map to their shards (the walk over a Map goes on through deletes). */
  #move(): void {
    const unmoved = this.#unmoved!
    const moving = this.#moving!
    const shards = this.#shards!
    for (let i = 0; i < this.#moveEvery; i++) {
      const next = moving.next()
      if (next.done === true) {
        this.#unmoved = undefined
        this.#moving = undefined
        return
      }
      const [key, value] = next.value
      unmoved.delete(key)
      shards[shardOf(key)].set(key, value)
    }
  }
}
