// A hand-written BullMQ worker process: the baseline side of the `cluster` bench scenario, what a
// user of BullMQ alone would write (one job per task). Run with plain node:
//   node bench/cluster/bullmq-worker.mjs <redis-url> <queue> <concurrency>
// It answers "ready" over IPC once its Worker is connected, and closes on "close" or SIGTERM.
import { Worker } from "bullmq"
import { Redis } from "ioredis"

const [url, queue, concurrency] = process.argv.slice(2)
// BullMQ needs maxRetriesPerRequest: null; in ESM it takes a client instance, not options.
const connection = new Redis(url, { maxRetriesPerRequest: null })
// The trivial task: x + 1.
const worker = new Worker(queue, async (job) => job.data + 1, { connection, concurrency: Number(concurrency) })
worker.on("error", (error) => process.stderr.write(`bullmq worker ${process.pid}: ${error.message}\n`))

let closing = false
async function close() {
  if (closing) return
  closing = true
  await worker.close()
  await connection.quit()
  process.exit(0)
}
process.on("SIGTERM", close)
process.on("message", (message) => {
  if (message === "close") void close()
})
await worker.waitUntilReady()
process.send?.("ready")
