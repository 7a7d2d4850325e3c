/** The cluster's error classes are public API: their fields and tags are part of the contract. */
import { describe, expectTypeOf, test } from "vitest"
import { ClusterConnectionError, ClusterMemoryError, LostResultError, type ClusterConnectionProblem } from "weft"

describe("cluster errors", () => {
  test("LostResultError names the key and why, tagged LostResult", () => {
    const error = new LostResultError("inc-1", "its result is no longer in Redis and it was scattered")
    expectTypeOf(error).toMatchTypeOf<Error>()
    expectTypeOf(error._tag).toEqualTypeOf<"LostResult">()
    expectTypeOf(error.key).toEqualTypeOf<string>()
    expectTypeOf(error.reason).toEqualTypeOf<string>()
  })

  test("ClusterConnectionError says which Redis and what kind of problem", () => {
    const error = new ClusterConnectionError("m", "redis://h:6379", "auth")
    expectTypeOf(error._tag).toEqualTypeOf<"ClusterConnection">()
    expectTypeOf(error.target).toEqualTypeOf<string>()
    expectTypeOf(error.problem).toEqualTypeOf<ClusterConnectionProblem>()
    expectTypeOf<ClusterConnectionProblem>().toEqualTypeOf<"unreachable" | "auth" | "tls" | "config">()
    // @ts-expect-error: the problem is one of the four kinds
    new ClusterConnectionError("m", "t", "other")
  })

  test("ClusterMemoryError names the key and Redis's words", () => {
    const error = new ClusterMemoryError("k", "OOM command not allowed")
    expectTypeOf(error._tag).toEqualTypeOf<"ClusterMemory">()
    expectTypeOf(error.key).toEqualTypeOf<string>()
    expectTypeOf(error.detail).toEqualTypeOf<string>()
  })
})
