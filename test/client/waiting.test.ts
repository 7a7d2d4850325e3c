import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Writable } from "node:stream"
import { describe, expect, onTestFinished, test } from "vitest"
import { asCompleted, CancelledError, progress, TimeoutError, wait } from "weft"
import { inc, overQuota, sleepy } from "../fixtures/client-tasks.js"
import { waitForGate } from "../fixtures/stream-tasks.js"
import { useClient } from "./helpers.js"

const client = useClient({ workers: 2 })

// Inline tasks for ordering tests: a registered task's first run on a worker also imports its
// module, which under load can take longer than the gaps these tests rely on.
const sleep = (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms))
const fail = (n: number): number => {
  throw new RangeError(`failed ${n}`)
}

/** A writable that keeps what was written, optionally pretending to be a terminal. */
const capture = (isTTY: boolean) => {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    }
  }) as Writable & { isTTY?: boolean }
  stream.isTTY = isTTY
  return { stream, text: () => chunks.join("") }
}

describe("wait", () => {
  test("waits for all; errored futures land in done without rejecting", async () => {
    const ok = client().submit(inc, 1)
    const bad = client().submit(overQuota, 1)
    const { done, notDone } = await wait([ok, bad])
    expect(done).toEqual([ok, bad])
    expect(notDone).toEqual([])
    expect(bad.status).toBe("error")
  })

  test("FIRST_COMPLETED returns when one is done", async () => {
    const fast = client().submit(sleep, 10)
    const slow = client().submit(sleep, 20_000)
    const { done, notDone } = await wait([slow, fast], { returnWhen: "FIRST_COMPLETED" })
    expect(done).toEqual([fast])
    expect(notDone).toEqual([slow])
    await slow.cancel()
  })

  test("FIRST_EXCEPTION returns at the first error", async () => {
    const slow = client().submit(sleep, 20_001)
    const bad = client().submit(fail, 2)
    const { done, notDone } = await wait([slow, bad], { returnWhen: "FIRST_EXCEPTION" })
    expect(done).toEqual([bad])
    expect(notDone).toEqual([slow])
    await slow.cancel()
  })

  test("a timeout rejects with TimeoutError; a single Future is accepted", async () => {
    const slow = client().submit(sleep, 20_002)
    await expect(wait(slow, { timeout: "50 ms" })).rejects.toBeInstanceOf(TimeoutError)
    await slow.cancel()
    expect((await wait(slow)).done).toEqual([slow])
  })

  test("bad input is refused with a clear TypeError", () => {
    const x = client().submit(inc, 3)
    expect(() => wait([x], x as never)).toThrow(/pass one list: wait\(\[x, y\]\)/)
    expect(() => wait([1] as never)).toThrow(/input must be a Future, got number 1/)
    expect(() => wait([x], { returnWhen: "ANY" as never })).toThrow(/returnWhen must be one of/)
  })
})

describe("asCompleted", () => {
  test("yields each future once, in completion order, errored and cancelled ones too", async () => {
    // The slow one waits for a gate (a file) that the loop opens once it has yielded the other
    // three: the order is set by events, not by a sleep that a loaded machine may outlast.
    const gate = join(mkdtempSync(join(tmpdir(), "weft-gate-")), "open")
    onTestFinished(() => writeFileSync(gate, "open")) // frees the worker if the test fails
    const slow = client().submit(waitForGate, gate, 0)
    const fast = client().submit(sleep, 5)
    const bad = client().submit(fail, 4)
    const cancelled = client().submit(sleep, 10_000)
    await cancelled.cancel()
    const seen = []
    for await (const f of asCompleted([slow, fast, bad, cancelled])) {
      seen.push(f)
      if (seen.length === 3) writeFileSync(gate, "open")
    }
    expect(seen).toHaveLength(4)
    expect(new Set(seen)).toEqual(new Set([slow, fast, bad, cancelled]))
    expect(seen.indexOf(slow)).toBe(3)
    expect(seen[0]).toBe(cancelled) // already done when the iteration began
  })

  test("yields a future once per occurrence; an empty list ends at once", async () => {
    const x = client().submit(inc, 10)
    const seen = []
    for await (const f of asCompleted([x, x])) seen.push(f)
    expect(seen).toEqual([x, x])
    for await (const _ of asCompleted([])) throw new Error("nothing to yield")
  })

  test("add() extends the iteration while it runs", async () => {
    const first = client().submit(inc, 20)
    const ac = asCompleted([first])
    const seen = []
    for await (const f of ac) {
      seen.push(f)
      if (f === first) ac.add(client().submit(inc, 21))
    }
    expect(seen).toHaveLength(2)
    expect(await seen[1].result()).toBe(22)
  })

  test("withResults yields [future, result] and throws the first error", async () => {
    const ok = client().submit(inc, 30)
    const pairs = []
    for await (const pair of asCompleted([ok], { withResults: true })) pairs.push(pair)
    expect(pairs).toEqual([[ok, 31]])
    const bad = client().submit(overQuota, 5)
    await expect(async () => {
      for await (const _ of asCompleted([bad], { withResults: true })) {
        /* the error ends the loop */
      }
    }).rejects.toMatchObject({ name: "QuotaError" })
  })

  test("raiseErrors: false yields [future, error], a CancelledError for cancelled ones", async () => {
    const bad = client().submit(overQuota, 6)
    const gone = client().submit(sleepy, 10_001)
    await gone.cancel()
    const pairs = new Map()
    for await (const [f, r] of asCompleted([bad, gone], { withResults: true, raiseErrors: false })) pairs.set(f, r)
    expect(pairs.get(bad)).toMatchObject({ name: "QuotaError" })
    expect(pairs.get(gone)).toBeInstanceOf(CancelledError)
  })

  test("breaking out of the loop stops listening", async () => {
    const fs = client().map(inc, [40, 41, 42])
    for await (const _ of asCompleted(fs)) break
    await client().gather(fs)
  })
})

describe("progress", () => {
  // Task names carry a digit under vitest, which renames the fixtures' functions (see the fixture).
  test("on a terminal, draws one bar per task name in place and resolves when all are done", async () => {
    const out = capture(true)
    const fs = [...client().map(inc, [50, 51, 52]), client().submit(overQuota, 7), client().submit(sleepy, 150)]
    await progress(fs, { stream: out.stream, interval: 20 })
    const text = out.text()
    expect(text).toMatch(/inc\d* +\[#{30}\] 100% 3\/3/)
    expect(text).toMatch(/overQuota\d* +\[#{30}\] 100% 1\/1  1 error/)
    expect(text).toMatch(/sleepy\d* +\[#{30}\] 100% 1\/1/)
    expect(text).toContain("\x1b[3F") // moved up over the three bars to redraw them
    for (const f of fs) expect(f.done()).toBe(true)
  })

  test("elsewhere, prints plain periodic lines and a final one", async () => {
    const out = capture(false)
    await progress([client().submit(sleepy, 120)], { stream: out.stream, interval: 30 })
    const text = out.text()
    expect(text).not.toContain("\x1b[")
    expect(text).toMatch(/^ {4} sleepy\d* \[-{30}\] +0% 0\/1/m)
    expect(text).toMatch(/^done sleepy\d* \[#{30}\] 100% 1\/1/m)
  })

  test("looks where gather looks: arrays and plain objects, not inside a Set", async () => {
    const out = capture(false)
    const inSet = client().submit(sleepy, 5_000)
    const bare = Object.assign(Object.create(null) as object, { f: client().submit(inc, 61) })
    const structure = [new Set([inSet]), bare]
    const gathered = await client().gather(structure)
    expect(gathered[0]).toBe(structure[0]) // gather keeps the Set as it is
    await progress(structure, { stream: out.stream })
    const text = out.text()
    expect(text).toMatch(/^done inc\d* \[#{30}\] 100% 1\/1/m)
    expect(text).not.toContain("sleepy")
    expect(inSet.done()).toBe(false)
    await inSet.cancel()
  })

  test("an empty list finishes at once", async () => {
    const out = capture(false)
    await progress([], { stream: out.stream })
    expect(out.text()).toBe("")
  })
})
