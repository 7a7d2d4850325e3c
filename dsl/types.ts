/**
 * The types of a call: what may stand for a parameter (`Arg`), and what a task produces
 * (`TaskResult`, `TaskFailure`). They make `submit(inc, "x")` and `delayed(inc)("x")` fail to
 * compile when `inc` takes a number. They live in the dsl (with `task()` and `delayed()`), and
 * name a Future by what it is to a call (`FutureOf`): the Future class is a layer above.
 *
 * @module
 */
import type { Effect } from "effect/Effect"
import type { delayedBrand, futureBrand } from "../core/brand.js"

/** Any function that can be a task. */
export type AnyFunction = (...args: any[]) => any

/** Values kept as they are: no Futures are looked for inside them. */
export type Opaque = Date | RegExp | Map<any, any> | Set<any> | ArrayBuffer | ArrayBufferView | Error | AnyFunction

/** A Future of a `T`, as a call sees it: every `Future<T, E>` is one. */
export interface FutureOf<T> {
  readonly [futureBrand]: true
  /** The task's key. */
  readonly key: string
  /** The task's value. */
  result(options?: { timeout?: number | string }): Promise<T>
}

/** A Delayed of a `T`, as a call sees it: every `Delayed<T>` is one. */
export interface DelayedOf<T> {
  readonly [delayedBrand]: true
  /** The key its result will have on the cluster. */
  readonly key: string
  /** The value. */
  compute(): Promise<T>
}

/**
 * What may stand for a parameter of type `T` in a call: the value, a Future or Delayed of it, or an
 * array or plain object with those at any depth where values of the matching types are expected.
 */
export type Arg<T> =
  | T
  | FutureOf<T>
  | DelayedOf<T>
  | (T extends Opaque
      ? never
      : T extends readonly unknown[]
        ? { [K in keyof T]: Arg<T[K]> }
        : T extends object
          ? { [K in keyof T]: Arg<T[K]> }
          : never)

/** A parameter list where each parameter may be an `Arg` of its type. */
export type Args<P extends readonly unknown[]> = { [K in keyof P]: Arg<P[K]> }

/** The value a task produces: the awaited result, or the success type of a returned Effect. */
export type TaskResult<F extends AnyFunction> =
  ReturnType<F> extends Effect<infer A, any, any> ? A : Awaited<ReturnType<F>>

/** The typed error of a task that returns an `Effect<A, E>`; `never` for other tasks. */
export type TaskFailure<F extends AnyFunction> = ReturnType<F> extends Effect<any, infer E, any> ? E : never
