/**
 * weft's Effect API (`import { Weft } from "weft/effect"`, or `import * as Weft from "weft/effect"`).
 *
 * @module
 */
// Registers what runs Delayed.compute() / persist().
import "./compute.js"
import * as Weft from "./Weft.js"
export {
  Client,
  TaskFailed,
  Cancelled,
  Timeout,
  KilledWorker,
  ClientClosed,
  TaskDefinitionError,
  local,
  connect,
  submit,
  map,
  starmap,
  withOptions,
  compute,
  persist,
  scatter,
  scatterMany,
  result,
  gather,
  wait,
  asCompleted,
  type ResultError,
  type EffectTaskOptions,
  type GatheredFailure
} from "./Weft.js"
/**
 * The whole Effect API as one namespace: `Weft.submit`, `Weft.result`, `Weft.Client`, ... (every
 * export of Weft.ts is public API, listed above).
 */
export { Weft }
export { Future, type FutureStatus } from "./Future.js"
export type { ClientOptions, ConnectOptions, FaultPlan } from "./Client.js"
export type { TaskLogLine } from "./internal/connect-options.js"
export { task, type Task } from "../dsl/task.js"
export { delayed, Delayed } from "../dsl/delayed.js"
export type { TaskOptions, RetryPolicy } from "../dsl/options.js"
