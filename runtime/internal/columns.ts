/**
 * Growable lists for the per-node data of a graph being added (graph.ts), made so that growing
 * never copies a big array at once. A JavaScript array of a million elements grows by copying all
 * of them in one step, and V8 counts that allocation towards an incremental-marking step of the
 * garbage collector: both land inside one slice, which then blocks the event loop for tens of
 * milliseconds (measured: a walk slice of 30-58 ms of main-thread CPU at each growth of the
 * arrays past ~115k, ~170k and ~260k nodes). Numbers go in typed arrays (outside the JS heap: a
 * growth is a `memcpy`, and nothing in them is marked); values go in chunks of 4,096 that are
 * never copied.
 *
 * @internal
 * @module
 */

const chunkBits = 12
const chunkSize = 1 << chunkBits
const chunkMask = chunkSize - 1

/** A list of values in chunks of 4,096 (never copied to grow). Unset slots read `undefined`. */
export class Chunked<T> {
  readonly #chunks: Array<Array<T | undefined>> = []
  length = 0

  push(value: T | undefined): void {
    const i = this.length++
    if ((i & chunkMask) === 0) this.#chunks.push(new Array<T | undefined>(chunkSize))
    this.#chunks[i >> chunkBits][i & chunkMask] = value
  }

  get(i: number): T | undefined {
    return this.#chunks[i >> chunkBits][i & chunkMask]
  }

  set(i: number, value: T): void {
    this.#chunks[i >> chunkBits][i & chunkMask] = value
  }
}

/** A list (or stack) of 32-bit integers in a typed array that doubles when full. */
export class Ints {
  #data = new Int32Array(1024)
  length = 0

  push(value: number): void {
    if (this.length === this.#data.length) {
      const next = new Int32Array(this.#data.length * 2)
      next.set(this.#data)
      this.#data = next
    }
    this.#data[this.length++] = value
  }

  pop(): number {
    return this.#data[--this.length]
  }

  get(i: number): number {
    return this.#data[i]
  }

  set(i: number, value: number): void {
    this.#data[i] = value
  }
}
