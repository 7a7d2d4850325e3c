/**
 * The result cache of a cluster client (`Client.connect(url, { cache })`, issue 17): a Redis store
 * on a connection of its own to the cluster's Redis, under the cluster's prefix. Results held in
 * Redis by the cluster are fetched for a write (only those worth writing); a hit is a value in
 * the client, which the tasks that need it receive in their batch.
 *
 * @internal
 * @module
 */
import { projectParts } from "../../cache/key.js"
import { RedisStore } from "../../cache/redis-store.js"
import { ResultCache } from "../../cache/result-cache.js"
import type { Executor } from "../../executors/executor.js"
import type { RedisTarget } from "../../executors/cluster/connection.js"
import type { ConnectSettings } from "./connect-options.js"
import { fetchOne, isHeld } from "./remote.js"
import type { TaskRecordOf } from "./task-record.js"

/** Opens the cluster's result cache, or undefined when `cache` is off. Closes `executor` when it fails. */
export async function openClusterCache(
  target: RedisTarget,
  settings: ConnectSettings,
  executor: Executor
): Promise<ResultCache<TaskRecordOf> | undefined> {
  const maxBytes = settings.cacheMaxBytes
  if (maxBytes === undefined) return undefined
  try {
    const { openRedis } = await import("../../executors/cluster/connection.js")
    const redis = await openRedis(target, { connectTimeoutMs: settings.connectTimeoutMs, name: "weft-cache" })
    const store = new RedisStore(redis, { prefix: settings.prefix, maxBytes, display: target.display, owns: true })
    const cache = await ResultCache.open<TaskRecordOf>(store, projectParts(settings.root))
    cache.fetchValue = (value) => (isHeld(value) ? fetchOne(executor, value) : undefined)
    return cache
  } catch (error) {
    await executor.close()
    throw error
  }
}
