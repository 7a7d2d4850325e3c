/**
 * The cluster's main behaviour, end to end: `Client.connect` against a real redis-server and two
 * `weft worker` processes (test/cluster/helpers.ts). The behaviour tests of test/client/ also run
 * here unchanged (core-client-suite.test.ts); these are what only a cluster has: results that
 * stay in Redis, cancels that reach another process, and what `close()` leaves behind (nothing).
 */
import { Queue } from "bullmq"
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import * as Effect from "effect/Effect"
import { describe, expect, test } from "vitest"
import { CancelledError, Client, delayed, TaskDefinitionError } from "weft"
import { Weft } from "weft/effect"
import { inc } from "../fixtures/client-tasks.js"
import { allKeys, startWorkerProcess, useCluster } from "./helpers.js"
import { engineOf } from "../../dist/runtime/internal/client-engine.js"

const cluster = useCluster({ workers: 2, threads: 1 })

/** Polls `check` until it returns true (Redis deletes are sent without waiting for them). */
const eventually = async (check: () => Promise<boolean>, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const clientIdOf = (client: Client): string => (engineOf(client).executor as unknown as { clientId: string }).clientId

describe("Client.connect", () => {
  test("runs submit, map, gather and a delayed graph on the workers, which are other processes", async () => {
    const client = await cluster().connect()
    const pids = client.map((_: number) => process.pid, [1, 2, 3, 4], { pure: false })
    const seen = await client.gather(pids)
    expect(seen.every((pid) => pid !== process.pid)).toBe(true)
    const total = client.submit((xs: number[]) => xs.reduce((a, b) => a + b, 0), client.map(inc, [1, 2, 3]))
    expect(await total.result()).toBe(9)
    const graph = delayed((a: number, b: number) => a * b)(delayed(inc)(2), 7)
    expect(await client.gather(client.compute(graph))).toBe(21)
    expect(await client.workerCount()).toBe(2)
    await client.close()
  })

  test("keeps results in Redis under the client's id until released, and heldKeys lists them", async () => {
    const client = await cluster().connect()
    const redis = cluster().inspect()
    const id = clientIdOf(client)
    const a = client.submit((x: number) => ({ x }), 1)
    const b = client.submit((o: { x: number }) => o.x + 1, a)
    expect(await b.result()).toBe(2)
    const resultKey = (key: string) => `weft:r:${id}:${key}`
    expect(await redis.exists(resultKey(a.key), resultKey(b.key))).toBe(2)
    expect(client.heldKeys().sort()).toEqual([a.key, b.key].sort())
    a.release()
    await eventually(async () => (await redis.exists(resultKey(a.key))) === 0)
    expect(client.heldKeys()).toEqual([b.key])
    expect(await b.result()).toBe(2)
    await client.close()
  })

  test("close() leaves nothing of the client in Redis: results, stream, lease, jobs", async () => {
    const client = await cluster().connect()
    const redis = cluster().inspect()
    const id = clientIdOf(client)
    const done = client.map((x: number) => x * 2, [1, 2, 3, 4, 5, 6])
    await client.gather(done)
    const running = client.submit(() => new Promise((resolve) => setTimeout(resolve, 60_000)))
    const queued = client.map((x: number) => x, [7, 8, 9])
    expect((await allKeys(redis, `*${id}*`)).length).toBeGreaterThan(0)
    await client.close()
    await expect(running.result()).rejects.toThrow()
    expect(queued.every((f) => f.status === "cancelled")).toBe(true)
    await eventually(async () => (await allKeys(redis, `*${id}*`)).length === 0)
  })

  test("await using closes the client and deletes its keys", async () => {
    const redis = cluster().inspect()
    let id: string
    {
      await using client = await Client.connect(cluster().redis.url)
      id = clientIdOf(client)
      expect(await client.submit((x: number) => x + 1, 41).result()).toBe(42)
    }
    await eventually(async () => (await allKeys(redis, `*${id}*`)).length === 0)
  })

  test("cancel of a running task reaches its worker, which stops it and takes new work", async () => {
    const client = await cluster().connect()
    const long = client.map((i: number) => new Promise((resolve) => setTimeout(() => resolve(i), 120_000)), [1, 2], {
      pure: false
    })
    // Both workers (one thread each) run one: wait until each batch is active in BullMQ.
    const queue = new Queue("weft", { connection: cluster().inspect(), prefix: "weft" })
    await eventually(async () => (await queue.getActiveCount()) === 2, 15_000)
    for (const f of long) await f.cancel()
    await expect(long[0].result()).rejects.toBeInstanceOf(CancelledError)
    // Only a stopped task frees its worker's one thread for this one (else 2 minutes away).
    expect(await client.submit((x: number) => x * 3, 5).result()).toBe(15)
    await queue.close()
    await client.close()
  })

  test("retries a failing task on the workers, and retry() reruns an erred one", async () => {
    const client = await cluster().connect()
    const flaky = client.with({ retries: 2 }).submit((n: number) => {
      if (Math.random() < 2) throw new Error(`failed ${n}`)
      return n
    }, 1)
    await expect(flaky.result()).rejects.toThrow("failed 1")
    expect(flaky.status).toBe("error")
    flaky.retry()
    await expect(flaky.result()).rejects.toThrow("failed 1")
    await client.close()
  })

  test("describes itself with the Redis address and queue, never the credentials", async () => {
    const client = await cluster().connect()
    expect(String(client)).toMatch(/^<Client: cluster at redis:\/\/127\.0\.0\.1:\d+ \(queue weft\)/)
    expect(inspect(client)).toBe(String(client))
    await client.close()
    for (const worker of cluster().workers)
      expect(worker.status).toMatch(
        /^weft worker w\d: 1 thread \(thread\), queue weft, Redis redis:\/\/127\.0\.0\.1:\d+$/
      )
  })

  test("Weft.connect is a scoped layer: the client is closed, and its keys deleted, when the scope ends", async () => {
    const redis = cluster().inspect()
    let id = ""
    const program = Effect.gen(function* () {
      const client = yield* Weft.Client
      id = clientIdOf(client)
      const f = yield* Weft.submit((x: number) => x * 2, 21)
      return yield* Weft.result(f)
    })
    expect(await Effect.runPromise(Effect.provide(program, Weft.connect(cluster().redis.url)))).toBe(42)
    await eventually(async () => (await allKeys(redis, `*${id}*`)).length === 0)
  })

  test("bad input: a malformed URL is a TypeError, an unknown option too", async () => {
    await expect(Client.connect("http://localhost:6379")).rejects.toBeInstanceOf(TypeError)
    await expect(Client.connect(cluster().redis.url, { nope: 1 } as never)).rejects.toThrow(/unknown option "nope"/)
  })
})

describe("weft worker", () => {
  test("SIGTERM finishes the running batch, then the worker exits 0", async () => {
    const worker = await startWorkerProcess(cluster().redis.url, "graceful", ["--queue", "graceful"])
    const client = await cluster().connect({ queue: "graceful" })
    const redis = cluster().inspect()
    const slow = client.submit((x: number) => new Promise((resolve) => setTimeout(() => resolve(x * 2), 2_000)), 21)
    const queue = new Queue("graceful", { connection: redis, prefix: "weft" })
    await eventually(async () => (await queue.getActiveCount()) === 1, 15_000)
    worker.child.kill("SIGTERM")
    expect(await slow.result()).toBe(42)
    expect(await worker.exited).toBe(0)
    expect(worker.output()).toMatch(/SIGTERM, finishing the running batches/)
    await queue.close()
    await client.close()
  })

  test("a bad command line exits 2 with a message, and never prints the password", async () => {
    const { main } = await import("../../dist/cli/weft.js")
    const run = async (argv: string[]) => {
      let out = ""
      const io = {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: (t: string) => (out += t) },
        cwd: "."
      }
      return { code: await main(argv, io), out }
    }
    const missing = await run(["worker"])
    expect(missing.code).toBe(2)
    expect(missing.out).toMatch(/give the Redis URL/)
    const badUrl = await run(["worker", "http://user:s3cret@localhost:6379"])
    expect(badUrl.code).toBe(2)
    expect(badUrl.out).not.toContain("s3cret")
    const threads = await run(["worker", "redis://127.0.0.1:1", "--threads", "0"])
    expect(threads.out).toMatch(/--threads must be a whole number >= 1/)
  })
})

describe("a worker refuses what it must not run", () => {
  test("a registered task whose module differs on the worker fails with TaskDefinitionError naming both hashes", async () => {
    // A worker whose --root holds another copy of the fixture module.
    const root = mkdtempSync(join(tmpdir(), "weft-root-"))
    mkdirSync(join(root, "test", "fixtures"), { recursive: true })
    writeFileSync(join(root, "test", "fixtures", "client-tasks.ts"), "// another version of the module\n")
    const worker = await startWorkerProcess(cluster().redis.url, "other-root", ["--queue", "rooted", "--root", root])
    try {
      const client = await cluster().connect({ queue: "rooted" })
      const error = await client
        .submit(inc, 1)
        .result()
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TaskDefinitionError)
      expect((error as Error).message).toMatch(
        /client-tasks\.ts, whose file has hash [0-9a-f]{16} on this worker but [0-9a-f]{16} on the client/
      )
      await client.close()
    } finally {
      worker.child.kill("SIGKILL")
    }
  })

  test("a job of another protocol version is refused with a message naming both versions", async () => {
    const client = await cluster().connect({ queue: "versions" })
    const worker = await startWorkerProcess(cluster().redis.url, "versions", ["--queue", "versions"])
    try {
      // What a client of another weft version would send: version 999.
      const redis = cluster().inspect()
      const id = clientIdOf(client)
      const queue = new Queue("versions", { connection: redis, prefix: "weft" })
      await queue.add(
        "batch",
        { v: 999, client: id, root: "/", batch: "" },
        { jobId: `${id}-999`, removeOnComplete: true }
      )
      const { deserialize } = await import("node:v8")
      let text = ""
      await eventually(async () => {
        const entries = await redis.xrangeBuffer(`weft:c:${id}`, "-", "+")
        text = entries.map(([, fields]) => JSON.stringify(deserialize(fields[1]!))).join("\n")
        return text.includes("999")
      })
      expect(text).toMatch(/speaks cluster protocol version \d+, but this client sent version 999/)
      await queue.close()
    } finally {
      worker.child.kill("SIGKILL")
      await client.close()
    }
  })
})
