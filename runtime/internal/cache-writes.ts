/**
 * The result cache's writes as the dispatcher makes them (issue 17). The write rule needs each
 * task's run time: the batch asks for `timing` (as for the dashboard), and task i ran from
 * `timing.at[i]` to `timing.at[i + 1]`. A task whose outcome was streamed before its batch ended
 * is therefore written once the batch lands (its lock is held until then: a succeeded task keeps
 * it until its write ends). Without timing (an executor that gives none, or a batch that crashed
 * after streaming), the time per task is the batch's average, measured on the worker or, failing
 * that, from dispatch to arrival.
 *
 * @internal
 * @module
 */
import type { ResultCache } from "../../cache/result-cache.js"
import type { BatchTiming } from "../../core/protocol.js"
import type { Flight, TaskRecordOf } from "./task-record.js"

/** What the cache knows of a batch in flight. */
interface Sent {
  readonly at: number
  /**
   * Streamed successes, written once the batch's timing is known: three entries each (its index,
   * its value, when it arrived as `performance.now()` for the fallback time), flat so that a
   * trivial map's streamed tasks allocate nothing each.
   */
  later: unknown[] | undefined
}

/** A batch's reply, as far as run times go. */
export interface Landed {
  readonly timing?: BatchTiming
  readonly elapsedMs: number
}

/** Writes successes to the result cache with their run times (see the module comment). */
export class CacheWrites {
  readonly #sent = new Map<Flight, Sent>()

  constructor(readonly cache: ResultCache<TaskRecordOf>) {}

  /** `flight` was sent now. */
  sent(flight: Flight): void {
    this.#sent.set(flight, { at: performance.now(), later: undefined })
  }

  /** Task `index` of `flight` succeeded with `value`: `landed` is its batch's reply, undefined for a streamed outcome. */
  succeeded(flight: Flight, index: number, task: TaskRecordOf, value: unknown, landed: Landed | undefined): void {
    const sent = this.#sent.get(flight)
    if (landed !== undefined) this.cache.succeeded(task, value, taskMs(flight, index, landed, sent, performance.now()))
    else if (sent === undefined) this.cache.succeeded(task, value, Infinity)
    else (sent.later ??= []).push(index, value, performance.now())
  }

  /** `flight`'s reply came (before its outcomes are applied): the streamed successes are written now. */
  landed(flight: Flight, landed: Landed): void {
    this.#end(flight, landed)
  }

  /** `flight` failed as a whole: its streamed successes are written with the fallback time. */
  crashed(flight: Flight): void {
    this.#end(flight, undefined)
  }

  #end(flight: Flight, landed: Landed | undefined): void {
    const sent = this.#sent.get(flight)
    if (sent === undefined) return
    this.#sent.delete(flight)
    const later = sent.later
    if (later === undefined) return
    const reply = landed ?? { elapsedMs: 0 }
    for (let i = 0; i < later.length; i += 3) {
      const index = later[i] as number
      const ms = taskMs(flight, index, reply, sent, later[i + 2] as number)
      this.cache.succeeded(flight.tasks[index], later[i + 1], ms)
    }
  }
}

/** How long task `index` of `flight` ran, in ms (see the module comment). */
function taskMs(flight: Flight, index: number, landed: Landed, sent: Sent | undefined, arrived: number): number {
  const at = landed.timing?.at
  if (at !== undefined && index + 1 < at.length) return at[index + 1] - at[index]
  if (landed.elapsedMs > 0) return landed.elapsedMs / flight.tasks.length
  return sent === undefined ? Infinity : (arrived - sent.at) / (index + 1)
}
