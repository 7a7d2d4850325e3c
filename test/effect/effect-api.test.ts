import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Schedule, Stream } from "effect"
import { Weft } from "weft/effect"
import { failsThenSucceeds, inc, overQuota } from "../fixtures/client-tasks.js"
import { dies, load, NotFound } from "../fixtures/client-effect-tasks.js"
import { runCount, runLog } from "../client/helpers.js"

const cluster = Weft.local({ workers: 2 })

describe("Weft (Effect API)", () => {
  it.effect("submits and reads a result inside a scoped local cluster", () =>
    Effect.gen(function* () {
      const f = yield* Weft.submit(inc, 1)
      expect(yield* Weft.result(f)).toBe(2)
      const fs = yield* Weft.map((x: number) => x * 3, [1, 2, 3])
      expect(yield* Weft.gather(fs)).toEqual([3, 6, 9])
      const pairs = yield* Weft.starmap(
        (a: number, b: number) => a - b,
        [
          [5, 1],
          [9, 3]
        ]
      )
      expect(yield* Weft.gather({ pairs })).toEqual({ pairs: [4, 6] })
      const data = yield* Weft.scatter([1, 2])
      expect(yield* Weft.result(data)).toEqual([1, 2])
    }).pipe(Effect.provide(cluster))
  )

  it.effect("a task's Data.TaggedError keeps its _tag and fields across the worker boundary", () =>
    Effect.gen(function* () {
      const ok = yield* Weft.submit(load, "/data/a.csv")
      expect(yield* Weft.result(ok)).toEqual({ path: "/data/a.csv", size: 11 })
      const missing = yield* Weft.submit(load, "/missing/b.csv")
      const recovered = yield* Weft.result(missing).pipe(
        Effect.catchTag("NotFound", (e) => Effect.succeed(`not found: ${e.path}`))
      )
      expect(recovered).toBe("not found: /missing/b.csv")
      const exit = yield* Effect.exit(Weft.result(missing))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        const error = exit.cause.error as NotFound
        expect(error._tag).toBe("NotFound")
        expect(error.path).toBe("/missing/b.csv")
      }
    }).pipe(Effect.provide(cluster))
  )

  it.effect("what a plain function throws, or an Effect's defect, fails as TaskFailed", () =>
    Effect.gen(function* () {
      const thrown = yield* Weft.submit(overQuota, 2)
      const error = yield* Effect.flip(Weft.result(thrown))
      expect(error._tag).toBe("TaskFailed")
      expect((error as Weft.TaskFailed).error).toMatchObject({ name: "QuotaError", code: "E_QUOTA", limit: 2 })
      const defect = yield* Weft.submit(dies, "boom")
      const died = yield* Effect.flip(Weft.result(defect))
      expect(died._tag).toBe("TaskFailed")
      expect(died.message).toBe("boom")
    }).pipe(Effect.provide(cluster))
  )

  it.effect("retries take an Effect Schedule", () =>
    Effect.gen(function* () {
      const log = runLog()
      const fs = yield* Weft.starmap(failsThenSucceeds, [[log, 2]], {
        retries: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
      })
      expect(yield* Weft.result(fs[0])).toBe(3)
      expect(runCount(log)).toBe(3)
      const short = runLog()
      const gs = yield* Weft.starmap(failsThenSucceeds, [[short, 5]], { retries: Schedule.recurs(1) })
      const error = yield* Effect.flip(Weft.result(gs[0]))
      expect(error.message).toBe("attempt 2 failed")
      expect(runCount(short)).toBe(2)
    }).pipe(Effect.provide(cluster))
  )

  it.effect("a policy's while sees the task's typed error", () =>
    Effect.gen(function* () {
      let asked = 0
      const fs = yield* Weft.map(load, ["/missing/x"], {
        retries: {
          times: 3,
          while: (e) => {
            asked++
            return e.path !== "/missing/x"
          }
        }
      })
      const error = yield* Effect.flip(Weft.result(fs[0]))
      expect(error._tag).toBe("NotFound")
      expect(asked).toBe(1)
    }).pipe(Effect.provide(cluster))
  )

  it.effect("the cluster closes with its scope: the client then fails with ClientClosed", () =>
    Effect.gen(function* () {
      const client = yield* Effect.scoped(Layer_build())
      const exit = yield* Effect.exit(Weft.submit(inc, 1).pipe(Effect.provideService(Weft.Client, client)))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") expect(exit.cause.error._tag).toBe("ClientClosed")
    })
  )
})

/** Builds the layer in a scope and hands out the client, which closes when the scope does. */
const Layer_build = () => Effect.flatMap(Weft.Client, Effect.succeed).pipe(Effect.provide(Weft.local({ workers: 0 })))

describe("Weft waiting", () => {
  it.effect("Weft.wait splits done and not done, and fails with Timeout", () =>
    Effect.gen(function* () {
      const ok = yield* Weft.submit(inc, 1)
      const bad = yield* Weft.submit(overQuota, 1)
      const { done, notDone } = yield* Weft.wait([ok, bad])
      expect(done).toEqual([ok, bad])
      expect(notDone).toEqual([])
      const slow = yield* Weft.submit(async (ms: number) => new Promise((r) => setTimeout(r, ms)), 2_000)
      const timedOut = yield* Effect.flip(Weft.wait([slow], { timeout: 30 }))
      expect(timedOut._tag).toBe("Timeout")
      yield* Effect.promise(() => slow.cancel())
    }).pipe(Effect.provide(cluster))
  )

  it.effect("Weft.asCompleted is a Stream of the futures in completion order", () =>
    Effect.gen(function* () {
      const slow = yield* Weft.submit(async (ms: number) => new Promise((r) => setTimeout(() => r(ms), ms)), 2_000)
      // Inline functions: a registered task's first run also imports its module, which may take longer than `slow`.
      const fast = yield* Weft.submit((x: number) => x + 1, 2)
      const bad = yield* Weft.submit((x: number) => {
        throw new RangeError(`bad ${x}`)
      }, 2)
      const order = yield* Stream.runCollect(Weft.asCompleted([slow, fast, bad]))
      expect(Chunk.toReadonlyArray(order)).toHaveLength(3)
      expect(Chunk.unsafeLast(order)).toBe(slow)
      const values = yield* Weft.asCompleted([fast]).pipe(Stream.mapEffect(Weft.result), Stream.runCollect)
      expect(Chunk.toReadonlyArray(values)).toEqual([3])
      expect(Chunk.size(yield* Stream.runCollect(Weft.asCompleted([])))).toBe(0)
    }).pipe(Effect.provide(cluster))
  )
})
