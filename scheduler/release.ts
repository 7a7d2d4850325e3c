/**
 * The release rules (Dask's reference counting): after a record settles or loses a handle or a
 * dependent, every record nobody wants any more is forgotten, a pending one cancelled first
 * (reason "released"), and its inputs are checked in turn. Iterative: a chain of any length is safe.
 *
 * @internal
 * @module
 */
import type { Machine } from "./machine.js"
import { isWanted, type TaskRecord } from "./record.js"
import { isPending } from "./state.js"
import { transition } from "./transitions.js"

/** Runs the release rules after `task` settled: on the task, then on its dependencies. Allocates only when something goes. */
export function afterSettled<P>(m: Machine<P>, task: TaskRecord<P>): void {
  if (task.inTable && !isWanted(task)) {
    collect(m, [task]) // forgets it and then checks its dependencies
    return
  }
  recheck(m, task.dependencies)
}

/** Runs the release rules on `records` (which lost a dependent). */
export function recheck<P>(m: Machine<P>, records: ReadonlyArray<TaskRecord<P>>): void {
  for (let i = 0; i < records.length; i++) {
    const d = records[i]
    if (d.inTable && !isWanted(d)) collect(m, [d])
  }
}

/** `afterSettled` for many records at once (a cascade). */
export function afterSettledAll<P>(m: Machine<P>, settled: ReadonlyArray<TaskRecord<P>>): void {
  const stack: TaskRecord<P>[] = []
  for (let i = 0; i < settled.length; i++) {
    const t = settled[i]
    stack.push(t)
    const deps = t.dependencies
    for (let j = 0; j < deps.length; j++) stack.push(deps[j])
  }
  collect(m, stack)
}

/**
 * How many records one cascade of the release rules forgets before it goes on in a later turn of
 * the event loop (when the engine gives the `later` hook): releasing the output of a graph of a
 * million nodes forgets the whole graph, ~1 s of work in one go. Meanwhile the records not yet
 * reached stay in the table, wanted by nobody; each is checked again when its turn comes (a key
 * submitted again meanwhile keeps its record).
 */
export const releaseSlice = { records: 4096 }

/**
 * The release rules, iteratively: pops records and forgets (settled) or cancels with reason
 * "released" and forgets (pending) every one nobody wants, pushing its dependencies, which may
 * stop being wanted in turn. A record pushed twice is skipped the second time (no longer in the
 * table, or wanted). After `releaseSlice.records` records it goes on in a later turn (`later`).
 */
export function collect<P>(m: Machine<P>, stack: TaskRecord<P>[]): void {
  const later = m.hooks.later
  let left = later === undefined ? Infinity : releaseSlice.records
  while (stack.length > 0) {
    const t = stack.pop()!
    if (!t.inTable || isWanted(t)) continue
    if (--left < 0) {
      stack.push(t)
      later!(() => collect(m, stack))
      return
    }
    if (isPending(t.state)) transition(m, t, "cancelled", "released")
    transition(m, t, "released")
    const deps = t.dependencies
    for (let i = 0; i < deps.length; i++) stack.push(deps[i])
  }
}
