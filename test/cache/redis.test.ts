/**
 * The result cache of the cluster on Redis (`Client.connect(url, { cache })`, issue 17), on a real
 * redis-server and worker processes: every rule of the shared table (rules.ts: the key, what is
 * never cached, the write rule, the lock by cache key, the cap, close), then what is the
 * cluster's own: a warm rerun hits (top-down: its output only), a corrupted value is a miss and is
 * replaced, the cache never fills the Redis the queue needs, and `weft cache --redis URL`.
 */
import { expect, test } from "vitest"
import { Client, delayed, type Delayed } from "weft"
import { RedisStore } from "../../dist/cache/redis-store.js"
import { main } from "../../dist/cli/weft.js"
import { allKeys, useCluster } from "../cluster/helpers.js"
import { cacheRules, type CacheTarget } from "./rules.js"
import { slowAdd, slowBlock, slowDouble } from "./slow-tasks.js"

const cluster = useCluster({ workers: 2, threads: 1 })

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

const onRedis: CacheTarget = {
  client: (options) => cluster().connect({ cache: options === undefined ? true : options }),
  openInProgram: "Client.connect(process.env.REDIS_URL, { cache: true })",
  env: () => ({ REDIS_URL: cluster().redis.url }),
  lastRun,
  async contents() {
    const redis = cluster().inspect()
    const store = new RedisStore(redis, { prefix, maxBytes: 1e9, display: "test" })
    const tasks = (await store.list()).map((entry) => entry.meta?.parts.task ?? "?").sort()
    return { tasks, bytes: Number((await redis.get(`${prefix}:cache:bytes`)) ?? 0) }
  },
  clear: clearCache,
  // The worker processes keep the modules they imported: each edit is made in a fresh copy.
  tasksSeeClientEnv: false,
  editsInPlace: false
}

cacheRules(() => onRedis)

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
  await expect(Client.connect(url, { cache: { dir: "x" } } as never)).rejects.toThrow(/cache.dir is for Client.local/)
  await expect(Client.connect(url, { cache: "yes" } as never)).rejects.toThrow(/cache must be true, false or an object/)
  await expect(Client.connect(url, { cache: { maxSize: "lots" } })).rejects.toThrow(/maxSize/)
})

test("the cache never fills the Redis the queue needs: its own cap holds under Redis's maxmemory", async () => {
  await clearCache()
  const redis = cluster().inspect()
  const [, before] = (await redis.config("GET", "maxmemory")) as [string, string]
  const used = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1])
  // 8 MB left for everything; 12 results of 1 MB go through a cache capped at 2 MB.
  await redis.config("SET", "maxmemory", String(used + 8_000_000))
  try {
    await session({ cache: { maxSize: "2 MB" } }, async (client) => {
      for (let i = 0; i < 12; i++) {
        const future = client.submit(slowBlock, i, 1000)
        expect(((await future.result()) as Uint8Array)[0]).toBe(i)
        future.release()
      }
    })
    expect(await lastRun()).toMatchObject({ misses: 12, written: 12 })
    expect(Number(await redis.get(`${prefix}:cache:bytes`))).toBeLessThanOrEqual(2_000_000)
    // The queue still has room: a new client's task runs and its result is cached.
    expect(await session({}, (client) => client.submit(slowDouble, 50).result())).toBe(100)
    expect(await lastRun()).toMatchObject({ misses: 1, written: 1 })
  } finally {
    await redis.config("SET", "maxmemory", before)
  }
}, 120_000)

test("weft cache --redis URL: stats, ls, explain and clear of the cache in the cluster's Redis", async () => {
  await clearCache()
  const cli = async (...argv: string[]) => {
    let stdout = ""
    let stderr = ""
    const io = {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      cwd: "/"
    }
    const code = await main(["cache", ...argv], io)
    return { code, stdout, stderr }
  }
  const url = cluster().redis.url
  // An empty cache answers sensibly.
  expect((await cli("ls", "--redis", url)).stdout).toMatch(/Cache redis:\/\/.*\(keys weft:cache:\*\) is empty\./)
  expect((await cli("stats", "--redis", url)).stdout).toMatch(/0 entries, 0\.00 MB\.\nNo run recorded yet\./)

  await session({}, (client) => client.gather(client.map(slowDouble, [1, 2])))
  const stats = await cli("stats", "--redis", url)
  expect(stats).toMatchObject({ code: 0, stderr: "" })
  expect(stats.stdout).toMatch(/: 2 entries, /)
  expect(stats.stdout).toMatch(/Last run \(.*\): 0 hits, 2 misses \(2 written, 0 not worth writing/)
  const ls = await cli("ls", "--redis", url, "--prefix", prefix)
  const keys = ls.stdout
    .trim()
    .split("\n")
    .map((line) => line.split("  ")[0])
  expect(keys).toHaveLength(2)
  expect(ls.stdout).toContain("inline#slowDouble")
  const explained = await cli("explain", keys[0].slice(0, 12), "--redis", url)
  expect(explained.code).toBe(0)
  expect(explained.stdout).toContain(`key           ${keys[0]}`)
  expect(explained.stdout).toMatch(/task {10}inline#slowDouble/)
  expect((await cli("explain", "f".repeat(64), "--redis", url)).code).toBe(1)

  // Another prefix is another cluster's cache: empty, and clearing it leaves this one.
  expect((await cli("clear", "--redis", url, "--prefix", "other")).stdout).toMatch(/Removed 0 entries/)
  expect((await cli("stats", "--redis", url)).stdout).toMatch(/: 2 entries, /)
  expect((await cli("clear", "--redis", url)).stdout).toMatch(/Removed 2 entries \(.* MB\) from redis:\/\//)
  expect((await cli("ls", "--redis", url)).stdout).toContain("is empty")
  expect(await allKeys(cluster().inspect(), `${prefix}:cache:*`)).toEqual([])

  // A Redis nobody listens on: exit 1 with what went wrong.
  const down = await cli("stats", "--redis", "redis://127.0.0.1:1")
  expect(down).toMatchObject({ code: 1, stdout: "" })
  expect(down.stderr).toMatch(/weft cache: .*127\.0\.0\.1:1/)
}, 60_000)
