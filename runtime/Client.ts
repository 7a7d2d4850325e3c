/**
 * The client: a local cluster on tinypool workers and the futures API (spec sections 2, 3, 5, 6).
 *
 * @module
 */
import { tokenize, typeName } from "../dsl/tokenize.js"
import { mergeTaskOptions, validateTaskOptions, type NormalizedTaskOptions, type TaskOptions } from "../dsl/options.js"
import { Future } from "./Future.js"
import { assertNesting, scanArgs, type ScannedArgs } from "../core/args.js"
import { validateClientOptions, type ClientOptions } from "./internal/client-options.js"
import { openLocalCache } from "../cache/open.js"
import { workerState } from "../core/worker-state.js"
import { summarize, type ClusterShape } from "./internal/client-summary.js"
import { TaskDefinitionError } from "../core/errors.js"
import { Engine, randomHex, type TaskRecordOf } from "./internal/engine.js"
import { makeInProcessExecutor } from "../executors/in-process.js"
import { makeTinypoolExecutor } from "../executors/tinypool/tinypool.js"
import { describeFunction, type FnInfo } from "../dsl/function-ref.js"
import { futuresIn, gatherInto, gatherMode } from "./internal/gather.js"
import { materialize } from "./internal/graph.js"
import { Delayed, isDelayed } from "../dsl/delayed.js"
import { retryStepOf } from "./internal/retry.js"
import type { AnyFunction, Args, Arg, Computed, Gathered, TaskFailure, TaskResult } from "./types.js"

export type { ClientOptions, FaultPlan } from "./internal/client-options.js"

/** `submit`, `map` and `starmap` with options set once: what `client.with(options)` returns. */
export interface ClientView {
  /** Like `client.submit`, with the view's options. */
  submit<F extends AnyFunction>(fn: F, ...args: Args<Parameters<F>>): Future<TaskResult<F>, TaskFailure<F>>
  /** Like `client.map`, with the view's options (merged under the call's own). */
  map<F extends AnyFunction>(
    fn: F,
    items: Iterable<Arg<Parameters<F>[0]>>,
    options?: TaskOptions
  ): Future<TaskResult<F>, TaskFailure<F>>[]
  /** Like `client.starmap`, with the view's options (merged under the call's own). */
  starmap<F extends AnyFunction>(
    fn: F,
    argLists: Iterable<Args<Parameters<F>>>,
    options?: TaskOptions
  ): Future<TaskResult<F>, TaskFailure<F>>[]
  /** Like `client.compute`, with the view's options applied to every task of the graphs. */
  compute<X>(x: X): Computed<X>
  /** Like `client.persist`, with the view's options applied to every task of the graphs. */
  persist<X>(x: X): X
}

let defaultClient: Client | undefined

/** `util.inspect.custom`, without importing `node:util` for it. */
const inspectCustom = Symbol.for("nodejs.util.inspect.custom")

const defaults: NormalizedTaskOptions = validateTaskOptions({}, "client")

const describeValue = (value: unknown): string =>
  value === null
    ? "null"
    : typeof value === "object"
      ? `an ${Array.isArray(value) ? "array" : "object"}`
      : `${typeof value} ${String(value)}`

/**
 * A connection to a cluster: submits tasks, holds Futures, moves data.
 *
 * ```ts
 * await using client = await Client.local({ workers: 4 })
 * const x = client.submit(inc, 1)
 * await x.result() // 2
 * ```
 */
export class Client implements ClientView {
  /** @internal */
  readonly engine: Engine
  readonly #shape: ClusterShape
  #closing: Promise<void> | undefined

  /** @internal Use `Client.local()`. */
  constructor(engine: Engine, shape: ClusterShape = { isolation: "in-process", memoryLimitBytes: undefined }) {
    this.engine = engine
    this.#shape = shape
  }

  /**
   * A one-line summary, as Dask's repr: `<Client: 4 workers (threads), memory: 8.3 GB (this
   * machine), tasks: 3 processing, 12 queued, held results: 10>` (tasks by state; held results are
   * those in memory), or `<Client: closed>`.
   */
  toString(): string {
    return summarize(this.engine, this.#shape)
  }

  /** What `console.log(client)` and `util.inspect(client)` show: the summary, not the engine's internals. */
  [inspectCustom](): string {
    return this.toString()
  }

  /**
   * Starts a local cluster and resolves when it can take work. The first client started becomes
   * the default (`Client.current()`). `workers: 0` runs tasks in this thread, with no workers.
   * Unknown or invalid options reject with `TypeError`. Inside a weft worker (see `isWorker()`)
   * it throws `TaskDefinitionError` at once: a module that defines tasks is imported by every
   * worker, and must not start a client there.
   */
  static local(options?: ClientOptions): Promise<Client> {
    refuseInWorker("Client.local()")
    return Client.detached(options).then((client) => {
      defaultClient ??= client
      return client
    })
  }

  /**
   * @internal Like `local`, but never the default: clients that a library starts for itself (the
   * `weft/testing` harness) must not become what the user's `compute()` runs on.
   */
  static async detached(options?: ClientOptions): Promise<Client> {
    refuseInWorker("Client.local()")
    const settings = validateClientOptions(options)
    // Before the workers start: nothing to stop if it fails.
    const cache = settings.cache === undefined ? undefined : await openLocalCache<TaskRecordOf>(settings.cache)
    const executor =
      settings.workers === 0
        ? makeInProcessExecutor()
        : await makeTinypoolExecutor({
            workers: settings.workers,
            isolation: settings.isolation,
            memoryLimitBytes: settings.memoryLimitBytes
          })
    const shape: ClusterShape = {
      isolation: settings.workers === 0 ? "in-process" : settings.isolation,
      memoryLimitBytes: settings.memoryLimitBytes
    }
    return new Client(
      new Engine({ executor, allowedFailures: settings.allowedFailures, faults: settings.faults, cache }),
      shape
    )
  }

  /**
   * @internal A client that runs tasks in this thread and is never the default: what runs a graph
   * when no client is started (`Delayed.compute()`, `compute(...)`).
   */
  static inProcess(): Client {
    return new Client(new Engine({ executor: makeInProcessExecutor(), allowedFailures: 3 }))
  }

  /** The default client: the first one started and not yet closed, or `undefined`. */
  static current(): Client | undefined {
    return defaultClient
  }

  /** Runs `fn(...args)` on the cluster. Arguments may be Futures, or arrays and plain objects containing them. */
  submit<F extends AnyFunction>(fn: F, ...args: Args<Parameters<F>>): Future<TaskResult<F>, TaskFailure<F>> {
    return this.#submitWith(fn, args as unknown[], undefined, "submit")
  }

  /** One task per item: `fn(item)`. Returns at once; each Future settles on its own. */
  map<F extends AnyFunction>(
    fn: F,
    items: Iterable<Arg<Parameters<F>[0]>>,
    options?: TaskOptions
  ): Future<TaskResult<F>, TaskFailure<F>>[] {
    return this.#mapWith(fn, items, options, undefined, "map", false)
  }

  /** One task per argument list: `fn(...args)`. */
  starmap<F extends AnyFunction>(
    fn: F,
    argLists: Iterable<Args<Parameters<F>>>,
    options?: TaskOptions
  ): Future<TaskResult<F>, TaskFailure<F>>[] {
    return this.#mapWith(fn, argLists, options, undefined, "starmap", true)
  }

  /** A view whose `submit`, `map` and `starmap` use these options (`key` applies to `submit` only). */
  with(options: TaskOptions): ClientView {
    this.engine.assertOpen()
    validateTaskOptions(options, "client.with")
    return {
      submit: (fn, ...args) => this.#submitWith(fn, args as unknown[], options, "submit"),
      map: (fn, items, more) => this.#mapWith(fn, items, more, options, "map", false),
      starmap: (fn, argLists, more) => this.#mapWith(fn, argLists, more, options, "starmap", true),
      compute: (x) => this.#computeWith(x, options, "compute"),
      persist: (x) => this.#computeWith(x, options, "persist")
    }
  }

  /**
   * Starts computing the Delayeds in `x` (one, or arrays and plain objects of them at any depth)
   * and returns at once the same shape with a Future for each, whose key is the Delayed's key.
   * Other values pass through. Only what the Delayeds need runs.
   */
  compute<X>(x: X): Computed<X> {
    return this.#computeWith(x, undefined, "compute")
  }

  /**
   * Starts computing the Delayeds in `x` and returns at once the same shape with each Delayed
   * replaced by one backed by its running Future: its graph holds the Future in place of the
   * tasks, so later computations on it start from that result.
   */
  persist<X>(x: X): X {
    return this.#computeWith(x, undefined, "persist")
  }

  /**
   * Puts a value on the cluster: a Future that is already finished. Its key is
   * `${typeName}-${tokenize(value)}`, or random with `{ hash: false }`.
   */
  scatter<T>(value: T, options?: { hash?: boolean }): Future<T> {
    this.engine.assertOpen()
    let hash = true
    if (options !== undefined) {
      for (const key of Object.keys(options)) {
        if (key !== "hash") throw new TypeError(`scatter: unknown option "${key}"; the only option is hash (boolean).`)
      }
      if (options.hash !== undefined && typeof options.hash !== "boolean")
        throw new TypeError("scatter: hash must be a boolean.")
      hash = options.hash ?? true
    }
    return this.#scatterOne(value, hash)
  }

  /** One finished Future per value. */
  scatterMany<T>(values: Iterable<T>): Future<T>[] {
    this.engine.assertOpen()
    const list = Array.from(values)
    const copies = list.map((value, i) => cloneForCluster(value, `scatterMany: item ${i}`))
    return copies.map((copy, i) => this.#scatterCopy(list[i], copy, true))
  }

  /**
   * The values of the Futures in `x` (a Future, or arrays and plain objects of them at any depth),
   * in the same shape. `errors: "raise"` (default) rejects with the first error; `"skip"` leaves
   * errored and cancelled Futures out of arrays and objects.
   */
  gather<X>(x: X, options?: { errors?: "raise" | "skip" }): Promise<Gathered<X>> {
    this.engine.assertOpen()
    const mode = gatherMode(options)
    return new Promise((resolve, reject) => {
      gatherInto(this.engine, x, mode, (exit) => (exit.ok ? resolve(exit.value as Gathered<X>) : reject(exit.error)))
    })
  }

  /**
   * Cancels the Futures in `futures` (any structure) and everything that depends on them, pending,
   * finished or erred, as Dask does: their results are forgotten and they read `"cancelled"`.
   */
  cancel(futures: unknown): Promise<void> {
    this.engine.assertOpen()
    this.engine.cancel(futuresIn(this.engine, futures).map((f) => Future.recordOf(f)))
    return Promise.resolve()
  }

  /** Runs the errored Futures in `futures` again, with their errored inputs. */
  retry(futures: unknown): Promise<void> {
    this.engine.assertOpen()
    this.engine.retry(futuresIn(this.engine, futures).map((f) => Future.recordOf(f)))
    return Promise.resolve()
  }

  /** The keys whose results the cluster holds now. */
  heldKeys(): string[] {
    this.engine.assertOpen()
    return this.engine.heldKeys()
  }

  /**
   * Cancels what is pending (every waiting `result()` rejects with `ClientClosedError`) and stops
   * the workers. Idempotent. Afterwards every method throws `ClientClosedError`.
   */
  close(): Promise<void> {
    if (defaultClient === this) defaultClient = undefined
    return (this.#closing ??= this.engine.close())
  }

  /** `await using client = await Client.local()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  // -----------------------------------------------------------------------------------------------

  #describe(fn: unknown, where: string): FnInfo {
    if (typeof fn !== "function") {
      throw new TypeError(`${where}: the first argument must be the function to run, got ${describeValue(fn)}.`)
    }
    return describeFunction(fn)
  }

  /** Call options merged over view options over a registered task's own, validated once per call. */
  #options(
    info: FnInfo,
    call: TaskOptions | undefined,
    view: TaskOptions | undefined,
    where: string
  ): NormalizedTaskOptions {
    const own = info.meta?.rawOptions
    if (call === undefined && view === undefined) return info.meta?.options ?? defaults
    const merged = mergeTaskOptions(mergeTaskOptions(own, view), call)
    const normalized = validateTaskOptions(merged, where)
    // A Schedule from the Effect API rides on the policy under a symbol key: carry it over.
    const step = retryStepOf(merged.retries)
    return step === undefined || normalized.retries === undefined
      ? normalized
      : { ...normalized, retries: { ...normalized.retries, step } as NormalizedTaskOptions["retries"] }
  }

  /**
   * The records of a call's inputs. Delayeds among them are added to the cluster first (their
   * graphs); `holds` collects the functions that let go of those graphs' intermediates once the
   * call that needs them is submitted.
   */
  #inputs(scanned: ScannedArgs, holds: Array<() => void>): TaskRecordOf[] {
    const inputs = scanned.inputs
    if (inputs.length === 0) return []
    const delayeds = inputs.filter(isDelayed)
    const graph = delayeds.length > 0 ? materialize(this.engine, delayeds) : undefined
    if (graph !== undefined) holds.push(graph.release)
    return inputs.map((input) => {
      if (isDelayed(input)) return graph!.outputs[delayeds.indexOf(input)]
      const future = input as Future<unknown, unknown>
      if (Future.engineOf(future) !== this.engine) {
        throw new TypeError(
          `The Future ${future.key} was created by another client: gather its value and pass that, or submit with its own client.`
        )
      }
      return Future.recordOf(future)
    })
  }

  #submitWith(fn: AnyFunction, args: unknown[], view: TaskOptions | undefined, where: string): Future<any, any> {
    this.engine.assertOpen()
    const info = this.#describe(fn, where)
    const options = this.#options(info, undefined, view, `${where}(${info.name})`)
    const scanned = scanArgs(args, `${where}(${info.name})`)
    const holds: Array<() => void> = []
    try {
      const inputs = this.#inputs(scanned, holds)
      return new Future(this.engine, this.engine.submitCall(info, args, scanned, inputs, options))
    } finally {
      for (const release of holds) release()
    }
  }

  #mapWith(
    fn: AnyFunction,
    items: Iterable<unknown>,
    call: TaskOptions | undefined,
    view: TaskOptions | undefined,
    where: string,
    spread: boolean
  ): Future<any, any>[] {
    this.engine.assertOpen()
    const info = this.#describe(fn, where)
    if (
      items === null ||
      typeof items !== "object" ||
      typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function"
    ) {
      throw new TypeError(
        `${where}(${info.name}): the items must be an iterable (an array, a Set, a generator...), got ${describeValue(items)}.`
      )
    }
    const named = `${where}(${info.name})`
    let options = this.#options(info, call, view, named)
    // As in Dask's map, a `key` names the prefix of every key: `${key}-${token}`.
    const prefix = options.key
    if (prefix !== undefined) options = { ...options, key: undefined }
    const list = Array.from(items)
    const argLists: unknown[][] = new Array(list.length)
    const scans: ScannedArgs[] = new Array(list.length)
    const inputs: TaskRecordOf[][] = new Array(list.length)
    // Check every item before submitting any: bad input submits nothing.
    for (let i = 0; i < list.length; i++) {
      const item = list[i]
      if (spread && !Array.isArray(item))
        throw new TypeError(`${named}: item ${i} must be an array of arguments, got ${describeValue(item)}.`)
      const args = spread ? (item as unknown[]) : [item]
      argLists[i] = args
      scans[i] = scanArgs(args, `${named} item ${i}`)
    }
    const holds: Array<() => void> = []
    try {
      for (let i = 0; i < list.length; i++) inputs[i] = this.#inputs(scans[i], holds)
      const target = prefix === undefined ? info : { ...info, name: prefix }
      const futures: Future<any, any>[] = new Array(list.length)
      for (let i = 0; i < list.length; i++) {
        futures[i] = new Future(this.engine, this.engine.submitCall(target, argLists[i], scans[i], inputs[i], options))
      }
      return futures
    } finally {
      for (const release of holds) release()
    }
  }

  #computeWith<X>(x: X, view: TaskOptions | undefined, how: "compute" | "persist"): any {
    this.engine.assertOpen()
    const override =
      view === undefined
        ? undefined
        : validateTaskOptions(view, `client.with(...).${how}`, `the "key" option names one call; a graph has many.`)
    const found: Delayed<unknown>[] = []
    collectDelayeds(x, found, new Set())
    const graph = materialize(
      this.engine,
      found,
      override === undefined ? undefined : (own) => overrideOptions(own, view!, override)
    )
    try {
      const replaced = new Map<Delayed<unknown>, unknown>()
      found.forEach((d, i) => {
        const future = new Future(this.engine, graph.outputs[i])
        replaced.set(d, how === "compute" ? future : new Delayed(d.key, { kind: "future", future }))
      })
      return replaceDelayeds(x, replaced, new Map())
    } finally {
      graph.release()
    }
  }

  #scatterOne<T>(value: T, hash: boolean): Future<T> {
    return this.#scatterCopy(value, cloneForCluster(value, "scatter"), hash)
  }

  #scatterCopy<T>(value: T, copy: unknown, hash: boolean): Future<T> {
    const name = typeName(value)
    const key = `${name}-${hash ? tokenize(value) : randomHex()}`
    return new Future(this.engine, this.engine.addValue(key, name, copy, defaults))
  }
}

/**
 * True in a weft worker: a worker thread or child process that runs tasks (not in the main thread,
 * where `workers: 0` runs them). A module that both defines tasks and starts a client is imported
 * by every worker: start the client only `if (!isWorker())`, or better, from another module.
 */
export function isWorker(): boolean {
  return workerState() !== undefined
}

/** Throws `TaskDefinitionError` in a weft worker, naming the task module being imported and the fix. */
function refuseInWorker(what: string): void {
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
const cloneForCluster = (value: unknown, where: string): unknown => {
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

/** The Delayeds in `value` (arrays and plain objects at any depth), each once, in order. */
function collectDelayeds(value: unknown, out: Delayed<unknown>[], seen: Set<object>): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return
  seen.add(value)
  if (isDelayed(value)) out.push(value)
  else if (Array.isArray(value)) for (const item of value) collectDelayeds(item, out, seen)
  else if (isPlainObject(value)) for (const item of Object.values(value)) collectDelayeds(item, out, seen)
}

/** `value` with each Delayed replaced as `replaced` says; containers without one come back as they are. */
function replaceDelayeds(
  value: unknown,
  replaced: Map<Delayed<unknown>, unknown>,
  seen: Map<object, unknown>
): unknown {
  if (typeof value !== "object" || value === null) return value
  if (isDelayed(value)) return replaced.get(value)
  if (seen.has(value)) return seen.get(value)
  if (Array.isArray(value)) {
    const out: unknown[] = []
    seen.set(value, out)
    for (const item of value) out.push(replaceDelayeds(item, replaced, seen))
    return out
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    seen.set(value, out)
    for (const [key, item] of Object.entries(value)) out[key] = replaceDelayeds(item, replaced, seen)
    return out
  }
  return value
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A graph task's options with those given to `client.with(...)` on top (as Dask's `compute(retries=...)` annotates every task). */
const overrideOptions = (
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
