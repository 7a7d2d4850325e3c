/**
 * The types of the Promise API's results: what `gather` and `compute` give for a structure of
 * Futures and Delayeds, and the view `client.with(options)` returns. The types of a call's
 * arguments and results (`Args`, `TaskResult`) are the dsl's (dsl/types.ts), re-exported here.
 *
 * @module
 */
import type { Delayed } from "../dsl/delayed.js"
import type { Opaque } from "../dsl/types.js"
import type { TaskOptions } from "../dsl/options.js"
import type { AnyFunction, Arg, Args, TaskFailure, TaskResult } from "../dsl/types.js"
import type { Future } from "./Future.js"

export type { AnyFunction, Arg, Args, DelayedOf, FutureOf, TaskResult, TaskFailure } from "../dsl/types.js"

/** The values of a structure of Futures, as `gather` returns them. */
export type Gathered<X> =
  X extends Future<infer T, any>
    ? T
    : X extends Opaque
      ? X
      : X extends readonly unknown[]
        ? { -readonly [K in keyof X]: Gathered<X[K]> }
        : X extends object
          ? { -readonly [K in keyof X]: Gathered<X[K]> }
          : X

/** What `client.compute(x)` gives: each Delayed in `x` (at any depth of arrays and plain objects) becomes a Future of its value. */
export type Computed<X> =
  X extends Delayed<infer T>
    ? Future<T>
    : X extends Future<any, any> | Opaque
      ? X
      : X extends readonly unknown[]
        ? { -readonly [K in keyof X]: Computed<X[K]> }
        : X extends object
          ? { -readonly [K in keyof X]: Computed<X[K]> }
          : X

/** What `compute(x)` resolves to: the values of the Delayeds (and Futures) in `x`, in the same shape. */
export type ComputedValue<X> = Gathered<Computed<X>>

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
