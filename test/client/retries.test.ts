import { describe, expect, test } from "vitest"
import { failsThenSucceeds } from "../fixtures/client-tasks.js"
import { runCount, runLog, useClient } from "./helpers.js"

const client = useClient()

describe("retries", () => {
  test("retries: N allows N re-runs: k <= N failures then success returns the value", async () => {
    const log = runLog()
    const f = client().with({ retries: 2 }).submit(failsThenSucceeds, log, 2)
    expect(await f.result()).toBe(3)
    expect(runCount(log)).toBe(3)
  })

  test("N+1 failures report the last attempt's error", async () => {
    const log = runLog()
    const f = client().with({ retries: 1 }).submit(failsThenSucceeds, log, 5)
    await expect(f.result()).rejects.toThrow("attempt 2 failed")
    expect(runCount(log)).toBe(2)
  })

  test("no retries by default: the first error is final", async () => {
    const log = runLog()
    await expect(client().submit(failsThenSucceeds, log, 1).result()).rejects.toThrow("attempt 1 failed")
    expect(runCount(log)).toBe(1)
  })

  test("a RetryPolicy waits its delay, with exponential backoff", async () => {
    const log = runLog()
    const start = performance.now()
    const f = client()
      .with({ retries: { times: 3, delay: 40, backoff: "exponential" } })
      .submit(failsThenSucceeds, log, 3)
    expect(await f.result()).toBe(4)
    // 40 + 80 + 160 ms of waiting at least
    expect(performance.now() - start).toBeGreaterThanOrEqual(270)
  })

  test("a policy's while decides which errors are retried", async () => {
    const log = runLog()
    const f = client()
      .with({ retries: { times: 5, while: (e) => (e as Error).name !== "RangeError" } })
      .submit(failsThenSucceeds, log, 3)
    await expect(f.result()).rejects.toThrow("attempt 1 failed")
    expect(runCount(log)).toBe(1)
  })

  test("the tutorial's flaky map with retries: 5, pure: false succeeds", async () => {
    const flaky = (i: number) => {
      if (Math.random() < 0.2) throw new Error("You hit the error!")
      return i + 1
    }
    const fs = client().map(
      flaky,
      Array.from({ length: 10 }, (_, i) => i),
      { retries: 5, pure: false }
    )
    const total = client().submit((xs: number[]) => xs.reduce((a, b) => a + b, 0), fs)
    expect(await total.result()).toBe(55)
  })
})
