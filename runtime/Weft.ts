/**
 * The Effect API (spec section 9): the same capabilities as the Promise API, as Effect values.
 *
 * It is a thin layer over the same engine as `weft`: `Weft.submit` is `client.submit` in
 * `Effect.suspend`, `Weft.result` listens to the same task record through `Effect.async`. What it
 * adds is Effect's vocabulary: a scoped `Layer` for the cluster's lifetime, typed errors in the
 * error channel, and retries driven by a `Schedule`.
 *
 * @module
 */
import { engineOfFuture, recordOf, engineOf } from "./internal/client-engine.js"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import type { RetryPolicy, TaskOptions } from "../dsl/options.js"
import { Client as PromiseClient, type ClientOptions, type ClientView } from "./Client.js"
import {
  CancelledError,
  ClientClosedError,
  KilledWorkerError,
  TaskDefinitionError,
  TimeoutError
} from "../core/errors.js"
import { Future } from "./Future.js"
import { isSettled, type Outcome, type TaskRecordOf } from "./internal/task-record.js"
import { typedFailure } from "../core/error-kind.js"
import { gatherInto, gatherMode } from "./internal/gather.js"
import { futureList, waitInto, waitSettings, type DoneAndNotDone, type ReturnWhen } from "./internal/waiting.js"
import { retryStepKey, type RetryStep } from "./internal/retry.js"
import type { AnyFunction, Arg, Args, Computed, Gathered, TaskFailure, TaskResult } from "./types.js"

/** The cluster client as an Effect service. Provide it with `Weft.local(options)`. */
export class Client extends Context.Tag("weft/Client")<Client, PromiseClient>() {}

/** What a plain (non-Effect) task threw, or an Effect task's defect; `error` is the rebuilt error. */
export class TaskFailed extends Data.TaggedError("TaskFailed")<{ readonly error: unknown }> {
  /** The rebuilt error's message. */
  override get message(): string {
    return this.error instanceof Error ? this.error.message : String(this.error)
  }
}

/** The task was cancelled (`_tag: "Cancelled"`); the same class as `CancelledError` in `weft`. */
export const Cancelled = CancelledError
/** @see Cancelled */
export type Cancelled = CancelledError
/** An attempt ran past its `timeout` (`_tag: "Timeout"`); the same class as `TimeoutError` in `weft`. */
export const Timeout = TimeoutError
/** @see Timeout */
export type Timeout = TimeoutError
/** The task's workers died too often (`_tag: "KilledWorker"`). */
export const KilledWorker = KilledWorkerError
/** @see KilledWorker */
export type KilledWorker = KilledWorkerError
/** The client was closed (`_tag: "ClientClosed"`). */
export const ClientClosed = ClientClosedError
/** @see ClientClosed */
export type ClientClosed = ClientClosedError
/** A function that cannot be a task (`_tag: "TaskDefinitionError"`); the same class as in `weft`. */
export { TaskDefinitionError }

/** The errors `Weft.result` may fail with, besides the task's own typed error `E`. */
export type ResultError = TaskFailed | Cancelled | Timeout | KilledWorker | ClientClosed | TaskDefinitionError

/**
 * Task options in the Effect API: `retries` may also be an Effect `Schedule` fed with the task's
 * errors, and a policy's `while` sees the task's typed error `E` (thrown errors and defects are
 * retried up to `times` without asking it).
 */
export interface EffectTaskOptions<E = unknown> extends Omit<TaskOptions, "retries"> {
  /** A count, a policy whose `while` sees `E`, or a Schedule fed with each failed attempt's rebuilt error (`E`, or what was thrown). */
  readonly retries?: number | RetryPolicy<E> | Schedule.Schedule<unknown, E | Error>
}

/** A scoped layer: starts a local cluster, and shuts it down when the scope closes. */
export const local = (options?: ClientOptions): Layer.Layer<Client> =>
  Layer.scoped(
    Client,
    Effect.acquireRelease(
      Effect.promise(() => PromiseClient.local(options)),
      (client) => Effect.promise(() => client.close())
    )
  )

/** Runs a client call: `ClientClosed` and `TaskDefinitionError` fail the effect, bad input (a `TypeError`) is a defect. */
const call = <A>(f: (client: PromiseClient) => A): Effect.Effect<A, ClientClosed | TaskDefinitionError, Client> =>
  Effect.flatMap(Client, (client) =>
    Effect.suspend(() => {
      try {
        return Effect.succeed(f(client))
      } catch (error) {
        if (error instanceof ClientClosedError || error instanceof TaskDefinitionError) return Effect.fail(error)
        return Effect.die(error)
      }
    })
  )

/** `client.submit` as an Effect. */
export const submit = <F extends AnyFunction>(
  fn: F,
  ...args: Args<Parameters<F>>
): Effect.Effect<Future<TaskResult<F>, TaskFailure<F>>, ClientClosed | TaskDefinitionError, Client> =>
  call((client) => client.submit(fn, ...args))

/** `client.map` as an Effect; `retries` may be a `Schedule`. */
export const map = <F extends AnyFunction>(
  fn: F,
  items: Iterable<Arg<Parameters<F>[0]>>,
  options?: EffectTaskOptions<TaskFailure<F>>
): Effect.Effect<Array<Future<TaskResult<F>, TaskFailure<F>>>, ClientClosed | TaskDefinitionError, Client> =>
  call((client) => client.map(fn, items, toTaskOptions(options)))

/** `client.starmap` as an Effect; `retries` may be a `Schedule`. */
export const starmap = <F extends AnyFunction>(
  fn: F,
  argLists: Iterable<Args<Parameters<F>>>,
  options?: EffectTaskOptions<TaskFailure<F>>
): Effect.Effect<Array<Future<TaskResult<F>, TaskFailure<F>>>, ClientClosed | TaskDefinitionError, Client> =>
  call((client) => client.starmap(fn, argLists, toTaskOptions(options)))

/** `client.with(options)` as an Effect: a view whose calls use these options. */
export const withOptions = <E = unknown>(
  options: EffectTaskOptions<E>
): Effect.Effect<ClientView, ClientClosed, Client> =>
  call((client) => client.with(toTaskOptions(options) ?? {})) as Effect.Effect<ClientView, ClientClosed, Client>

/** `client.compute` as an Effect: the same shape with a Future for each Delayed (read them with `Weft.gather` or `Weft.result`). */
export const compute = <X>(x: X): Effect.Effect<Computed<X>, ClientClosed | TaskDefinitionError, Client> =>
  call((client) => client.compute(x))

/** `client.persist` as an Effect: the same shape with each Delayed backed by its running Future. */
export const persist = <X>(x: X): Effect.Effect<X, ClientClosed | TaskDefinitionError, Client> =>
  call((client) => client.persist(x))

/** `client.scatter` as an Effect. */
export const scatter = <T>(value: T, options?: { hash?: boolean }): Effect.Effect<Future<T>, ClientClosed, Client> =>
  call((client) => client.scatter(value, options)) as Effect.Effect<Future<T>, ClientClosed, Client>

/** `client.scatterMany` as an Effect. */
export const scatterMany = <T>(values: Iterable<T>): Effect.Effect<Array<Future<T>>, ClientClosed, Client> =>
  call((client) => client.scatterMany(values)) as Effect.Effect<Array<Future<T>>, ClientClosed, Client>

/**
 * The value of a Future. Fails with the task's typed error `E` (a `Data.TaggedError` keeps its
 * `_tag` and fields), `TaskFailed` for what a plain function threw, `Cancelled`, `Timeout`,
 * `KilledWorker`, `ClientClosed` or `TaskDefinitionError`. Interrupting it stops waiting only.
 */
export const result = <A, E>(future: Future<A, E>): Effect.Effect<A, E | ResultError> =>
  Effect.async<A, E | ResultError>((resume) => {
    const engine = engineOfFuture(future as Future<unknown, unknown>)
    const record = recordOf(future as Future<unknown, unknown>)
    // Mentions `future` so that a Future being awaited is not garbage-collected (and released).
    const settled = (task: TaskRecordOf) =>
      resume(fromOutcome(engine.outcomeOf(task), future) as Effect.Effect<A, E | ResultError>)
    if (isSettled(record)) return void settled(record)
    engine.whenSettled(record, settled)
    return Effect.sync(() => engine.unlisten(record, settled))
  })

/** `client.gather` as an Effect: the values in the same shape, failing like `result` with the first error. */
export const gather = <X>(
  x: X,
  options?: { errors?: "raise" | "skip" }
): Effect.Effect<Gathered<X>, ResultError | GatheredFailure<X>, Client> =>
  Effect.flatMap(Client, (client) =>
    Effect.async<Gathered<X>, ResultError | GatheredFailure<X>>((resume) => {
      const stop = gatherInto(engineOf(client), x, gatherMode(options), (exit) =>
        resume(
          exit.ok
            ? Effect.succeed(exit.value as Gathered<X>)
            : (failWith(exit.error) as Effect.Effect<never, ResultError>)
        )
      )
      return Effect.sync(stop)
    })
  )

/** `wait` as an Effect: the Futures done and not done; fails with `Timeout` when `timeout` passes first. */
export const wait = <F extends Future<any, any>>(
  futures: F | Iterable<F>,
  options?: { timeout?: number | string; returnWhen?: ReturnWhen }
): Effect.Effect<DoneAndNotDone<F>, Timeout> =>
  Effect.suspend(() => {
    const list = futureList(futures, "Weft.wait") as F[]
    const settings = waitSettings(options)
    return Effect.async<DoneAndNotDone<F>, Timeout>((resume) => {
      const stop = waitInto(list, settings, (exit) =>
        resume(exit.ok ? Effect.succeed(exit.value) : Effect.fail(exit.error))
      )
      return Effect.sync(stop)
    })
  })

/**
 * The Futures as they complete (finished, errored or cancelled alike), as a `Stream` that ends
 * when all have. Pair it with `Weft.result` to read each one.
 */
export const asCompleted = <F extends Future<any, any>>(futures: F | Iterable<F>): Stream.Stream<F> =>
  Stream.asyncPush<F>(
    (emit) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const list = futureList(futures, "Weft.asCompleted") as F[]
          const listening: Array<[F, TaskRecordOf, () => void]> = []
          let remaining = list.length + 1 // one held while registering
          const arrived = (future: F) => {
            emit.single(future)
            if (--remaining === 0) emit.end()
          }
          for (const future of list) {
            const record = recordOf(future)
            if (future.done() || isSettled(record)) arrived(future)
            else {
              const listener = () => arrived(future)
              listening.push([future, record, listener])
              engineOfFuture(future).whenSettled(record, listener)
            }
          }
          if (--remaining === 0) emit.end()
          return listening
        }),
        (listening) =>
          Effect.sync(() =>
            listening.forEach(([future, record, listener]) => engineOfFuture(future).unlisten(record, listener))
          )
      ),
    { bufferSize: "unbounded" }
  )

/** The typed errors of the Futures in a structure. */
export type GatheredFailure<X> =
  X extends Future<any, infer E>
    ? E
    : X extends readonly unknown[]
      ? GatheredFailure<X[number]>
      : X extends object
        ? GatheredFailure<X[keyof X]>
        : never

// -------------------------------------------------------------------------------------------------

const fromOutcome = (outcome: Outcome, _keepAlive?: unknown): Effect.Effect<unknown, unknown> =>
  outcome.ok ? Effect.succeed(outcome.value) : failWith(outcome.error)

/** Sorts an engine error into the error channel: weft's own tagged errors and typed failures as they are, anything else as `TaskFailed`. */
const failWith = (error: unknown): Effect.Effect<never, unknown> => {
  if (
    error instanceof CancelledError ||
    error instanceof ClientClosedError ||
    error instanceof KilledWorkerError ||
    error instanceof TimeoutError ||
    error instanceof TaskDefinitionError ||
    typedFailure(error)
  ) {
    return Effect.fail(error)
  }
  return Effect.fail(new TaskFailed({ error }))
}

/** Effect options to the engine's: a `Schedule` becomes a retry policy stepped by the schedule. */
const toTaskOptions = <E>(options: EffectTaskOptions<E> | undefined): TaskOptions | undefined => {
  if (options === undefined || options.retries === undefined) return options as TaskOptions | undefined
  const retries = options.retries
  if (Schedule.isSchedule(retries)) {
    return {
      ...options,
      retries: {
        times: Number.MAX_SAFE_INTEGER,
        [retryStepKey]: stepSchedule(retries as Schedule.Schedule<unknown, unknown>)
      } as RetryPolicy
    }
  }
  if (typeof retries === "object" && retries.while !== undefined) {
    const accepts = retries.while
    // `while` is typed by E: ask it about typed failures only; thrown errors are retried.
    return {
      ...options,
      retries: { ...retries, while: (error: unknown) => (typedFailure(error) ? accepts(error as E) : true) }
    }
  }
  return options as TaskOptions
}

/** Steps a Schedule with the task's errors: the delay to the next attempt, or undefined when it is done. */
const stepSchedule =
  (schedule: Schedule.Schedule<unknown, unknown>): RetryStep =>
  (error, state, now) => {
    const [next, , decision] = Effect.runSync(schedule.step(now, error, state === undefined ? schedule.initial : state))
    if (ScheduleDecision.isDone(decision)) return undefined
    return { delay: Math.max(0, Intervals.start(decision.intervals) - now), state: next }
  }
