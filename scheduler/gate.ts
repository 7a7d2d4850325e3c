/**
 * Gates: how a graph too big to add in one go gets Futures at once (the engine adds it in slices,
 * runtime/internal/graph.ts). `hold` makes a record that stays processing until the engine settles
 * it, outside the ready queue, so nothing runs it. An output of the graph is added at once as a
 * record waiting on that hold (its Future reads "pending", can be awaited, cancelled, released and
 * passed to other tasks); `attach` later gives it its real inputs, once they are in the table.
 * Only existing moves of the transition table are used.
 *
 * @internal
 * @module
 */
import type { Machine } from "./machine.js"
import { insert } from "./machine.js"
import { addDependent, distinct, empty, newRecord, removeDependent, type TaskRecord } from "./record.js"
import { afterSettledAll } from "./release.js"
import { transition } from "./transitions.js"

/** Adds a record that goes straight to processing (released -> queued -> processing) and that no batch carries. */
export function hold<P>(m: Machine<P>, key: string, name: string, payload: P): TaskRecord<P> {
  const task = newRecord(key, name, payload, 0, m.nextSeq++, empty as TaskRecord<P>[], false)
  insert(m, task)
  transition(m, task, "queued")
  transition(m, task, "processing")
  return task
}

/**
 * Re-points a record waiting on a hold at its real `dependencies` (distinct) and moves it as `add`
 * would place a new one: erred when an input erred, cancelled ("lost dependencies") when an input
 * is cancelled or gone, queued when all are in memory, else waiting on those that are not.
 * Returns true when an input is lost: the caller cancels the record then (a cascade). A record
 * that is no longer waiting (cancelled or released meanwhile) is left alone.
 */
export function attach<P>(m: Machine<P>, task: TaskRecord<P>, dependencies: ReadonlyArray<TaskRecord<P>>): boolean {
  if (!task.inTable || task.state !== "waiting") return false
  const old = task.dependencies
  const oldSlots = task.dependencySlots
  for (let i = 0; i < old.length; i++) {
    removeDependent(old[i], oldSlots[i])
    old[i].pendingDependents-- // it was counted while pending
  }
  const deps = dependencies.length === 0 ? (empty as TaskRecord<P>[]) : distinct(dependencies)
  const slots: number[] = deps.length === 0 ? empty : []
  let waitingOn = 0
  let erredDep: TaskRecord<P> | undefined
  let lost = false
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i]
    slots.push(addDependent(d, task, i))
    d.pendingDependents++
    const s = d.state
    if (s === "memory") continue
    if (s === "erred") erredDep ??= d
    else if (s === "cancelled" || !d.inTable || (s === "lost" && d.scattered)) lost = true
    else waitingOn++
  }
  task.dependencies = deps
  task.dependencySlots = slots
  task.waitingOn = waitingOn
  if (erredDep !== undefined) {
    const settled: TaskRecord<P>[] = [task]
    transition(m, task, "erred", erredDep.error, erredDep.erredKey, settled)
    afterSettledAll(m, settled)
  } else if (lost) return true
  else if (waitingOn === 0) transition(m, task, "queued")
  // The hold lost a dependent: the release rules run on it when the engine settles it.
  return false
}
