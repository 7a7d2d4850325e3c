/**
 * `checkInvariants`: every rule of `contract.md` that can be checked from the table, for tests and
 * the property test. O(records + edges); never called on a hot path.
 *
 * @internal
 * @module
 */
import type { Machine } from "./machine.js"
import { internalError, isWanted, type TaskRecord } from "./record.js"
import { isPending, isTerminal, taskStates } from "./state.js"

/** Throws an internal error naming the record and the rule it breaks. */
function broken(task: TaskRecord<unknown>, what: string): never {
  throw internalError(`invariant broken at ${task.key} (${task.state}): ${what}`)
}

/** Throws if an invariant of `contract.md` does not hold. */
export function checkInvariants<P>(m: Machine<P>): void {
  let queued = 0
  for (const [key, t] of m.table) {
    if (t.key !== key) broken(t, `stored under key ${key}`)
    if (!t.inTable) broken(t, "in the table with inTable false")
    if (!taskStates.includes(t.state) || t.state === "released") broken(t, "bad state for a record in the table")
    if (!(t.refs >= 0)) broken(t, `refs ${t.refs}`)
    const notInMemory = checkDependencies(m, t)
    checkDependents(t)
    checkState(m, t, notInMemory)
    if (t.state === "queued") queued++
  }
  checkHeap(m, queued)
}

/** The record's inputs: linked both ways, the table's records, none it waits on gone. Returns how many are not in memory. */
function checkDependencies<P>(m: Machine<P>, t: TaskRecord<P>): number {
  const deps = t.dependencies
  if (t.dependencySlots.length !== deps.length) broken(t, "dependencySlots length")
  let notInMemory = 0
  for (let i = 0; i < deps.length; i++) {
    const d = deps[i]
    if (deps.indexOf(d) !== i) broken(t, `dependency ${d.key} listed twice`)
    const slot = t.dependencySlots[i]
    if (d.dependents[slot] !== t || d.dependentSlots[slot] !== i) broken(t, `not in dependents of ${d.key}`)
    if (d.inTable ? m.table.get(d.key) !== d : d.state !== "released" && d.state !== "cancelled")
      broken(t, `dependency ${d.key} is ${d.state}, inTable ${d.inTable}, but not the table's record`)
    if (d.state !== "memory") {
      notInMemory++
      // A pending record waits only on inputs that will still come: an erred or cancelled
      // input errs or cancels it at once, and its inputs cannot be forgotten under it.
      if (isPending(t.state) && (!d.inTable || !isPending(d.state)))
        broken(t, `pending on input ${d.key}, which is ${d.state}${d.inTable ? "" : " and forgotten"}`)
    }
  }
  return notInMemory
}

/** The record's dependents: in the table, linked both ways, `pendingDependents` right. */
function checkDependents(t: TaskRecord<unknown>): void {
  const dependents = t.dependents
  if (t.dependentSlots.length !== dependents.length) broken(t, "dependentSlots length")
  let pending = 0
  for (let k = 0; k < dependents.length; k++) {
    const x = dependents[k]
    const index = t.dependentSlots[k]
    if (!x.inTable) broken(t, `dependent ${x.key} is not in the table`)
    if (x.dependencies[index] !== t || x.dependencySlots[index] !== k) broken(t, `dependent ${x.key} does not list it`)
    if (isPending(x.state)) pending++
  }
  if (pending !== t.pendingDependents) broken(t, `pendingDependents ${t.pendingDependents}, counted ${pending}`)
}

/** The fields each state requires, and release: no settled record nobody wants. */
function checkState<P>(m: Machine<P>, t: TaskRecord<P>, notInMemory: number): void {
  switch (t.state) {
    case "waiting":
      if (notInMemory === 0 || t.waitingOn !== notInMemory)
        broken(t, `waitingOn ${t.waitingOn}, counted ${notInMemory}`)
      break
    case "queued":
      if (notInMemory !== 0) broken(t, "queued with an input not in memory")
      if (m.ready.items()[t.heapIndex] !== t) broken(t, "queued but not in the ready queue")
      break
    case "processing":
      // A claimed task (fusion) may wait on inputs that run in its batch.
      if (t.waitingOn !== notInMemory) broken(t, `processing: waitingOn ${t.waitingOn}, counted ${notInMemory}`)
      for (const d of t.dependencies)
        if (d.state !== "memory" && d.state !== "processing")
          broken(t, `processing on input ${d.key}, which is ${d.state}`)
      break
    case "erred":
      if (t.erredKey === undefined) broken(t, "erred without erredKey")
      break
    case "cancelled":
      if (t.cancelReason === undefined) broken(t, "cancelled without a reason")
      break
  }
  if (t.scattered && isPending(t.state)) broken(t, "a scattered value is pending: it has nothing to run")
  if (t.state !== "queued" && t.heapIndex !== -1) broken(t, "in the ready queue but not queued")
  if (t.state !== "memory" && t.value !== undefined) broken(t, "holds a value but is not in memory")
  // Settled records only: a pending record may be unwanted between `add` and the engine's
  // `acquire`, or as an unheld inner record of a graph whose dependents settled at once; it
  // runs and is forgotten when it settles.
  if (isTerminal(t.state) && !isWanted(t)) broken(t, "settled and nobody wants it, but it was not forgotten")
}

/** The ready queue: exactly the queued records, each at its `heapIndex`, in heap order. */
function checkHeap<P>(m: Machine<P>, queued: number): void {
  const items = m.ready.items()
  if (queued !== items.length) throw internalError(`readyCount ${items.length}, queued records ${queued}`)
  for (let i = 0; i < items.length; i++) {
    const t = items[i]
    if (t.heapIndex !== i) broken(t, `heapIndex ${t.heapIndex}, at ${i}`)
    if (!t.inTable || t.state !== "queued") broken(t, "in the ready queue but not a queued record in the table")
    if (i > 0) {
      const parent = items[(i - 1) >> 1]
      if (t.priority > parent.priority || (t.priority === parent.priority && t.seq < parent.seq))
        broken(t, "heap order")
    }
  }
}
