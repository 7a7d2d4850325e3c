/**
 * A real cluster for the tests: a `redis-server` of its own (test/support/redis.ts) and worker
 * processes started through the `weft worker` command (`node --import tsx dist/cli/weft.js worker
 * URL ...`: tsx so that they import the `.ts` task fixtures, as a user's workers would run their
 * project's code). Everything is stopped after the test or file, pass or fail.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Redis } from "ioredis"
import { afterAll, beforeAll } from "vitest"
import { Client, type ConnectOptions } from "weft"
import { startRedis, type RedisServer } from "../support/redis.js"
import { scanKeys } from "../../dist/core/redis-scan.js"

const weftBin = fileURLToPath(new URL("../../dist/cli/weft.js", import.meta.url))
const root = fileURLToPath(new URL("../..", import.meta.url))

/** One `weft worker` process. */
export interface WorkerProcess {
  readonly child: ChildProcess
  readonly name: string
  /** Its status line. */
  readonly status: string
  /** Everything it printed so far. */
  output(): string
  /** Resolves with its exit code (or signal name) once it exited. */
  readonly exited: Promise<number | string>
}

/** Starts `weft worker url --threads N --name NAME ...` and resolves once it printed its status line. */
export function startWorkerProcess(url: string, name: string, extra: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", weftBin, "worker", url, "--name", name, ...extra], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"]
  })
  live.add(child)
  let text = ""
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => {
      live.delete(child)
      resolve(code ?? signal ?? -1)
    })
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not start within 30 s:\n${text}`)), 30_000)
    const onData = (chunk: Buffer) => {
      text += chunk.toString()
      const line = text.split("\n").find((l) => l.startsWith("weft worker "))
      if (line !== undefined && line.includes("Redis")) {
        clearTimeout(timer)
        resolve({ child, name, status: line, output: () => text, exited })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()))
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`worker ${name} exited (${code}) before starting:\n${text}`))
    })
  })
}

const live = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL")
})

/** A running cluster: Redis and worker processes. */
export interface TestCluster {
  readonly redis: RedisServer
  readonly workers: WorkerProcess[]
  /** A client connected to it (closed by `stop`, unless closed before). */
  connect(options?: ConnectOptions): Promise<Client>
  /** A plain ioredis connection to inspect Redis (closed by `stop`). */
  inspect(): Redis
  stop(): Promise<void>
}

/** Starts Redis and `workers` worker processes of `threads` threads each. */
export async function startCluster(options: { workers?: number; threads?: number } = {}): Promise<TestCluster> {
  const redis = await startRedis()
  const clients: Client[] = []
  const connections: Redis[] = []
  const workers: WorkerProcess[] = []
  try {
    for (let i = 0; i < (options.workers ?? 2); i++)
      workers.push(await startWorkerProcess(redis.url, `w${i + 1}`, ["--threads", String(options.threads ?? 1)]))
  } catch (error) {
    for (const worker of workers) worker.child.kill("SIGKILL")
    await redis.stop()
    throw error
  }
  await warmUp(redis.url)
  return {
    redis,
    workers,
    async connect(connectOptions) {
      const client = await Client.connect(redis.url, connectOptions)
      clients.push(client)
      return client
    },
    inspect() {
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null })
      connections.push(connection)
      return connection
    },
    async stop() {
      await Promise.allSettled(clients.map((client) => client.close()))
      for (const worker of workers) worker.child.kill("SIGTERM")
      await Promise.race([
        Promise.all(workers.map((worker) => worker.exited)),
        new Promise((resolve) => setTimeout(resolve, 5_000))
      ])
      for (const worker of workers) worker.child.kill("SIGKILL")
      for (const connection of connections) connection.disconnect()
      await redis.stop()
    }
  }
}

/**
 * Runs a registered task on every worker once, so that the first test does not pay each worker
 * thread's first import of tsx and the fixture module (seconds on a loaded machine).
 */
async function warmUp(url: string): Promise<void> {
  const { inc } = await import("../fixtures/client-tasks.js")
  const client = await Client.connect(url)
  try {
    await client.gather(
      client.map(
        inc,
        Array.from({ length: 64 }, (_, i) => i)
      )
    )
  } finally {
    await client.close()
  }
}

/** A cluster started once for the test file (two workers of one thread) and stopped after it. */
export function useCluster(options?: { workers?: number; threads?: number }): () => TestCluster {
  let cluster: TestCluster | undefined
  beforeAll(async () => {
    cluster = await startCluster(options)
  }, 120_000)
  afterAll(async () => {
    await cluster?.stop()
  }, 30_000)
  return () => {
    if (cluster === undefined) throw new Error("the cluster is not started yet")
    return cluster
  }
}

/** Every key in Redis (SCAN), sorted. */
export async function allKeys(redis: Redis, pattern = "*"): Promise<string[]> {
  return (await scanKeys(redis, pattern)).sort()
}
