/**
 * The fast path of the cluster's value bytes (value-codec.ts) must be V8's format exactly as far
 * as V8 is concerned: what it writes, `v8.deserialize` reads back as the same value, and what V8
 * writes, it reads back as the same value; anything it does not know goes through `node:v8`.
 */
import { deserialize, serialize } from "node:v8"
import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { decodeValue, encodeValue } from "./value-codec.js"

const primitives = fc.oneof(
  fc.integer(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 30, -(2 ** 30), 2 ** 30 - 1, 2 ** 53, 0.1),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.bigInt()
)
const values = fc.oneof(primitives, fc.array(primitives), fc.dictionary(fc.string(), primitives))

describe("value-codec", () => {
  test("encodeValue writes what v8.deserialize reads back as the same value, and decodeValue too", () => {
    fc.assert(
      fc.property(values, (value) => {
        const bytes = encodeValue(value)
        expect(deserialize(bytes)).toStrictEqual(value)
        expect(decodeValue(bytes)).toStrictEqual(value)
        if (typeof value === "number") expect(Object.is(decodeValue(bytes), value)).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  test("decodeValue reads what v8.serialize wrote as the same value", () => {
    fc.assert(
      fc.property(values, (value) => {
        const back = decodeValue(serialize(value))
        expect(back).toStrictEqual(value)
        if (typeof value === "number") expect(Object.is(back, value)).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  test("the fast path is taken for numbers and one-byte strings: their bytes are V8's own", () => {
    for (const value of [0, 1, -1, 42, 2 ** 29, -(2 ** 29), 1.5, -0, NaN, "", "abc", "é", true, false, null, undefined])
      expect(encodeValue(value)).toEqual(serialize(value))
  })
})
