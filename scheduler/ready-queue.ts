/**
 * The ready queue: a binary max-heap of task records, best first. "Best" is the higher `priority`,
 * then the lower `seq` (earlier addition), which gives Dask's order: priority first, then
 * submission order (FIFO) among equals.
 *
 * The heap is a plain array and each item remembers its index in it (`heapIndex`), so that a
 * cancelled record is removed at once in O(log n). Eager removal (rather than skipping stale
 * entries when popping) keeps `size` exact and makes it impossible for a record that is queued,
 * cancelled, forgotten and revived to sit in the heap twice.
 *
 * @internal
 * @module
 */

/** What the queue needs from an item. `heapIndex` is owned by the queue: -1 when not in it. */
export interface HeapItem {
  readonly priority: number
  readonly seq: number
  heapIndex: number
}

/** True when `a` should pop before `b`. */
function before(a: HeapItem, b: HeapItem): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq)
}

/** A binary heap of records ordered by priority (higher first), then `seq` (lower first). */
export class ReadyQueue<T extends HeapItem> {
  private readonly heap: T[] = []

  /** How many items are queued. O(1). */
  get size(): number {
    return this.heap.length
  }

  /** The best item without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.heap[0]
  }

  /** Adds an item that is not in the queue. O(log n). */
  push(item: T): void {
    const heap = this.heap
    const index = heap.length
    heap.push(item)
    item.heapIndex = index
    this.up(index)
  }

  /** Removes and returns the best item, or undefined when empty. O(log n). */
  pop(): T | undefined {
    const heap = this.heap
    const n = heap.length
    if (n === 0) return undefined
    const top = heap[0]
    const last = heap.pop()!
    if (n > 1) {
      heap[0] = last
      last.heapIndex = 0
      this.down(0)
    }
    top.heapIndex = -1
    return top
  }

  /** Removes `item` if it is in the queue (a no-op otherwise). O(log n). */
  remove(item: T): void {
    const heap = this.heap
    const index = item.heapIndex
    if (index < 0 || heap[index] !== item) return
    item.heapIndex = -1
    const last = heap.pop()!
    if (last === item) return
    heap[index] = last
    last.heapIndex = index
    // The moved item may belong above or below its new place.
    if (index > 0 && before(last, heap[(index - 1) >> 1])) this.up(index)
    else this.down(index)
  }

  /** The items in heap order (not pop order); for tests and invariant checks. */
  items(): ReadonlyArray<T> {
    return this.heap
  }

  private up(index: number): void {
    const heap = this.heap
    const item = heap[index]
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]
      if (!before(item, parent)) break
      heap[index] = parent
      parent.heapIndex = index
      index = parentIndex
    }
    heap[index] = item
    item.heapIndex = index
  }

  private down(index: number): void {
    const heap = this.heap
    const n = heap.length
    const item = heap[index]
    for (;;) {
      let child = 2 * index + 1
      if (child >= n) break
      const right = child + 1
      if (right < n && before(heap[right], heap[child])) child = right
      const best = heap[child]
      if (!before(best, item)) break
      heap[index] = best
      best.heapIndex = index
      index = child
    }
    heap[index] = item
    item.heapIndex = index
  }
}
