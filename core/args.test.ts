import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { InputRef, scanArgs } from "./args.js"
import { delayedBrand, futureBrand, type Branded } from "./brand.js"

/** Stand-ins for Futures and Delayeds: scanArgs knows them by their brand. */
const inputs: Branded[] = [
  { [futureBrand]: true },
  { [futureBrand]: true },
  { [delayedBrand]: true },
  { [delayedBrand]: true }
]

const primitive = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null), fc.constant(undefined))
const arg = fc.oneof(primitive, fc.constantFrom(...inputs))

/** A template as data: each InputRef as `{ ref: index }`, to compare two templates by value. */
const plain = (template: ReadonlyArray<unknown>): unknown[] =>
  template.map((item) => (item instanceof InputRef ? { ref: item.index } : item))

describe("scanArgs", () => {
  // Arguments that are primitives and Futures/Delayeds only are scanned without the walk: the
  // result must be the walk's, which an extra plain-object argument (no inputs inside) forces.
  test.prop([fc.array(arg, { maxLength: 6 })], { numRuns: 300 })(
    "primitives and inputs only: the same template and inputs as the walk gives",
    (args) => {
      const fast = scanArgs(args, "test")
      const walked = scanArgs([...args, { plain: 1 }], "test")
      expect(plain(fast.template)).toEqual(plain(walked.template).slice(0, -1))
      expect(fast.inputs).toEqual(walked.inputs)
      fast.inputs.forEach((input, i) => expect(input).toBe(walked.inputs[i]))
      // The caller's array is never the template when it holds an input (InputRefs replace them).
      if (fast.inputs.length > 0) expect(fast.template).not.toBe(args)
    }
  )
})
