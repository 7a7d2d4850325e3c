/**
 * Deleting every key of one client: on `close()`, and by the worker that finds the client's
 * lease lapsed (the client died). SCAN + UNLINK in chunks, so a client with a million results does
 * not block Redis.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { keys } from "./protocol.js"

/** Deletes the client's results, queued batches, completion and log streams and lease. */
export async function deleteClientKeys(redis: Redis, prefix: string, client: string): Promise<void> {
  await redis.unlink(keys.lease(prefix, client), keys.completions(prefix, client), keys.logs(prefix, client))
  for (const pattern of [keys.results(prefix, client), keys.batches(prefix, client)]) {
    let cursor = "0"
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000)
      cursor = next
      if (found.length > 0) await redis.unlink(...found)
    } while (cursor !== "0")
  }
  // A result written between the scan and now cannot exist: writes need the lease (storeScript).
}
