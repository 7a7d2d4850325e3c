/**
 * A function's average run time, which decides whether its tasks are looked up at all (a trivial
 * function's are not: docs/cache.md, "The write rule"). One run preempted or paused for a long
 * time must not make a trivial function look slow (then every later task would pay a key, a lock
 * and a write: the cold overhead of a trivial map), and a slow function must still be seen as slow.
 */
import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { nextAverage } from "../../cache/result-cache.js"

/** The fixed cost of a lookup at first (ms): an average at or below it (and 1 ms) is "cheap". */
const lookupMs = 0.5

describe("a function's average run time", () => {
  test("one outlier of any length leaves a trivial function cheap", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (avg, outlier) => {
          expect(nextAverage(avg, outlier)).toBeLessThanOrEqual(lookupMs)
        }
      )
    )
  })

  test("a slow function is seen as slow within a few runs and reaches its run time", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.double({ min: 2, max: 1e5, noNaN: true }),
        (first, ms) => {
          let avg = nextAverage(-1, first)
          const averages: number[] = []
          for (let run = 0; run < 60; run++) averages.push((avg = nextAverage(avg, ms)))
          expect(averages[4]).toBeGreaterThan(1) // no longer cheap after 5 slow runs
          expect(Math.abs(avg - ms) / ms).toBeLessThan(0.01)
        }
      )
    )
  })
})
