/**
 * The raw BullMQ side of the `cluster` scenario: what a user of BullMQ alone would write for a
 * map of trivial tasks. One job per task, enqueued with `addBulk` in chunks of 1,000, run by
 * worker processes (bullmq-worker.mjs) at concurrency 16 each, on the scenario's Redis.
 *
 * Completion: `QueueEvents` (a Redis stream read per event) or `job.waitUntilFinished()` per job
 * would measure the waiting machinery, not the queue, so the side polls the completed count
 * (`ZCARD` of the completed set, every 5 ms) until every job is done, then reads every job's
 * `returnvalue` (its gather, in one pipeline) and checks it. Between runs the completed jobs are
 * removed, untimed, so every run starts from an empty queue.
 */
import { type ChildProcess, fork } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Queue } from "bullmq"
import { Redis } from "ioredis"
import { expect, freshBase } from "../measure.js"

/** Jobs per `addBulk` call, by default. */
const defaultChunk = 1000
/** Jobs each worker process runs at once. */
export const concurrency = 16
const workerScript = fileURLToPath(new URL("./bullmq-worker.mjs", import.meta.url))

/** Starts one worker process and resolves once its BullMQ Worker is connected. */
function startWorker(url: string, queue: string): Promise<ChildProcess> {
  const child = fork(workerScript, [url, queue, String(concurrency)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: []
  })
  return new Promise((resolve, reject) => {
    child.once("message", (message) =>
      message === "ready" ? resolve(child) : reject(new Error(`bullmq worker said ${String(message)}`))
    )
    child.once("exit", (code) => reject(new Error(`bullmq worker exited (${code}) before it was ready`)))
  })
}

/** Asks a worker process to close its Worker, and kills it if it has not exited within 5 s. */
async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  child.send("close")
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
  await exited
  clearTimeout(timer)
}

/** CPU time (user + system) a process used so far, in ms, from `/proc/<pid>/stat` (Linux; 0 elsewhere). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0
  }
}

/** The baseline: a queue, its client connection and the worker processes. */
export interface BullmqSide {
  /** One timed run: enqueue `tasks` jobs of `x + 1`, wait until all completed, read and check their results; resolves with ms and its parts. */
  run(tasks: number): Promise<{ ms: number; enqueueMs: number; completeMs: number; gatherMs: number; cpuMs: number }>
  close(): Promise<void>
}

/**
 * Starts `processes` worker processes on `url` and connects a queue to them. `redisPid` (optional)
 * adds the server's CPU time to each run's `cpuMs`: the CPU every process of the run used, which
 * a loaded machine does not inflate as it does the wall time.
 */
export async function startBullmqSide(
  url: string,
  processes: number,
  options: { chunk?: number; redisPid?: number } = {}
): Promise<BullmqSide> {
  const chunk = options.chunk ?? defaultChunk
  const name = `weft-bench-bullmq-${process.pid}`
  const connection = new Redis(url, { maxRetriesPerRequest: null })
  const queue = new Queue(name, { connection })
  const workers: ChildProcess[] = []
  const close = async () => {
    await Promise.all(workers.map(stopWorker))
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
    await connection.quit()
  }
  try {
    await queue.waitUntilReady()
    for (let i = 0; i < processes; i++) workers.push(await startWorker(url, name))
  } catch (error) {
    await close()
    throw error
  }

  const run = async (tasks: number) => {
    const base = freshBase()
    const cpu = () =>
      [options.redisPid, ...workers.map((w) => w.pid)].reduce((sum: number, pid) => sum + cpuMsOf(pid), 0)
    const cpuBefore = cpu()
    const ownBefore = process.cpuUsage()
    const start = performance.now()
    const ids: string[] = []
    for (let from = 0; from < tasks; from += chunk) {
      const jobs = await queue.addBulk(
        Array.from({ length: Math.min(chunk, tasks - from) }, (_, i) => ({ name: "inc", data: base + from + i }))
      )
      for (const job of jobs) ids.push(job.id as string)
    }
    const enqueued = performance.now()
    while ((await queue.getCompletedCount()) < tasks) {
      if ((await queue.getFailedCount()) > 0) throw new Error("bench: a BullMQ job failed")
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const completed = performance.now()
    // The gather: each job's returnvalue (JSON) from its hash, `<prefix>:<queue>:<id>`, in one pipeline.
    const pipeline = connection.pipeline()
    for (const id of ids) pipeline.hget(queue.toKey(id), "returnvalue")
    const replies = (await pipeline.exec()) ?? []
    const end = performance.now()
    const own = process.cpuUsage(ownBefore)
    const cpuMs = cpu() - cpuBefore + (own.user + own.system) / 1000
    expect(
      replies.length === tasks &&
        replies.every(([error, value], i) => error === null && JSON.parse(value as string) === base + i + 1),
      "BullMQ returnvalues"
    )
    await queue.clean(0, 0, "completed")
    expect((await queue.getCompletedCount()) === 0, "BullMQ clean between runs")
    return {
      ms: end - start,
      enqueueMs: enqueued - start,
      completeMs: completed - enqueued,
      gatherMs: end - completed,
      cpuMs
    }
  }
  return { run, close }
}
