/**
 * `weft/cluster`: what runs on the machines of a cluster (issue 14). A worker is started with
 * `npx weft worker redis://host:6379` or, to embed one in a service or a test, `startWorker`.
 * Clients connect with `Client.connect` from `weft` itself. A separate entry so that
 * `import "weft"` never loads BullMQ (`Client.connect` loads it when called).
 *
 * @module
 */
export { startWorker, type WorkerHandle, type WorkerOptions } from "../executors/cluster/worker.js"
