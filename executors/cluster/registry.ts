/**
 * The workers registered in the cluster (each renews `{prefix}:w:{name}`, a JSON `WorkerInfo` with
 * a TTL): how many there are (`client.workers()`), and how many threads they run together, which
 * sets how many batches a client keeps in flight.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { keys, type WorkerInfo } from "./protocol.js"

/** The registration keys of the workers alive now. */
export async function registrations(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = []
  let cursor = "0"
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", keys.workers(prefix), "COUNT", 1000)
    cursor = next
    out.push(...found)
  } while (cursor !== "0")
  return out
}

/** The threads of the workers alive now, together. */
export async function registeredThreads(redis: Redis, prefix: string): Promise<number> {
  const found = await registrations(redis, prefix)
  if (found.length === 0) return 0
  let threads = 0
  for (const text of await redis.mget(...found)) {
    try {
      threads += text === null ? 0 : Math.max(0, Number((JSON.parse(text) as WorkerInfo).threads) || 0)
    } catch {
      // not a worker's registration
    }
  }
  return threads
}
