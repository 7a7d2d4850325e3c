/**
 * The type of the arbitraries the harness accepts.
 *
 * @module
 */

/**
 * A fast-check arbitrary of `T`, from fast-check 3 (3.23.2 or later) or 4: the members that both
 * majors' `Arbitrary` classes have. Written structurally rather than as fast-check's own
 * `Arbitrary<T>`, whose members changed between majors: `checkTask(inc, fc.tuple(fc.integer()))`
 * type-checks with whichever fast-check the project installed, even when weft's types resolve
 * another copy of it.
 */
export interface ArbitraryOf<T> {
  /** fast-check's `Arbitrary.generate`: a value (and its shrinking context) from a random source. */
  generate(mrng: never, biasFactor: number | undefined): { readonly value: T }
  /** fast-check's `Arbitrary.canShrinkWithoutContext`. */
  canShrinkWithoutContext(value: unknown): value is T
}
