/**
 * Cancelling a finished or erred Future, as Dask does (spec section 5, issue 12): every Future of
 * the key reads "cancelled", `result()` rejects with `CancelledError`, the result is forgotten,
 * what depends on it is cancelled (finished dependents too), a task submitted later on it is
 * cancelled, and the same pure call submitted again runs again. And `asCompleted` with results
 * yields a cancelled Future as `[future, CancelledError]`, never throwing it. On every executor.
 */
import { Effect, Stream } from "effect"
import { describe, expect, test } from "vitest"
import { asCompleted, CancelledError, Client, ClientClosedError, type ClientOptions, type Future } from "weft"
import { Weft } from "weft/effect"
import { add, countedInc, inc, overQuota, sleepy } from "../fixtures/client-tasks.js"
import { runCount, runLog, useClient } from "./helpers.js"

const executors: ReadonlyArray<readonly [string, ClientOptions]> = [
  ["threads", { workers: 1 }],
  ["processes", { workers: 1, isolation: "process" }],
  ["in-process", { workers: 0 }]
]

/** What a user sees of a cancelled Future. */
const expectCancelled = async (future: Future<unknown, unknown>, reason = "cancel") => {
  expect(future.status).toBe("cancelled")
  expect(future.done()).toBe(true)
  const error = await future.result().then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(CancelledError)
  expect((error as CancelledError).reason).toBe(reason)
  expect(await future.exception()).toBeUndefined()
}

describe.each(executors)("cancel of a settled Future (%s)", (_name, options) => {
  const client = useClient(options)

  test("a finished Future: every Future of its key reads cancelled, the result is forgotten, and a later task on it is cancelled", async () => {
    const log = runLog()
    const x = client().submit(countedInc, log, 1)
    const sameKey = client().submit(countedInc, log, 1)
    expect(await x.result()).toBe(2)
    expect(client().heldKeys()).toContain(x.key)
    await x.cancel()
    await expectCancelled(x)
    await expectCancelled(sameKey)
    expect(client().heldKeys()).not.toContain(x.key)
    expect(`${x}`).toBe(`<Future: cancelled, key: ${x.key}>`)
    const later = client().submit(inc, x)
    await expectCancelled(later, "lost dependencies")
    expect(runCount(log)).toBe(1)
  })

  test("the same pure call submitted after the cancel runs again, as in Dask", async () => {
    const log = runLog()
    const x = client().submit(countedInc, log, 2)
    expect(await x.result()).toBe(3)
    await client().cancel([x])
    const again = client().submit(countedInc, log, 2)
    expect(again.key).toBe(x.key)
    expect(await again.result()).toBe(3)
    expect(runCount(log)).toBe(2)
    expect(x.status).toBe("cancelled") // the old Futures stay cancelled
    expect(client().heldKeys()).toContain(x.key)
  })

  test("an erred Future is cancelled too: result() rejects with CancelledError, not the task's error", async () => {
    const bad = client().submit(overQuota, 41)
    const dependent = client().submit(inc, bad)
    expect(await bad.exception()).toMatchObject({ name: "QuotaError" })
    expect(dependent.status).toBe("error")
    await client().cancel(bad)
    await expectCancelled(bad)
    await expectCancelled(dependent) // its error came from `bad`: it is cancelled with it
    await expectCancelled(client().submit(inc, bad), "lost dependencies")
  })

  test("dependents already finished are cancelled with it, and their results forgotten", async () => {
    const x = client().submit(inc, 100)
    const y = client().submit(inc, x)
    const z = client().submit(inc, y)
    expect(await z.result()).toBe(103)
    await x.cancel()
    for (const f of [x, y, z]) await expectCancelled(f)
    for (const f of [x, y, z]) expect(client().heldKeys()).not.toContain(f.key)
  })

  test("cancelling a finished middle task leaves its input finished", async () => {
    const x = client().submit(inc, 200)
    const y = client().submit(inc, x)
    expect(await y.result()).toBe(202)
    await y.cancel()
    await expectCancelled(y)
    expect(x.status).toBe("finished")
    expect(await x.result()).toBe(201)
  })

  test("retry of a task whose scattered input was cancelled cancels it (lost dependencies); the value is never run as a task", async () => {
    const v = client().scatter(5)
    await v.cancel()
    await expectCancelled(v)
    const bad = client().submit(overQuota, 42)
    expect(await bad.exception()).toMatchObject({ name: "QuotaError" })
    const y = client().submit(add, v, bad) // erred: its input `bad` erred
    expect(y.status).toBe("error")
    await y.retry()
    await expectCancelled(y, "lost dependencies")
    expect(v.status).toBe("cancelled")
    expect(await client().submit(inc, 7).result()).toBe(8) // the worker is still fine
  })

  test("cancel reaches a task that erred on a Future cancelled before (cancelling upstream, or that Future again)", async () => {
    const a = client().submit(inc, 500)
    const b = client().submit(inc, a)
    expect(await b.result()).toBe(502)
    await b.cancel()
    const bad = client().submit(overQuota, 43)
    expect(await bad.exception()).toMatchObject({ name: "QuotaError" })
    const c = client().submit(add, bad, b) // erred: the erred input wins over the cancelled one
    expect(c.status).toBe("error")
    await a.cancel()
    await expectCancelled(c)
    const d = client().submit(add, bad, b) // the same call again: a fresh record, erred again
    expect(d.status).toBe("error")
    await b.cancel()
    await expectCancelled(d)
  })

  test("asCompleted with results yields a Future cancelled after it finished as [future, CancelledError], raiseErrors true or false", async () => {
    for (const raiseErrors of [true, false]) {
      const x = client().submit(inc, raiseErrors ? 300 : 301)
      const fine = client().submit(inc, raiseErrors ? 310 : 311)
      await x.result()
      await x.cancel()
      const pairs = new Map<unknown, unknown>()
      for await (const [f, r] of asCompleted([x, fine], { withResults: true, raiseErrors } as { withResults: true }))
        pairs.set(f, r)
      expect(pairs.get(x)).toBeInstanceOf(CancelledError)
      expect(pairs.get(fine)).toBe(raiseErrors ? 311 : 312)
    }
  })

  test("Weft.asCompleted yields the cancelled Future, and Weft.result of it fails with Cancelled", async () => {
    const x = client().submit(inc, 400)
    await x.result()
    await x.cancel()
    const program = Weft.asCompleted([x]).pipe(
      Stream.mapEffect((f) => Weft.result(f).pipe(Effect.either)),
      Stream.runCollect
    )
    const [outcome] = [...(await Effect.runPromise(program))]
    expect(outcome._tag).toBe("Left")
    expect(outcome._tag === "Left" && outcome.left).toBeInstanceOf(CancelledError)
  })
})

describe.each(executors)("asCompleted with results and a pending Future cancelled (%s)", (_name, options) => {
  const client = useClient(options)

  test("raiseErrors true (the default) yields [future, CancelledError] and goes on; only an error throws", async () => {
    const gone = client().submit(inc, 500)
    await gone.cancel()
    const ok = client().submit(inc, 501)
    const pairs: Array<[unknown, unknown]> = []
    for await (const pair of asCompleted([gone, ok], { withResults: true })) pairs.push(pair)
    expect(pairs).toHaveLength(2)
    expect(pairs[0][0]).toBe(gone)
    expect(pairs[0][1]).toBeInstanceOf(CancelledError)
    expect(pairs[1]).toEqual([ok, 502])
    const bad = client().submit(overQuota, 502)
    await expect(async () => {
      for await (const _ of asCompleted([gone, bad], { withResults: true })) {
        /* the error ends the loop */
      }
    }).rejects.toMatchObject({ name: "QuotaError" })
  })
})

describe.each(executors)("close() still cancels pending tasks only (%s)", (_name, options) => {
  test("a finished Future keeps its value and an erred one its error, even an erred dependent of a pending task", async () => {
    const client = await Client.local(options)
    const bad = client.submit(overQuota, 600)
    const fine = client.submit(inc, 600)
    await fine.result()
    await bad.exception()
    const slow = client.submit(sleepy, 10_000)
    const both = client.submit(add, slow, bad as unknown as Future<number>)
    expect(both.status).toBe("error") // an erred input errs it at once, though `slow` is pending
    await client.close()
    await expect(slow.result()).rejects.toBeInstanceOf(ClientClosedError)
    expect(await fine.result()).toBe(601)
    expect(await bad.exception()).toMatchObject({ name: "QuotaError" })
    expect(both.status).toBe("error")
    expect(await both.exception()).toMatchObject({ name: "QuotaError" })
  })
})
