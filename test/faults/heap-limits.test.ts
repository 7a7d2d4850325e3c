/**
 * How `memoryLimit` becomes V8 heap caps for a worker (`heapLimits` in the tinypool executor), and
 * how the executor reports a worker killed by them: a `"worker-died"` failure of its batch, never
 * a hang, and a replacement.
 */
import { describe, expect, test } from "vitest"
import { ExecutorFailure } from "../../dist/executors/executor.js"
import {
  heapLimits,
  makeTinypoolExecutor,
  minMemoryLimitBytes,
  recycleFraction
} from "../../dist/executors/tinypool/tinypool.js"
import { batchOf, inline } from "../../executors/conformance.case.js"
import { captureStderr, outOfMemoryReports } from "./capture-stderr.js"
import { noStrayErrors, within } from "./fault-helpers.js"

noStrayErrors()

const MiB = 2 ** 20

describe("heapLimits", () => {
  test.each([64e6, 100e6, 512e6, 2e9, 16e9])(
    "%d bytes: young + old generation fit in the limit, the young one is 3 semi-spaces of 1 to 16 MiB",
    (limit) => {
      const { caps, recycleAboveBytes } = heapLimits(limit)
      expect(caps).toBeDefined()
      const { maxYoungGenerationSizeMb: young, maxOldGenerationSizeMb: old, maxSemiSpaceSizeMb: semi } = caps!
      expect(young).toBe(semi * 3)
      expect(semi).toBeGreaterThanOrEqual(1)
      expect(semi).toBeLessThanOrEqual(16)
      expect(old).toBeGreaterThan(young)
      expect((young + old) * MiB).toBeLessThanOrEqual(limit)
      expect((young + old + 1) * MiB).toBeGreaterThan(limit)
      expect(recycleAboveBytes).toBe(Math.floor(limit * recycleFraction))
    }
  )

  test("below the smallest limit there are no caps, only recycling (the executor tests recycle every batch with 1 byte)", () => {
    expect(heapLimits(minMemoryLimitBytes - 1).caps).toBeUndefined()
    expect(heapLimits(1)).toEqual({ caps: undefined, recycleAboveBytes: 0 })
  })
})

describe.each(["thread", "process"] as const)("the tinypool executor with a memoryLimit, isolation %s", (isolation) => {
  test(
    "a batch allocating past the cap fails as worker-died, the worker is replaced, and the next batch runs",
    { timeout: 15_000 },
    async () => {
      // A child process prints V8's out-of-memory report as it dies: held back, and checked.
      const stderr = captureStderr()
      const executor = await makeTinypoolExecutor({ workers: 1, isolation, memoryLimitBytes: 64e6 })
      try {
        const hog = inline((mb: number) => {
          const keep: number[][] = []
          for (let i = 0; i < mb * 1.25; i++) keep.push(new Array<number>(100_000).fill(i))
          return keep.length
        })
        // The hog shares its batch with two small tasks: the whole batch fails (none of its outcomes is known).
        const batch = { fns: [hog, inline((x: number) => x + 1)], fn: [1, 0, 1], args: [[1], [200], [2]] }
        const error = await within(
          executor.run(batch).catch((e: unknown) => e),
          10_000,
          "the batch"
        )
        expect(error).toBeInstanceOf(ExecutorFailure)
        expect((error as ExecutorFailure).reason).toBe("worker-died")
        expect((error as ExecutorFailure).message).toMatch(isolation === "thread" ? /reaching memory limit/ : /SIGABRT/)
        expect(
          (
            await within(
              executor.run(
                batchOf(
                  inline((x: number) => x * 3),
                  [[3]]
                )
              ),
              5_000,
              "the next batch"
            )
          ).results
        ).toEqual([9])
        expect(executor.liveWorkers()).toBe(1)
      } finally {
        await executor.close()
        stderr.restore()
      }
      expect(executor.liveWorkers()).toBe(0)
      if (isolation === "process") expect(outOfMemoryReports(stderr.text())).toBe(1)
    }
  )
})
