/**
 * The types that make `submit(inc, "x")` fail to compile when `inc` takes a number, and that give
 * `submit(fn, ...)` the type `Future<R>` where `R` is what `fn` eventually produces.
 *
 * @module
 */
import type { Effect } from "effect/Effect"
import type { Delayed } from "../dsl/delayed.js"
import type { Future } from "./Future.js"

/** Any function that can be a task. */
export type AnyFunction = (...args: any[]) => any

/** Values kept as they are: no Futures are looked for inside them. */
type Opaque = Date | RegExp | Map<any, any> | Set<any> | ArrayBuffer | ArrayBufferView | Error | AnyFunction

/**
 * What may stand for a parameter of type `T` in a call: the value, a Future or Delayed of it, or an
 * array or plain object with those at any depth where values of the matching types are expected.
 */
export type Arg<T> =
  | T
  | Future<T, any>
  | Delayed<T>
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
