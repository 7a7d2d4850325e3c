/**
 * The in-process executor (`in-process.ts`), made synchronously and loaded at first need: what
 * `compute()` and `persist()` run on when no client is started. `import "weft"` does not load
 * `in-process.ts` and the worker modules it runs batches with (13 modules, about 10 ms of the
 * main thread's start-up: bench/profile/startup-timeline.mjs); the load starts when this executor
 * is made, and a batch waits for it.
 *
 * `startsLate`: a task's timeout starts when its batch is handed to the loaded executor (`onStart`),
 * not while the module loads. Once loaded, that is at `run`, as for the in-process executor.
 *
 * @internal
 */
import type { InterruptOutcome, PartialResults, WireBatch, WireBatchResult } from "../core/protocol.js"
import { ExecutorFailure, type BatchSignal, type Executor } from "./executor.js"

/** An executor that runs batches on this thread once `in-process.js` has loaded (`kind: "in-process"`, `workers: 1`). */
export function makeDeferredInProcessExecutor(): Executor {
  return new DeferredInProcessExecutor()
}

class DeferredInProcessExecutor implements Executor {
  readonly kind = "in-process"
  readonly abortLeavesRunning = true
  readonly startsLate = true
  readonly workers = 1
  #inner: Executor | undefined
  readonly #loading: Promise<Executor>

  constructor() {
    this.#loading = import("./in-process.js").then(
      (module) => (this.#inner = module.makeInProcessExecutor()),
      (error: unknown) => {
        throw new ExecutorFailure("transport", `The in-process executor could not load: ${String(error)}`, {
          cause: error
        })
      }
    )
    this.#loading.catch(() => {}) // reported by each run
  }

  run(batch: WireBatch, signal?: BatchSignal, onResults?: (part: PartialResults) => void): Promise<WireBatchResult> {
    const inner = this.#inner
    if (inner !== undefined) {
      signal?.onStart?.()
      return inner.run(batch, signal, onResults)
    }
    return this.#loading.then((loaded) => {
      signal?.onStart?.()
      return loaded.run(batch, signal, onResults)
    })
  }

  interrupt(id: number, graceMs: number): Promise<InterruptOutcome> {
    // A batch waiting for the load is handed over first (its `then` was registered earlier).
    return this.#loading.then(
      (loaded) => loaded.interrupt!(id, graceMs),
      () => "unknown" as const
    )
  }

  close(): Promise<void> {
    return this.#loading.then(
      (loaded) => loaded.close(),
      () => {}
    )
  }
}
