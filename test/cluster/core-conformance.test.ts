/**
 * The cluster executor (executors/cluster/client-executor.ts) passes the shared executor
 * conformance suite, with two `weft worker` processes behind it: values fetched from Redis
 * through `remote.fetch` (test/executor/held.ts `fetchingView`).
 */
import { afterAll, beforeAll } from "vitest"
import { makeClusterExecutor } from "../../dist/executors/cluster/client-executor.js"
import { parseRedisUrl } from "../../dist/executors/cluster/connection.js"
import { executorConformance } from "../executor/conformance.js"
import { fetchingView } from "../executor/held.js"
import { startCluster, type TestCluster } from "./helpers.js"

let cluster: TestCluster | undefined
beforeAll(async () => {
  cluster = await startCluster({ workers: 2, threads: 1 })
}, 120_000)
afterAll(async () => {
  await cluster?.stop()
}, 30_000)

executorConformance(
  "cluster",
  async () =>
    fetchingView(
      await makeClusterExecutor({
        target: parseRedisUrl(cluster!.redis.url),
        queue: "weft",
        prefix: "weft",
        leaseMs: 30_000,
        concurrency: 2,
        connectTimeoutMs: 10_000,
        root: process.cwd()
      })
    ),
  { offThread: true, interrupts: false }
)
