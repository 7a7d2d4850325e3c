/**
 * The client: a local cluster on tinypool workers and the futures API (spec sections 2, 3, 5, 6).
 *
 * @module
 */
import { rejectUnknownOptions } from "../core/options.js"
import { tokenize, typeName } from "../dsl/tokenize.js"
import { validateTaskOptions, type NormalizedTaskOptions, type TaskOptions } from "../dsl/options.js"
// A value import: Future.ts must be loaded (it registers with client-engine.ts) before a Future is made.
import { Future } from "./Future.js"
import { scanArgs, type ScannedArgs } from "../core/args.js"
import { validateClientOptions, type ClientOptions } from "./internal/client-options.js"
import { workerState } from "../core/worker-state.js"
import { summarize, type ClusterShape } from "./internal/client-summary.js"
import { Engine, randomHex } from "./internal/engine.js"
import type { TaskRecordOf } from "./internal/task-record.js"
import { makeDeferredInProcessExecutor } from "../executors/in-process-deferred.js"
import { makeTinypoolExecutor } from "../executors/tinypool/tinypool.js"
import type { ConnectOptions } from "./internal/connect-options.js"
import { futuresIn, gatherInto, gatherMode } from "./internal/gather.js"
import { materialize } from "./internal/graph.js"
import { Delayed, isDelayed } from "../dsl/delayed.js"
import { newFuture, recordIn, recordOf, registerClient } from "./internal/client-engine.js"
import {
  callOptions,
  cloneForCluster,
  collectDelayeds,
  defaultTaskOptions as defaults,
  describeTask,
  overrideOptions,
  refuseInWorker,
  replaceDelayeds,
  listItems,
  scanItems
} from "./internal/client-calls.js"
import type { AnyFunction, Args, Arg, ClientView, Computed, Gathered, TaskFailure, TaskResult } from "./types.js"

import type { ClientDashboard, DashboardSettings } from "./dashboard/client-dashboard.js"

export type { ClientOptions, DashboardOptions, FaultPlan } from "./internal/client-options.js"
export type { ConnectOptions } from "./internal/connect-options.js"
export type { ClientView } from "./types.js"

/** The dashboard's code: loaded only when a dashboard, report or timeline is asked for. */
const dashboardModule = () => import("./dashboard/client-dashboard.js")
/** The disk cache (cacache and its dependencies): loaded only for `Client.local({ cache })`. */
const cacheModule = () => import("../cache/open.js")
/** The cluster client (and its cache on Redis): loaded only by `Client.connect`. */
const connectModule = () => import("./internal/connect.js")
/**
 * The in-process executor and the worker modules it runs batches with (13 modules), loaded by
 * `Client.local({ workers: 0 })` before it resolves, so that no batch waits for them; `import
 * "weft"` does not load them.
 */
const inProcessModule = () => import("../executors/in-process.js")

let defaultClient: Client | undefined

/** The input records of a call without inputs: one shared empty array, none made per task. */
const noRecords: ReadonlyArray<TaskRecordOf> = Object.freeze([])

/** `util.inspect.custom`, without importing `node:util` for it. */
const inspectCustom = Symbol.for("nodejs.util.inspect.custom")

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
  readonly #engine: Engine
  readonly #shape: ClusterShape
  #closing: Promise<void> | undefined
  #dashboard: ClientDashboard | undefined

  static {
    // The Effect API, weft/testing and the Promise API's helpers reach the engine through
    // runtime/internal/client-engine.ts: it is no field of a Client.
    registerClient({
      engine: (client) => (client as Client).#engine,
      detached: (options) => Client.#detached(options),
      // Runs a graph when no client is started (`Delayed.compute()`, `compute(...)`): tasks in this thread, never the default.
      inProcess: () => new Client(new Engine({ executor: makeDeferredInProcessExecutor(), allowedFailures: 3 })),
      // A client over an engine built elsewhere (tests of an executor through the whole API).
      over: (engine) => new Client(engine)
    })
  }

  /** Use `Client.local()`. */
  private constructor(engine: Engine, shape: ClusterShape = { isolation: "in-process", memoryLimitBytes: undefined }) {
    this.#engine = engine
    this.#shape = shape
  }

  /**
   * A one-line summary, as Dask's repr: `<Client: 4 workers (threads), memory: 8.3 GB (this
   * machine), tasks: 3 processing, 12 queued, held results: 10>` (tasks by state; held results are
   * those in memory), or `<Client: closed>`.
   */
  toString(): string {
    return summarize(this.#engine, this.#shape, this.#dashboard?.link)
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
    return Client.#detached(options).then((client) => {
      defaultClient ??= client
      return client
    })
  }

  /**
   * Connects to a cluster: a Redis (>= 7, `maxmemory-policy noeviction`) that `weft worker`
   * processes serve (`npx weft worker redis://host:6379 --threads 4` on each machine). Everything
   * else is as with `Client.local`; results stay in Redis until `result()` or `gather` fetches
   * them. The first client started becomes the default. A malformed URL or bad options reject
   * with `TypeError`; an unreachable Redis with `ClusterConnectionError` within `connectTimeout`.
   * `close()` deletes everything of this client from Redis.
   */
  static async connect(url: string, options?: ConnectOptions): Promise<Client> {
    refuseInWorker("Client.connect()")
    const { engine, shape, dashboard } = await (await connectModule()).connectCluster(url, options)
    const client = new Client(engine, shape)
    if (dashboard !== undefined) await client.#serveDashboard(dashboard)
    defaultClient ??= client
    return client
  }

  /** How many workers serve this client's queue now (0 for a local cluster: its workers are threads of this process). */
  async workerCount(): Promise<number> {
    this.#engine.assertOpen()
    const executor = this.#engine.executor as { workerCount?: () => Promise<number> }
    return executor.workerCount === undefined ? 0 : executor.workerCount()
  }

  /**
   * Like `local`, but never the default: clients that a library starts for itself (the
   * `weft/testing` harness) must not become what the user's `compute()` runs on.
   */
  static async #detached(options?: ClientOptions): Promise<Client> {
    refuseInWorker("Client.local()")
    const settings = validateClientOptions(options)
    // Before the workers start: nothing to stop if it fails.
    const cache =
      settings.cache === undefined
        ? undefined
        : await (await cacheModule()).openLocalCache<TaskRecordOf>(settings.cache)
    const executor =
      settings.workers === 0
        ? (await inProcessModule()).makeInProcessExecutor()
        : await makeTinypoolExecutor({
            workers: settings.workers,
            isolation: settings.isolation,
            memoryLimitBytes: settings.memoryLimitBytes,
            // Resolve once one worker is up: the first tasks run there while the others finish starting.
            readyWhen: "first"
          })
    const shape: ClusterShape = {
      isolation: settings.workers === 0 ? "in-process" : settings.isolation,
      memoryLimitBytes: settings.memoryLimitBytes
    }
    const client = new Client(
      new Engine({ executor, allowedFailures: settings.allowedFailures, faults: settings.faults, cache }),
      shape
    )
    if (settings.dashboard !== undefined) await client.#serveDashboard(settings.dashboard)
    return client
  }

  /** Starts the live dashboard; when it cannot (no free port), closes the client and rejects. */
  async #serveDashboard(where: DashboardSettings): Promise<void> {
    try {
      const { ClientDashboard } = await dashboardModule()
      this.#dashboard = await ClientDashboard.start(this.#engine, this.#kind, where)
    } catch (error) {
      await this.close()
      throw error
    }
  }

  /** Where the live dashboard is (`http://127.0.0.1:8787/status`), or undefined without one (`Client.local({ dashboard: true })`). */
  get dashboardLink(): string | undefined {
    return this.#dashboard?.link
  }

  /**
   * Runs `work` (a function that submits tasks and waits for them) and writes `file`: one
   * self-contained HTML page of what ran meanwhile, as Dask's `performance_report`: a summary,
   * the task stream, per-name durations and errors. Resolves with `work`'s result once the file is
   * written; when `work` fails, the report is written and the promise rejects with its error.
   */
  async performanceReport<T>(file: string, work: () => T | PromiseLike<T>): Promise<T> {
    this.#engine.assertOpen()
    const { performanceReport } = await dashboardModule()
    return performanceReport(this.#engine, this.#kind, file, work)
  }

  /**
   * Writes `file`: Chrome trace JSON (open it in https://ui.perfetto.dev or chrome://tracing) with
   * one track per worker and one slice per task attempt: of `work` when given (resolving with its
   * result), else of what the dashboard recorded (its last 200,000 attempts).
   */
  timeline(file: string): Promise<void>
  timeline<T>(file: string, work: () => T | PromiseLike<T>): Promise<T>
  async timeline<T>(file: string, work?: () => T | PromiseLike<T>): Promise<T | undefined> {
    this.#engine.assertOpen()
    const { timeline } = await dashboardModule()
    return timeline(this.#engine, this.#kind, file, this.#dashboard, work)
  }

  /** The kind of workers, as the dashboard shows it. */
  get #kind(): string {
    const isolation = this.#shape.isolation
    if (this.#shape.cluster !== undefined) return "cluster"
    return isolation === "in-process" ? "in-process" : isolation === "thread" ? "threads" : "processes"
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
    this.#engine.assertOpen()
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
    this.#engine.assertOpen()
    let hash = true
    if (options !== undefined) {
      rejectUnknownOptions(options, ["hash"], "scatter")
      if (options.hash !== undefined && typeof options.hash !== "boolean")
        throw new TypeError("scatter: hash must be a boolean.")
      hash = options.hash ?? true
    }
    return this.#scatterOne(value, hash)
  }

  /** One finished Future per value. */
  scatterMany<T>(values: Iterable<T>): Future<T>[] {
    this.#engine.assertOpen()
    const list = Array.from(values)
    const copies = list.map((value, i) => cloneForCluster(value, `scatterMany: item ${i}`))
    const futures: Future<T>[] = []
    try {
      for (let i = 0; i < copies.length; i++) futures.push(this.#scatterCopy(list[i], copies[i], true))
    } catch (error) {
      // One refused (too large for the cluster): the list is scattered whole or not at all.
      for (const future of futures) future.release()
      throw error
    }
    return futures
  }

  /**
   * The values of the Futures in `x` (a Future, or arrays and plain objects of them at any depth),
   * in the same shape. `errors: "raise"` (default) rejects with the first error; `"skip"` leaves
   * errored and cancelled Futures out of arrays and objects.
   */
  gather<X>(x: X, options?: { errors?: "raise" | "skip" }): Promise<Gathered<X>> {
    this.#engine.assertOpen()
    const mode = gatherMode(options)
    return new Promise((resolve, reject) => {
      gatherInto(this.#engine, x, mode, (exit) => (exit.ok ? resolve(exit.value as Gathered<X>) : reject(exit.error)))
    })
  }

  /**
   * Cancels the Futures in `futures` (any structure) and everything that depends on them, pending,
   * finished or erred, as Dask does: their results are forgotten and they read `"cancelled"`.
   */
  cancel(futures: unknown): Promise<void> {
    this.#engine.assertOpen()
    this.#engine.cancel(futuresIn(this.#engine, futures).map(recordOf))
    return Promise.resolve()
  }

  /** Runs the errored Futures in `futures` again, with their errored inputs. */
  retry(futures: unknown): Promise<void> {
    this.#engine.assertOpen()
    this.#engine.retry(futuresIn(this.#engine, futures).map(recordOf))
    return Promise.resolve()
  }

  /** The keys whose results the cluster holds now. */
  heldKeys(): string[] {
    this.#engine.assertOpen()
    return this.#engine.heldKeys()
  }

  /**
   * Cancels what is pending (every waiting `result()` rejects with `ClientClosedError`) and stops
   * the workers. Idempotent. Afterwards every method throws `ClientClosedError`.
   */
  close(): Promise<void> {
    if (defaultClient === this) defaultClient = undefined
    const dashboard = this.#dashboard
    return (this.#closing ??= Promise.all([this.#engine.close(), dashboard?.close()]).then(() => undefined))
  }

  /** `await using client = await Client.local()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  // -----------------------------------------------------------------------------------------------

  /**
   * The records of a call's inputs. Delayeds among them are added to the cluster first (their
   * graphs); `holds` collects the functions that let go of those graphs' intermediates once the
   * call that needs them is submitted.
   */
  #inputs(scanned: ScannedArgs | undefined, holds: Array<() => void>): ReadonlyArray<TaskRecordOf> {
    const inputs = scanned?.inputs
    if (inputs === undefined || inputs.length === 0) return noRecords
    const delayeds = inputs.filter(isDelayed)
    const graph = delayeds.length > 0 ? materialize(this.#engine, delayeds) : undefined
    if (graph !== undefined) holds.push(graph.release)
    return inputs.map((input) => {
      if (isDelayed(input)) return graph!.outputs[delayeds.indexOf(input)]
      return recordIn(
        this.#engine,
        input as Future<unknown, unknown>,
        "gather its value and pass that, or submit with its own client"
      )
    })
  }

  #submitWith(fn: AnyFunction, args: unknown[], view: TaskOptions | undefined, where: string): Future<any, any> {
    this.#engine.assertOpen()
    const info = describeTask(fn, where)
    const options = callOptions(info, undefined, view, `${where}(${info.name})`)
    const scanned = scanArgs(args, `${where}(${info.name})`)
    const holds: Array<() => void> = []
    try {
      const inputs = this.#inputs(scanned, holds)
      return newFuture<Future<any, any>>(
        this.#engine,
        this.#engine.submitCall(info, args, scanned.template, inputs, options)
      )
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
    this.#engine.assertOpen()
    const info = describeTask(fn, where)
    const named = `${where}(${info.name})`
    const list = listItems(items, named)
    let options = callOptions(info, call, view, named)
    // As in Dask's map, a `key` names the prefix of every key: `${key}-${token}`.
    const prefix = options.key
    if (prefix !== undefined) options = { ...options, key: undefined }
    // Check every item before submitting any: bad input submits nothing.
    const { argLists, scans, inputs: anyInputs } = scanItems(list, spread, named)
    const n = argLists.length
    // Input records of every item first (Delayeds added, Futures checked): a bad one submits nothing.
    const inputs: Array<ReadonlyArray<TaskRecordOf>> | undefined = anyInputs ? new Array(n) : undefined
    const holds: Array<() => void> = []
    try {
      if (inputs !== undefined) for (let i = 0; i < n; i++) inputs[i] = this.#inputs(scans[i], holds)
      const target = prefix === undefined ? info : { ...info, name: prefix }
      const futures: Future<any, any>[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const args = argLists[i]
        const record = this.#engine.submitCall(
          target,
          args,
          scans[i]?.template ?? args,
          inputs === undefined ? noRecords : inputs[i],
          options
        )
        futures[i] = newFuture<Future<any, any>>(this.#engine, record)
      }
      return futures
    } finally {
      for (const release of holds) release()
    }
  }

  #computeWith<X>(x: X, view: TaskOptions | undefined, how: "compute" | "persist"): any {
    this.#engine.assertOpen()
    const override =
      view === undefined
        ? undefined
        : validateTaskOptions(view, `client.with(...).${how}`, `the "key" option names one call; a graph has many.`)
    const found = collectDelayeds(x)
    const graph = materialize(
      this.#engine,
      found,
      override === undefined ? undefined : (own) => overrideOptions(own, view!, override)
    )
    try {
      const replaced = new Map<Delayed<unknown>, unknown>()
      found.forEach((d, i) => {
        const future = newFuture<Future<unknown, unknown>>(this.#engine, graph.outputs[i])
        replaced.set(d, how === "compute" ? future : new Delayed(d.key, { kind: "future", future }))
      })
      return replaceDelayeds(x, replaced)
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
    return newFuture<Future<T>>(this.#engine, this.#engine.addValue(key, name, copy, defaults))
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
