/**
 * weft: Dask.distributed's futures model for TypeScript. This is the Promise API (`import ... from "weft"`);
 * the same capabilities as Effect values are in `weft/effect`.
 *
 * @module
 */

// The cluster and the futures API
export {
  Client,
  isWorker,
  type ClientOptions,
  type ConnectOptions,
  type DashboardOptions,
  type FaultPlan
} from "./Client.js"
export type { ClientView } from "./types.js"
export type { TaskLogLine } from "./internal/connect-options.js"
export { Future, isFuture, type FutureStatus } from "./Future.js"
export { fireAndForget } from "./fire-and-forget.js"

// Waiting on many Futures
export {
  wait,
  asCompleted,
  AsCompleted,
  type AsCompletedOptions,
  type DoneAndNotDone,
  type ReturnWhen,
  type FutureValue,
  type CancelledOutcome
} from "./waiting.js"
export { progress, type ProgressOptions } from "./progress.js"

// Lazy graphs
export { delayed, Delayed, isDelayed, type TaskGraph, type GraphTask } from "../dsl/delayed.js"
export { compute, persist } from "./compute.js"
export { graphModule, type GraphModule, type GraphExtras, type ParamsArbitrary } from "../dsl/graph-module.js"

// Task functions, options and keys
export { task, type Task, type TaskMeta } from "../dsl/task.js"
export type { TaskOptions, RetryPolicy, CacheInputs } from "../dsl/options.js"
export type { CacheOptions, RedisCacheOptions } from "../cache/options.js"
export { tokenize, tokenizeSymbol } from "../dsl/tokenize.js"

// Errors
export {
  TaskError,
  CancelledError,
  TimeoutError,
  KilledWorkerError,
  ClientClosedError,
  TaskDefinitionError,
  LostResultError,
  ClusterConnectionError,
  ClusterMemoryError,
  type ClusterConnectionProblem
} from "../core/errors.js"
export { ValueTooLargeError } from "../core/value-size.js"

// Types of calls and results
export type {
  AnyFunction,
  Arg,
  Args,
  Computed,
  ComputedValue,
  DelayedOf,
  FutureOf,
  Gathered,
  TaskResult,
  TaskFailure
} from "./types.js"
