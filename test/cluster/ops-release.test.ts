/**
 * Releasing very many results at once (issue 14, big work): the cluster executor deletes them in
 * UNLINKs of 1,000 keys. One UNLINK spread over 200,000 keys overflowed the stack, in a microtask,
 * which crashed the client (found by bench/cluster/big.ts with a million Futures). A real
 * redis-server and the real cluster executor; no worker is needed to release keys.
 */
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startRedis, type RedisServer } from "../support/redis.js"
import { makeClusterExecutor } from "../../dist/executors/cluster/client-executor.js"
import { parseRedisUrl } from "../../dist/executors/cluster/connection.js"

let redis: RedisServer
beforeAll(async () => {
  redis = await startRedis()
}, 60_000)
afterAll(async () => {
  await redis?.stop()
})

describe("release of many results at once", () => {
  test(
    "200,000 results released in one call are all deleted, and the client lives on",
    { timeout: 120_000 },
    async () => {
      const executor = await makeClusterExecutor({
        target: parseRedisUrl(redis.url),
        queue: "weft",
        prefix: "weft",
        leaseMs: 30_000,
        concurrency: 2,
        connectTimeoutMs: 10_000,
        root: process.cwd()
      })
      const inspect = new Redis(redis.url, { maxRetriesPerRequest: null })
      try {
        const keys = Array.from({ length: 200_000 }, (_, i) => `k${i}`)
        for (let at = 0; at < keys.length; at += 10_000) {
          await inspect.mset(keys.slice(at, at + 10_000).flatMap((key) => [`weft:r:${executor.clientId}:${key}`, "1"]))
        }
        expect(() => executor.remote.release(keys)).not.toThrow()
        const deadline = Date.now() + 30_000
        while ((await inspect.exists(`weft:r:${executor.clientId}:k199999`, `weft:r:${executor.clientId}:k0`)) > 0) {
          if (Date.now() > deadline) throw new Error("not deleted within 30 s")
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        const [, left] = await inspect.scan("0", "MATCH", `weft:r:${executor.clientId}:*`, "COUNT", 1_000_000)
        expect(left).toEqual([])
      } finally {
        inspect.disconnect()
        await executor.close()
      }
    }
  )
})
