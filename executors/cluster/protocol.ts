/**
 * What a weft client and weft workers write to Redis (issue 14; docs/cluster.md). One BullMQ job
 * carries one batch; results live under their task's key; completions come back per task on a
 * Redis Stream of the client; a lease key says the client is alive; cancels travel on pub/sub.
 *
 * Every key of one client has the client id in it, so `close()` (or the worker that notices a
 * lapsed lease) deletes them with one SCAN pattern per kind.
 *
 * @internal
 */
import { deserialize, serialize } from "node:v8"
import type { BatchTiming, EncodedError, WireBatch } from "../../core/protocol.js"

/** Bumped whenever the job data or the stream entries change shape: a worker refuses other versions. */
export const clusterProtocolVersion = 3

/** Redis key names, given the prefix (default `weft`) and the client id. */
export const keys = {
  /** A task's result: `v8.serialize(value)`. */
  result: (prefix: string, client: string, key: string) => `${prefix}:r:${client}:${key}`,
  /** Pattern of every result of a client (SCAN MATCH). Keys are escaped for glob characters by `globEscape`. */
  results: (prefix: string, client: string) => `${prefix}:r:${globEscape(client)}:*`,
  /** A queued job's batch: `v8.serialize(WireBatch)`, read and deleted (GETDEL) by the worker that takes the job. */
  batch: (prefix: string, client: string, job: string) => `${prefix}:b:${client}:${job}`,
  /** Pattern of every queued batch of a client. */
  batches: (prefix: string, client: string) => `${prefix}:b:${globEscape(client)}:*`,
  /** The client's completions: a Stream of `StreamEntry`s. */
  completions: (prefix: string, client: string) => `${prefix}:c:${client}`,
  /** The client's forwarded task logs (`forwardLogs`): a Stream of JSON `LogEntry`s, bounded. */
  logs: (prefix: string, client: string) => `${prefix}:log:${client}`,
  /** The client's lease: exists (with a TTL the client renews) while the client lives. */
  lease: (prefix: string, client: string) => `${prefix}:lease:${client}`,
  /** A worker's registration (JSON `WorkerInfo`, with a TTL it renews). */
  worker: (prefix: string, name: string) => `${prefix}:w:${name}`,
  /** Pattern of every worker registration. */
  workers: (prefix: string) => `${prefix}:w:*`,
  /** The pub/sub channel of control messages (`ControlMessage`). */
  control: (prefix: string) => `${prefix}:ctl`
}

const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&")

/** The data of one BullMQ job: one batch of one client. */
export interface JobData {
  /** `clusterProtocolVersion` of the client. */
  readonly v: number
  /** The client id. */
  readonly client: string
  /** The client's project root (a file path): `--root DIR` maps it to the worker's. */
  readonly root: string
  /**
   * Always "": the batch itself is a binary value of its own (`keys.batch`), not JSON in the job
   * (no base64, no copy in BullMQ's job hash). Kept as a string so that a worker of an older
   * protocol version still reaches its version check and refuses the job clearly.
   */
  readonly batch: ""
  /** For each registered task module of the batch (client-side URL): 16 hex of sha256 of the file. */
  readonly modules?: Readonly<Record<string, string>>
  /** The client wants its tasks' console lines (`forwardLogs`). */
  readonly logs?: true
  /** The client wants a "started" entry when the batch starts (a task's timeout counts from then). */
  readonly started?: true
}

/** One entry of a client's log stream: console lines of its tasks on one worker. */
export interface LogEntry {
  readonly worker: string
  /** [task key, 0 stdout | 1 stderr, the line without its key prefix]. */
  readonly lines: ReadonlyArray<readonly [key: string, stream: 0 | 1, text: string]>
}

/**
 * What a worker reports for some tasks of a job, in columns (one typed array per field rather
 * than one small array per task: a part of a thousand tasks decodes in microseconds).
 */
export interface Completion {
  /** The batch index of the first task reported. */
  readonly from: number
  /** For task `from + k`: the size in bytes of its stored result (0 when it failed). */
  readonly sizes: Uint32Array
  /** For task `from + k`: its result's type name, as an index into `typeNames`. */
  readonly types: Uint16Array
  /** The distinct type names of the results ("number", "Object", "Map", ...). */
  readonly typeNames: ReadonlyArray<string>
  /** Batch indices of the failed tasks here, ascending. */
  readonly failed: ReadonlyArray<number>
  /** The error of each failed task, index-aligned with `failed`. */
  readonly errors: ReadonlyArray<EncodedError>
  /** On the last entry of a job: the batch's run time in ms (the engine's batch-size rule). */
  readonly elapsedMs?: number
  /** On the last entry, when the batch asked for `timing` (a client's dashboard): worker-side times, the worker named `NAME thread N`. */
  readonly timing?: BatchTiming
}

/** One entry of a client's completion stream (v8-serialized in the entry's field `d`). */
export type StreamEntry =
  /** Tasks finished; `done` on the job's last entry. */
  | { readonly job: string; readonly kind: "part"; readonly part: Completion; readonly done: boolean }
  /** The job could not run at all: every task fails with `error` (a worker of another version, a bad batch). */
  | { readonly job: string; readonly kind: "refused"; readonly error: EncodedError }
  /** The job started running on a worker (sent only when the job data asks, `started`). */
  | { readonly job: string; readonly kind: "started" }
  /** The job was dropped: an input it needs is no longer held (`keys`). */
  | { readonly job: string; readonly kind: "missing"; readonly keys: ReadonlyArray<string> }
  /** The job's batch was not in Redis (it restarted, or was flushed, between the two writes): queue it again. */
  | { readonly job: string; readonly kind: "requeue" }

/** A message on the control channel. */
export type ControlMessage =
  /** Stop running these jobs of the client (cancel, timeout): their tasks will be requeued or have failed. */
  | { readonly abort: ReadonlyArray<string>; readonly client: string }
  /** The client closed: drop its jobs. */
  | { readonly closed: string }

/** A worker's registration, for the clients that count workers. */
export interface WorkerInfo {
  readonly name: string
  readonly threads: number
  readonly queue: string
  readonly pid: number
  readonly host: string
  readonly v: number
}

/** A value's type name as `typeName` (dsl/tokenize.ts) gives it: "number", "Object", "Map", ... */
export const typeOf = (value: unknown): string => {
  if (value === null) return "null"
  if (typeof value !== "object") return typeof value
  const proto: unknown = Object.getPrototypeOf(value)
  const ctor = proto === null ? undefined : (proto as { constructor?: unknown }).constructor
  return typeof ctor === "function" && ctor.name !== "" ? ctor.name : "Object"
}

export const encodeBatch = (batch: WireBatch): Buffer => serialize(batch)
export const decodeBatch = (data: Buffer): WireBatch => deserialize(data) as WireBatch
export const encodeEntry = (entry: StreamEntry): Buffer => serialize(entry)
export const decodeEntry = (data: Buffer): StreamEntry => deserialize(data) as StreamEntry

/**
 * Lua: store results and report them, only while the client's lease exists, atomically. So a
 * worker that finishes after its client closed (or died) leaves nothing behind. MSET in chunks
 * (one command per thousand results, not one SET each; `unpack` has a stack limit).
 * KEYS[1] = lease, KEYS[2] = completion stream, KEYS[3..] = result keys;
 * ARGV[1] = the stream entry (empty: none, a first share of big results), ARGV[2..] = the serialized results (index-aligned with KEYS[3..]).
 */
export const storeScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local pairs = {}
for i = 3, #KEYS do
  pairs[#pairs + 1] = KEYS[i]
  pairs[#pairs + 1] = ARGV[i - 1]
  if #pairs >= 2000 then redis.call('MSET', unpack(pairs)); pairs = {} end
end
if #pairs > 0 then redis.call('MSET', unpack(pairs)) end
if ARGV[1] ~= '' then redis.call('XADD', KEYS[2], '*', 'd', ARGV[1]) end
return 1
`

/** The BullMQ job id of a client's n-th batch (BullMQ ids may not contain ':'). */
export const jobId = (client: string, n: number): string => `${client}-${n}`
