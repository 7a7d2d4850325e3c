/**
 * The workers registered in the cluster (each renews `{prefix}:w:{name}`, a JSON `WorkerInfo` with
 * a TTL): how many there are (`client.workers()`), and how many threads they run together, which
 * sets how many batches a client keeps in flight.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { scanKeys } from "../../core/redis-scan.js"
import { keys, type WorkerInfo } from "./protocol.js"

/** The registration keys of the workers alive now. */
export const registrations = (redis: Redis, prefix: string): Promise<string[]> => scanKeys(redis, keys.workers(prefix))

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
