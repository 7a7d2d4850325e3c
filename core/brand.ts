/**
 * The brands of the two things that stand for a value the cluster computes: a Future (runtime/)
 * and a Delayed (dsl/). Symbols from the global registry, so that the lower layers (the argument
 * scan, the dsl) recognize them without importing the classes.
 *
 * @module
 */

/** Brand carried by every Future, so that this module needs no import of the Future class. */
export const futureBrand: unique symbol = Symbol.for("weft/Future") as never

/** Brand carried by every Delayed (a lazy call): an input like a Future, computed first. */
export const delayedBrand: unique symbol = Symbol.for("weft/Delayed") as never

/** A Future or a Delayed: what stands for a value that the cluster computes. */
export type Branded = { readonly [futureBrand]: true } | { readonly [delayedBrand]: true }

/** True for Futures and Delayeds. */
export const isInput = (value: object): value is Branded => futureBrand in value || delayedBrand in value
