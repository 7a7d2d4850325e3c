/**
 * The cluster executor (issue 14): the client's side. Each batch the engine dispatches becomes one
 * BullMQ job; workers (`worker.ts`) run it, keep each result in Redis under the task's key and
 * report completions per task on this client's stream (`completions.ts`); the engine gets
 * `HeldResult`s and values travel only when `remote.fetch` is asked (result(), gather).
 *
 * A batch whose worker died comes back through BullMQ's stalled-job check as a failed job
 * (`maxStalledCount` 0 on the workers): `run` rejects with `"worker-died"`, so the engine counts a
 * death per task and reruns them in new jobs, as with a local worker death.
 *
 * @internal
 */
import { randomBytes } from "node:crypto"
import { serialize } from "node:v8"
import { Queue } from "bullmq"
import type { Redis } from "ioredis"
import type { PartialResults, WireBatch, WireBatchResult } from "../../core/protocol.js"
import { ClusterMemoryError, LostResultError } from "../../core/errors.js"
import { encodeError } from "../../core/error-codec.js"
import { maxValueBytes, ValueTooLargeError } from "../../core/value-size.js"
import {
  ExecutorFailure,
  HeldResult,
  type BatchSignal,
  type Executor,
  type MissingResults,
  type RemoteResults
} from "../executor.js"
import { openRedis, redact, type RedisTarget } from "./connection.js"
import { CompletionReader } from "./completions.js"
import {
  clusterProtocolVersion,
  encodeBatch,
  jobId,
  keys,
  typeOf,
  type Completion,
  type ControlMessage,
  type JobData,
  type StreamEntry
} from "./protocol.js"
import { registeredThreads, registrations } from "./registry.js"
import { deleteClientKeys } from "./cleanup.js"
import { moduleHashes } from "./job-input.js"
import { renewLease } from "./lease-sweep.js"
import { JobWatch, resultsExist } from "./job-watch.js"
import { TaskLogReader, type TaskLogLine } from "./task-log-reader.js"
import { decodeValue } from "./value-codec.js"

/** Settings of the cluster executor (validated by `Client.connect`). */
export interface ClusterExecutorSettings {
  readonly target: RedisTarget
  readonly queue: string
  readonly prefix: string
  /** Lease time in ms: the client's keys and jobs go when it stops renewing (it died). */
  readonly leaseMs: number
  /** The engine's `workers` (it keeps two batches in flight per worker); undefined: the registered workers' threads. */
  readonly concurrency: number | undefined
  readonly connectTimeoutMs: number
  /** The client's project root, mapped by a worker's `--root`. */
  readonly root: string
  /** Where the tasks' forwarded console lines go (`forwardLogs`); undefined: not forwarded. */
  readonly forwardLogs?: ((line: TaskLogLine) => void) | undefined
}

/** A batch on its way through the cluster. */
interface Pending {
  readonly id: string
  readonly keys: ReadonlyArray<string>
  readonly onResults: ((part: PartialResults) => void) | undefined
  readonly resolve: (result: WireBatchResult) => void
  readonly reject: (error: ExecutorFailure) => void
  /** The signal's start hook (a timed task: its clock starts when a worker starts the batch). */
  readonly onStart: (() => void) | undefined
  /** Parts kept for the reply when nobody listens to streamed results. */
  parts: PartialResults[] | undefined
  stopListening: (() => void) | undefined
}

/** How many results one MGET fetches (values may be big: a few round trips beat one huge reply). */
const fetchChunk = 256
/** MGETs of one fetch in flight at once. */
const fetchWindow = 4
/** Why a result a fetch or a worker missed is gone (the start of `LostResultError`'s reason). */
const vanished = "its result is no longer in Redis"
/** Rounds of recomputing a vanished result before a fetch gives up (each needs a new loss: a flush per round). */
const fetchRounds = 8
/** How often the client counts the cluster's worker threads, in ms. */
const threadCountMs = 3_000
/** How many results one UNLINK deletes. */
const releaseChunk = 1_000

/** The cluster executor: `Executor` with `remote`, plus what `Client` needs around it. */
export interface ClusterExecutor extends Executor {
  readonly remote: RemoteResults
  readonly clientId: string
  /** Its settings and command connection (the dashboard's feed publishes on it: runtime/dashboard/cluster-feed.ts). */
  readonly settings: ClusterExecutorSettings
  readonly cmd: Redis
  /** How many workers are registered now (their heartbeat keys). */
  workerCount(): Promise<number>
  /** Bytes this client has read from Redis so far, over its own connections (what moved to the client). */
  bytesRead(): number
}

/** Connects and returns the executor; rejects with `ClusterConnectionError` within the connect timeout. */
export async function makeClusterExecutor(settings: ClusterExecutorSettings): Promise<ClusterExecutor> {
  const clientId = randomBytes(8).toString("hex")
  const open = (role: string) =>
    openRedis(settings.target, { connectTimeoutMs: settings.connectTimeoutMs, name: `weft-client-${clientId}-${role}` })
  const cmd = await open("cmd")
  const extra: Redis[] = []
  try {
    extra.push(await open("read"))
    if (settings.forwardLogs !== undefined) extra.push(await open("logs"))
  } catch (error) {
    cmd.disconnect()
    for (const redis of extra) redis.disconnect()
    throw error
  }
  const [reader, logs] = extra as [Redis, Redis | undefined]
  const cluster = new Cluster(settings, clientId, cmd, reader, logs)
  await cluster.countThreads().catch(() => {})
  return cluster
}

class Cluster implements ClusterExecutor {
  readonly kind = "cluster"
  readonly startsLate = true
  /** A BullMQ job costs about a millisecond of CPU (client, worker, Redis): batches of ~100 ms of work. */
  readonly batchMs = 100
  readonly remote: RemoteResults
  readonly #pending = new Map<string, Pending>()
  readonly #queue: Queue
  readonly #reader: CompletionReader
  readonly #leaseTimer: NodeJS.Timeout
  readonly #watch: JobWatch
  readonly #logs: TaskLogReader | undefined
  #batches = 0
  /** Worker threads registered in the cluster at the last count (`countThreads`). */
  #threads = 0
  readonly #countTimer: NodeJS.Timeout
  #closing: Promise<void> | undefined
  /** The engine's handler of results found missing (lineage recompute, or lost); undefined until it gives one. */
  #lineage: MissingResults | undefined
  readonly #connections: Redis[]

  constructor(
    readonly settings: ClusterExecutorSettings,
    readonly clientId: string,
    readonly cmd: Redis,
    reader: Redis,
    logs: Redis | undefined
  ) {
    this.#connections = [cmd, reader]
    this.#countTimer = setInterval(() => void this.countThreads().catch(() => {}), threadCountMs)
    this.#countTimer.unref()
    const { prefix, leaseMs } = settings
    // The lease, and the client's entry in the list that workers sweep (lease-sweep.ts).
    void renewLease(cmd, prefix, clientId, leaseMs).catch(() => {})
    this.#leaseTimer = setInterval(() => void renewLease(cmd, prefix, clientId, leaseMs).catch(() => {}), leaseMs / 3)
    this.#leaseTimer.unref()
    this.#queue = new Queue(settings.queue, { connection: cmd, prefix })
    this.#queue.on("error", () => {})
    this.#reader = new CompletionReader(reader, cmd, keys.completions(prefix, clientId), (entry) => this.#entry(entry))
    // Jobs that vanished (Redis restarted without persistence, FLUSHALL) are queued again: job-watch.ts.
    this.#watch = new JobWatch(
      cmd,
      (id) => this.#queue.toKey(id),
      () => [...this.#pending.keys()],
      (id) => this.#requeue(id, "The batch's job vanished from Redis"),
      (id, reason) => this.#jobFailed(id, reason),
      { key: keys.lease(prefix, clientId), onGone: () => this.#renewLease() }
    )
    this.#logs =
      logs === undefined || settings.forwardLogs === undefined
        ? undefined
        : new TaskLogReader(logs, cmd, keys.logs(prefix, clientId), settings.forwardLogs)
    this.remote = {
      fetch: (list) => this.#fetch(list),
      release: (list) => this.#release(list),
      has: (list) => resultsExist(this.cmd, this.settings.prefix, clientId, list),
      store: (key, value) => this.#store(key, value),
      onMissing: (handler) => (this.#lineage = handler)
    }
  }

  run(batch: WireBatch, signal?: BatchSignal, onResults?: (part: PartialResults) => void): Promise<WireBatchResult> {
    if (this.#closing !== undefined) return Promise.reject(new ExecutorFailure("closed", "The client is closed."))
    if (signal?.aborted) return Promise.reject(aborted())
    const id = jobId(this.clientId, ++this.#batches)
    const taskKeys = batch.keys ?? batch.fn.map((_, i) => `${id}-${i}`)
    return new Promise<WireBatchResult>((resolve, reject) => {
      const pending: Pending = {
        id,
        keys: taskKeys,
        onResults,
        resolve,
        reject,
        onStart: signal?.onStart,
        parts: onResults === undefined ? [] : undefined,
        stopListening: undefined
      }
      this.#pending.set(id, pending)
      if (signal !== undefined) {
        const onAbort = () => this.#abort(id)
        signal.once("abort", onAbort)
        pending.stopListening = () => signal.off("abort", onAbort)
      }
      const bytes = encodeBatch({ ...batch, keys: taskKeys })
      if (bytes.length > maxValueBytes()) return this.#settle(id, tooLarge(bytes.length, taskKeys))
      const data: JobData = { v: clusterProtocolVersion, client: this.clientId, root: this.settings.root, batch: "" }
      const modules = moduleHashes(batch)
      if (modules !== undefined) Object.assign(data, { modules })
      if (this.#logs !== undefined) Object.assign(data, { logs: true })
      if (pending.onStart !== undefined) Object.assign(data, { started: true })
      // The batch first, as a binary value of its own, then the job: both written at once, in
      // this order, on the command connection (a worker that takes the job finds its batch).
      const stored = this.cmd.set(keys.batch(this.settings.prefix, this.clientId, id), bytes)
      const added = this.#queue.add("batch", data, jobOptions(id))
      Promise.all([stored, added]).catch((error: unknown) => {
        this.#withdraw(id)
        this.#settle(id, queueFailure(error, taskKeys))
      })
    })
  }

  /** Takes a queued job back: removes it (unless a worker runs it) and its batch. */
  #withdraw(id: string): void {
    this.#queue.remove(id).catch(() => {})
    this.cmd.unlink(keys.batch(this.settings.prefix, this.clientId, id)).catch(() => {})
  }

  /** An entry of the completion stream. */
  #entry(entry: StreamEntry): void {
    const pending = this.#pending.get(entry.job)
    if (pending === undefined) return // aborted or settled meanwhile
    if (entry.kind === "part") return this.#part(pending, entry.part, entry.done)
    if (entry.kind === "missing" && this.#lineage !== undefined) return this.#missingInputs(entry.job, entry.keys)
    if (entry.kind === "started") return pending.onStart?.()
    if (entry.kind === "requeue") return this.#requeue(entry.job, "The batch's job outlived its batch in Redis")
    const n = pending.keys.length
    const error =
      entry.kind === "refused"
        ? entry.error
        : {
            kind: "thrown" as const,
            name: "LostResultError",
            message: `An input of this task is no longer in Redis: ${entry.keys.join(", ")}.`,
            props: { _tag: "LostResult", key: entry.keys[0] }
          }
    const failed = Array.from({ length: n }, (_, i) => i)
    this.#settle(entry.job, { results: failed.map(() => error), failed, elapsedMs: 0 })
  }

  /**
   * A worker found inputs of a batch missing in Redis: the engine recomputes them from their
   * lineage or marks them lost (its dependents in this batch then wait again, or err), and the
   * batch's other tasks are requeued (an abort counts no failure).
   */
  #missingInputs(job: string, missing: ReadonlyArray<string>): void {
    this.#renewLease()
    const requeue = () =>
      this.#settle(
        job,
        new ExecutorFailure("aborted", `Inputs of this batch vanished from Redis: ${missing.join(", ")}.`)
      )
    this.#lineage!(missing, { wait: false, reason: vanished }).then(requeue, requeue)
  }

  #part(pending: Pending, completion: Completion, done: boolean): void {
    const part: PartialResults = {
      from: completion.from,
      results: heldResults(pending.keys, completion),
      failed: completion.failed
    }
    if (!done) {
      if (pending.onResults !== undefined) pending.onResults(part)
      else pending.parts!.push(part)
      return
    }
    const parts = pending.parts ?? []
    if (pending.onResults === undefined) parts.push(part)
    const streamed = pending.onResults === undefined ? 0 : part.from
    const results = new Array<unknown>(pending.keys.length)
    const failed: number[] = []
    for (const p of parts.length > 0 ? parts : [part]) {
      p.results.forEach((value, k) => (results[p.from + k] = value))
      failed.push(...p.failed)
    }
    const timing = completion.timing
    this.#settle(pending.id, { results, failed, elapsedMs: completion.elapsedMs ?? 0, streamed, timing })
  }

  /** Redis lost a job or its batch (restarted without persistence, flushed): the engine sends the batch again. */
  #requeue(id: string, why: string): void {
    this.#renewLease()
    this.#settle(id, new ExecutorFailure("aborted", `${why}; it is queued again.`))
  }

  /** A job failed in BullMQ: its worker died (stalled) or its processor crashed. */
  #jobFailed(id: string, reason: string): void {
    if (!this.#pending.has(id)) return
    this.#queue.remove(id).catch(() => {}) // kept for this look only (`jobOptions`)
    this.#settle(
      id,
      new ExecutorFailure("worker-died", `The worker running this batch died or failed: ${redact(reason)}`)
    )
  }

  #settle(id: string, outcome: WireBatchResult | ExecutorFailure): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    pending.stopListening?.()
    if (outcome instanceof ExecutorFailure) pending.reject(outcome)
    else pending.resolve(outcome)
  }

  /** Aborting a batch (a cancel, a timeout): the worker running it stops it; a waiting job is removed. */
  #abort(id: string): void {
    if (!this.#pending.has(id)) return
    this.#settle(id, aborted())
    this.#withdraw(id)
    this.#publish({ abort: [id], client: this.clientId })
  }

  #publish(message: ControlMessage): void {
    this.cmd.publish(keys.control(this.settings.prefix), JSON.stringify(message)).catch(() => {})
  }

  /** The values of `list`, in chunks of MGETs, `fetchWindow` of them in flight (not one round trip after another). */
  async #fetch(list: ReadonlyArray<string>): Promise<unknown[]> {
    const out = new Array<unknown>(list.length)
    let next = 0
    const lane = async () => {
      while (next < list.length) {
        const at = next
        next += fetchChunk
        await this.#fetchChunk(list.slice(at, at + fetchChunk), out, at)
      }
    }
    const lanes = Math.min(fetchWindow, Math.ceil(list.length / fetchChunk))
    await Promise.all(Array.from({ length: lanes }, lane))
    return out
  }

  async #fetchChunk(chunk: ReadonlyArray<string>, out: unknown[], at: number): Promise<void> {
    const values = await this.#mget(chunk)
    for (let round = 0; ; round++) {
      const missing = chunk.filter((_, k) => values[k] === null)
      if (missing.length === 0) break
      // Vanished (Redis restarted without persistence, flushed): the engine computes them again
      // from their lineage and this waits for them, or it rejects with their LostResultError.
      if (this.#lineage === undefined || round === fetchRounds) throw new LostResultError(missing[0], vanished)
      this.#renewLease()
      await this.#lineage(missing, { wait: true, reason: vanished })
      const again = await this.#mget(missing)
      let m = 0
      chunk.forEach((_, k) => {
        if (values[k] === null) values[k] = again[m++]
      })
    }
    for (let k = 0; k < values.length; k++) out[at + k] = decodeValue(values[k]!)
  }

  #mget(list: ReadonlyArray<string>): Promise<Array<Buffer | null>> {
    const { prefix } = this.settings
    return this.cmd.mgetBuffer(...list.map((key) => keys.result(prefix, this.clientId, key)))
  }

  /**
   * A scattered value, stored in Redis under its key so that workers on any machine read it as
   * they read results (rather than travel in every job that uses it). The SET goes out on the
   * command connection before any job that needs it. When Redis refuses it (full), the engine
   * hears of it as missing: a scattered value cannot be computed again, so it is lost, with why.
   * A value over Redis's limit for one string is refused at once (as a result over it is).
   */
  #store(key: string, value: unknown): HeldResult {
    const bytes = serialize(value)
    if (bytes.length > maxValueBytes())
      throw new ValueTooLargeError(key, bytes.length, maxValueBytes(), "scattered value")
    this.cmd.set(keys.result(this.settings.prefix, this.clientId, key), bytes).catch((error: unknown) => {
      const detail = redact(error instanceof Error ? error.message : String(error))
      this.#lineage?.([key], { wait: false, reason: `it could not be stored in Redis (${detail})` }).catch(() => {})
    })
    return new HeldResult(key, bytes.length, typeOf(value))
  }

  #renewLease(): void {
    const { prefix, leaseMs } = this.settings
    if (this.#closing === undefined) void renewLease(this.cmd, prefix, this.clientId, leaseMs).catch(() => {})
  }

  #release(list: ReadonlyArray<string>): void {
    if (this.#closing !== undefined || list.length === 0) return
    const { prefix } = this.settings
    // On the command connection, before any later job of the same key is added: a rerun's result
    // is written after this delete.
    // In chunks: one UNLINK of a million arguments overflows the stack (a million Futures released at once).
    for (let at = 0; at < list.length; at += releaseChunk)
      this.cmd
        .unlink(...list.slice(at, at + releaseChunk).map((key) => keys.result(prefix, this.clientId, key)))
        .catch(() => {})
  }

  bytesRead(): number {
    let bytes = 0
    for (const redis of this.#connections)
      bytes += (redis as unknown as { stream?: { bytesRead?: number } }).stream?.bytesRead ?? 0
    return bytes
  }

  /**
   * The engine's count of workers: it keeps two batches in flight for each. The worker threads of
   * the cluster (so that a map is cut into a few big batches per thread, not many small ones: a
   * BullMQ job costs more than a thousand trivial tasks), at least one; `concurrency` when given.
   */
  get workers(): number {
    return this.settings.concurrency ?? Math.max(1, this.#threads)
  }

  async workerCount(): Promise<number> {
    return (await registrations(this.cmd, this.settings.prefix)).length
  }

  /** Counts the registered workers' threads (at connect, then every few seconds). */
  async countThreads(): Promise<void> {
    this.#threads = await registeredThreads(this.cmd, this.settings.prefix)
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close())
  }

  async #close(): Promise<void> {
    clearInterval(this.#leaseTimer)
    clearInterval(this.#countTimer)
    this.#watch.stop()
    const ids = [...this.#pending.keys()]
    for (const id of ids)
      this.#settle(id, new ExecutorFailure("closed", "The client closed before the batch finished."))
    this.#reader.stop()
    this.#logs?.stop()
    try {
      // The lease first: a worker's late results are refused from then on (protocol.ts storeScript).
      await this.cmd.unlink(keys.lease(this.settings.prefix, this.clientId))
      this.#publish({ closed: this.clientId })
      await Promise.all(ids.map((id) => this.#queue.remove(id).catch(() => 0)))
      await deleteClientKeys(this.cmd, this.settings.prefix, this.clientId)
    } catch {
      // Redis is gone: the lease lapses and a worker deletes the rest.
    }
    await this.#queue.close().catch(() => {})
    // Every connection: BullMQ does not close one it was given (the events one kept the process alive).
    for (const redis of this.#connections) redis.disconnect()
  }
}

const aborted = () => new ExecutorFailure("aborted", "The batch was aborted.")
/** A failed job is kept (an hour at most, a thousand failed jobs of the queue) until its client reads why (job-watch.ts). */
const jobOptions = (jobId: string) => ({
  jobId,
  removeOnComplete: true,
  removeOnFail: { age: 3600, count: 1000 },
  attempts: 1
})

/** A part's outcomes as the engine takes them: a `HeldResult` per stored result, the error of each failed task. */
function heldResults(taskKeys: ReadonlyArray<string>, completion: Completion): unknown[] {
  const { from, sizes, types, typeNames, failed, errors } = completion
  const results = new Array<unknown>(sizes.length)
  let f = 0
  for (let k = 0; k < sizes.length; k++) {
    if (failed[f] === from + k) results[k] = errors[f++]
    else results[k] = new HeldResult(taskKeys[from + k], sizes[k], typeNames[types[k]])
  }
  return results
}
/** A batch over Redis's value limit: several tasks are rerun one by one (the engine's rule); one fails clearly. */
const tooLarge = (bytes: number, taskKeys: ReadonlyArray<string>): WireBatchResult | ExecutorFailure => {
  const error = new ValueTooLargeError(taskKeys[0], bytes, maxValueBytes(), "arguments")
  if (taskKeys.length > 1) return new ExecutorFailure("transport", error.message)
  return { results: [encodeError(error)], failed: [0], elapsedMs: 0 }
}
/** A batch Redis refused to queue: full (OOM) -> each task fails with ClusterMemoryError; else a transport failure. */
const queueFailure = (error: unknown, taskKeys: ReadonlyArray<string>): WireBatchResult | ExecutorFailure => {
  const detail = redact(error instanceof Error ? error.message : String(error))
  if (!/^OOM /.test(detail)) return new ExecutorFailure("transport", queueError(error))
  const failed = taskKeys.map((_, i) => i)
  return { results: taskKeys.map((key) => encodeError(new ClusterMemoryError(key, detail))), failed, elapsedMs: 0 }
}
const queueError = (error: unknown) =>
  `The batch could not be queued in Redis: ${redact(error instanceof Error ? error.message : String(error))}`
