/**
 * `gather`: waits for the Futures in a structure (arrays and plain objects at any depth) and
 * rebuilds the structure with their values. One callback per unsettled Future and one counter,
 * whatever the number of Futures.
 *
 * @internal
 */
import { recordIn, recordOf } from "./client-engine.js"
import { rejectUnknownOptions } from "../../core/options.js"
import { Future } from "../Future.js"
import type { Engine } from "./engine.js"
import { isSettled, type Outcome, type TaskRecordOf } from "./task-record.js"
import { descend, isPlainObject, omit, sparseFrom, walk } from "../../core/walk.js"
import { fetchAll, valueFrom } from "./remote.js"

/** `"raise"`: reject with the first error; `"skip"`: leave errored and cancelled Futures out. */
export type GatherErrors = "raise" | "skip"

/** What gather settles with. */
export type GatherExit =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

/** Checks gather's options; throws `TypeError` naming the bad one. */
export function gatherMode(options: unknown): GatherErrors {
  if (options === undefined) return "raise"
  if (typeof options !== "object" || options === null)
    throw new TypeError(`gather: options must be an object such as { errors: "skip" }.`)
  rejectUnknownOptions(options, ["errors"], "gather")
  const errors = (options as { errors?: unknown }).errors
  if (errors === undefined || errors === "raise" || errors === "skip") return errors ?? "raise"
  throw new TypeError(`gather: errors must be "raise" or "skip", got ${JSON.stringify(errors)}.`)
}

/**
 * The Futures in `value` (a Future, or arrays and plain objects of them at any depth; what is
 * inside a Map, a Set or a class instance is not looked at), in traversal order: what `gather`,
 * `cancel`, `retry`, `progress` and `fireAndForget` act on.
 */
export function allFutures(value: unknown, out: Future<unknown, unknown>[] = []): Future<unknown, unknown>[] {
  if (typeof value !== "object" || value === null) return out
  walk(value, {
    root: "value",
    visit: (item) => {
      if (item instanceof Future) {
        out.push(item)
        return item
      }
      return isContainer(item) ? descend : item
    }
  })
  return out
}

/** The Futures in `value` (as `allFutures`); throws when one belongs to another client than `engine`'s. */
export function futuresIn(
  engine: Engine,
  value: unknown,
  out: Future<unknown, unknown>[] = []
): Future<unknown, unknown>[] {
  const start = out.length
  allFutures(value, out)
  for (let i = start; i < out.length; i++) {
    recordIn(engine, out[i], foreignFix)
  }
  return out
}

const isContainer = (value: unknown): boolean =>
  typeof value === "object" && value !== null && (Array.isArray(value) || isPlainObject(value))

/**
 * Waits for every Future in `value`, then calls `done` once with the rebuilt structure, or with
 * the first error (`"raise"`, as soon as one fails). Returns a function that stops waiting.
 */
export function gatherInto(
  engine: Engine,
  value: unknown,
  mode: GatherErrors,
  done: (exit: GatherExit) => void
): () => void {
  // The usual case, a flat array of Futures (what map returns), skips the structure walks.
  const flat = flatFutures(value)
  const records =
    flat === undefined ? futuresIn(engine, value).map((future) => recordOf(future)) : recordsIn(engine, flat)
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
    // Once every record has settled, each listener has run and been dropped: nothing to take back.
    if (pending > 0) for (const record of records) engine.unlisten(record, onSettled)
    done(exit)
  }
  const complete = () => {
    // Results held remotely (a cluster) are fetched together, once every Future has settled.
    const fetching =
      engine.executor.remote === undefined ? undefined : fetchAll(engine.executor, heldCandidates(records))
    if (fetching === undefined) return build(undefined)
    const held = inMemory(records)
    fetching.then(build, (error: unknown) => {
      if (finished) return
      // "skip": a result this fetch found lost (its record left memory meanwhile, e.g. "lost") is
      // skipped like any failed Future: fetch the others again. No progress: the error stands.
      if (mode === "skip" && inMemory(records) < held) waitAll()
      else finish({ ok: false, error })
    })
  }
  const build = (fetched: Map<string, unknown> | undefined) => {
    if (finished) return
    try {
      const built =
        flat === undefined ? rebuild(engine, value, mode, fetched) : rebuildFlat(engine, records, mode, fetched)
      finish({ ok: true, value: built })
    } catch (error) {
      finish({ ok: false, error })
    }
  }
  // Waits for the unsettled records (again, after a fetch that found some lost: they may be rerunning).
  const waitAll = () => {
    pending = 0
    for (const record of records) if (!isSettled(record)) pending++
    if (pending === 0) return complete()
    for (const record of records) if (!isSettled(record)) engine.whenSettled(record, onSettled)
  }
  for (const record of records) {
    if (isSettled(record) && mode === "raise" && record.state !== "memory") {
      finish({ ok: false, error: errorOf(engine.outcomeOf(record)) })
      return () => {}
    }
  }
  waitAll()
  return () => {
    if (!finished) {
      finished = true
      for (const record of records) engine.unlisten(record, onSettled)
    }
  }
}

/** How many of the records are in memory. */
function inMemory(records: ReadonlyArray<TaskRecordOf>): number {
  let n = 0
  for (const record of records) if (record.state === "memory") n++
  return n
}

/**
 * `value` when it is an array of Futures only, up to `sparseFrom` long (which the walk reads index
 * by index, as this does); undefined for anything else, which takes the walk.
 */
function flatFutures(value: unknown): ReadonlyArray<Future<unknown, unknown>> | undefined {
  if (!Array.isArray(value) || value.length > sparseFrom) return undefined
  for (let i = 0; i < value.length; i++) if (!(value[i] instanceof Future)) return undefined
  return value as Future<unknown, unknown>[]
}

/** The records of `futures`, each checked to belong to `engine` (as `futuresIn`). */
function recordsIn(engine: Engine, futures: ReadonlyArray<Future<unknown, unknown>>): TaskRecordOf[] {
  const records: TaskRecordOf[] = new Array(futures.length)
  for (let i = 0; i < futures.length; i++) records[i] = recordIn(engine, futures[i], foreignFix)
  return records
}

const foreignFix = "gather, cancel or retry it with the client that made it"

/** What `rebuild` gives for a flat array of Futures: their values in order (skipped ones left out). */
function rebuildFlat(
  engine: Engine,
  records: ReadonlyArray<TaskRecordOf>,
  mode: GatherErrors,
  fetched: Map<string, unknown> | undefined
): unknown[] {
  const out: unknown[] = []
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    if (record.state === "memory") {
      out.push(valueFrom(record.value, fetched))
      continue
    }
    const outcome = engine.outcomeOf(record)
    if (outcome.ok) out.push(valueFrom(outcome.value, fetched))
    else if (mode !== "skip") throw outcome.error
  }
  return out
}

/** The values of the records in memory (held results among them). */
function* heldCandidates(records: ReadonlyArray<TaskRecordOf>): Iterable<unknown> {
  for (const record of records) if (record.state === "memory") yield record.value
}

const errorOf = (outcome: Outcome): unknown => (outcome.ok ? undefined : outcome.error)

/** The structure with each Future replaced by its value (always a new structure, as Dask's gather builds one). */
function rebuild(
  engine: Engine,
  value: unknown,
  mode: GatherErrors,
  fetched: Map<string, unknown> | undefined
): unknown {
  if (typeof value !== "object" || value === null) return value
  const out = walk(value, {
    root: "value",
    copy: "always",
    visit: (item) => {
      if (item instanceof Future) {
        const outcome: Outcome = engine.outcomeOf(recordOf(item))
        if (outcome.ok) return valueFrom(outcome.value, fetched)
        if (mode === "skip") return omit
        throw outcome.error
      }
      return isContainer(item) ? descend : item
    }
  })
  return out === omit ? undefined : out
}
