/**
 * The conformance suite of `Executor` implementations (`executor.ts`), beside the interface it
 * checks (Hono's router suite, for executors): every implementation must pass all of it, so that
 * what a task sees and what comes back does not depend on where it ran. An executor's test file
 * calls `executorConformance` with a way to start one; what the executor cannot do is declared as
 * skips with reasons, and the cases that need it are reported skipped with that reason.
 *
 * The cases are grouped by concern in `conformance/`. Test code: excluded from the build
 * (`*.case.ts`), never in `dist/`. The registered tasks the cases run are fixtures in `test/fixtures/`.
 */
import { afterAll, beforeAll, describe } from "vitest"
import type { WireBatch } from "../core/protocol.js"
import { abortCases } from "./conformance/abort.case.js"
import { failureCases } from "./conformance/failures.case.js"
import { functionCases } from "./conformance/functions.case.js"
import { interruptCases } from "./conformance/interrupts.case.js"
import { streamingCases } from "./conformance/streaming.case.js"
import type { Skips, Suite } from "./conformance/support.case.js"
import type { BatchAbort, Executor } from "./executor.js"

export { batchOf, inline, registered, type Skips } from "./conformance/support.case.js"

/**
 * Defines the conformance suite for the executor that `make` starts (once for the suite, and again
 * for the cases that close one). `skip` names what it cannot do, each with the reason.
 */
export function executorConformance(name: string, make: () => Promise<Executor>, skip: Skips = {}): void {
  describe(`${name} executor conformance`, () => {
    let executor: Executor | undefined
    const suite: Suite = {
      get executor(): Executor {
        if (executor === undefined) throw new Error("the executor under test has not started")
        return executor
      },
      make,
      run: (batch: WireBatch, signal?: BatchAbort) => suite.executor.run(batch, signal),
      skip
    }

    beforeAll(async () => {
      executor = await make()
    })
    afterAll(async () => {
      await executor?.close()
    })

    functionCases(suite)
    failureCases(suite)
    streamingCases(suite)
    interruptCases(suite)
    abortCases(suite)
  })
}
