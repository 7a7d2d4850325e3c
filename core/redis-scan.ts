/**
 * Walking the keys that match a pattern with SCAN (which, unlike KEYS, never blocks Redis), page
 * by page through ioredis's `scanStream`: the one way the cluster, the dashboard and the cache
 * list their keys.
 *
 * @internal
 */
import type { Redis } from "ioredis"

/** Calls `each` with every page of keys matching `pattern` (awaited before the next page is read). */
export async function forEachKeyPage(
  redis: Redis,
  pattern: string,
  each: (page: string[]) => unknown,
  count = 1000
): Promise<void> {
  for await (const page of redis.scanStream({ match: pattern, count })) {
    const keys = page as string[]
    if (keys.length > 0) await each(keys)
  }
}

/** Every key matching `pattern` (a key may appear twice if it was renamed during the scan, as SCAN allows). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = []
  await forEachKeyPage(redis, pattern, (page) => void out.push(...page))
  return out
}
