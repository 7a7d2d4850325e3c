/**
 * What the failure tests (fail-*.test.ts) share: a cluster whose Redis they choose (AOF, limits),
 * polling with a deadline, and the keys of one client.
 */
import { Redis } from "ioredis"
import { onTestFinished } from "vitest"
import { Client } from "weft"
import { startRedis, type RedisOptions, type RedisServer } from "../support/redis.js"
import { startWorkerProcess, type WorkerProcess } from "./helpers.js"

/** Polls `check` every 100 ms until it returns true or `ms` passed; returns its last answer. */
export async function eventually(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return check()
}

/** A Redis of the test's choice and `workers` `weft worker` processes (one thread each), stopped after the test. */
export async function clusterFor(
  options: { redis?: RedisOptions; workers?: number; workerArgs?: string[] } = {}
): Promise<{
  redis: RedisServer
  workers: WorkerProcess[]
  admin: Redis
  connect(options?: Parameters<typeof Client.connect>[1]): Promise<Client>
}> {
  const redis = await startRedis(options.redis)
  const workers: WorkerProcess[] = []
  const clients: Client[] = []
  const admin = new Redis(redis.url, { maxRetriesPerRequest: null })
  admin.on("error", () => {})
  onTestFinished(async () => {
    await Promise.allSettled(clients.map((client) => client.close()))
    for (const worker of workers) worker.child.kill("SIGKILL")
    admin.disconnect()
    await redis.stop()
  })
  for (let i = 0; i < (options.workers ?? 2); i++)
    workers.push(await startWorkerProcess(redis.url, `w${i + 1}`, ["--threads", "1", ...(options.workerArgs ?? [])]))
  return {
    redis,
    workers,
    admin,
    async connect(connectOptions) {
      const client = await Client.connect(redis.url, connectOptions)
      clients.push(client)
      return client
    }
  }
}
