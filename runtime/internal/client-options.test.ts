import { describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { validateClientOptions } from "./client-options.js"

describe("the 'got' part of a message", () => {
  // As for task options (dsl/options.test.ts): `workers: "4"` must not read as if 4 itself were refused.
  test.prop([fc.string({ maxLength: 60 }), fc.constantFrom("workers", "allowedFailures")])(
    "says so for Client.local's numeric options too",
    (text, option) => {
      expect(() => validateClientOptions({ [option]: text })).toThrow(
        `${option} must be a whole number >= 0, got the string ${JSON.stringify(text)}.`
      )
    }
  )

  test("an unknown option is named, with a close valid one and the valid ones", () => {
    expect(() => validateClientOptions({ wrkers: 2 })).toThrow(
      'Client.local: unknown option "wrkers" (did you mean "workers"?). Valid options are: workers, isolation, memoryLimit, allowedFailures, faults, dashboard, cache.'
    )
  })
})
