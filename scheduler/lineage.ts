/**
 * Lineage: what happens to records whose results vanished from where an executor held them (a
 * cluster's Redis restarted without persistence, or was flushed). A vanished result of a pure
 * task is computed again from its lineage: the record goes back to waiting/queued (a move of
 * `transitions.ts`), and so do the forgotten inputs it needs (put back in the table, as `retry`
 * does), recursively, and then its dependents. A result that cannot be computed again (a
 * scattered value, an impure task, or one that needs such a value that vanished too, or an input
 * that failed or was cancelled since) becomes `lost`: its pending dependents err with the same
 * `LostResultError`.
 *
 * Two steps, so that the engine can ask the executor which results are still there in between:
 * `planRecovery` says what would be done and which results in memory it assumed present without
 * knowing; `recover` does it, deciding again on the states of that moment.
 *
 * @internal
 * @module
 */
import { insert, rebind, type Machine } from "./machine.js"
import type { TaskRecord } from "./record.js"
import { afterSettledAll } from "./release.js"
import { place } from "./place.js"
import { isPending } from "./state.js"
import { transition } from "./transitions.js"

/** What the engine tells the planner about records. */
export interface LineageFacts<P> {
  /**
   * For a record in memory: true when its result is known to have vanished, false when it is known
   * to be there (or is not held remotely), undefined when nobody checked.
   */
  gone(task: TaskRecord<P>): boolean | undefined
  /** Why `task` cannot be run again with the same result (an impure task), or undefined when it can. */
  cannotRerun(task: TaskRecord<P>): string | undefined
}

/** Why a record cannot be computed again: the record at the root of it and what is wrong with it. */
interface Cause<P> {
  readonly root: TaskRecord<P>
  /** "scattered", "impure: ...", "erred", "cancelled", "lost". */
  readonly kind: string
}

/** What `recover` would do. */
export interface RecoveryPlan<P> {
  /** Records to compute again (in memory, vanished) or to put back (forgotten inputs), inputs first. */
  readonly rerun: TaskRecord<P>[]
  /** Records in memory whose result vanished for good, with why (for `LostResultError`). */
  readonly lost: Map<TaskRecord<P>, string>
  /** Records in memory the plan needs and assumed present, but whose presence nobody checked. */
  readonly unchecked: TaskRecord<P>[]
}

/** The plan for `roots` (records whose results vanished); reads states, changes nothing. */
export function planRecovery<P>(
  m: Machine<P>,
  roots: ReadonlyArray<TaskRecord<P>>,
  facts: LineageFacts<P>
): RecoveryPlan<P> {
  const rerun: TaskRecord<P>[] = []
  const lost = new Map<TaskRecord<P>, string>()
  const unchecked: TaskRecord<P>[] = []
  /** Verdict per record visited: undefined = usable as it is or after its rerun; a Cause = cannot be had. */
  const verdict = new Map<TaskRecord<P>, Cause<P> | undefined>()
  for (const root of roots) {
    if (root.state !== "memory" || !root.inTable || facts.gone(root) !== true || verdict.has(root)) continue
    visit(m, root, facts, verdict, rerun, unchecked)
    const cause = verdict.get(root)
    if (cause !== undefined) lost.set(root, reason(root, cause))
  }
  // Records that would rerun but need something lost are not rerun: those in memory are lost too.
  const keep = rerun.filter((t) => verdict.get(t) === undefined)
  for (const t of rerun) {
    const cause = verdict.get(t)
    if (cause !== undefined && t.state === "memory" && t.inTable && !lost.has(t)) lost.set(t, reason(t, cause))
  }
  return { rerun: keep, lost, unchecked }
}

/** The record a dependency slot stands for now: a forgotten one replaced in the table by another of its key reads as that one. */
const current = <P>(m: Machine<P>, d: TaskRecord<P>): TaskRecord<P> => (d.inTable ? d : (m.table.get(d.key) ?? d))

/**
 * Decides `start` and what it needs, iteratively (post-order, so a long chain cannot overflow the
 * stack): a record that must run again is pushed on `rerun` after its inputs.
 */
function visit<P>(
  m: Machine<P>,
  start: TaskRecord<P>,
  facts: LineageFacts<P>,
  verdict: Map<TaskRecord<P>, Cause<P> | undefined>,
  rerun: TaskRecord<P>[],
  unchecked: TaskRecord<P>[]
): void {
  const stack: TaskRecord<P>[] = [start]
  const next: number[] = [0]
  const own = ownCause(start, facts)
  verdict.set(start, own)
  while (stack.length > 0) {
    const top = stack.length - 1
    const t = stack[top]
    const i = next[top]
    if (verdict.get(t) !== undefined || i === t.dependencies.length) {
      stack.pop()
      next.pop()
      rerun.push(t)
      continue
    }
    next[top] = i + 1
    const d = current(m, t.dependencies[i])
    if (verdict.has(d)) {
      const cause = verdict.get(d)
      if (cause !== undefined) verdict.set(t, cause)
      continue
    }
    const needs = needsRerun(d, facts, unchecked)
    if (typeof needs === "object") {
      verdict.set(d, needs)
      verdict.set(t, needs)
    } else if (needs) {
      verdict.set(d, ownCause(d, facts))
      stack.push(d)
      next.push(0)
    } else verdict.set(d, undefined)
  }
  // A record whose input cannot be had cannot be had either, transitively: settle the verdicts
  // bottom-up (rerun is in post-order).
  for (const t of rerun) {
    if (verdict.get(t) !== undefined) continue
    for (const dep of t.dependencies) {
      const cause = verdict.get(current(m, dep))
      if (cause !== undefined) {
        verdict.set(t, cause)
        break
      }
    }
  }
}

/**
 * Whether input `d` must run again (true), can be used as it is (false), or can never be had
 * (a Cause). A record in memory not known to be gone is used as it is (and listed in `unchecked`).
 */
function needsRerun<P>(d: TaskRecord<P>, facts: LineageFacts<P>, unchecked: TaskRecord<P>[]): boolean | Cause<P> {
  if (!d.inTable) return d.state === "cancelled" ? { root: d, kind: "cancelled" } : true // forgotten: put it back
  switch (d.state) {
    case "memory": {
      const gone = facts.gone(d)
      if (gone === undefined) unchecked.push(d)
      return gone === true
    }
    case "erred":
    case "cancelled":
    case "lost":
      return { root: d, kind: d.state }
    default:
      return false // pending: it will come
  }
}

/** Why `t` itself cannot run again, or undefined. */
function ownCause<P>(t: TaskRecord<P>, facts: LineageFacts<P>): Cause<P> | undefined {
  if (t.scattered) return { root: t, kind: "scattered" }
  const why = facts.cannotRerun(t)
  return why === undefined ? undefined : { root: t, kind: `impure: ${why}` }
}

/** The reason a `LostResultError` gives for `t`. */
function reason<P>(t: TaskRecord<P>, cause: Cause<P>): string {
  const kind = cause.kind
  if (cause.root === t) {
    if (kind === "scattered") return "it was scattered, so there is nothing to compute it from again"
    return kind.slice("impure: ".length)
  }
  const which =
    kind === "scattered"
      ? "was scattered and is gone too"
      : kind.startsWith("impure: ")
        ? `vanished too and cannot be computed again (${kind.slice("impure: ".length)})`
        : kind === "lost"
          ? "is lost"
          : kind === "erred"
            ? "has failed since"
            : "was cancelled since"
  return `it cannot be computed again: it needs ${cause.root.key}, which ${which}`
}

/**
 * Applies the plan for `roots` on the states of now: lost records become `lost` (with
 * `lostError(task, reason)`, which their pending dependents get too), the others and the
 * forgotten inputs they need go back to waiting/queued, inputs first, and their dependents wait
 * for them again. Returns the records that will run again.
 */
export function recover<P>(
  m: Machine<P>,
  roots: ReadonlyArray<TaskRecord<P>>,
  facts: LineageFacts<P>,
  lostError: (task: TaskRecord<P>, reason: string) => unknown
): TaskRecord<P>[] {
  const plan = planRecovery(m, roots, facts)
  const settled: TaskRecord<P>[] = []
  for (const [t, why] of plan.lost) {
    transition(m, t, "lost", lostError(t, why), undefined, settled)
    settled.push(t)
  }
  for (const t of plan.rerun) {
    // Each once: a record met twice, or moved by an earlier step, is left as it is.
    const forgotten = !t.inTable
    if (!forgotten && t.state !== "memory") continue
    if (forgotten) insert(m, t)
    // A dependency slot still pointing at a forgotten record whose key is held by another now.
    const deps = t.dependencies
    for (let i = 0; i < deps.length; i++) {
      const now = deps[i].inTable ? undefined : m.table.get(deps[i].key)
      if (now !== undefined) rebind(t, i, now)
    }
    if (forgotten) {
      t.attempts = 0
      place(m, t)
    } else {
      let waitingOn = 0
      for (let i = 0; i < deps.length; i++) if (deps[i].state !== "memory") waitingOn++
      transition(m, t, waitingOn > 0 ? "waiting" : "queued", waitingOn)
    }
    if (!isPending(t.state)) settled.push(t)
  }
  if (settled.length > 0) afterSettledAll(m, settled)
  return plan.rerun
}
