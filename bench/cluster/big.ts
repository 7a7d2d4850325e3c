/**
 * Big work on the cluster (issue 14): a map of 1,000,000 items, then a map + `gather` of 100,000
 * results, on a redis-server of its own and two `weft worker --threads 1` processes; reports the
 * client's peak RSS and heap (sampled every 50 ms) and the time of each phase.
 *
 *   npm run build --silent && npx tsx bench/cluster/big.ts [--map 1000000] [--gather 100000]
 *
 * The map's values stay in Redis (it waits with `wait`, then releases); the gather brings its
 * 100,000 values to the client.
 */
import { Client, wait } from "weft"
import { ensurePrograms, redisServer } from "../../test/support/programs.js"
import { startRedis } from "../../test/support/redis.js"
import { startWeftWorker, stopWeftWorker } from "./weft-side.js"

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name)
  return at < 0 ? fallback : Number(process.argv[at + 1])
}

const inc = (x: number) => x + 1
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`

/** Samples this process's memory until stopped; the peaks. */
function sampler() {
  const peak = { rss: 0, heap: 0 }
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage()
    peak.rss = Math.max(peak.rss, rss)
    peak.heap = Math.max(peak.heap, heapUsed)
  }
  const timer = setInterval(sample, 50)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return peak
    }
  }
}

async function phase(name: string, run: () => Promise<void>): Promise<void> {
  global.gc?.()
  const before = process.memoryUsage()
  const memory = sampler()
  const start = performance.now()
  await run()
  const ms = performance.now() - start
  const peak = memory.stop()
  console.log(
    `${name}: ${(ms / 1000).toFixed(1)} s; client peak RSS ${mb(peak.rss)} (${mb(before.rss)} before), ` +
      `peak heap ${mb(peak.heap)} (${mb(before.heapUsed)} before)`
  )
}

const [executable] = ensurePrograms([redisServer], (line: string) => console.log(line))
const redis = await startRedis({ executable })
const workers = [await startWeftWorker(redis.url, "big-w1"), await startWeftWorker(redis.url, "big-w2")]
const client = await Client.connect(redis.url)
try {
  const mapItems = arg("--map", 1_000_000)
  const gatherItems = arg("--gather", 100_000)
  await phase(`map of ${mapItems.toLocaleString("en")} (wait, release)`, async () => {
    const futures = client.map(
      inc,
      Array.from({ length: mapItems }, (_, i) => i)
    )
    await wait(futures)
    for (const future of futures) future.release()
  })
  await phase(`map + gather of ${gatherItems.toLocaleString("en")}`, async () => {
    const futures = client.map(
      inc,
      Array.from({ length: gatherItems }, (_, i) => i + 0.5)
    )
    const values = await client.gather(futures)
    if (values.length !== gatherItems || values[7] !== 8.5) throw new Error("wrong gather")
    for (const future of futures) future.release()
  })
} finally {
  await client.close()
  for (const worker of workers) await stopWeftWorker(worker)
  await redis.stop()
}
// Whatever a closed client or a stopped worker's pipes leave open must not keep the bench alive.
process.exit(0)
