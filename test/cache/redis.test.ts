/**
 * The result cache of the cluster on Redis (`Client.connect(url, { cache })`, issue 17), on a real
 * redis-server and worker processes: a warm rerun hits (top-down: its output only), an entry
 * evicted by the cache's own cap is a miss, a corrupted value is a miss and is replaced, and the
 * cache lives under its own keys.
 */
import { expect, test } from "vitest"
import { delayed, type Client, type Delayed } from "weft"
import { allKeys, useCluster } from "../cluster/helpers.js"
import { slowAdd, slowDouble } from "./slow-tasks.js"

const cluster = useCluster({ workers: 2, threads: 1 })

/** About `kb` KB of bytes, filled with `n`. */
const slowBlock = (n: number, kb: number) => {
  const end = Date.now() + 12
  while (Date.now() < end);
  return new Uint8Array(kb * 1000).fill(n)
}

const tree = (inputs: number[]): Delayed<number> => {
  const leaves = inputs.map((x) => delayed(slowDouble)(x))
  return delayed(slowAdd)(delayed(slowAdd)(leaves[0], leaves[1]), delayed(slowAdd)(leaves[2], leaves[3]))
}

/** The cluster's prefix (its workers serve that one): the cache's keys are under `weft:cache:`. */
const prefix = "weft"

/** Empties the cache between tests. */
const clearCache = async () => {
  const redis = cluster().inspect()
  const keys = await allKeys(redis, `${prefix}:cache:*`)
  if (keys.length > 0) await redis.del(...keys)
}

/** The last run's counts, as the store recorded them in Redis. */
const lastRun = async () => JSON.parse((await cluster().inspect().get(`${prefix}:cache:last-run`))!)

/** Runs `body` on a client connected with the cache on, closes it (the writes are done then). */
const session = async <T>(options: object, body: (client: Client) => Promise<T>): Promise<T> => {
  const client = await cluster().connect({ cache: true, ...options })
  try {
    return await body(client)
  } finally {
    await client.close()
  }
}

test("a warm rerun on the cluster looks up its output only and runs nothing", async () => {
  await clearCache()
  const compute = (client: Client) => client.gather(client.compute([tree([1, 2, 3, 4])]))
  expect(await session({}, compute)).toEqual([20])
  expect(await lastRun()).toMatchObject({ hits: 0, misses: 7, written: 7 })
  expect(await session({}, compute)).toEqual([20])
  expect(await lastRun()).toMatchObject({ hits: 1, misses: 0, lookups: 1 })
  // Its own keys only, under the prefix: 7 entries and the bookkeeping; nothing of the clients is left.
  const keys = await allKeys(cluster().inspect(), `${prefix}:cache:*`)
  expect(keys.filter((key) => key.startsWith(`${prefix}:cache:e:`))).toHaveLength(7)
  expect(await cluster().inspect().zcard(`${prefix}:cache:lru`)).toBe(7)
}, 90_000)

test("an entry evicted by the cache's cap is a miss; the recently used one stays", async () => {
  await clearCache()
  const options = { cache: { maxSize: "250 KB" } }
  const blocks = async (client: Client, ns: number[]) =>
    (await client.gather(ns.map((n) => client.submit(slowBlock, n, 100)))).map((b) => (b as Uint8Array)[0])
  expect(await session(options, (c) => blocks(c, [1, 2]))).toEqual([1, 2])
  expect(await lastRun()).toMatchObject({ written: 2 })
  // Use 1 again (now the most recent), then write 3: past the cap, the least recently used (2) goes.
  expect(await session(options, (c) => blocks(c, [1]))).toEqual([1])
  expect(await lastRun()).toMatchObject({ hits: 1 })
  expect(await session(options, (c) => blocks(c, [3]))).toEqual([3])
  const bytes = Number(await cluster().inspect().get(`${prefix}:cache:bytes`))
  expect(bytes).toBeLessThanOrEqual(250_000)
  expect(await session(options, (c) => blocks(c, [2]))).toEqual([2])
  expect(await lastRun()).toMatchObject({ hits: 0, misses: 1 })
  expect(await session(options, (c) => blocks(c, [3]))).toEqual([3])
  expect(await lastRun()).toMatchObject({ hits: 1, misses: 0 })
}, 90_000)

test("a corrupted value is a miss: it is removed, the task runs, the right value is cached again", async () => {
  await clearCache()
  const run = (client: Client) => client.submit(slowDouble, 21).result()
  expect(await session({}, run)).toBe(42)
  const redis = cluster().inspect()
  const [entry] = await allKeys(redis, `${prefix}:cache:e:*`)
  const good = await redis.hgetBuffer(entry, "v")
  // Same length, other bytes: only the integrity check can tell.
  await redis.hset(entry, "v", Buffer.from(good!.map((byte) => byte ^ 0xff)))
  expect(await session({}, run)).toBe(42)
  expect(await lastRun()).toMatchObject({ hits: 0, misses: 1, written: 1 })
  expect((await redis.hgetBuffer(entry, "v"))!.equals(good!)).toBe(true)
  expect(await session({}, run)).toBe(42)
  expect(await lastRun()).toMatchObject({ hits: 1 })
}, 90_000)

test("Client.connect's cache option: bad values are refused with a clear TypeError", async () => {
  const url = cluster().redis.url
  const { Client } = await import("weft")
  await expect(Client.connect(url, { cache: { dir: "x" } } as never)).rejects.toThrow(/cache.dir is for Client.local/)
  await expect(Client.connect(url, { cache: "yes" } as never)).rejects.toThrow(/cache must be true, false or an object/)
  await expect(Client.connect(url, { cache: { maxSize: "lots" } })).rejects.toThrow(/maxSize/)
})
