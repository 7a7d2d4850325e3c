/**
 * Top-down lookups (issue 17): a warm rerun looks up the results the user asked for first, and
 * only on a miss the inputs of what missed. A hit settles a task without its inputs: an input
 * nobody else needs is then never looked up or run (the scheduler's release rules forget it).
 *
 * A task popped to run is **needed** when its result will be used whatever the cache holds:
 *
 * - the user holds it (a Future: `refs > 0`) or asked it to run to the end (`keep`), or nothing
 *   pending depends on it;
 * - or a pending dependent **demands** it: that dependent will run (it is not cacheable, its
 *   function is too quick to look up, its lookup missed, or it was already looked up and runs).
 *
 * A popped task that is not needed is **parked** (held by the cache, still processing), and its
 * undecided dependents are evaluated: each either is needed (then looked up while it still
 * waits for its inputs: a hit settles it, a miss makes it demand its inputs, which are evaluated
 * again) or not (then its own dependents are evaluated, up to the requested results). A task
 * whose function has no entries in the store is a miss without a read.
 *
 * Intermediates of a `compute()`d graph are held by nobody, so a warm rerun of a graph reads
 * only its outputs. A Future the user holds is requested: `client.submit` chains are looked up
 * task by task, as each is a result the user can ask for.
 *
 * @module
 */
import type { CachePayload, CacheRecord, CacheSlot } from "./key.js"
import { newSlot } from "./key.js"

/** What the demand logic needs of the result cache. */
export interface DemandHost<R> {
  /** A pure task not marked `cache: false`. */
  cacheable(payload: CachePayload): boolean
  /** The task runs without a lookup: its function is too quick to look up, or its key cannot be known. */
  alwaysRuns(task: R): boolean
  /** The store holds entries of the task's function (else its lookup is a miss without a read). */
  present(task: R): boolean
  /** Look the waiting task up now (`slot.lookup` is `pending`); the host settles it or calls `missed`. */
  preLookUp(task: R): void
  /** A parked task is needed now: the host looks it up or runs it. */
  unparked(task: R): void
}

const pending = (state: string): boolean => state === "waiting" || state === "queued" || state === "processing"

/** The top-down decisions of one result cache (see the module comment). */
export class Demand<R extends CacheRecord> {
  /** Tasks parked now. */
  parkedCount = 0
  #touched: R[] | undefined

  constructor(readonly host: DemandHost<R>) {}

  /** True when the popped task `task` must be looked up or run now; else it was parked (and its dependents evaluated). */
  popped(task: R, slot: CacheSlot): boolean {
    if (this.needed(task)) return true
    this.#probeUp(task)
    // Deciding the dependents may have made it needed at once (a function with no entries is a miss without a read).
    if (this.needed(task)) return true
    slot.parked = true
    this.parkedCount++
    return false
  }

  /** A pre-lookup of `task` found nothing: it will run, so its inputs are needed. */
  missed(task: R): void {
    task.payload.cache!.lookup = "miss"
    this.#wakeInputs(task)
  }

  /** A pre-lookup settled `task`: its inputs that are still wanted elsewhere are evaluated again. */
  settled(task: R): void {
    this.#wakeInputs(task)
  }

  /**
   * A record was submitted or submitted again (a Future taken on it, a dependent added): while
   * tasks are parked it may be what needs them now. Evaluated after the current synchronous work,
   * once its handles are taken.
   */
  touched(record: R): void {
    if (this.parkedCount === 0) return
    if (this.#touched === undefined) {
      this.#touched = []
      queueMicrotask(() => {
        const records = this.#touched!
        this.#touched = undefined
        for (const r of records) {
          if (!pending(r.state)) continue
          if (this.host.cacheable(r.payload)) this.#evaluate(r)
          else this.#wakeInputs(r)
        }
      })
    }
    this.#touched.push(record)
  }

  /** Forgets a parked task that left processing (settled, cancelled): its count only. */
  left(slot: CacheSlot): void {
    if (!slot.parked) return
    slot.parked = false
    this.parkedCount--
  }

  /** The task's result will be used whatever the cache holds of its dependents (see the module comment). */
  needed(task: R): boolean {
    if (task.refs > 0 || task.keep || task.pendingDependents === 0) return true
    const dependents = task.dependents as ReadonlyArray<R>
    for (let i = 0; i < dependents.length; i++) {
      const d = dependents[i]
      if (pending(d.state) && this.#demands(d)) return true
    }
    return false
  }

  /** True when the pending dependent `d` will run whatever the cache holds of it, and so needs its inputs. */
  #demands(d: R): boolean {
    if (!this.host.cacheable(d.payload)) return true
    const slot = d.payload.cache
    if (slot !== undefined && (slot.lookup === "miss" || slot.checked)) return true
    if (d.state !== "waiting") return true
    if (slot?.lookup === "pending") return false
    return this.host.alwaysRuns(d)
  }

  #probeUp(task: R): void {
    const dependents = task.dependents as ReadonlyArray<R>
    for (let i = 0; i < dependents.length; i++) if (dependents[i].state === "waiting") this.#evaluate(dependents[i])
  }

  #wakeInputs(task: R): void {
    const inputs = task.dependencies as ReadonlyArray<R>
    for (let i = 0; i < inputs.length; i++) if (pending(inputs[i].state)) this.#evaluate(inputs[i])
  }

  /** Decides what a pending cacheable task waits for: see the module comment. */
  #evaluate(task: R): void {
    if (!this.host.cacheable(task.payload)) return
    const slot = (task.payload.cache ??= newSlot())
    if (!this.#undecided(task, slot)) return
    if (!this.needed(task)) {
      this.#probeUp(task)
      if (!this.#undecided(task, slot) || !this.needed(task)) return
    }
    if (slot.parked) {
      this.left(slot)
      this.host.unparked(task)
    } else if (this.host.alwaysRuns(task) || !this.host.present(task)) this.missed(task)
    else {
      slot.lookup = "pending"
      this.host.preLookUp(task)
    }
  }

  /** Parked, or waiting with no lookup made: the tasks `#evaluate` decides about. */
  #undecided(task: R, slot: CacheSlot): boolean {
    if (slot.checked || slot.lookup !== undefined) return false
    return task.state === "waiting" || (task.state === "processing" && slot.parked)
  }
}
