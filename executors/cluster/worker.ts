/**
 * A weft worker (issue 14; `weft worker URL` and `startWorker`): a BullMQ Worker whose processor
 * runs each job's batch on a tinypool executor of its own (`threads` worker threads or processes),
 * reads the batch's inputs from Redis with one MGET, writes results and completions as tasks
 * finish (`ResultWriter`), drops jobs of clients without a lease, and stops batches that a client
 * aborts (pub/sub) or whose client's lease lapsed.
 *
 * BullMQ settings: a 5 s lock renewed every half second (so that a worker whose event loop or
 * process stalls for up to ~4.5 s under load keeps its batch: its lock is never less than ~4.5 s
 * from expiring while it lives; it was 2.6 s with a 4 s lock renewed every second) and a stalled
 * check every second, so that the batch of a worker killed outright fails within ~6 s and its
 * client reruns it (not BullMQ's default 30 s), and
 * `maxStalledCount: 0`, so that the job fails at once and the client decides, with its own
 * `allowedFailures`, whether the tasks rerun (as new jobs, on any worker) or fail with
 * `KilledWorkerError`.
 *
 * @internal
 */
import { hostname } from "node:os"
import { Worker, type Job } from "bullmq"
import type { Redis } from "ioredis"
import { BatchAbort, ExecutorFailure } from "../executor.js"
import { makeTinypoolExecutor, type TinypoolExecutor } from "../tinypool/tinypool.js"
import { withInputs } from "../held-inputs.js"
import { openRedis, parseRedisUrl, redact, type RedisTarget } from "./connection.js"
import { deleteClientKeys } from "./cleanup.js"
import { sweepEveryMs, sweepLapsedClients } from "./lease-sweep.js"
import { hashRefusal, mapRoot, versionRefusal } from "./job-input.js"
import {
  clusterProtocolVersion,
  decodeBatch,
  keys,
  type ControlMessage,
  type JobData,
  type WorkerInfo
} from "./protocol.js"
import { defineStore, ResultWriter } from "./result-writer.js"
import { LogForwarder } from "./task-logs.js"
import { decodeValue } from "./value-codec.js"
import { parseBytes } from "../../core/duration.js"

/** Options of `startWorker` (and the flags of `weft worker`). */
export interface WorkerOptions {
  /** The Redis URL: `redis://[user:password@]host[:port][/db]` or `rediss://` for TLS. */
  readonly url: string
  /** Tasks run on this many threads (or processes); default 1. */
  readonly threads?: number
  /** `"thread"` (default) or `"process"`, as `Client.local`'s `isolation`. */
  readonly isolation?: "thread" | "process"
  /** Per thread, bytes or a size such as `"512 MB"`, as `Client.local`'s `memoryLimit`. */
  readonly memoryLimit?: number | string
  /** The worker's name in status lines and the worker registry; default `host-pid`. */
  readonly name?: string
  /** The BullMQ queue to take batches from; default `"weft"` (the client's `queue` option). */
  readonly queue?: string
  /** The Redis key prefix; default `"weft"` (the client's `prefix` option). */
  readonly prefix?: string
  /** This machine's copy of the clients' project root: registered task modules are imported from under it. */
  readonly root?: string
  /** Give up connecting to Redis after this long, in ms; default 10,000. */
  readonly connectTimeoutMs?: number
}

/** A running worker: `close()` finishes the batches it runs, then stops. */
export interface WorkerHandle extends AsyncDisposable {
  readonly name: string
  readonly threads: number
  readonly isolation: "thread" | "process"
  readonly queue: string
  /** The Redis address without credentials. */
  readonly redis: string
  /** Finishes the running batches (or, with `{ force: true }`, hands them back at once), then stops. Idempotent. */
  close(options?: { force?: boolean }): Promise<void>
}

/** A batch this worker runs. */
interface Running {
  readonly client: string
  readonly abort: BatchAbort
}

/** BullMQ's lock on a running job, renewed every `lockRenewMs / 2`: a stalled event loop keeps its job for ~4.5 s. */
const lockMs = 5_000
const lockRenewMs = 1_000
/** Every second a worker looks for jobs whose lock lapsed (their worker died). */
const stalledMs = 1_000
const heartbeatMs = 3_000
const leaseCheckMs = 2_000

/** Starts a worker; rejects with a `TypeError` for bad options or `ClusterConnectionError` when Redis is unreachable. */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const target = parseRedisUrl(options.url)
  const threads = options.threads ?? 1
  if (!Number.isInteger(threads) || threads < 1)
    throw new TypeError(`startWorker: threads must be a whole number >= 1, got ${String(threads)}.`)
  const isolation = options.isolation ?? "thread"
  if (isolation !== "thread" && isolation !== "process")
    throw new TypeError(`startWorker: isolation must be "thread" or "process", got ${String(isolation)}.`)
  const memoryLimitBytes =
    options.memoryLimit === undefined ? undefined : parseBytes(options.memoryLimit, "startWorker memoryLimit")
  const name = options.name ?? `${hostname()}-${process.pid}`
  const open = (role: string) =>
    openRedis(target, { connectTimeoutMs: options.connectTimeoutMs, name: `weft-worker-${name}-${role}` })
  const opened: Redis[] = []
  try {
    for (const role of ["cmd", "bullmq", "sub"]) opened.push(await open(role))
  } catch (error) {
    for (const redis of opened) redis.disconnect()
    throw error
  }
  // Its threads prefix each task's console lines with the task's key (executors/worker/task-output.ts).
  process.env.WEFT_TASK_OUTPUT = "key"
  const executor = await makeTinypoolExecutor({
    workers: threads,
    isolation,
    ...(memoryLimitBytes === undefined ? {} : { memoryLimitBytes })
  })
  const runtime = new WorkerRuntime(
    target,
    options,
    name,
    threads,
    isolation,
    opened as [Redis, Redis, Redis],
    executor
  )
  await runtime.start()
  return runtime
}

class WorkerRuntime implements WorkerHandle {
  readonly queue: string
  readonly prefix: string
  readonly redis: string
  readonly #running = new Map<string, Running>()
  /** Jobs aborted before they started here (the message can overtake the job): id -> when. */
  readonly #aborted = new Map<string, number>()
  readonly #worker: Worker
  readonly #timers: NodeJS.Timeout[] = []
  readonly #logs: LogForwarder
  #closing: Promise<void> | undefined

  constructor(
    target: RedisTarget,
    readonly options: WorkerOptions,
    readonly name: string,
    readonly threads: number,
    readonly isolation: "thread" | "process",
    readonly connections: [cmd: Redis, bullmq: Redis, sub: Redis],
    readonly executor: TinypoolExecutor
  ) {
    this.queue = options.queue ?? "weft"
    this.prefix = options.prefix ?? "weft"
    this.redis = target.display
    defineStore(connections[0])
    this.#logs = new LogForwarder(connections[0], this.prefix, name)
    this.#worker = new Worker(this.queue, (job: Job) => this.#process(job), {
      connection: connections[1],
      prefix: this.prefix,
      // One job per thread, none waiting: a job taken here waits for this worker's threads even
      // when another worker is idle (a slow task would hold up a fast one behind it).
      concurrency: threads,
      lockDuration: lockMs,
      lockRenewTime: lockRenewMs,
      stalledInterval: stalledMs,
      maxStalledCount: 0,
      autorun: false
    })
    this.#worker.on("error", (error) => this.#error(error))
  }

  async start(): Promise<void> {
    const [cmd, , sub] = this.connections
    sub.on("message", (_channel: string, text: string) => this.#control(text))
    await sub.subscribe(keys.control(this.prefix))
    const info: WorkerInfo = {
      name: this.name,
      threads: this.threads,
      queue: this.queue,
      pid: process.pid,
      host: hostname(),
      v: clusterProtocolVersion
    }
    const beat = () => cmd.set(keys.worker(this.prefix, this.name), JSON.stringify(info), "PX", heartbeatMs * 3)
    await beat()
    this.#timers.push(setInterval(() => void beat().catch(() => {}), heartbeatMs))
    this.#timers.push(setInterval(() => void this.#checkLeases().catch(() => {}), leaseCheckMs))
    // Clients that died while idle (no batch here to notice them by): lease-sweep.ts.
    const sweep = () => void sweepLapsedClients(cmd, this.prefix).catch(() => {})
    sweep()
    this.#timers.push(setInterval(sweep, sweepEveryMs))
    void this.#worker.run().catch(() => {})
    await this.#worker.waitUntilReady()
  }

  async #process(job: Job): Promise<void> {
    const data = job.data as JobData
    const [cmd] = this.connections
    if (typeof data?.client !== "string" || typeof data.batch !== "string")
      throw new Error(`weft worker ${this.name}: job ${job.id} is not a weft batch.`)
    const id = job.id!
    const client = data.client
    // One round trip: is the client alive, and its batch (taken: nobody else runs this job).
    const [[, alive], [, bytes]] = (await cmd
      .pipeline()
      .exists(keys.lease(this.prefix, client))
      .getdelBuffer(keys.batch(this.prefix, client, id))
      .exec()) as [[unknown, number], [unknown, Buffer | null]]
    if (alive === 0) {
      // Its client is gone (died, or closed): drop the job, and what it left.
      await deleteClientKeys(cmd, this.prefix, client)
      return
    }
    const refusal = versionRefusal(data, this.name)
    // The job outlived its batch (Redis lost data between the client's two writes): the client queues it again.
    if (refusal === undefined && bytes === null)
      return new ResultWriter(cmd, this.prefix, client, id, []).entry({ job: id, kind: "requeue" })
    const original = refusal === undefined ? decodeBatch(bytes!) : undefined
    const batch = original === undefined ? undefined : mapRoot(original, data.root, this.options.root)
    const writer = new ResultWriter(cmd, this.prefix, client, id, batch?.keys ?? [])
    const refused = refusal ?? hashRefusal(original!, data.modules, data.root, this.options.root)
    if (refused !== undefined) return writer.entry({ job: id, kind: "refused", error: refused })
    let values = new Map<string, unknown>()
    const inputs = batch!.inputs ?? []
    if (inputs.length > 0) {
      const found: Array<Buffer | null> = []
      // In chunks: a task over a million Futures would overflow the stack with one MGET of them all.
      for (let at = 0; at < inputs.length; at += 1_000)
        found.push(
          ...(await cmd.mgetBuffer(...inputs.slice(at, at + 1_000).map((key) => keys.result(this.prefix, client, key))))
        )
      const missing = inputs.filter((_, i) => found[i] === null)
      if (missing.length > 0) return writer.entry({ job: id, kind: "missing", keys: missing })
      values = new Map(inputs.map((key, i) => [key, decodeValue(found[i]!)]))
    }
    if (this.#aborted.delete(id)) return
    const abort = new BatchAbort()
    this.#running.set(id, { client, abort })
    const n = batch!.fn.length
    // A timed task's clock starts now, on its client (the client stops it on time, here, by abort).
    if (data.started === true) void writer.entry({ job: id, kind: "started" }).catch(() => {})
    const forwarded = data.logs === true ? this.#logs.running(client, batch!.keys ?? []) : undefined
    try {
      const result = await this.executor.run(
        withInputs(batch!, values),
        abort,
        n > 1 ? (part) => void writer.part(part, false).catch(() => {}) : undefined
      )
      const streamed = result.streamed ?? 0
      const rest = { from: streamed, results: result.results.slice(streamed), failed: result.failed }
      // Worker-side times, when the client's dashboard asked (batch.timing): rows named after this worker.
      const timing = result.timing && { ...result.timing, worker: `${this.name} ${result.timing.worker}` }
      await writer.part(rest, true, result.elapsedMs, timing)
    } catch (error) {
      // Aborted by its client (who moved on) or its lease lapsed: nothing to report.
      if (abort.aborted) return
      // A thread died (out of memory, process.exit): fail the job, so its client counts a death.
      throw new Error(error instanceof ExecutorFailure ? `${error.reason}: ${error.message}` : String(error))
    } finally {
      this.#running.delete(id)
      forwarded?.()
    }
  }

  /**
   * BullMQ's errors, on this worker's output. "could not renew lock for job X": for a job that
   * finished here meanwhile, nothing was lost (the renewal raced its end); for one still running,
   * its lock lapsed (the process stalled longer than the lock) and another worker's stalled check
   * failed it, so its client runs it again: stop it here, and say so plainly.
   */
  #error(error: Error): void {
    const lost = /^could not renew lock for job (\S+)$/.exec(error.message)
    if (lost !== null) {
      const running = this.#running.get(lost[1]!)
      if (running === undefined) return
      running.abort.abort()
      process.stderr.write(
        `weft worker ${this.name}: lost the lock of job ${lost[1]} (this process stalled for more than ${lockMs / 1000} s); ` +
          "it is stopped here and its tasks run again elsewhere\n"
      )
      return
    }
    process.stderr.write(`weft worker ${this.name}: ${redact(error.message)}\n`)
  }

  #control(text: string): void {
    let message: ControlMessage
    try {
      message = JSON.parse(text) as ControlMessage
    } catch {
      return
    }
    if ("abort" in message) {
      const now = Date.now()
      for (const [id, at] of this.#aborted) if (now - at > 60_000) this.#aborted.delete(id)
      for (const id of message.abort) {
        const running = this.#running.get(id)
        if (running !== undefined) running.abort.abort()
        else this.#aborted.set(id, now)
      }
    } else if ("closed" in message) this.#stopClient(message.closed)
  }

  #stopClient(client: string): void {
    for (const running of this.#running.values()) if (running.client === client) running.abort.abort()
  }

  /** Stops the batches of clients whose lease lapsed (they died), and deletes what they left. */
  async #checkLeases(): Promise<void> {
    const clients = new Set([...this.#running.values()].map((running) => running.client))
    const [cmd] = this.connections
    for (const client of clients) {
      if ((await cmd.exists(keys.lease(this.prefix, client))) === 1) continue
      this.#stopClient(client)
      await deleteClientKeys(cmd, this.prefix, client)
    }
  }

  close(options?: { force?: boolean }): Promise<void> {
    return (this.#closing ??= this.#close(options?.force === true))
  }

  async #close(force: boolean): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer)
    const [cmd, bullmq, sub] = this.connections
    // Waits for the running jobs to finish (force: leaves them to the stalled check, which fails
    // them within seconds so their clients rerun them elsewhere).
    // Forced (a second signal): within seconds even when Redis is gone (BullMQ's close then waits for it).
    const closed = this.#worker.close(force).catch(() => {})
    await (force ? Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3_000).unref())]) : closed)
    await this.executor.close()
    await this.#logs.close()
    await cmd.unlink(keys.worker(this.prefix, this.name)).catch(() => {})
    for (const redis of [cmd, bullmq, sub]) redis.disconnect()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
