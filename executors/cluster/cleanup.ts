/**
 * Deleting every key of one client: on `close()`, and by the worker that finds the client's
 * lease lapsed (the client died). SCAN + UNLINK in chunks, so a client with a million results does
 * not block Redis.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { forEachKeyPage } from "../../core/redis-scan.js"
import { keys } from "./protocol.js"

/** Deletes the client's results, queued batches, completion and log streams and lease. */
export async function deleteClientKeys(redis: Redis, prefix: string, client: string): Promise<void> {
  await redis.unlink(keys.lease(prefix, client), keys.completions(prefix, client), keys.logs(prefix, client))
  for (const pattern of [keys.results(prefix, client), keys.batches(prefix, client)])
    await forEachKeyPage(redis, pattern, (found) => redis.unlink(...found))
  // A result written between the scan and now cannot exist: writes need the lease (storeScript).
}
