import { spawnSync } from "node:child_process"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { describe, expect, test } from "vitest"
import { CancelledError, Client, ClientClosedError, fireAndForget } from "weft"
import { countedInc, failsFirstRun, failsThenSucceeds, inc, sleepy } from "../fixtures/client-tasks.js"
import { noStrayErrors } from "../faults/fault-helpers.js"
import { runCount, runLog } from "./helpers.js"

noStrayErrors()

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

describe("the default client", () => {
  test("the first client started is the default until it closes", async () => {
    expect(Client.current()).toBeUndefined()
    const first = await Client.local({ workers: 0 })
    const second = await Client.local({ workers: 0 })
    expect(Client.current()).toBe(first)
    await first.close()
    expect(Client.current()).toBeUndefined()
    await second.close()
    const third = await Client.local({ workers: 0 })
    expect(Client.current()).toBe(third)
    await third.close()
  })
})

describe("close", () => {
  test("rejects every waiting result() with ClientClosedError", async () => {
    const client = await Client.local({ workers: 1 })
    const running = client.submit(sleepy, 5_000)
    const queued = client.submit(inc, running)
    const waiting = Promise.allSettled([running.result(), queued.result()])
    await client.close()
    for (const outcome of await waiting) {
      expect(outcome.status).toBe("rejected")
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ClientClosedError)
    }
    expect(running.status).toBe("cancelled")
  })

  test("await using closes the client at the end of the block", async () => {
    let kept: Client | undefined
    {
      await using client = await Client.local({ workers: 0 })
      kept = client
      expect(await client.submit(inc, 1).result()).toBe(2)
    }
    expect(() => kept!.submit(inc, 1)).toThrow(ClientClosedError)
  })

  test("the process exits on its own after close, even with tasks running", () => {
    const script = `
      import { Client } from "weft"
      const client = await Client.local({ workers: 2 })
      const slow = client.submit(async (ms) => new Promise((r) => setTimeout(r, ms)), 60_000)
      client.map((x) => x + 1, [1, 2, 3])
      slow.result().catch((e) => console.log(e.name))
      await client.close()
      console.log("closed")
    `
    const started = Date.now()
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: process.cwd(),
      encoding: "utf8",
      timeout: 15_000
    })
    expect(run.stderr).toBe("")
    expect(run.stdout.trim().split("\n").sort()).toEqual(["ClientClosedError", "closed"])
    expect(run.status).toBe(0)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe("release and heldKeys", () => {
  test("a finished result is held until every future of its key is released", async () => {
    await using client = await Client.local({ workers: 0 })
    const a = client.submit(inc, 10)
    const b = client.submit(inc, 10)
    await a.result()
    expect(client.heldKeys()).toContain(a.key)
    a.release()
    expect(a.status).toBe("cancelled")
    expect(client.heldKeys()).toContain(a.key)
    b[Symbol.dispose]()
    expect(client.heldKeys()).not.toContain(a.key)
  })

  test("a result needed by a pending dependent survives the release of its own future", async () => {
    await using client = await Client.local({ workers: 1 })
    const x = client.submit(inc, 1)
    const slow = client.submit(sleepy, 200)
    const y = client.submit((a: number, _b: number) => a * 10, x, slow)
    x.release()
    expect(await y.result()).toBe(20)
    expect(client.heldKeys()).not.toContain(x.key)
  })

  test("a future that is garbage-collected releases its result", async () => {
    await using client = await Client.local({ workers: 0 })
    let key = ""
    await (async () => {
      const f = client.submit(inc, 1234)
      key = f.key
      await f.result()
    })()
    expect(client.heldKeys()).toContain(key)
    for (let i = 0; i < 20 && client.heldKeys().includes(key); i++) {
      gc()
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(client.heldKeys()).not.toContain(key)
  })

  test("a released pure call submitted again computes again", async () => {
    await using client = await Client.local({ workers: 1 })
    const log = runLog()
    const a = client.submit(countedInc, log, 5)
    await a.result()
    a.release()
    const b = client.submit(countedInc, log, 5)
    expect(await b.result()).toBe(6)
    expect(runCount(log)).toBe(2)
  })

  for (const workers of [0, 1]) {
    test(`fireAndForget finds the Futures in a null-prototype object too (workers: ${workers})`, async () => {
      await using client = await Client.local({ workers })
      const log = runLog()
      const f = client.submit(countedInc, log, 2)
      fireAndForget({ inside: Object.assign(Object.create(null) as object, { f }) })
      const key = f.key
      f.release()
      await client.submit(sleepy, 300).result()
      expect(runCount(log)).toBe(1)
      expect(client.heldKeys()).not.toContain(key)
    })
  }

  test("fireAndForget runs a released task to the end and keeps no result", async () => {
    await using client = await Client.local({ workers: 1 })
    const log = runLog()
    const f = client.submit(countedInc, log, 1)
    fireAndForget(f)
    const key = f.key
    f.release()
    const marker = client.submit(sleepy, 300)
    await marker.result()
    expect(runCount(log)).toBe(1)
    expect(client.heldKeys()).not.toContain(key)
  })
})

describe("cancel and retry", () => {
  test("cancelling a pending future cancels its dependents; exception() is undefined", async () => {
    await using client = await Client.local({ workers: 1 })
    const x = client.submit(sleepy, 2_000)
    const y = client.submit(inc, x)
    const z = client.submit(inc, y)
    await y.cancel()
    expect(y.status).toBe("cancelled")
    expect(z.status).toBe("cancelled")
    await expect(z.result()).rejects.toBeInstanceOf(CancelledError)
    expect(await z.exception()).toBeUndefined()
    expect(x.status).toBe("pending")
  })

  test("cancelling a running task stops it and the cluster keeps working", async () => {
    await using client = await Client.local({ workers: 1 })
    const slow = client.submit(sleepy, 30_000)
    await new Promise((r) => setTimeout(r, 300))
    const started = Date.now()
    await slow.cancel()
    expect(await client.submit(inc, 41).result()).toBe(42)
    expect(Date.now() - started).toBeLessThan(10_000) // the task sleeps 30 s
  })

  test("retry() re-runs on an input that was forgotten and computed again meanwhile", async () => {
    await using client = await Client.local({ workers: 1 })
    const log = runLog()
    const x = client.submit(inc, 700)
    const y = client.submit(failsFirstRun, log, x)
    await expect(y.result()).rejects.toThrow("first run fails")
    x.release() // y has erred, so nothing needs x: its result is forgotten
    expect(client.heldKeys()).not.toContain(x.key)
    const again = client.submit(inc, 700)
    expect(await again.result()).toBe(701)
    await y.retry()
    expect(await y.result()).toBe(7010)
  })

  test("retry() runs an errored future again", async () => {
    await using client = await Client.local({ workers: 1 })
    const log = runLog()
    const f = client.submit(failsThenSucceeds, log, 1)
    await expect(f.result()).rejects.toThrow("attempt 1 failed")
    await f.retry()
    expect(f.status).toBe("pending")
    expect(await f.result()).toBe(2)
  })
})

describe("garbage collection while waiting", () => {
  test("a Future awaited through result() alone is not collected and released mid-wait", async () => {
    await using client = await Client.local({ workers: 1 })
    const waiting = client.submit(sleepy, 400).result()
    for (let i = 0; i < 10; i++) {
      gc()
      await new Promise((r) => setTimeout(r, 20))
    }
    await expect(waiting).resolves.toBe(400)
  })
})
