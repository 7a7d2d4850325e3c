/**
 * Clients that died leave nothing behind for long (issue 14), even an idle client no worker runs
 * anything for. Each client renews its lease and lists itself in the set `{prefix}:clients`
 * (`renewLease`); every worker sweeps now and then (`sweepLapsedClients`): a listed client whose
 * lease is gone died without `close()`, so its keys are deleted and it leaves the set.
 *
 * One sweep at a time per prefix (a lock key with a TTL), so that many workers do not all scan;
 * a sweep costs one SMEMBERS and one EXISTS per live client, plus the deletions: it never scans
 * the keyspace for clients.
 *
 * @internal
 */
import type { Redis } from "ioredis"
import { deleteClientKeys } from "./cleanup.js"
import { keys } from "./protocol.js"

/** The set of client ids that may own keys. */
export const clientsKey = (prefix: string): string => `${prefix}:clients`
const sweepLockKey = (prefix: string): string => `${prefix}:sweep`

/** How often a worker sweeps, in ms. */
export const sweepEveryMs = 5_000

/** Sets the client's lease for `leaseMs` and lists the client, in one round trip (re-lists it after a FLUSHALL). */
export async function renewLease(redis: Redis, prefix: string, clientId: string, leaseMs: number): Promise<void> {
  await redis.multi().set(keys.lease(prefix, clientId), "1", "PX", leaseMs).sadd(clientsKey(prefix), clientId).exec()
}

/**
 * Deletes the keys of every listed client whose lease lapsed; returns their ids. Skips (returns [])
 * when another worker swept less than `sweepEveryMs` ago.
 */
export async function sweepLapsedClients(redis: Redis, prefix: string): Promise<string[]> {
  if ((await redis.set(sweepLockKey(prefix), "1", "PX", sweepEveryMs - 500, "NX")) === null) return []
  const clients = await redis.smembers(clientsKey(prefix))
  if (clients.length === 0) return []
  const pipeline = redis.pipeline()
  for (const client of clients) pipeline.exists(keys.lease(prefix, client))
  const alive = (await pipeline.exec()) ?? []
  const lapsed = clients.filter((_, i) => alive[i]?.[1] === 0)
  for (const client of lapsed) {
    await deleteClientKeys(redis, prefix, client)
    // A client that renews right now (it was only slow) lists itself again with its next renewal.
    await redis.srem(clientsKey(prefix), client)
  }
  return lapsed
}
