/**
 * Where a record goes when it is added (or revived by retry): the one decision of `add`, asked of
 * its inputs. The move itself is a transition (`transitions.ts`).
 *
 * @internal
 * @module
 */
import type { Machine } from "./machine.js"
import type { TaskRecord } from "./record.js"
import { transition } from "./transitions.js"

/**
 * Moves a record that is released (new or being revived), erred or lost to the state its
 * dependencies allow: erred (an input erred or is lost: its error), cancelled (an input is
 * cancelled or forgotten: "lost dependencies"), waiting or queued. Retry calls it
 * dependencies first, so that revived inputs are pending by then.
 */
export function place<P>(m: Machine<P>, task: TaskRecord<P>): void {
  const deps = task.dependencies
  let waitingOn = 0
  let erredDep: TaskRecord<P> | undefined
  let lost = false
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i]
    const s = d.state
    if (s === "memory") continue
    // A lost input (its result vanished and cannot be computed again) holds its LostResultError.
    if (s === "erred" || s === "lost") erredDep ??= d
    else if (s === "cancelled" || !d.inTable) lost = true
    else waitingOn++
  }
  if (erredDep !== undefined) {
    // A retried record (erred or lost) whose input is lost for good: pending again, then erred.
    if (task.state !== "released") transition(m, task, "waiting", 0)
    transition(m, task, "erred", erredDep.error, erredDep.erredKey)
  } else if (lost) {
    // A retried record (erred or lost) whose input cannot come back (a forgotten scattered
    // value): pending again, then cancelled, as a new task on that input would be.
    if (task.state !== "released") transition(m, task, "waiting", 0)
    transition(m, task, "cancelled", "lost dependencies")
  } else if (waitingOn > 0) transition(m, task, "waiting", waitingOn)
  else transition(m, task, "queued")
}
