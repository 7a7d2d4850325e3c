/**
 * The module tinypool loads in every worker. Its default export runs one batch.
 *
 * It must never throw while loading: tinypool then marks the pool as failing during bootstrap,
 * stops replacing workers and leaves later runs pending forever. So it imports nothing at load
 * (not even `run-batch.js`: a broken install then fails batches, not the pool), and never
 * `effect` or tinypool. In a child process it loads the parent watch (`parent-watch.js`).
 *
 * @internal
 */
import type { WireBatch, WireBatchResult } from "../../core/protocol.js"

/** `runBatchNow`: a batch that ran at once returns its result itself (tinypool sends it in the same turn). */
type RunBatch = (batch: WireBatch) => WireBatchResult | Promise<WireBatchResult>

let runBatch: RunBatch | undefined
let loading: Promise<RunBatch> | undefined

// Marks this thread as a weft worker (worker-state.ts, which this module may not import): a client
// started here, by a task module that also starts one at its top level, fails at once.
;(globalThis as Record<symbol, unknown>)[Symbol.for("weft.worker")] ??= { loading: [] }

// A child process worker exits when the client process is gone (parent-watch.ts). Loaded, not
// imported: a failure here must not fail this module's load (it would stop the pool).
if (typeof process.send === "function") {
  import("./parent-watch.js")
    .then(
      (module) => module.watchParent(),
      () => {}
    )
    .catch(() => {})
}

/** Runs `batch` in this worker (tinypool's handler). */
export default function run(batch: WireBatch): WireBatchResult | Promise<WireBatchResult> {
  if (runBatch !== undefined) return runBatch(batch)
  loading ??= import("./run-batch.js").then(
    (module) => (runBatch = module.runBatchNow),
    (error: unknown) => {
      loading = undefined // let the next batch try again
      throw error
    }
  )
  return loading.then((run) => run(batch))
}
