/**
 * What the Client's methods share besides the engine: the refusal to start a client inside a
 * worker, the copy of a scattered value, task options merged per call, and the walks over a
 * structure of Delayeds (`compute` / `persist`). Kept out of Client.ts so that the class reads as
 * its API.
 *
 * @internal
 * @module
 */
import {
  mergeTaskOptions,
  validateTaskOptions,
  type NormalizedTaskOptions,
  type TaskOptions
} from "../../dsl/options.js"
import { describeFunction, type FnInfo } from "../../dsl/function-ref.js"
import { isDelayed, type Delayed } from "../../dsl/delayed.js"
import { assertNesting, scanArgs, type ScannedArgs } from "../../core/args.js"
import { descend, isPlainObject, walk } from "../../core/walk.js"
import { TaskDefinitionError } from "../../core/errors.js"
import { workerState } from "../../core/worker-state.js"
import { retryStepOf } from "./retry.js"

/** The options of a task with none given: validated once. */
export const defaultTaskOptions: NormalizedTaskOptions = validateTaskOptions({}, "client")

/** `null`, `an array`, `an object`, `number 3`: what was given where something else was expected. */
export const describeValue = (value: unknown): string =>
  value === null
    ? "null"
    : typeof value === "object"
      ? `an ${Array.isArray(value) ? "array" : "object"}`
      : `${typeof value} ${String(value)}`

/** What `submit`, `map` and `starmap` run: a function, or a `TypeError` naming what was given instead. */
export function describeTask(fn: unknown, where: string): FnInfo {
  if (typeof fn !== "function") {
    throw new TypeError(`${where}: the first argument must be the function to run, got ${describeValue(fn)}.`)
  }
  return describeFunction(fn)
}

/** The items of `map` / `starmap` as an array; a `TypeError` when they are not iterable. */
export function listItems(items: unknown, named: string): unknown[] {
  if (
    items === null ||
    typeof items !== "object" ||
    typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `${named}: the items must be an iterable (an array, a Set, a generator...), got ${describeValue(items)}.`
    )
  }
  return Array.from(items as Iterable<unknown>)
}

/**
 * The argument lists of `map` (`spread` false: one argument per item) or `starmap` (each item an
 * array of arguments), each scanned: every item is checked before any is submitted. A `map` item
 * that is a primitive needs no scan: its `scans` entry is undefined (its template is its argument
 * list), and `inputs` is false when no item has an input (no per-item arrays of input records).
 */
export function scanItems(
  list: ReadonlyArray<unknown>,
  spread: boolean,
  named: string
): { argLists: unknown[][]; scans: Array<ScannedArgs | undefined>; inputs: boolean } {
  const argLists: unknown[][] = new Array(list.length)
  const scans: Array<ScannedArgs | undefined> = new Array(list.length)
  let inputs = false
  for (let i = 0; i < list.length; i++) {
    const item = list[i]
    if (!spread) {
      argLists[i] = [item]
      const type = typeof item
      if (type !== "object" && type !== "function" && type !== "symbol") continue
    } else if (!Array.isArray(item))
      throw new TypeError(`${named}: item ${i} must be an array of arguments, got ${describeValue(item)}.`)
    else argLists[i] = item as unknown[]
    const scan = scanArgs(argLists[i], `${named} item ${i}`)
    scans[i] = scan
    if (scan.inputs.length > 0) inputs = true
  }
  return { argLists, scans, inputs }
}

/** Throws `TaskDefinitionError` in a weft worker, naming the task module being imported and the fix. */
export function refuseInWorker(what: string): void {
  const state = workerState()
  if (state === undefined) return
  const modules = state.loading
  const fix =
    "Put the tasks in a module of their own and start the client in your program's entry point, " +
    'or start it only in the main thread: if (!isWorker()) { ... } (isWorker is exported by "weft").'
  throw new TaskDefinitionError(
    modules.length > 0
      ? `${what} was called inside a weft worker, while it imported the task module ${modules.join(", ")}: every worker imports a module that defines tasks (task(import.meta, ...)), so a client started at its top level would start again in every worker. ${fix}`
      : `${what} was called inside a weft worker, by a running task: a task cannot start a cluster of its own. Start clients in the main thread only; isWorker() from "weft" tells where code runs.`
  )
}

/** A copy of what the cluster will hold, so that later changes to the caller's object do not leak in. */
export const cloneForCluster = (value: unknown, where: string): unknown => {
  assertNesting(value, where, "value")
  try {
    return structuredClone(value)
  } catch (error) {
    throw new TypeError(
      `${where}: the value cannot be sent to workers (${error instanceof Error ? error.message : String(error)}). ` +
        "Scatter plain data: numbers, strings, arrays, plain objects, Maps, Sets, typed arrays.",
      { cause: error }
    )
  }
}

/** Call options merged over view options over a registered task's own, validated once per call. */
export function callOptions(
  info: FnInfo,
  call: TaskOptions | undefined,
  view: TaskOptions | undefined,
  where: string
): NormalizedTaskOptions {
  const own = info.meta?.rawOptions
  if (call === undefined && view === undefined) return info.meta?.options ?? defaultTaskOptions
  const merged = mergeTaskOptions(mergeTaskOptions(own, view), call)
  const normalized = validateTaskOptions(merged, where)
  // A Schedule from the Effect API rides on the policy under a symbol key: carry it over.
  const step = retryStepOf(merged.retries)
  return step === undefined || normalized.retries === undefined
    ? normalized
    : { ...normalized, retries: { ...normalized.retries, step } as NormalizedTaskOptions["retries"] }
}

/** A graph task's options with those given to `client.with(...)` on top (as Dask's `compute(retries=...)` annotates every task). */
export const overrideOptions = (
  own: NormalizedTaskOptions,
  given: TaskOptions,
  normalized: NormalizedTaskOptions
): NormalizedTaskOptions => ({
  pure: own.pure,
  retries: given.retries !== undefined ? normalized.retries : own.retries,
  timeoutMs: given.timeout !== undefined ? normalized.timeoutMs : own.timeoutMs,
  priority: given.priority !== undefined ? normalized.priority : own.priority,
  key: undefined,
  cache: given.cache !== undefined ? normalized.cache : own.cache,
  cacheInputs: given.cacheInputs !== undefined ? normalized.cacheInputs : own.cacheInputs
})

const isContainer = (value: unknown): boolean =>
  typeof value === "object" && value !== null && (Array.isArray(value) || isPlainObject(value))

/** The Delayeds in `value` (arrays and plain objects at any depth), each once, in order. */
export function collectDelayeds(value: unknown): Delayed<unknown>[] {
  const found = new Set<Delayed<unknown>>()
  walk(value, {
    root: "value",
    visit: (item) => {
      if (isDelayed(item)) found.add(item)
      return isContainer(item) ? descend : item
    }
  })
  return [...found]
}

/**
 * `value` with each Delayed replaced as `replaced` says, in a new structure (arrays and plain
 * objects copied, sharing and cycles kept); other values as they are.
 */
export const replaceDelayeds = (value: unknown, replaced: Map<Delayed<unknown>, unknown>): unknown =>
  walk(value, {
    root: "value",
    copy: "always",
    visit: (item) => (isDelayed(item) ? replaced.get(item) : isContainer(item) ? descend : item)
  })
