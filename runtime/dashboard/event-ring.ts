/**
 * The task events of the task stream, in one bounded ring stored by column: typed arrays for the
 * times and flags, arrays of strings for key, name and worker (strings the task records already
 * hold: nothing is copied). Recording an event is six stores and allocates nothing, and the ring
 * keeps no task record alive, so recording does not make the garbage collector's work grow with
 * the run. Events are built as objects only when read (`since`), at the page's pace.
 *
 * @internal
 */
import type { TaskEvent } from "./types.js"

/** The task events, oldest overwritten first. */
export class TaskEventRing {
  readonly #keys: string[]
  readonly #names: string[]
  readonly #workers: string[]
  readonly #start: Float64Array
  readonly #end: Float64Array
  readonly #failed: Uint8Array
  #pushed = 0

  constructor(readonly capacity: number) {
    this.#keys = new Array<string>(capacity).fill("")
    this.#names = new Array<string>(capacity).fill("")
    this.#workers = new Array<string>(capacity).fill("")
    this.#start = new Float64Array(capacity)
    this.#end = new Float64Array(capacity)
    this.#failed = new Uint8Array(capacity)
  }

  /** Events ever recorded: the newest event's `seq`. */
  get pushed(): number {
    return this.#pushed
  }

  /** Events overwritten before anyone could read them (the ring holds the newest `capacity`). */
  get overwritten(): number {
    return Math.max(0, this.#pushed - this.capacity)
  }

  push(key: string, name: string, worker: string, start: number, end: number, failed: boolean): void {
    const slot = this.#pushed % this.capacity
    this.#keys[slot] = key
    this.#names[slot] = name
    this.#workers[slot] = worker
    this.#start[slot] = start
    this.#end[slot] = end
    this.#failed[slot] = failed ? 1 : 0
    this.#pushed++
  }

  /** The events with `seq > since` still held, oldest first, at most `limit` (the oldest ones). */
  since(since: number, limit = Infinity): TaskEvent[] {
    const first = Math.max(since, this.#pushed - this.capacity)
    const last = Math.min(this.#pushed, first + limit)
    const out: TaskEvent[] = []
    for (let seq = first + 1; seq <= last; seq++) {
      const slot = (seq - 1) % this.capacity
      out.push({
        seq,
        key: this.#keys[slot],
        name: this.#names[slot],
        worker: this.#workers[slot],
        start: this.#start[slot],
        end: this.#end[slot],
        failed: this.#failed[slot] === 1
      })
    }
    return out
  }
}
