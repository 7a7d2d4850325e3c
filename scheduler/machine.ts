/**
 * The scheduler's data, shared by its modules: the table of records by key, the ready queue, the
 * engine's hooks and the stack of recommended transitions (what the handlers of `transitions.ts`
 * ask to do next). Plus the bookkeeping that links a record into the table and its inputs'
 * `dependents`; no state changes here.
 *
 * @internal
 * @module
 */
import { KeyTable } from "./key-table.js"
import { ReadyQueue } from "./ready-queue.js"
import { addDependent, empty, removeDependent, type SchedulerHooks, type TaskRecord } from "./record.js"
import type { TaskState } from "./state.js"

/**
 * Everything one scheduler holds. A class only so that every instance has one hidden class; its
 * fields are read and written by the scheduler's modules directly (plain data on the hot path).
 */
export class Machine<P> {
  readonly table = new KeyTable<TaskRecord<P>>()
  readonly ready = new ReadyQueue<TaskRecord<P>>()
  /** The next record's `seq` (order of addition). */
  nextSeq = 0
  /**
   * Recommended transitions, not yet applied, as four parallel stacks (one entry: record, target
   * state and the two arguments of its handler), so that recording one allocates nothing. Dask's
   * handlers return a dict of recommendations; these are applied last in, first out, which keeps
   * the depth-first order of the cascades (see `transition`).
   */
  readonly recTask: TaskRecord<P>[] = []
  readonly recTo: TaskState[] = []
  readonly recA: unknown[] = []
  readonly recB: Array<string | undefined> = []

  constructor(readonly hooks: SchedulerHooks<P>) {}
}

/** Puts a released record in the table and links it into its dependencies' dependents. */
export function insert<P>(m: Machine<P>, task: TaskRecord<P>): void {
  m.table.set(task.key, task)
  task.inTable = true
  const deps = task.dependencies
  const n = deps.length
  if (n === 0) return
  if (n === 1) {
    task.dependencySlots = [addDependent(deps[0], task, 0)]
    return
  }
  const slots: number[] = []
  for (let i = 0; i < n; i++) slots.push(addDependent(deps[i], task, i))
  task.dependencySlots = slots
}

/** Takes a record out of the table and out of its dependencies' dependents; onForget. Its state is the caller's. */
export function remove<P>(m: Machine<P>, task: TaskRecord<P>): void {
  m.table.delete(task.key)
  task.inTable = false
  const deps = task.dependencies
  const slots = task.dependencySlots
  for (let i = 0; i < deps.length; i++) removeDependent(deps[i], slots[i])
  task.dependencySlots = empty
  m.hooks.onForget?.(task)
}

/** Points `task.dependencies[index]` at `target` (a record of the same key), keeping the edges. */
export function rebind<P>(task: TaskRecord<P>, index: number, target: TaskRecord<P>): void {
  if (task.inTable) removeDependent(task.dependencies[index], task.dependencySlots[index])
  task.dependencies[index] = target
  if (task.inTable) task.dependencySlots[index] = addDependent(target, task, index)
}
