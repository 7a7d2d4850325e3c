/**
 * `gather`: waits for the Futures in a structure (arrays and plain objects at any depth) and
 * rebuilds the structure with their values. One callback per unsettled Future and one counter,
 * whatever the number of Futures.
 *
 * @internal
 */
import { Future } from "../Future.js"
import type { Engine, Outcome, TaskRecordOf } from "./engine.js"
import { isSettled } from "./engine.js"

/** `"raise"`: reject with the first error; `"skip"`: leave errored and cancelled Futures out. */
export type GatherErrors = "raise" | "skip"

/** What gather settles with. */
export type GatherExit = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

/** Checks gather's options; throws `TypeError` naming the bad one. */
export function gatherMode(options: unknown): GatherErrors {
  if (options === undefined) return "raise"
  if (typeof options !== "object" || options === null) throw new TypeError(`gather: options must be an object such as { errors: "skip" }.`)
  for (const key of Object.keys(options)) {
    if (key !== "errors") throw new TypeError(`gather: unknown option "${key}"; the only option is errors: "raise" | "skip".`)
  }
  const errors = (options as { errors?: unknown }).errors
  if (errors === undefined || errors === "raise" || errors === "skip") return errors ?? "raise"
  throw new TypeError(`gather: errors must be "raise" or "skip", got ${JSON.stringify(errors)}.`)
}

/** The Futures in `value`, in traversal order; throws when one belongs to another client. */
export function futuresIn(engine: Engine, value: unknown, out: Future<unknown, unknown>[] = [], seen?: Set<object>): Future<unknown, unknown>[] {
  if (typeof value !== "object" || value === null) return out
  if (value instanceof Future) {
    if (Future.engineOf(value) !== engine) {
      throw new TypeError(`Cannot use the Future ${value.key}: it was created by another client.`)
    }
    out.push(value)
    return out
  }
  const visited = seen ?? new Set<object>()
  if (visited.has(value)) return out
  visited.add(value)
  if (Array.isArray(value)) for (const item of value) futuresIn(engine, item, out, visited)
  else if (isPlain(value)) for (const key of Object.keys(value)) futuresIn(engine, (value as Record<string, unknown>)[key], out, visited)
  return out
}

/**
 * Waits for every Future in `value`, then calls `done` once with the rebuilt structure, or with
 * the first error (`"raise"`, as soon as one fails). Returns a function that stops waiting.
 */
export function gatherInto(engine: Engine, value: unknown, mode: GatherErrors, done: (exit: GatherExit) => void): () => void {
  const futures = futuresIn(engine, value)
  const records = futures.map((future) => Future.recordOf(future))
  let pending = 0
  let finished = false
  const onSettled = (task: TaskRecordOf) => {
    if (finished) return
    if (mode === "raise" && task.state !== "memory") {
      finish({ ok: false, error: errorOf(engine.outcomeOf(task)) })
      return
    }
    if (--pending === 0) complete()
  }
  const finish = (exit: GatherExit) => {
    finished = true
    for (const record of records) engine.unlisten(record, onSettled)
    done(exit)
  }
  const complete = () => {
    try {
      finish({ ok: true, value: rebuild(engine, value, mode) })
    } catch (error) {
      finish({ ok: false, error })
    }
  }
  for (const record of records) {
    if (isSettled(record)) {
      if (mode === "raise" && record.state !== "memory") {
        finish({ ok: false, error: errorOf(engine.outcomeOf(record)) })
        return () => {}
      }
    } else pending++
  }
  if (pending === 0) {
    complete()
    return () => {}
  }
  for (const record of records) if (!isSettled(record)) engine.whenSettled(record, onSettled)
  return () => {
    if (!finished) {
      finished = true
      for (const record of records) engine.unlisten(record, onSettled)
    }
  }
}

const errorOf = (outcome: Outcome): unknown => (outcome.ok ? undefined : outcome.error)

const skipped = Symbol("skipped")

function rebuild(engine: Engine, value: unknown, mode: GatherErrors): unknown {
  const out = build(engine, value, mode, new Map())
  return out === skipped ? undefined : out
}

function build(engine: Engine, value: unknown, mode: GatherErrors, seen: Map<object, unknown>): unknown {
  if (typeof value !== "object" || value === null) return value
  if (value instanceof Future) {
    const outcome: Outcome = engine.outcomeOf(Future.recordOf(value))
    if (outcome.ok) return outcome.value
    if (mode === "skip") return skipped
    throw outcome.error
  }
  if (seen.has(value)) return seen.get(value)
  if (Array.isArray(value)) {
    const out: unknown[] = []
    seen.set(value, out)
    for (const item of value) {
      const next = build(engine, item, mode, seen)
      if (next !== skipped) out.push(next)
    }
    return out
  }
  if (isPlain(value)) {
    const out: Record<string, unknown> = {}
    seen.set(value, out)
    for (const key of Object.keys(value)) {
      const next = build(engine, (value as Record<string, unknown>)[key], mode, seen)
      if (next !== skipped) out[key] = next
    }
    return out
  }
  return value
}

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
