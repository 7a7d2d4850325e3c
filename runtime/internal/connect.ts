/**
 * What `Client.connect` builds: the cluster executor (executors/cluster/) under the one engine.
 *
 * @internal
 */
import { Engine } from "./engine.js"
import type { ClusterShape } from "./client-summary.js"
import { validateConnectOptions, type ConnectSettings } from "./connect-options.js"
import { openClusterCache } from "./cache-cluster.js"

/** Validates, connects, and returns the engine; rejects with `TypeError` or `ClusterConnectionError`. */
export async function connectCluster(
  url: string,
  options: unknown
): Promise<{
  engine: Engine
  shape: ClusterShape
  dashboard: ConnectSettings["dashboard"]
}> {
  if (typeof url !== "string")
    throw new TypeError(`Client.connect: the URL must be a string such as "redis://127.0.0.1:6379", got ${typeof url}.`)
  const settings = validateConnectOptions(options)
  // Loaded here, not at `import "weft"`: BullMQ and ioredis cost start-up time that a local client never needs.
  const { parseRedisUrl } = await import("../../executors/cluster/connection.js")
  const target = parseRedisUrl(url)
  const { makeClusterExecutor } = await import("../../executors/cluster/client-executor.js")
  const executor = await makeClusterExecutor({ target, ...settings })
  const cache = await openClusterCache(target, settings, executor)
  const engine = new Engine({ executor, allowedFailures: settings.allowedFailures, faults: settings.faults, cache })
  // Publishes to a `weft dashboard redis://...` while one watches (one EXISTS every 2 s until then).
  const { watchForDashboard } = await import("../dashboard/cluster-feed.js")
  watchForDashboard(engine, executor)
  return {
    engine,
    dashboard: settings.dashboard,
    shape: {
      isolation: "thread",
      memoryLimitBytes: undefined,
      cluster: { redis: target.display, queue: settings.queue }
    }
  }
}
