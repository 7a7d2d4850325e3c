import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { declaredEnvDigest } from "./declared-env.js"

describe("declaredEnvDigest", () => {
  it("is equal exactly when every declared variable has the same value (unset is not empty)", () => {
    const value = fc.option(fc.string(), { nil: undefined })
    fc.assert(
      fc.property(value, value, (a, b) => {
        const env = (v: string | undefined) => (v === undefined ? {} : { API_URL: v })
        expect(declaredEnvDigest(["API_URL"], env(a)) === declaredEnvDigest(["API_URL"], env(b))).toBe(a === b)
      })
    )
  })

  it("does not let a value run into the next name", () => {
    expect(declaredEnvDigest(["A", "B"], { A: "x", B: "y" })).not.toBe(declaredEnvDigest(["A", "B"], { A: "xB=y" }))
  })
})
