/**
 * The one internal entry into weft's engine, for weft's own layers above the Promise API: the
 * Effect API (`Weft.ts`), `weft/testing`, the Promise API's helpers (gather, waiting, progress,
 * graphs), and weft's own tests and bench. A `Client` keeps its engine, and a `Future` its engine
 * and task record, in `#private` fields: nothing of the engine is reachable from the published
 * types or from a user's code. Each class hands this module its accessors when it is defined
 * (`registerClient`, `registerFuture`), so this module imports neither class (no import circle).
 *
 * @internal
 * @module
 */
import type { Engine } from "./engine.js"
import type { TaskRecordOf } from "./task-record.js"
import type { ClientOptions } from "./client-options.js"
import { describeFunction, type FnInfo } from "../../dsl/function-ref.js"
import type { AnyFunction } from "../../dsl/types.js"
import { decodeError } from "../../core/error-codec.js"
import type { EncodedError } from "../../core/protocol.js"

/** How this module reaches into Futures: set by the Future class when it is defined. */
interface FutureAccess {
  make(engine: Engine, record: TaskRecordOf): object
  engine(future: object): Engine
  record(future: object): TaskRecordOf
  released(future: object): boolean
}

/** How this module reaches into Clients and makes them: set by the Client class when it is defined. */
interface ClientAccess {
  engine(client: object): Engine
  detached(options?: ClientOptions): Promise<object>
  inProcess(): object
  over(engine: Engine): object
}

let futures: FutureAccess | undefined
let clients: ClientAccess | undefined

/** Called once by the Future class. */
export const registerFuture = (access: FutureAccess): void => {
  futures = access
}

/** Called once by the Client class. */
export const registerClient = (access: ClientAccess): void => {
  clients = access
}

/** The engine of a `Client` (throws a `TypeError` for anything else). */
export const engineOf = (client: object): Engine => clients!.engine(client)

/**
 * A client like `Client.local(options)`'s that never becomes the default: what a library starts
 * for itself (the `weft/testing` harness), which must not be what the user's `compute()` runs on.
 * `C` is `Client`.
 */
export const detachedClient = <C extends object>(options?: ClientOptions): Promise<C> =>
  clients!.detached(options) as Promise<C>

/** A client that runs tasks in this thread and is never the default (what runs a graph when no client is started). */
/** A client over `engine`, never the default: tests that drive an executor through the whole API. */
export const clientOver = <C extends object>(engine: Engine): C => clients!.over(engine) as C

export const inProcessClient = <C extends object>(): C => clients!.inProcess() as C

/** A new Future on `record` (`F` is the Future type the caller expects: `Future<T, E>`). */
export const newFuture = <F extends object>(engine: Engine, record: TaskRecordOf): F =>
  futures!.make(engine, record) as F

/** The engine of the client that made a Future. */
export const engineOfFuture = (future: object): Engine => futures!.engine(future)

/** The task record a Future stands for (shared by every Future of its key). */
export const recordOf = (future: object): TaskRecordOf => futures!.record(future)

/** Whether `future.release()` was called. */
export const isReleased = (future: object): boolean => futures!.released(future)

/**
 * The record of `future` when it belongs to `engine`; else the one error for a Future of another
 * client, with `fix` saying what to do in the caller's terms.
 */
export const recordIn = (engine: Engine, future: object & { readonly key: string }, fix: string): TaskRecordOf => {
  if (futures!.engine(future) !== engine) throw foreignFuture(future.key, fix)
  return futures!.record(future)
}

/** The one message for a Future used with a client that did not make it. */
export const foreignFuture = (key: string, fix: string): TypeError =>
  new TypeError(
    `The Future ${key} was created by another client, and a Future belongs to the client that made it: ${fix}.`
  )

// -------------------------------------------------------------------------------------------------
// For weft/testing: the internals its checks need, named one by one (it imports nothing else of
// weft but the public entry points).

export { walk as graphOrder } from "../../dsl/delayed.js"
export { describeGot, parseDuration } from "../../core/duration.js"
export { validateFaultPlan } from "./client-options.js"
export { delayedBrand, futureBrand, type Branded } from "../../core/brand.js"
export { fillTemplate } from "../../core/args.js"
export { describeFunction, type FnInfo } from "../../dsl/function-ref.js"
export { randomKeyToken } from "../../dsl/keys.js"
export { rejectUnknownOptions } from "../../core/options.js"

/** What a call gave when run here: a value, or the error it failed with. */
export type LocalOutcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error }

/**
 * Runs `fn(...args)` in this thread the way a worker runs it (same lookup of registered and inline
 * functions, Promises awaited, Effects run), without copying arguments or results; a failure comes
 * back decoded as the cluster decodes it. Never rejects for the task's own failure.
 */
export async function runHere(fn: FnInfo | AnyFunction, args: ReadonlyArray<unknown>): Promise<LocalOutcome> {
  const info = typeof fn === "function" ? describeFunction(fn) : fn
  // Loaded here, not at `import "weft"`: the worker's code is only needed in this thread for a run here.
  const { runBatch } = await import("../../executors/worker/run-batch.js")
  const result = await runBatch({ fns: [info.ref], fn: [0], args: [args] })
  if (result.failed.length === 0) return { ok: true, value: result.results[0] }
  return { ok: false, error: decodeError(result.results[0] as EncodedError) }
}
