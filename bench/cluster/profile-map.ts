/**
 * The client's side of the cluster map, for a CPU profile: `node --cpu-prof --import tsx
 * bench/cluster/profile-map.ts` (after `npm run build`) runs a map of 20,000 trivial tasks + gather
 * three times on a redis-server of its own and two `weft worker --threads 1` processes.
 */
import { Client } from "weft"
import { ensurePrograms, redisServer } from "../../test/support/programs.js"
import { startRedis } from "../../test/support/redis.js"
import { mapGather, startWeftWorker, stopWeftWorker } from "./weft-side.js"

const [executable] = ensurePrograms([redisServer])
const redis = await startRedis({ executable })
const workers = [await startWeftWorker(redis.url, "prof-w1"), await startWeftWorker(redis.url, "prof-w2")]
const client = await Client.connect(redis.url)
try {
  for (let i = 0; i < 3; i++)
    console.log(`map 20,000 + gather: ${((await mapGather(client, 20_000)) / 20).toFixed(1)} µs/task`)
} finally {
  await client.close()
  for (const worker of workers) await stopWeftWorker(worker)
  await redis.stop()
}
process.exit(0)
