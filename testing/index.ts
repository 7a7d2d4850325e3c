/**
 * weft/testing: the property-test harness (spec section 11). Prove, in any test runner, that your
 * tasks and graphs are safe to distribute: deterministic where declared pure, clone-safe, and
 * unchanged by retries after transient failures.
 *
 * ```ts
 * import fc from "fast-check"
 * import { checkTask, checkGraph } from "weft/testing"
 *
 * await checkTask(inc, fc.tuple(fc.integer()))
 * await checkGraph(salesReport, fc.tuple(fc.array(fc.string())), { faults: { seed: 1, rate: 0.3 } })
 * ```
 *
 * @module
 */
export { checkTask, type CheckTaskOptions } from "./check-task.js"
export { checkGraph, type CheckGraphOptions, type GraphFunction } from "./check-graph.js"
export {
  arbitraries,
  type RandomGraph,
  type RandomNode,
  type RandomGraphOptions,
  type RandomGraphResult
} from "./arbitraries.js"
export { CheckFailed, type RunOptions } from "./internal/report.js"
export type { ArbitraryOf } from "./arbitrary.js"
export type { FaultPlan } from "../runtime/index.js"
