/**
 * A bounded ring buffer: pushing is O(1) and never allocates once full; the oldest entries are
 * overwritten and counted as dropped. What the dashboard's recorder keeps, so that a dashboard
 * left open on a long run uses a fixed amount of memory.
 *
 * @internal
 */
export class Ring<T> {
  readonly #items: Array<T | undefined>
  /** Entries ever pushed: the next entry's sequence number minus one. */
  #pushed = 0

  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(capacity)
  }

  /** Entries ever pushed; entry `seq` (1-based) is still here when `seq > pushed - capacity`. */
  get pushed(): number {
    return this.#pushed
  }

  /** Entries held now. */
  get size(): number {
    return Math.min(this.#pushed, this.capacity)
  }

  /** Adds an entry; returns its sequence number (1-based). */
  push(item: T): number {
    this.#items[this.#pushed % this.capacity] = item
    return ++this.#pushed
  }

  /** The entries with sequence numbers after `since`, oldest first, at most `limit` (the oldest ones). */
  since(since: number, limit = Infinity): T[] {
    const first = Math.max(since, this.#pushed - this.capacity)
    const last = Math.min(this.#pushed, first + limit)
    const out: T[] = []
    for (let seq = first + 1; seq <= last; seq++) out.push(this.#items[(seq - 1) % this.capacity] as T)
    return out
  }

  /** Entries newest first, at most `limit`. */
  newest(limit: number): T[] {
    const out: T[] = []
    for (let seq = this.#pushed; seq > Math.max(0, this.#pushed - this.capacity) && out.length < limit; seq--)
      out.push(this.#items[(seq - 1) % this.capacity] as T)
    return out
  }
}
