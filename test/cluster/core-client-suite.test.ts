/**
 * The client behaviour tests that run against `Client.local` (test/client/), run unchanged
 * against `Client.connect` with two `weft worker` processes: the same files, imported here with
 * `useClient` pointed at the cluster (test/client/helpers.ts `useClientsFrom`).
 */
import { useClientsFrom } from "../client/helpers.js"
import { useCluster } from "./helpers.js"

// Two threads per worker: a cancelled running task replaces its thread (seconds on a loaded
// machine, with tsx), and the tests that follow must not wait for that.
const cluster = useCluster({ workers: 2, threads: 2 })
useClientsFrom((options) => cluster().connect({ allowedFailures: options.allowedFailures ?? 3 }))

await import("../client/waiting.test.js")
await import("../client/map-gather.test.js")
await import("../client/submit.test.js")
await import("../client/errors.test.js")
await import("../client/retries.test.js")
