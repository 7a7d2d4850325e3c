/**
 * The pool's queue of batches waiting for a worker, given to tinypool as its `taskQueue` (the same
 * FIFO as tinypool's own `ArrayTaskQueue`), so that the interrupt client can find the batches that
 * still wait (`../interrupt/client.ts` adds a `skip` list to them) without tracking every batch:
 * a batch handed to an idle worker at once (every awaited round trip) never enters it.
 *
 * @internal
 */
import type { Task, TaskQueue } from "tinypool"
import type { WireBatch } from "../../core/protocol.js"

/** A tinypool task as queued: its `task` is what was given to `run`, until a worker takes it. */
type Queued = Task & { readonly task?: unknown }

/** tinypool's `taskQueue`: a FIFO of the runs no worker has taken yet. */
export class BatchQueue implements TaskQueue {
  readonly #tasks: Queued[] = []

  get size(): number {
    return this.#tasks.length
  }

  shift(): Task | null {
    return this.#tasks.shift() ?? null
  }

  push(task: Task): void {
    this.#tasks.push(task)
  }

  remove(task: Task): void {
    const at = this.#tasks.indexOf(task)
    if (at >= 0) this.#tasks.splice(at, 1)
  }

  cancel(): void {
    const tasks = this.#tasks.splice(0)
    for (const task of tasks) task.cancel()
  }

  /** The batches waiting for a worker, oldest first. */
  *batches(): IterableIterator<WireBatch> {
    for (const { task } of this.#tasks) if (typeof task === "object" && task !== null) yield task as WireBatch
  }
}
