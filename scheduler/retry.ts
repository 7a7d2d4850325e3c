/**
 * `retry`: an erred (or lost) record and every ancestor that is erred, lost, cancelled or
 * forgotten run again, transitively, as Dask's stimulus_retry walks back to the root.
 *
 * @internal
 * @module
 */
import { insert, rebind, remove, type Machine } from "./machine.js"
import { newRecord, type TaskRecord } from "./record.js"
import { place } from "./place.js"
import { afterSettledAll } from "./release.js"
import { isTerminal } from "./state.js"

/**
 * Revives `task` and what it needs (see `Scheduler.retry`): each record is placed again,
 * dependencies before dependents, with a fresh budget of attempts. Records cancelled on the way
 * (a scattered input is gone) go through the release rules.
 */
export function retry<P>(m: Machine<P>, task: TaskRecord<P>): void {
  if (!task.inTable || (task.state !== "erred" && task.state !== "lost")) return
  // A lost scattered value has nothing to recompute (its dependents' retries cancel them).
  if (task.scattered) return
  // Kept only by settled dependents (no handle): pending again, nobody would want it.
  if (task.refs === 0 && !task.keep && task.pendingDependents === 0) return
  const order = reviveOrder(m, task)
  for (let i = 0; i < order.length; i++) {
    const t = order[i]
    t.attempts = 0
    place(m, t) // the handler of the move drops the old error
  }
  let settled: TaskRecord<P>[] | undefined
  for (let i = 0; i < order.length; i++) if (isTerminal(order[i].state)) (settled ??= []).push(order[i])
  if (settled !== undefined) afterSettledAll(m, settled)
}

/**
 * The records `retry(root)` revives, dependencies before dependents (post-order of an iterative
 * depth-first walk, so a long chain cannot overflow the stack). Forgotten records met on the way
 * are put back in the table (state released) as they are found, so that a key is revived once.
 */
function reviveOrder<P>(m: Machine<P>, root: TaskRecord<P>): TaskRecord<P>[] {
  const order: TaskRecord<P>[] = []
  const seen = new Set<TaskRecord<P>>([root])
  const tasks: TaskRecord<P>[] = [root]
  const next: number[] = [0]
  while (tasks.length > 0) {
    const top = tasks.length - 1
    const t = tasks[top]
    const i = next[top]
    if (i === t.dependencies.length) {
      tasks.pop()
      next.pop()
      order.push(t)
      continue
    }
    next[top] = i + 1
    const d = resolveForRetry(m, t, i)
    if (d !== undefined && !seen.has(d)) {
      seen.add(d)
      tasks.push(d)
      next.push(0)
    }
  }
  return order
}

/**
 * Makes `task.dependencies[index]` a record in the table and returns it when it must be revived
 * (erred, lost, or just put back), undefined when it is fine as it is (memory or pending) or can
 * never be revived (a scattered value).
 */
function resolveForRetry<P>(m: Machine<P>, task: TaskRecord<P>, index: number): TaskRecord<P> | undefined {
  let d = task.dependencies[index]
  if (!d.inTable) {
    const current = m.table.get(d.key)
    if (current === undefined) {
      // A scattered value has nothing to run: it stays forgotten and `place` cancels the dependent.
      if (d.scattered) return undefined
      // Put it back. A cancelled object keeps its state (handles may still read it): copy it.
      const revived = d.state === "cancelled" ? copyOf(m, d) : d
      insert(m, revived)
      if (revived !== d) rebind(task, index, revived)
      return revived
    }
    if (current !== d) rebind(task, index, current)
    d = current
  }
  // A scattered value has nothing to run, whatever its state: in memory it is usable; cancelled
  // (Dask's cancel of a finished key) or lost it is gone, and `place` cancels the dependent for
  // lost dependencies. Copying or reviving it would queue a record with no computation.
  if (d.scattered) return undefined
  switch (d.state) {
    case "erred":
      return d
    case "lost":
      return d
    case "cancelled": {
      // The copy links to the same inputs, so none of them stops being wanted.
      const fresh = copyOf(m, d)
      remove(m, d) // leaves the table keeping its cancelled state, as in `add`
      insert(m, fresh)
      rebind(task, index, fresh)
      return fresh
    }
    default:
      // memory or pending: usable; released: put back earlier in this walk, already seen.
      return undefined
  }
}

/** A fresh released record with the key, computation and inputs of `task` (a new seq). */
export function copyOf<P>(m: Machine<P>, task: TaskRecord<P>): TaskRecord<P> {
  const deps = task.dependencies.length === 0 ? task.dependencies : task.dependencies.slice()
  return newRecord(task.key, task.name, task.payload, task.priority, m.nextSeq++, deps, task.scattered)
}
